"""The products API: versions go draft → active → retired, quotes stay inside the product and the LTV caps."""

from __future__ import annotations

from decimal import Decimal


def _product(client, **overrides):
    body = {
        "code": "NEW-ANNUITY",
        "product_name": "新车等额本息",
        "conditions": ["new"],
        "powertrains": ["conventional", "nev"],
        "uses": ["self", "commercial"],
        "methods": ["annuity", "flat"],
        "terms": [12, 24, 36],
        "max_term": 36,
        "rate_min": "3",
        "rate_max": "12",
        "rate_default": "6",
        "min_down_payment_percent": "20",
        "fees": [{"name": "GPS费", "amount": "1000.00", "timing": "upfront", "treatment": "paid"}],
    }
    body.update(overrides)
    response = client.post("/api/v1/products", json=body)
    assert response.status_code == 201, response.text
    client.post(f"/api/v1/products/{body['code']}/versions/1/activate")
    return response.json()


def _quote(client, code="NEW-ANNUITY", **overrides):
    body = {"price": "200000.00", "down_payment": "60000.00", "term": 36, "method": "annuity"}
    body.update(overrides)
    return client.post(f"/api/v1/products/{code}/quote", json=body)


def test_a_quote_gives_a_schedule_and_an_annualised_rate_above_the_nominal_with_fees(admin_client):
    _product(admin_client)
    response = _quote(admin_client)
    assert response.status_code == 200, response.text
    quote = response.json()
    assert quote["principal"] == "140000.00"
    assert len(quote["schedule"]) == 36
    assert quote["schedule"][-1]["balance"] == "0.00"
    assert sum(Decimal(r["principal"]) for r in quote["schedule"]) == Decimal("140000.00")
    assert Decimal(quote["annualized_rate_compound"]) > Decimal(quote["annualized_rate_simple"]) > 0
    assert quote["product_version"] == 1


def test_the_flat_method_shows_an_annualised_rate_far_above_its_nominal_rate(admin_client):
    _product(admin_client, fees=[])
    annuity = _quote(admin_client).json()
    flat = _quote(admin_client, method="flat").json()
    assert Decimal(flat["annualized_rate_simple"]) > Decimal(annuity["annualized_rate_simple"]) * Decimal("1.5")


def test_quotes_outside_the_product_are_refused_naming_the_field(admin_client):
    _product(admin_client)
    cases = {
        "term": {"term": 48},
        "method": {"method": "balloon"},
        "rate": {"rate": "15"},
        "down_payment": {"down_payment": "10000.00"},
    }
    for field, change in cases.items():
        response = _quote(admin_client, **change)
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field


def test_commercial_cars_are_capped_at_70_percent_and_self_use_by_the_lender_since_2024(admin_client):
    _product(admin_client, min_down_payment_percent="0")
    assert _quote(admin_client, down_payment="20000.00", use="self").status_code == 200
    refused = _quote(admin_client, down_payment="20000.00", use="commercial")
    assert refused.status_code == 422
    assert refused.json()["code"] == "products.quote.ltv"
    assert _quote(admin_client, down_payment="60000.00", use="commercial").json()["ltv_cap_percent"] == "70"
    assert _quote(admin_client, down_payment="50000.00", use="commercial", powertrain="nev").status_code == 200
    before_2024 = _quote(admin_client, down_payment="20000.00", use="self", disbursement_date="2023-06-01")
    assert before_2024.json()["code"] == "products.quote.ltv"


