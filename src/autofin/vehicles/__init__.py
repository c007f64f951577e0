"""Vehicles and collateral (评估与车辆管理): vehicles, appraisals, insurance, the lien registry, GPS devices."""
