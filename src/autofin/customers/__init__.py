"""Customers (客户管理): individuals, enterprises, contacts, tags, grades, bank cards and the blacklist."""