def test_used_car_products_cannot_exceed_three_years(admin_client):
    response = admin_client.post(
        "/api/v1/products",
        json={"code": "USED", "product_name": "二手车", "conditions": ["used"], "terms": [12, 48], "max_term": 48},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "max_term"


def test_activating_a_new_version_retires_the_old_one_and_quotes_use_the_active_one(admin_client):
    _product(admin_client)
    draft = admin_client.post(
        "/api/v1/products/NEW-ANNUITY/versions",
        json={"conditions": ["new"], "terms": [12, 24, 36, 48, 60], "max_term": 60, "rate_default": "5"},
    )
    assert draft.json()["number"] == 2 and draft.json()["status"] == "draft"
    assert _quote(admin_client, term=60).status_code == 422
    admin_client.post("/api/v1/products/NEW-ANNUITY/versions/2/activate")
    product = admin_client.get("/api/v1/products/NEW-ANNUITY").json()
    assert [v["status"] for v in product["versions"]] == ["retired", "active"]
    assert _quote(admin_client, term=60).json()["product_version"] == 2
    again = admin_client.post("/api/v1/products/NEW-ANNUITY/versions/1/activate")
    assert again.status_code == 409


def test_a_balloon_product_quotes_with_its_residual(admin_client):
    _product(
        admin_client, code="NEV-BALLOON", methods=["balloon"], powertrains=["nev"], max_balloon_percent="40", fees=[]
    )
    quote = _quote(admin_client, code="NEV-BALLOON", method="balloon", balloon="40000.00")
    assert quote.status_code == 200, quote.text
    assert Decimal(quote.json()["schedule"][-1]["total"]) > Decimal("40000")
    too_big = _quote(admin_client, code="NEV-BALLOON", method="balloon", balloon="90000.00")
    assert too_big.json()["errors"][0]["field"] == "balloon"


def test_the_ltv_cap_table_is_seeded_with_the_regulatory_values(admin_client):
    caps = admin_client.get("/api/v1/products/ltv-caps").json()
    assert len(caps) == 10
    current = {(c["use"], c["powertrain"], c["condition"]): c["cap_percent"] for c in caps if c["effective_to"] is None}
    assert current[("commercial", "conventional", "new")] == "70"
    assert current[("commercial", "nev", "new")] == "75"
    assert current[("self", "nev", "used")] == "70"
    assert current[("self", "conventional", "new")] == "100"


def test_a_product_without_an_active_version_cannot_be_quoted(admin_client):
    admin_client.post("/api/v1/products", json={"code": "DRAFTY", "product_name": "草稿"})
    response = _quote(admin_client, code="DRAFTY")
    assert response.status_code == 422 and response.json()["code"] == "products.product.not_active"
    assert _quote(admin_client, code="NOPE").status_code == 404


def test_a_new_ltv_cap_row_is_added_and_bad_ones_are_refused_naming_the_field(admin_client):
    from datetime import timedelta

    from autofin.kernel.clock import utcnow

    start = (utcnow().date() + timedelta(days=10)).isoformat()
    body = {"use": "commercial", "powertrain": "conventional", "condition": "new", "effective_from": start,
            "cap_percent": "65", "source": "风险委员会决议"}
    too_high = admin_client.post("/api/v1/products/ltv-caps", json={**body, "cap_percent": "120"})
    assert too_high.status_code == 422 and [e["field"] for e in too_high.json()["errors"]] == ["cap_percent"]
    added = admin_client.post("/api/v1/products/ltv-caps", json=body)
    assert added.status_code == 201, added.text
    assert added.json()["cap_percent"] == "65" and added.json()["effective_to"] is None
    again = admin_client.post("/api/v1/products/ltv-caps", json=body)
    assert again.status_code == 409 and again.json()["code"] == "products.ltv.duplicate"
    caps = admin_client.get("/api/v1/products/ltv-caps").json()
    assert len(caps) == 11
    _product(admin_client)
    later = _quote(admin_client, price="200000.00", down_payment="60000.00", use="commercial",
                   powertrain="conventional", disbursement_date=start)
    assert later.status_code == 422 and later.json()["code"] == "products.quote.ltv"  # 70 % > the new 65 %


def test_a_draft_is_edited_through_put_and_an_active_version_is_read_only(admin_client):
    created = _product(admin_client, code="EDITABLE")
    draft = admin_client.post("/api/v1/products/EDITABLE/versions", json={}).json()
    fields = {k: v for k, v in draft.items()
              if k not in ("id", "number", "status", "activated_at", "retired_at")}
    changed = admin_client.put("/api/v1/products/EDITABLE/versions/2",
                               json={**fields, "rate_default": "7.25", "grace_days": 5, "terms": [12, 24]})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["rate_default"], changed.json()["grace_days"], changed.json()["terms"]) == ("7.25", 5,
                                                                                                       [12, 24])
    stale = admin_client.put("/api/v1/products/EDITABLE/versions/2", json={**fields, "grace_days": 6})
    assert stale.status_code == 409
    active = created["versions"][0]
    refused = admin_client.put("/api/v1/products/EDITABLE/versions/1",
                               json={**fields, "version": active["version"] + 1})
    assert refused.status_code == 409 and refused.json()["code"] == "products.version.not_draft"
    bad = admin_client.put("/api/v1/products/EDITABLE/versions/2",
                           json={**fields, "version": changed.json()["version"], "rate_default": "50"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "rate_default"
