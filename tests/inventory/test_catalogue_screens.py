"""The catalogue on screens: a manager adds an item, its packagings and barcodes (check digits verified), edits
its rules, and each refusal is said by its field; the unit is locked once stock has moved."""

from sqlalchemy import select

from inventory.models import Barcode, Item, Packaging
from tests.conftest import csrf_token_from


def _post(client, url: str, **data):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


ITEM = {
    "sku": "TELUR10",
    "name_id": "Telur ayam 10 butir",
    "name_en": "Eggs, 10",
    "category": "telur",
    "base_unit": "pack",
    "is_active": "on",
    "is_expiry_tracked": "on",
    "min_shelf_life_days": "7",
}


def test_a_manager_builds_an_item_with_packagings_and_barcodes(client, login, session):
    login("manager")
    refused = _post(client, "/stock/items", **{**ITEM, "name_id": "", "base_unit": "dozen", "min_shelf_life_days": "x"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert all(f'id="error-{f}"' in body for f in ("name_id", "base_unit", "min_shelf_life_days"))
    assert session.scalar(select(Item).where(Item.sku == "TELUR10")) is None

    made = _post(client, "/stock/items", **ITEM)
    assert made.status_code == 302
    item = session.scalar(select(Item).where(Item.sku == "TELUR10"))
    assert (item.is_expiry_tracked, item.is_lot_tracked, item.min_shelf_life_days) == (True, False, 7)
    url = made.location

    assert _post(client, url, action="packaging", name="Pak", factor="1", for_sale="on").status_code == 302
    assert _post(client, url, action="packaging", name="Krat", factor="30", for_purchase="on").status_code == 302
    bad = _post(client, url, action="packaging", name="Setengah", factor="0,5")
    assert bad.status_code == 422  # half a pack: a pack is whole
    pack, crate = session.scalars(select(Packaging).where(Packaging.item_id == item.id).order_by(Packaging.id)).all()
    assert (pack.factor, pack.for_sale, crate.factor, crate.for_purchase) == (1, True, 30, True)

    wrong = _post(client, url, action="barcode", packaging_id=str(pack.id), code="8991234567892")
    assert wrong.status_code == 422 and 'id="error-code"' in wrong.get_data(as_text=True)
    assert _post(client, url, action="barcode", packaging_id=str(pack.id), code="8991234567891").status_code == 302
    taken = _post(client, url, action="barcode", packaging_id=str(crate.id), code="8991234567891")
    assert taken.status_code == 422  # one barcode, one packaging
    page = client.get(url).get_data(as_text=True)
    assert 'data-code="8991234567891"' in page and "/stock/labels/sheet?barcode=" in page

    barcode = session.scalar(select(Barcode).where(Barcode.code == "8991234567891"))
    assert _post(client, url, action="barcode_remove", barcode_id=str(barcode.id)).status_code == 302
    assert session.scalar(select(Barcode).where(Barcode.code == "8991234567891")) is None

    assert _post(client, url, action="packaging_flags", packaging_id=str(crate.id)).status_code == 302
    session.refresh(crate)
    assert (crate.for_purchase, crate.for_sale) == (False, False)

    edited = _post(client, url, action="item", **{**ITEM, "name_en": "Chicken eggs, 10", "is_active": ""})
    assert edited.status_code == 302
    session.refresh(item)
    assert (item.name_en, item.is_active) == ("Chicken eggs, 10", False)
    history = client.get(f"/admin/audit?entity=item&entity_id={item.id}").get_data(as_text=True)
    assert 'Eggs, 10</span> → <span class="new">Chicken eggs, 10' in history


def test_the_unit_of_an_item_with_stock_moves_stays(client, login, demo):
    login("manager")
    sugar = demo.scalar(select(Item).where(Item.sku == "GULA1"))
    url = f"/stock/items/{sugar.id}"
    assert 'id="base_unit" disabled' in client.get(url).get_data(as_text=True)
    fields = {
        "sku": sugar.sku,
        "name_id": sugar.name_id,
        "name_en": sugar.name_en,
        "category": sugar.category,
        "is_active": "on",
    }
    refused = _post(client, url, action="item", **fields, base_unit="kg")
    assert refused.status_code == 422 and 'id="error-base_unit"' in refused.get_data(as_text=True)
    assert _post(client, url, action="item", **fields).status_code == 302  # the locked unit is kept


def test_only_managers_edit_the_catalogue(client, login):
    login("warehouse")
    assert client.get("/stock/items").status_code == 403
