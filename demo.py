"""Demo data: a KKMP in Balikpapan Tengah. `flask demo` loads it; running it twice changes nothing."""

from datetime import date
from decimal import Decimal

import click
from flask import current_app
from sqlalchemy import select

from app import auth, settings
from app.db import db
from app.models import Setting, User
from inventory import services
from inventory.barcodes import gs1_check_digit
from inventory.ledger import Move, post_moves
from inventory.models import Item, Location, StockMove

DEMO_USERS = [  # username, name, role, password (development only)
    ("admin", "Admin Koperasi", "admin", "admin-demo-1"),
    ("manajer", "Bu Sri (Manajer)", "manager", "manajer-demo-1"),
    ("gudang", "Pak Budi (Gudang)", "warehouse", "gudang-demo-1"),
    ("kasir", "Mbak Rina (Kasir)", "cashier", "kasir-demo-1"),
]

LOCATIONS = [  # code, name, kind, parent code
    ("GDG", "Gudang", "warehouse", None),
    ("GDG-A", "Gudang zona A (beras, sembako)", "zone", "GDG"),
    ("GDG-A-01", "Rak A-01", "bin", "GDG-A"),
    ("GDG-A-02", "Rak A-02", "bin", "GDG-A"),
    ("GDG-B", "Gudang zona B (LPG)", "zone", "GDG"),
    ("GDG-B-01", "Kandang tabung B-01", "bin", "GDG-B"),
    ("TKO", "Toko", "shop", None),
    ("TKO-R1", "Rak toko 1", "shelf", "TKO"),
    ("TKO-R2", "Rak toko 2", "shelf", "TKO"),
    ("TKO-LPG", "Tempat tabung toko", "shelf", "TKO"),
    ("V-TRANSIT", "Dalam perjalanan", "in_transit", None),
    ("V-KARANTINA", "Karantina", "quarantine", None),
    ("V-PEMASOK", "Pemasok", "supplier", None),
    ("V-PELANGGAN", "Pelanggan", "customer", None),
    ("V-SUSUT", "Susut / penyesuaian", "loss", None),
]


def ean13(body12: str) -> str:
    return body12 + gs1_check_digit(body12)


ITEMS = [  # item fields, [(packaging, factor, purchase, sale, barcode)]
    (
        {
            "sku": "LPG3-KSG",
            "name_id": "Tabung LPG 3 kg kosong",
            "name_en": "LPG 3 kg cylinder, empty",
            "category": "lpg",
            "base_unit": "cylinder",
        },
        [("Tabung kosong", 1, True, True, ean13("899100000010"))],
    ),
    (
        {
            "sku": "LPG3",
            "name_id": "LPG 3 kg (isi)",
            "name_en": "LPG 3 kg (full)",
            "category": "lpg",
            "base_unit": "cylinder",
            "is_subsidised": True,
            "is_price_regulated": True,
            "empty_sku": "LPG3-KSG",
        },
        [("Tabung isi", 1, True, True, ean13("899100000011"))],
    ),
    (
        {
            "sku": "BG55-KSG",
            "name_id": "Tabung Bright Gas 5,5 kg kosong",
            "name_en": "Bright Gas 5.5 kg, empty",
            "category": "lpg",
            "base_unit": "cylinder",
        },
        [("Tabung kosong", 1, True, True, ean13("899100000020"))],
    ),
    (
        {
            "sku": "BG55",
            "name_id": "Bright Gas 5,5 kg (isi)",
            "name_en": "Bright Gas 5.5 kg (full)",
            "category": "lpg",
            "base_unit": "cylinder",
            "empty_sku": "BG55-KSG",
        },
        [("Tabung isi", 1, True, True, ean13("899100000021"))],
    ),
    (
        {
            "sku": "SPHP5",
            "name_id": "Beras SPHP 5 kg",
            "name_en": "SPHP rice 5 kg",
            "category": "beras",
            "base_unit": "pack",
            "is_subsidised": True,
            "is_price_regulated": True,
            "is_lot_tracked": True,
            "is_expiry_tracked": True,
        },
        [("Pak 5 kg", 1, False, True, ean13("899100000030")), ("Bal 10 pak", 10, True, False, ean13("899100000031"))],
    ),
    (
        {
            "sku": "BRS-MED",
            "name_id": "Beras medium (curah)",
            "name_en": "Medium rice (loose)",
            "category": "beras",
            "base_unit": "kg",
            "is_price_regulated": True,
        },
        [("Karung 50 kg", 50, True, False, ean13("899100000040")), ("Per kg", 1, False, True, "BRSMED-KG")],
    ),
    (
        {
            "sku": "GULA1",
            "name_id": "Gula pasir 1 kg",
            "name_en": "Sugar 1 kg",
            "category": "sembako",
            "base_unit": "piece",
        },
        [
            ("Bungkus 1 kg", 1, False, True, ean13("899100000050")),
            ("Karton 20", 20, True, False, ean13("899100000051")),
        ],
    ),
    (
        {
            "sku": "MKITA1",
            "name_id": "MinyaKita 1 L",
            "name_en": "MinyaKita cooking oil 1 L",
            "category": "sembako",
            "base_unit": "piece",
            "is_price_regulated": True,
            "is_expiry_tracked": True,
            "is_lot_tracked": True,
        },
        [("Pouch 1 L", 1, False, True, ean13("899100000060")), ("Karton 12", 12, True, False, ean13("899100000061"))],
    ),
]

