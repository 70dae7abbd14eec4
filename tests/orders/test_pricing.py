from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from app.errors import DomainError, ValidationFailed
from app.models import AuditEntry
from inventory import services
from inventory.models import Item
from orders import pricing
from orders.pricing import AboveCeiling

TODAY = date.today()


@pytest.fixture
def goods(demo):
    items = {i.sku: i for i in demo.scalars(select(Item))}
    packs = {(i.sku, p.name): p for i in items.values() for p in i.packagings}
    return items, packs


def test_a_price_above_the_ceiling_is_refused_when_set(goods):
    items, packs = goods
    sphp = packs[("SPHP5", "Pak 5 kg")]
    pricing.set_ceiling(items["SPHP5"], 65500, TODAY - timedelta(days=30), "HET SPHP zona 2")
    with pytest.raises(AboveCeiling) as refused:
        pricing.set_price(sphp, "general", 66000, TODAY)
    assert refused.value.extra["ceiling"] == 65500
    assert "Rp66.000" in refused.value.message and "Rp65.500" in refused.value.message
    assert pricing.set_price(sphp, "general", 65500, TODAY).amount == 65500  # exactly the ceiling is fine


def test_the_ceiling_is_per_base_unit_times_the_packaging(goods):
    items, packs = goods
    pricing.set_ceiling(items["BRS-MED"], 14000, TODAY)  # per kg
    per_kg = packs[("BRS-MED", "Per kg")]
    assert pricing.set_price(per_kg, "member", 13500, TODAY).amount == 13500
    with pytest.raises(AboveCeiling):
        pricing.set_price(per_kg, "general", 14001, TODAY)


def test_a_lowered_ceiling_is_refused_at_the_till_and_reported(goods):
    items, packs = goods
    lpg = packs[("LPG3", "Tabung isi")]
    pricing.set_ceiling(items["LPG3"], 19000, TODAY - timedelta(days=10))
    pricing.set_price(lpg, "general", 19000, TODAY - timedelta(days=10))
    pricing.check_sale_price(lpg, 19000, TODAY)  # fine today
    _ceiling, too_high = pricing.set_ceiling(items["LPG3"], 18000, TODAY + timedelta(days=1), "ceiling lowered")
    assert [(p.price_list, p.amount) for p in too_high] == [("general", 19000)]
    pricing.check_sale_price(lpg, 19000, TODAY)  # still fine today
    with pytest.raises(AboveCeiling):
        pricing.check_sale_price(lpg, 19000, TODAY + timedelta(days=1))  # refused from the day it drops


def test_a_lowered_ceiling_lists_every_price_above_it_while_it_is_in_force(goods):
    """The price in force on its first day, and every price that starts later (a member price from today under a
    ceiling lowered from yesterday), until the zone's next ceiling begins."""
    items, packs = goods
    lpg = packs[("LPG3", "Tabung isi")]
    pricing.set_ceiling(items["LPG3"], 20000, TODAY - timedelta(days=10))
    pricing.set_ceiling(items["LPG3"], 25000, TODAY + timedelta(days=30))
    pricing.set_price(lpg, "general", 19500, TODAY - timedelta(days=10))
    pricing.set_price(lpg, "member", 19200, TODAY)
    pricing.set_price(lpg, "member", 18500, TODAY + timedelta(days=5))  # under the new ceiling
    pricing.set_price(lpg, "general", 21000, TODAY + timedelta(days=30))  # under the next ceiling, not this one
    _ceiling, too_high = pricing.set_ceiling(items["LPG3"], 19000, TODAY - timedelta(days=1), "ceiling lowered")
    assert [(p.price_list, p.amount, p.valid_from) for p in too_high] == [
        ("member", 19200, TODAY),
        ("general", 19500, TODAY - timedelta(days=10)),
    ]


def test_the_api_lists_a_later_price_above_a_lowered_ceiling(goods, api):
    items, packs = goods
    lpg = packs[("LPG3", "Tabung isi")]
    pricing.set_ceiling(items["LPG3"], 20000, TODAY - timedelta(days=10))
    pricing.set_price(lpg, "member", 19500, TODAY)
    answer = api("manager").post(
        "/api/prices/ceilings",
        json={"item_id": items["LPG3"].id, "amount_per_unit": 19000, "valid_from": str(TODAY - timedelta(days=1))},
    )
    assert answer.status_code == 201, answer.get_json()
    assert [(p["price_list"], p["amount"], p["valid_from"]) for p in answer.get_json()["prices_above"]] == [
        ("member", 19500, TODAY.isoformat())
    ]


