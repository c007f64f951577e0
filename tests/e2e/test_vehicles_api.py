"""The vehicles API: VINs checked at the door, one active lien per VIN, a tamper-evident registry."""

from __future__ import annotations

from autofin.vehicles.vin import make_vin

VIN = make_vin("LFV2A21K", "P", "3", "123456")


def _vehicle(client, **overrides):
    body = {
        "vin": VIN,
        "plate": "京A12345",
        "condition": "new",
        "powertrain": "ice",
        "use": "self",
        "invoice_price": "200000.00",
        "model_code": "volkswagen.lavida",
    }
    body.update(overrides)
    return client.post("/api/v1/vehicles", json=body)


def test_a_vehicle_is_registered_with_its_vin_decoded(admin_client):
    response = _vehicle(admin_client)
    assert response.status_code == 201, response.text
    assert response.json()["maker"] == "FAW-Volkswagen 一汽-大众"
    assert response.json()["model_year"] == 2023


def test_an_invalid_vin_is_refused_naming_vin(admin_client):
    bad = VIN[:8] + str((int(VIN[8]) + 1) % 10 if VIN[8].isdigit() else 0) + VIN[9:]
    for vin in (bad, "LFV2A21K", "LFV2A21KI23456789"):
        response = _vehicle(admin_client, vin=vin)
        assert response.status_code == 422, vin
        assert [e["field"] for e in response.json()["errors"]] == ["vin"]


def test_a_bad_plate_or_a_plate_that_does_not_fit_the_powertrain_is_refused(admin_client):
    assert _vehicle(admin_client, plate="京A1234").json()["errors"][0]["field"] == "plate"
    mismatch = _vehicle(admin_client, plate="京AD12345", powertrain="ice")
    assert mismatch.json()["code"] == "vehicles.plate.powertrain_mismatch"
    assert _vehicle(admin_client, plate="京AD12345", powertrain="bev").status_code == 201


def test_the_same_vin_cannot_be_registered_twice(admin_client):
    assert _vehicle(admin_client).status_code == 201
    assert _vehicle(admin_client).status_code == 409


def test_a_second_active_lien_on_the_same_vin_is_refused_and_raises_an_alert(admin_client):
    vehicle_id = _vehicle(admin_client).json()["id"]
    first = admin_client.post("/api/v1/mortgages", json={"vehicle_id": vehicle_id, "kind": "mortgage"})
    assert first.status_code == 201, first.text
    registered = admin_client.post(
        f"/api/v1/mortgages/{first.json()['id']}/register",
        json={"authority": "北京市公安局公安交通管理局车辆管理所", "certificate_number": "BJ2026-000123"},
    )
    assert registered.status_code == 200 and registered.json()["status"] == "registered"
    second = admin_client.post("/api/v1/mortgages", json={"vehicle_id": vehicle_id, "kind": "pledge"})
    assert second.status_code == 409
    assert second.json()["code"] == "vehicles.lien.already_active"
    assert admin_client.get("/api/v1/mortgages").json()["count"] == 1
    log = admin_client.get("/api/v1/audit/events?action=vehicles.alert")
    if log.status_code == 200:
        assert log.json()["count"] == 1


def test_a_lien_walks_through_registration_and_release_and_then_the_vin_is_free(admin_client):
    vehicle_id = _vehicle(admin_client).json()["id"]
    lien_id = admin_client.post("/api/v1/mortgages", json={"vehicle_id": vehicle_id, "kind": "mortgage"}).json()["id"]
    assert admin_client.post(f"/api/v1/mortgages/{lien_id}/release").status_code == 409
    admin_client.post(f"/api/v1/mortgages/{lien_id}/register", json={"certificate_number": "C-1"})
    assert (
        admin_client.post(f"/api/v1/mortgages/{lien_id}/request-release", json={"reason": "贷款已结清"}).json()[
            "status"
        ]
        == "release_requested"
    )
    released = admin_client.post(f"/api/v1/mortgages/{lien_id}/release")
    assert released.json()["status"] == "released" and released.json()["active"] is False
    again = admin_client.post("/api/v1/mortgages", json={"vehicle_id": vehicle_id, "kind": "pledge"})
    assert again.status_code == 201
    actions = [e["action"] for e in admin_client.get(f"/api/v1/mortgages/registry?vin={VIN}").json()]
    assert actions == ["applied", "registered", "release_requested", "released", "applied"]
    assert admin_client.get("/api/v1/mortgages/registry/verify").json()["intact"] is True