OPENING = [  # sku, location, quantity, unit cost per base unit, lot, expiry
    ("SPHP5", "GDG-A-01", 40, 56500, "SPHP-2611A", date(2027, 5, 31)),
    ("SPHP5", "GDG-A-01", 20, 56500, "SPHP-2610B", date(2027, 3, 31)),
    ("BRS-MED", "GDG-A-02", 500, 12400, None, None),
    ("GULA1", "GDG-A-02", 60, 15500, None, None),
    ("MKITA1", "GDG-A-02", 48, 13800, "MK-2609", date(2027, 9, 30)),
    ("LPG3", "GDG-B-01", 60, 12750, None, None),
    ("LPG3-KSG", "GDG-B-01", 10, 0, None, None),
    ("BG55", "GDG-B-01", 8, 82000, None, None),
    ("SPHP5", "TKO-R1", 10, 56500, "SPHP-2610B", date(2027, 3, 31)),
    ("GULA1", "TKO-R2", 12, 15500, None, None),
    ("LPG3", "TKO-LPG", 15, 12750, None, None),
    ("BRS-MED", "TKO-R2", 50, 12400, None, None),
    ("MKITA1", "TKO-R2", 12, 13800, "MK-2609", date(2027, 9, 30)),
]
TILLS = [("K1", "Kasir 1", "TKO"), ("K2", "Kasir 2", "TKO")]


# code, fields, catalogue [(sku, packaging, supplier code, order multiple, kg per base unit, cost)], quotas
SUPPLIERS = [
    (
        "BULOG-BPN",
        {
            "name": "Perum Bulog Kantor Cabang Balikpapan",
            "contact_person": "Bagian Penjualan",
            "phone": "0542-000000",
            "address": "Jl. Jend. Sudirman, Balikpapan",
            "payment_terms": "transfer",
            "lead_time_days": 3,
            "max_order_kg": Decimal(2000),
        },
        [
            ("SPHP5", "Bal 10 pak", "SPHP-5KG", 1, 5, 565000),
            ("BRS-MED", "Karung 50 kg", "BRS-M-50", 1, 1, 620000),
            ("GULA1", "Karton 20", "GULA-1KG", 1, 1, 310000),
            ("MKITA1", "Karton 12", "MKITA-1L", 1, 1, 165600),
        ],
        [],
    ),
    (
        "AGEN-LPG",
        {
            "name": "PT Agen LPG Balikpapan (Pertamina)",
            "contact_person": "Pak Agen",
            "phone": "0811-000000",
            "address": "Balikpapan Tengah",
            "payment_terms": "cashless",
            "lead_time_days": 1,
        },
        [("LPG3", "Tabung isi", "LPG-3", 10, 0, 12750), ("BG55", "Tabung isi", "BG-5.5", 1, 0, 82000)],
        [("LPG3", 250)],
    ),
]


# Made-up members: "99 99" as regency and district exist nowhere, so no NIK here can be a real person's.
DEMO_MEMBERS = [  # full name, NIK, KK, RT, RW, kelurahan, category, NIB, status, join date
    (
        "Siti Aminah",
        "6499995508780001",
        "6499990101250001",
        "004",
        "002",
        "Gunung Sari Ilir",
        "household",
        None,
        "active",
        date(2025, 8, 1),
    ),
    (
        "Ahmad Fauzi",
        "6499990302750002",
        "6499990101250001",
        "004",
        "002",
        "Gunung Sari Ilir",
        "household",
        None,
        "active",
        date(2025, 8, 1),
    ),
    (
        "Rahmawati (Warung Bu Rahma)",
        "6499996111820003",
        "6499990101250002",
        "011",
        "003",
        "Karang Rejo",
        "micro_business",
        "9120001234567",
        "active",
        date(2025, 9, 15),
    ),
    (
        "Darmawan",
        "6499992006680004",
        "6499990101250003",
        "002",
        "001",
        "Sumber Rejo",
        "farmer",
        None,
        "active",
        date(2025, 10, 6),
    ),
    (
        "Yusuf Hamzah",
        "6499990909800005",
        "6499990101250004",
        "007",
        "005",
        "Mekar Sari",
        "fisher",
        None,
        "suspended",
        date(2025, 10, 20),
    ),
    (
        "Dewi Lestari",
        "6499997112950006",
        "6499990101250005",
        "001",
        "001",
        "Karang Jati",
        "household",
        None,
        "active",
        date(2026, 1, 5),
    ),
]


