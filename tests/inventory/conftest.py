from decimal import Decimal
from types import SimpleNamespace

import pytest

from inventory import services


def build_world() -> SimpleNamespace:
    """A warehouse with two bins, a shop, the virtual locations, and three items."""
    w = SimpleNamespace()
    w.warehouse = services.create_location("W", "Gudang", "warehouse")
    w.bin1 = services.create_location("W-1", "Rak 1", "bin", w.warehouse)
    w.bin2 = services.create_location("W-2", "Rak 2", "bin", w.warehouse)
    w.shop = services.create_location("S", "Toko", "shop")
    w.supplier = services.create_location("V-SUP", "Pemasok", "supplier")
    w.customer = services.create_location("V-CUS", "Pelanggan", "customer")
    w.loss = services.create_location("V-LOSS", "Susut", "loss")
    w.transit = services.create_location("V-TRN", "Dalam perjalanan", "in_transit")
    w.rice = services.create_item(
        {"sku": "RICE", "name_id": "Beras medium", "name_en": "Medium rice", "category": "beras", "base_unit": "kg"}
    )
    w.sphp = services.create_item(
        {
            "sku": "SPHP",
            "name_id": "Beras SPHP 5 kg",
            "name_en": "SPHP rice",
            "category": "beras",
            "base_unit": "pack",
            "is_lot_tracked": True,
            "is_expiry_tracked": True,
        }
    )
    w.sugar = services.create_item(
        {"sku": "SUGAR", "name_id": "Gula 1 kg", "name_en": "Sugar", "category": "sembako", "base_unit": "piece"}
    )
    return w


@pytest.fixture
def world(session):
    return build_world()


def D(value) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(str(value))