def test_appraisals_and_ltv_use_the_lower_of_price_and_appraisal(admin_client):
    vehicle_id = _vehicle(admin_client, condition="used", first_registration="2022-06-01", mileage_km=60000).json()[
        "id"
    ]
    rule = admin_client.post(f"/api/v1/vehicles/{vehicle_id}/appraisals", json={"method": "rule"})
    assert rule.status_code == 201
    assert 0 < float(rule.json()["value"]) < 200000
    staff = admin_client.post(
        f"/api/v1/vehicles/{vehicle_id}/appraisals",
        json={"method": "staff", "value": "100000.00", "appraiser": "王评估"},
    )
    assert staff.status_code == 201
    ltv = admin_client.post(f"/api/v1/vehicles/{vehicle_id}/ltv", json={"loan": "70000.00"}).json()
    assert ltv["basis"] == "100000.00"
    assert ltv["ltv"] == "0.7000"
    assert (
        admin_client.post(f"/api/v1/vehicles/{vehicle_id}/appraisals", json={"method": "staff"}).json()["errors"][0][
            "field"
        ]
        == "value"
    )


def test_insurance_policies_need_a_sane_period(admin_client):
    vehicle_id = _vehicle(admin_client).json()["id"]
    body = {
        "insurer": "中国人保",
        "policy_number": "PICC-1",
        "kind": "commercial",
        "cover": "300000.00",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "beneficiary": "autofin",
    }
    assert admin_client.post(f"/api/v1/vehicles/{vehicle_id}/policies", json=body).status_code == 201
    backwards = admin_client.post(f"/api/v1/vehicles/{vehicle_id}/policies", json={**body, "ends_on": "2025-01-01"})
    assert backwards.json()["errors"][0]["field"] == "ends_on"


