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
