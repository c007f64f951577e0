"""The customers API: registration refuses bad identities, hides personal data, and guards the blacklist."""

from __future__ import annotations

from datetime import date

from autofin.customers.identity import luhn_check_digit, make_resident_id

ID_NUMBER = make_resident_id("110105", date(1988, 6, 15), 123)


def _individual(**overrides):
    body = {
        "kind": "individual",
        "name": "张三",
        "id_type": "resident_id",
        "id_number": ID_NUMBER,
        "phone": "13812345678",
        "address": "北京市朝阳区建国路1号",
        "monthly_income": "25000.00",
    }
    body.update(overrides)
    return body


def test_a_registered_customer_comes_back_masked(admin_client):
    response = admin_client.post("/api/v1/customers", json=_individual())
    assert response.status_code == 201, response.text
    customer = response.json()
    assert customer["id_number"] == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
    assert customer["phone"] == "138****5678"
    assert customer["monthly_income"] is None
    assert set(customer["masked"]) == {"identity", "contact", "finance", "credit"}
    assert ID_NUMBER not in response.text


def test_an_invalid_id_number_is_refused_naming_id_number_in_both_languages(admin_client):
    bad = ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1")
    response = admin_client.post("/api/v1/customers", json=_individual(id_number=bad))
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["id_number"]
    assert "校验位" in response.json()["detail"]
    english = admin_client.post("/api/v1/customers", json=_individual(id_number=bad), headers={"Accept-Language": "en"})
    assert "check digit" in english.json()["detail"]


def test_a_second_customer_with_the_same_id_number_is_a_conflict_and_nothing_is_written(admin_client):
    assert admin_client.post("/api/v1/customers", json=_individual()).status_code == 201
    second = admin_client.post("/api/v1/customers", json=_individual(name="李四", phone="13912345678"))
    assert second.status_code == 409
    assert second.json()["code"] == "customers.customer.duplicate_id"
    assert admin_client.get("/api/v1/customers").json()["count"] == 1


def test_an_under_age_applicant_is_refused(admin_client):
    minor = make_resident_id("110105", date(2012, 1, 1), 5)
    response = admin_client.post("/api/v1/customers", json=_individual(id_number=minor))
    assert response.status_code == 422
    assert response.json()["code"] == "customers.id_number.age_out_of_range"


def test_customers_are_found_by_exact_id_number_phone_and_name_prefix(admin_client):
    admin_client.post("/api/v1/customers", json=_individual())
    for query in (f"q={ID_NUMBER}", "q=13812345678", "q=张", f"id_number={ID_NUMBER}", "phone=13812345678"):
        assert admin_client.get(f"/api/v1/customers?{query}").json()["count"] == 1, query
    assert admin_client.get("/api/v1/customers?q=王").json()["count"] == 0


def test_revealing_personal_data_needs_a_reason_and_is_audited(admin_client):
    customer_id = admin_client.post("/api/v1/customers", json=_individual()).json()["id"]
    no_reason = admin_client.post(
        f"/api/v1/customers/{customer_id}/reveal", json={"groups": ["identity"], "reason": ""}
    )
    assert no_reason.status_code == 422
    revealed = admin_client.post(
        f"/api/v1/customers/{customer_id}/reveal", json={"groups": ["identity", "finance"], "reason": "核实贷款申请"}
    )
    assert revealed.status_code == 200
    assert revealed.json()["id_number"] == ID_NUMBER
    assert revealed.json()["monthly_income"] == "25000.00"
    assert revealed.json()["phone"] == "138****5678"
    log = admin_client.get(f"/api/v1/audit/events?entity_type=customer&entity_id={customer_id}")
    if log.status_code == 200:
        assert any(e["action"] == "customers.pii.reveal" for e in log.json()["data"])


def test_two_people_editing_one_customer_the_second_gets_a_conflict(admin_client):
    customer = admin_client.post("/api/v1/customers", json=_individual()).json()
    first = admin_client.patch(
        f"/api/v1/customers/{customer['id']}", json={"version": customer["version"], "employer": "甲公司"}
    )
    assert first.status_code == 200
    second = admin_client.patch(
        f"/api/v1/customers/{customer['id']}", json={"version": customer["version"], "employer": "乙公司"}
    )
    assert second.status_code == 409


def test_an_enterprise_with_a_failing_code_needs_an_authorised_override_with_a_reason(admin_client):
    rep = admin_client.post("/api/v1/customers", json=_individual()).json()
    body = {
        "kind": "enterprise",
        "name": "某某汽车服务有限公司",
        "uscc": "91350100M000100Y44",
        "legal_rep_id": rep["id"],
        "registered_capital": "5000000.00",
        "industry": "汽车销售",
    }
    refused = admin_client.post("/api/v1/customers", json=body)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "uscc"
    no_reason = admin_client.post("/api/v1/customers", json={**body, "uscc_override": True})
    assert no_reason.json()["errors"][0]["field"] == "override_reason"
    accepted = admin_client.post(
        "/api/v1/customers", json={**body, "uscc_override": True, "override_reason": "早期合法代码，已核对营业执照原件"}
    )
    assert accepted.status_code == 201
    assert accepted.json()["uscc_override"] is True