DEMO_SETTINGS = {
    "cooperative_name": "KKMP Balikpapan Tengah",
    "address": "Jl. Jenderal Sudirman No. 1\nBalikpapan Tengah, Kalimantan Timur",
    "legal_number": "NIB 1234567890123",
    "phone": "0542 123456",
    "receipt_header": "Jl. Jenderal Sudirman No. 1\nBalikpapan Tengah",
    "het_zone": "kaltim-balikpapan",
    "time_zone": "Asia/Makassar",
}


def load_demo() -> list[str]:
    """Create whatever of the demo data is missing; return what was created."""
    created = []
    if not db.session.scalar(select(Setting.key).limit(1)):
        settings.update(DEMO_SETTINGS)
        created.append("settings")
    for username, name, role, password in DEMO_USERS:
        if not db.session.scalar(select(User.id).where(User.username == username)):
            auth.create_user(username, name, role, password)
            created.append(f"user {username}")
    by_code = {loc.code: loc for loc in db.session.scalars(select(Location))}
    for code, name, kind, parent in LOCATIONS:
        if code not in by_code:
            by_code[code] = services.create_location(code, name, kind, by_code.get(parent))
            created.append(f"location {code}")
    items = {item.sku: item for item in db.session.scalars(select(Item))}
    for fields, packagings in ITEMS:
        if fields["sku"] in items:
            continue
        data = {k: v for k, v in fields.items() if k != "empty_sku"}
        if "empty_sku" in fields:
            data["empty_item_id"] = items[fields["empty_sku"]].id
        item = services.create_item(data)
        for name, factor, purchase, sale, code in packagings:
            packaging = services.add_packaging(item, name, Decimal(factor), purchase, sale)
            services.add_barcode(packaging, code)
        items[item.sku] = item
        created.append(f"item {item.sku}")
    created += _load_suppliers(items)
    created += _load_members()
    created += _load_shop(items)
    created += _load_tills(by_code)
    if not db.session.scalar(select(StockMove.id).where(StockMove.reference == "OPENING").limit(1)):
        supplier = by_code["V-PEMASOK"]
        moves = []
        for sku, location, quantity, cost, lot_code, expiry in OPENING:
            item = items[sku]
            lot = services.get_or_create_lot(item, lot_code, expiry) if lot_code else None
            moves.append(
                Move(
                    item_id=item.id,
                    lot_id=lot.id if lot else None,
                    from_location_id=supplier.id,
                    to_location_id=by_code[location].id,
                    quantity=Decimal(quantity),
                    reason="opening",
                    reference="OPENING",
                    unit_cost=Decimal(cost),
                )
            )
        post_moves(moves)
        created.append(f"opening stock ({len(moves)} moves)")
    return created


def _load_suppliers(items: dict) -> list[str]:
    from suppliers import services as purchasing
    from suppliers.models import Supplier

    created = []
    existing = set(db.session.scalars(select(Supplier.code)))
    for code, fields, catalogue, quotas in SUPPLIERS:
        if code in existing:
            continue
        supplier = purchasing.create_supplier({"code": code, **fields})
        for sku, packaging_name, supplier_code, multiple, kg, cost in catalogue:
            item = items[sku]
            packaging = next(p for p in item.packagings if p.name == packaging_name)
            entry = purchasing.add_catalogue_item(
                supplier, item.id, packaging.id, supplier_code, Decimal(multiple), Decimal(kg)
            )
            purchasing.set_cost(entry, date(2026, 1, 1), cost)
        for sku, monthly in quotas:
            purchasing.set_quota(supplier, items[sku].id, Decimal(monthly), date(2026, 1, 1))
        created.append(f"supplier {code}")
    return created


