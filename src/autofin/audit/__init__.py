"""Tamper-evident operation log (操作日志): one hash-chained row per state change."""
