from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import ValidationFailed
from inventory.models import Item
from orders import caps
from orders.caps import Buyer, CapReached

TODAY = date(2026, 11, 29)
ANI = Buyer(category="household", member_number="KKMP-000001", nik="6471014101900001", kk_number="6471010101090001")
BUDI = Buyer(category="household", nik="6471010202850002", kk_number="6471010101090001")  # Ani's household


@pytest.fixture
def items(demo):
    return {i.sku: i for i in demo.scalars(select(Item))}


@pytest.fixture
def rules(items):
    sphp = caps.add_rule("Batas SPHP", items["SPHP5"], "nik", "day", Decimal(2), TODAY - timedelta(days=30))
    lpg = caps.add_rule(
        "Kuota LPG 3 kg",
        items["LPG3"],
        "household",
        "month",
        Decimal(5),
        TODAY - timedelta(days=30),
        buyer_category="household",
    )
    return sphp, lpg


def test_sphp_two_packs_a_day_per_nik(items, rules):
    sphp = items["SPHP5"].id
    caps.take({sphp: Decimal(1)}, ANI, TODAY)
    caps.take({sphp: Decimal(1)}, ANI, TODAY)
    with pytest.raises(CapReached) as refused:
        caps.take({sphp: Decimal(1)}, ANI, TODAY)
    assert refused.value.message == "Batas SPHP 2 pak per hari; hari ini sudah 2."
    caps.take({sphp: Decimal(2)}, BUDI, TODAY)  # another NIK, even in the same household
    caps.take({sphp: Decimal(2)}, ANI, TODAY + timedelta(days=1))  # a new day


def test_lpg_per_household_per_month_counts_every_member_of_the_kk(items, rules):
    lpg = items["LPG3"].id
    caps.take({lpg: Decimal(3)}, ANI, TODAY)
    with pytest.raises(CapReached) as refused:
        caps.take({lpg: Decimal(3)}, BUDI, TODAY)  # same KK: 3 + 3 > 5
    assert refused.value.message == "Kuota LPG 3 kg rumah tangga 5 tabung per bulan; bulan ini sudah 3."
    caps.take({lpg: Decimal(2)}, BUDI, TODAY)
    caps.take({lpg: Decimal(5)}, ANI, date(2026, 12, 1))  # a new month


def test_the_category_decides_which_rules_apply(items, rules):
    lpg = items["LPG3"].id
    business = Buyer(category="micro_business", nik="6471010303800003", kk_number="6471010101090001")  # Ani's KK
    assert len(caps.take({lpg: Decimal(10)}, business, TODAY)) == 1  # only the business rule: 10 per NIK
    with pytest.raises(CapReached):
        caps.take({lpg: Decimal(1)}, business, TODAY)
    caps.take({lpg: Decimal(5)}, ANI, TODAY)  # the household's own 5 are untouched


def test_a_subsidised_sale_needs_the_buyer_identified(items, rules):
    with pytest.raises(ValidationFailed) as refused:
        caps.take({items["SPHP5"].id: Decimal(1)}, Buyer(category="household"), TODAY)
    assert refused.value.code == "buyer_required"


def test_a_return_gives_the_quantity_back(items, rules):
    sphp = items["SPHP5"].id
    taken = caps.take({sphp: Decimal(2)}, ANI, TODAY)
    caps.give_back(taken)
    caps.take({sphp: Decimal(2)}, ANI, TODAY)


def test_a_per_sale_cap_needs_no_usage(items):
    rule = caps.add_rule("Batas minyak", items["MKITA1"], "nik", "transaction", Decimal(2), TODAY)
    assert caps.take({items["MKITA1"].id: Decimal(2)}, ANI, TODAY) == []
    with pytest.raises(CapReached):
        caps.take({items["MKITA1"].id: Decimal(3)}, ANI, TODAY)
    caps.set_active(rule, False)
    assert caps.take({items["MKITA1"].id: Decimal(3)}, ANI, TODAY) == []


def test_caps_through_the_api_and_the_screen(api, client, login, items):
    manager = api("manager")
    created = manager.post(
        "/api/caps",
        json={
            "name": "Batas SPHP",
            "item_id": items["SPHP5"].id,
            "scope": "nik",
            "period": "day",
            "max_quantity": "2",
            "valid_from": "2026-01-01",
        },
    )
    assert created.status_code == 201 and created.get_json()["is_active"] is True
    bad = manager.post(
        "/api/caps",
        json={
            "name": "X",
            "item_id": items["SPHP5"].id,
            "scope": "village",
            "period": "day",
            "max_quantity": "2",
            "valid_from": "2026-01-01",
        },
    )
    assert bad.status_code == 422 and "scope" in bad.get_json()["errors"]
    assert [c["name"] for c in api("cashier").get("/api/caps").get_json()] == [
        "Batas SPHP",
        "Kuota LPG 3 kg rumah tangga",
        "Kuota LPG 3 kg usaha mikro",
        "Batas SPHP",
    ]
    login("manager")
    assert client.get("/shop/caps").status_code == 200
