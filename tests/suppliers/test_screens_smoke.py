import pytest
from sqlalchemy import select

from suppliers import services
from suppliers.models import Supplier


@pytest.mark.parametrize("role", ["manager", "warehouse"])
def test_purchasing_screens_render(client, login, demo, role):
    login(role)
    supplier = demo.scalar(select(Supplier).where(Supplier.code == "BULOG-BPN"))
    for path in [
        "/purchasing/suppliers",
        f"/purchasing/suppliers/{supplier.id}",
        "/purchasing/orders",
        "/purchasing/receive",
        "/purchasing/cylinders",
        "/purchasing/cylinders?month=2026-10",
    ]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:1500])


def test_order_screens_render(client, login, demo):
    user = login("manager")
    supplier = demo.scalar(select(Supplier).where(Supplier.code == "BULOG-BPN"))
    from inventory.models import Location

    order = services.create_order(supplier, demo.scalar(select(Location).where(Location.code == "GDG")), user)
    for path in [
        f"/purchasing/orders/{order.id}",
        f"/purchasing/orders/{order.id}/print",
        f"/purchasing/orders/{order.id}/barcode.svg",
    ]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:1500])


def test_the_printed_order_carries_the_cooperatives_block_and_who_prepared_and_approved_it(
    client, login, demo, make_user
):
    """As a supplier expects a PO: the buyer's name, address and NIB from the settings, the supplier, and
    signature lines with the names of who prepared and who approved it."""
    from decimal import Decimal

    from app import settings
    from inventory.models import Item, Location

    settings.update({"legal_number": "NIB 9120001234567", "address": "Jl. Kenanga 5\nBalikpapan"})
    clerk = make_user("warehouse")
    manager = login("manager")
    supplier = demo.scalar(select(Supplier).where(Supplier.code == "BULOG-BPN"))
    order = services.create_order(supplier, demo.scalar(select(Location).where(Location.code == "GDG")), clerk)
    services.set_line(order, demo.scalar(select(Item.id).where(Item.sku == "SPHP5")), Decimal(10), clerk)
    services.transition(order, "submit", clerk)
    services.transition(order, "approve", manager)
    page = client.get(f"/purchasing/orders/{order.id}/print").get_data(as_text=True)
    buyer = page[page.index('id="po-buyer"') : page.index("</div>", page.index('id="po-buyer"'))]
    assert "KKMP Balikpapan Tengah" in buyer and "Jl. Kenanga 5, Balikpapan" in buyer and "NIB 9120001234567" in buyer
    assert f'id="prepared-by">{clerk.full_name}<' in page
    assert f'id="approved-by">{manager.full_name} · ' in page
