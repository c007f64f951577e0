"""Permissions of the vehicles domain (menu group 评估与车辆管理)."""

from __future__ import annotations

from autofin.kernel.permissions import declare, declare_group

GROUP = declare_group("vehicles", "评估与车辆管理", "Vehicles and collateral", 40)

VEHICLE_VIEW = declare("vehicles.vehicle.view", "查看车辆", "View vehicles", "vehicles")
VEHICLE_MANAGE = declare(
    "vehicles.vehicle.manage", "登记/编辑车辆与保险", "Register and edit vehicles and insurance", "vehicles"
)
APPRAISAL_MANAGE = declare("vehicles.appraisal.manage", "车辆评估", "Appraise vehicles", "vehicles")
LIEN_VIEW = declare("vehicles.lien.view", "查看抵押/质押登记", "View the lien registry", "vehicles")
LIEN_APPLY = declare("vehicles.lien.apply", "申请抵押/质押、申请解押", "Apply for liens and their release", "vehicles")
LIEN_REVIEW = declare("vehicles.lien.review", "确认抵押登记/解押", "Record lien registration and release", "vehicles")
REGISTRY_VERIFY = declare("vehicles.registry.verify", "校验登记簿完整性", "Verify the lien registry chain", "vehicles")
GPS_MANAGE = declare("vehicles.gps.manage", "GPS设备与安装", "Manage GPS devices and installations", "vehicles")