# sku -> legal ceiling per base unit (zone: the setting het_zone), and the regulation it comes from
CEILINGS = {
    "SPHP5": (65500, "HET SPHP zona 2: Rp13.100/kg (Keputusan Bulog 215/2025)"),
    "BRS-MED": (14000, "HET beras medium zona 2 (Agustus 2025)"),
    "LPG3": (19000, "Kepgub Kaltim 500/K.572/2022 (Balikpapan)"),
    "MKITA1": (15700, "HET MinyaKita"),
}
# (sku, sale packaging) -> (member price, general price)
PRICES = {
    ("SPHP5", "Pak 5 kg"): (62500, 65500),
    ("BRS-MED", "Per kg"): (13500, 14000),
    ("GULA1", "Bungkus 1 kg"): (17000, 18000),
    ("MKITA1", "Pouch 1 L"): (15000, 15700),
    ("LPG3", "Tabung isi"): (18000, 19000),
    ("LPG3-KSG", "Tabung kosong"): (150000, 160000),
    ("BG55", "Tabung isi"): (95000, 98000),
    ("BG55-KSG", "Tabung kosong"): (300000, 310000),
}
CAPS = [  # name, sku, scope, period, max, buyer category
    ("Batas SPHP", "SPHP5", "nik", "day", 2, None),
    ("Kuota LPG 3 kg rumah tangga", "LPG3", "household", "month", 5, "household"),
    ("Kuota LPG 3 kg usaha mikro", "LPG3", "nik", "month", 10, "micro_business"),
]


def _load_shop(items: dict) -> list[str]:
    from orders import caps, pricing
    from orders.models import CapRule, Price

    if db.session.scalar(select(Price.id).limit(1)) or db.session.scalar(select(CapRule.id).limit(1)):
        return []
    start = date(2026, 1, 1)
    for sku, (amount, source) in CEILINGS.items():
        pricing.set_ceiling(items[sku], amount, start, source)
    for (sku, packaging_name), (member, general) in PRICES.items():
        packaging = next(p for p in items[sku].packagings if p.name == packaging_name)
        pricing.set_price(packaging, "member", member, start)
        pricing.set_price(packaging, "general", general, start)
    for name, sku, scope, period, maximum, category in CAPS:
        caps.add_rule(name, items[sku], scope, period, Decimal(maximum), start, category)
    return ["prices, legal ceilings and purchase caps"]


def _load_tills(locations: dict) -> list[str]:
    from orders import tills
    from orders.models import Till

    known = set(db.session.scalars(select(Till.code)))
    return [
        f"till {tills.create_till(code, name, locations[location]).code}"
        for code, name, location in TILLS
        if code not in known
    ]


def _load_members() -> list[str]:
    from members import services as membership
    from members.models import Member

    created = []
    known = set(db.session.scalars(select(Member.nik)))
    for name, nik, kk, rt, rw, kelurahan, category, nib, status, joined in DEMO_MEMBERS:
        if nik in known:
            continue
        member = membership.register_member(
            {
                "full_name": name,
                "nik": nik,
                "kk_number": kk,
                "address": "Jl. Contoh",
                "rt": rt,
                "rw": rw,
                "kelurahan": kelurahan,
                "category": category,
                "nib": nib,
                "join_date": joined,
            }
        )
        if status != "active":
            membership.change_status(member, status, "demo")
        created.append(f"member {member.member_number}")
    return created


REORDER_RULES = [  # sku, location, supplier, reorder point, order up to, safety stock, demand days
    ("SPHP5", "GDG", "BULOG-BPN", 100, 300, 20, None),
    ("BRS-MED", "GDG", "BULOG-BPN", 600, 1500, 100, None),  # with SPHP over Bulog's 2 tonnes: cut to fit
    ("LPG3", "TKO", "AGEN-LPG", 10, 40, 10, 28),  # the shop's gas follows its sales
]


def _load_reorder_rules() -> list[str]:
    """The demo's reorder rules, checked at once so the manager finds suggestions waiting (the quick start only:
    the tests' demo has no rules unless a test sets them)."""
    from suppliers import reorder
    from suppliers.models import ReorderRule, Supplier

    created = []
    items = {item.sku: item for item in db.session.scalars(select(Item))}
    locations = {loc.code: loc for loc in db.session.scalars(select(Location))}
    for sku, location, supplier, point, up_to, safety, days in REORDER_RULES:
        item, where = items[sku], locations[location]
        known = select(ReorderRule.id).where(ReorderRule.item_id == item.id, ReorderRule.location_id == where.id)
        if db.session.scalar(known):
            continue
        source = db.session.scalar(select(Supplier).where(Supplier.code == supplier))
        rule = reorder.set_rule(item, where, source, Decimal(point), Decimal(up_to), Decimal(safety), 7, days)
        reorder.check(rule.id)
        created.append(f"reorder rule {sku}@{location}")
    return created


@click.command("demo")
def demo_command() -> None:
    """Load the demo cooperative (idempotent) and print the demo logins."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demo data and demo passwords are for development only.")
    created = load_demo()
    created += _load_reorder_rules()
    db.session.commit()
    click.echo("Demo data: " + (", ".join(created) if created else "already loaded, nothing changed."))
    click.echo("Demo logins (development only):")
    for username, _name, role, password in DEMO_USERS:
        click.echo(f"  {role:<10} {username:<8} {password}")