def test_bank_cards_are_shown_as_bin_and_last_four_and_a_cvv_is_refused(admin_client):
    customer_id = admin_client.post("/api/v1/customers", json=_individual()).json()["id"]
    number = "622202020011223344"
    number += luhn_check_digit(number)
    with_cvv = admin_client.post(
        f"/api/v1/customers/{customer_id}/cards", json={"card_number": number, "holder_name": "张三", "cvv": "123"}
    )
    assert with_cvv.status_code == 422
    card = admin_client.post(
        f"/api/v1/customers/{customer_id}/cards", json={"card_number": number, "holder_name": "张三"}
    )
    assert card.status_code == 201
    assert card.json()["masked_number"] == "622202******" + number[-4:]
    assert card.json()["bank_name"] == "中国工商银行"
    assert number not in card.text
    bad = admin_client.post(
        f"/api/v1/customers/{customer_id}/cards",
        json={"card_number": number[:-1] + str((int(number[-1]) + 1) % 10), "holder_name": "张三"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "card_number"
    full = admin_client.post(f"/api/v1/cards/{card.json()['id']}/reveal", json={"reason": "代扣失败核对卡号"})
    assert full.json()["card_number"] == number


def test_the_blacklist_takes_one_identifier_and_is_checked_by_hash(admin_client):
    added = admin_client.post("/api/v1/blacklist", json={"id_number": ID_NUMBER, "reason": "伪造材料"})
    assert added.status_code == 201
    assert added.json()["value_masked"] == ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
    phone = admin_client.post("/api/v1/blacklist", json={"phone": "13900001111", "reason": "团伙欺诈"})
    assert phone.status_code == 201
    assert admin_client.post("/api/v1/blacklist", json={"reason": "x"}).status_code == 422
    assert (
        admin_client.post("/api/v1/blacklist", json={"vin": "ABC", "reason": "x"}).json()["errors"][0]["field"] == "vin"
    )
    hits = admin_client.post("/api/v1/blacklist/check", json={"id_number": ID_NUMBER.lower(), "phone": "13800000000"})
    assert [h["kind"] for h in hits.json()] == ["id_number"]
    assert admin_client.get("/api/v1/blacklist").json()["count"] == 2


def test_removing_a_blacklist_entry_needs_a_second_person(admin_client, make_user, auth_headers, client):
    entry = admin_client.post("/api/v1/blacklist", json={"phone": "13900001111", "reason": "团伙欺诈"}).json()
    asked = admin_client.post(f"/api/v1/blacklist/{entry['id']}/removal-request", json={"reason": "误录，已核实"})
    assert asked.json()["status"] == "removal_requested"
    assert admin_client.post("/api/v1/blacklist/check", json={"phone": "13900001111"}).json()
    same = admin_client.post(f"/api/v1/blacklist/{entry['id']}/approve-removal")
    assert same.status_code == 422
    assert same.json()["code"] == "customers.blacklist.second_person_required"
    make_user("risk2", role_codes=["admin"], superuser=True)
    headers = auth_headers(client, "risk2")
    approved = client.post(f"/api/v1/blacklist/{entry['id']}/approve-removal", headers=headers)
    assert approved.status_code == 200 and approved.json()["status"] == "removed"
    assert admin_client.post("/api/v1/blacklist/check", json={"phone": "13900001111"}).json() == []


def test_possible_duplicates_are_listed_and_merged(admin_client):
    first = admin_client.post("/api/v1/customers", json=_individual()).json()
    other = make_resident_id("310101", date(1990, 1, 1), 7)
    second = admin_client.post("/api/v1/customers", json=_individual(id_number=other, name="张三丰")).json()
    duplicates = admin_client.get("/api/v1/customers/duplicates").json()
    assert {
        "reason": "same_phone",
        "customer_ids": [first["id"], second["id"]],
        "names": ["张三", "张三丰"],
    } in duplicates
    merged = admin_client.post(
        f"/api/v1/customers/{first['id']}/merge", json={"duplicate_id": second["id"], "reason": "同一人重复录入"}
    )
    assert merged.status_code == 200
    assert admin_client.get(f"/api/v1/customers/{second['id']}").json()["merged_into_id"] == first["id"]
    assert admin_client.get("/api/v1/customers/duplicates").json() == []


def test_unauthenticated_requests_are_refused(client):
    assert client.get("/api/v1/customers").status_code == 401