def test_a_gps_device_is_installed_on_a_vehicle_once(admin_client):
    vehicle_id = _vehicle(admin_client).json()["id"]
    bad = admin_client.post("/api/v1/gps-devices", json={"serial": "GPS-1", "imei": "490154203237519", "kind": "wired"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "imei"
    device = admin_client.post(
        "/api/v1/gps-devices",
        json={"serial": "GPS-1", "imei": "490154203237518", "kind": "wired", "sim": "1440012345678"},
    )
    assert device.status_code == 201
    installed = admin_client.post(
        f"/api/v1/gps-devices/{device.json()['id']}/install",
        json={"vehicle_id": vehicle_id, "installer": "李师傅", "photos": ["a.jpg"]},
    )
    assert installed.json()["status"] == "installed" and installed.json()["vehicle_id"] == vehicle_id
    again = admin_client.post(
        f"/api/v1/gps-devices/{device.json()['id']}/install", json={"vehicle_id": vehicle_id, "installer": "李师傅"}
    )
    assert again.status_code == 409


def test_two_people_editing_one_vehicle_the_second_gets_a_conflict(admin_client):
    vehicle = _vehicle(admin_client).json()
    assert (
        admin_client.patch(
            f"/api/v1/vehicles/{vehicle['id']}", json={"version": vehicle["version"], "mileage_km": 100}
        ).status_code
        == 200
    )
    assert (
        admin_client.patch(
            f"/api/v1/vehicles/{vehicle['id']}", json={"version": vehicle["version"], "mileage_km": 200}
        ).status_code
        == 409
    )


def test_a_model_code_outside_the_vehicle_model_dictionary_is_refused_naming_model_code(admin_client):
    response = _vehicle(admin_client, model_code="NO-SUCH-MODEL")
    assert response.status_code == 422
    assert response.json()["code"] == "vehicles.model_code.unknown"
    assert [e["field"] for e in response.json()["errors"]] == ["model_code"]
    assert admin_client.get("/api/v1/vehicles").json()["count"] == 0


def test_a_vehicle_can_be_changed_only_to_a_model_of_the_dictionary(admin_client):
    vehicle = _vehicle(admin_client).json()
    refused = admin_client.patch(
        f"/api/v1/vehicles/{vehicle['id']}", json={"version": vehicle["version"], "model_code": "VW-SAGITAR"}
    )
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["model_code"]
    changed = admin_client.patch(
        f"/api/v1/vehicles/{vehicle['id']}", json={"version": vehicle["version"], "model_code": "toyota.camry"}
    )
    assert changed.status_code == 200 and changed.json()["model_code"] == "toyota.camry"


LOAN_TERMS = {"principal": "150000", "annual_rate": "6", "term": 24, "disbursement_date": "2026-02-01",
              "penalty": {"rate": "9"}}


def test_a_loan_opened_on_a_car_binds_its_gps_and_lien_and_shows_them_by_loan(admin_client):
    vehicle_id = _vehicle(admin_client).json()["id"]
    device = admin_client.post("/api/v1/gps-devices", json={"serial": "GPS-L1", "kind": "wireless"}).json()
    admin_client.post(f"/api/v1/gps-devices/{device['id']}/install",
                      json={"vehicle_id": vehicle_id, "installer": "李师傅"})
    lien = admin_client.post("/api/v1/mortgages", json={"vehicle_id": vehicle_id}).json()
    loan = admin_client.post("/api/v1/loans", json={"contract_no": "HT-API-1", "customer_id": 1,
                                                      "product_code": "CAR", "terms": LOAN_TERMS,
                                                      "vehicle_id": vehicle_id})
    assert loan.status_code == 201, loan.text
    loan_id = loan.json()["id"]
    assert admin_client.get(f"/api/v1/gps-devices/{device['id']}").json()["loan_id"] == loan_id
    assert admin_client.get(f"/api/v1/mortgages/{lien['id']}").json()["loan_id"] == loan_id
    binding = admin_client.get(f"/api/v1/gps-devices/loans/{loan_id}")
    assert binding.json() == {"loan_id": loan_id, "vehicle_id": vehicle_id, "device_ids": [device["id"]],
                              "lien_id": lien["id"]}
    history = admin_client.get(f"/api/v1/vehicles/{vehicle_id}/gps-installations").json()
    assert [(h["device_id"], h["installer"], h["removed_on"]) for h in history] == [(device["id"], "李师傅", None)]


def test_gps_is_bound_to_a_loan_explicitly_and_an_unknown_loan_is_refused_naming_loan_id(admin_client):
    vehicle_id = _vehicle(admin_client).json()["id"]
    device = admin_client.post("/api/v1/gps-devices", json={"serial": "GPS-L2", "kind": "wired"}).json()
    admin_client.post(f"/api/v1/gps-devices/{device['id']}/install",
                      json={"vehicle_id": vehicle_id, "installer": "王师傅"})
    unknown = admin_client.post("/api/v1/gps-devices/bind-loan", json={"vehicle_id": vehicle_id, "loan_id": 9999})
    assert unknown.status_code == 404
    assert [e["field"] for e in unknown.json()["errors"]] == ["loan_id"]
    loan_id = admin_client.post("/api/v1/loans", json={"contract_no": "HT-API-2", "customer_id": 1,
                                                         "product_code": "CAR", "terms": LOAN_TERMS}).json()["id"]
    assert admin_client.get(f"/api/v1/gps-devices/loans/{loan_id}").status_code == 404  # no car yet
    bound = admin_client.post("/api/v1/gps-devices/bind-loan", json={"vehicle_id": vehicle_id, "loan_id": loan_id})
    assert bound.status_code == 200, bound.text
    assert bound.json()["device_ids"] == [device["id"]]


def test_gps_status_changes_follow_the_device_lifecycle(admin_client):
    vehicle_id = _vehicle(admin_client).json()["id"]
    device = admin_client.post("/api/v1/gps-devices", json={"serial": "GPS-S1", "kind": "wired"}).json()
    wrong = admin_client.post(f"/api/v1/gps-devices/{device['id']}/status", json={"status": "removed"})
    assert wrong.status_code == 409 and wrong.json()["code"] == "vehicles.gps.wrong_state"
    installed = admin_client.post(f"/api/v1/gps-devices/{device['id']}/install",
                                  json={"vehicle_id": vehicle_id, "installer": "李师傅"}).json()
    stale = admin_client.post(f"/api/v1/gps-devices/{device['id']}/status",
                              json={"status": "removed", "version": installed["version"] - 1})
    assert stale.status_code == 409
    removed = admin_client.post(f"/api/v1/gps-devices/{device['id']}/status",
                                json={"status": "removed", "version": installed["version"], "reason": "结清拆除"})
    assert removed.status_code == 200 and removed.json()["vehicle_id"] is None
    assert admin_client.get("/api/v1/gps-devices", params={"status": "removed"}).json()[0]["serial"] == "GPS-S1"
    assert admin_client.get("/api/v1/gps-devices", params={"vehicle_id": vehicle_id}).json() == []