def test_a_regulated_item_without_a_ceiling_cannot_be_priced(goods):
    _items, packs = goods
    flour = services.create_item(
        {
            "sku": "TEPUNG",
            "name_id": "Tepung terigu",
            "name_en": "Flour",
            "category": "sembako",
            "base_unit": "piece",
            "is_price_regulated": True,
        }
    )
    pack = services.add_packaging(flour, "Bungkus 1 kg", Decimal(1), False, True)
    with pytest.raises(DomainError) as refused:
        pricing.set_price(pack, "member", 12000, TODAY)
    assert refused.value.code == "ceiling_missing"
    assert pricing.set_price(packs[("GULA1", "Bungkus 1 kg")], "member", 17000, TODAY).amount == 17000  # no HET


def test_member_and_general_prices_with_effective_dates(goods):
    _items, packs = goods
    sugar = packs[("GULA1", "Bungkus 1 kg")]
    pricing.set_price(sugar, "member", 17000, TODAY - timedelta(days=5))
    pricing.set_price(sugar, "general", 18000, TODAY - timedelta(days=5))
    pricing.set_price(sugar, "member", 16500, TODAY + timedelta(days=2))
    assert pricing.price_on(sugar, "member", TODAY).amount == 17000
    assert pricing.price_on(sugar, "member", TODAY + timedelta(days=2)).amount == 16500
    assert pricing.price_on(sugar, "general", TODAY).amount == 18000
    assert pricing.price_on(sugar, "member", date(2025, 12, 31)) is None  # before the demo's first price


def test_only_sale_packagings_get_prices(goods):
    _items, packs = goods
    with pytest.raises(ValidationFailed):
        pricing.set_price(packs[("GULA1", "Karton 20")], "member", 300000, TODAY)


def test_price_and_ceiling_changes_are_audited(goods):
    items, packs = goods
    before = db.session.scalar(select(func.max(AuditEntry.id)))
    pricing.set_ceiling(items["LPG3"], 19000, TODAY, "Kepgub Kaltim 500/K.572/2022")
    pricing.set_price(packs[("LPG3", "Tabung isi")], "member", 18000, TODAY)
    pricing.set_price(packs[("LPG3", "Tabung isi")], "member", 18500, TODAY)
    entries = db.session.execute(
        select(AuditEntry.action, AuditEntry.changes)
        .where(AuditEntry.action.in_(["set_price", "set_ceiling"]), AuditEntry.id > before)
        .order_by(AuditEntry.id)
    ).all()
    assert [a for a, _ in entries] == ["set_ceiling", "set_price", "set_price"]
    assert entries[0].changes["source"] == "Kepgub Kaltim 500/K.572/2022"
    assert entries[1].changes["amount"] == [None, 18000] and entries[-1].changes["amount"] == [18000, 18500]


def test_prices_through_the_api(api, goods):
    items, packs = goods
    manager = api("manager")
    ceiling = manager.post(
        "/api/prices/ceilings",
        json={"item_id": items["SPHP5"].id, "amount_per_unit": 65500, "valid_from": TODAY.isoformat()},
    )
    assert ceiling.status_code == 201 and ceiling.get_json()["ceiling"]["zone"] == "kaltim-balikpapan"
    sphp = packs[("SPHP5", "Pak 5 kg")]
    refused = manager.post(
        "/api/prices",
        json={"packaging_id": sphp.id, "price_list": "general", "amount": 70000, "valid_from": TODAY.isoformat()},
    )
    assert refused.status_code == 409 and refused.get_json()["type"] == "/problems/above_ceiling"
    assert list(refused.get_json()["errors"]) == ["amount"] and "Rp65.500" in refused.get_json()["errors"]["amount"][0]
    manager.post(
        "/api/prices",
        json={"packaging_id": sphp.id, "price_list": "member", "amount": 62500, "valid_from": TODAY.isoformat()},
    )
    table = {row["packaging_id"]: row for row in api("cashier").get("/api/prices").get_json()}
    assert (table[sphp.id]["member"], table[sphp.id]["general"], table[sphp.id]["ceiling"]) == (62500, 65500, 65500)
    assert api("warehouse").get("/api/prices").status_code == 403


def test_the_prices_screen(client, login, goods):
    login("manager")
    assert client.get("/shop/prices").status_code == 200
