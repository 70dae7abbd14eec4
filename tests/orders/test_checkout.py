from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db import db
from app.errors import ValidationFailed
from inventory import ledger
from inventory.ledger import InsufficientStock
from inventory.models import StockMove
from orders import cart, pricing
from orders.caps import CapReached
from orders.cart import SaleRefused, WalkIn
from orders.checkout import PaymentIn
from orders.models import CapUsage, Payment, Sale, SubsidyRecord

from .conftest import LPG3, RICE_KG, SPHP, SUGAR

SITI = "KKMP-000001"  # household; Ahmad (KKMP-000002) shares her family card
YUSUF = "KKMP-000005"  # suspended
WALK_IN = WalkIn(nik="6471014101900001", kk_number="6471010101090001", category="household", name="Bu Ani")


def test_a_member_sale_posts_everything_in_one_go(shop):
    sale = shop.sell((SPHP, 2, None), (SUGAR, 1, None), (LPG3, 1, None), member=SITI)

    assert sale.receipt_number == "K1-000001"
    assert sale.price_list == "member"
    assert [(ln.kind, ln.unit_price, ln.amount) for ln in sale.lines] == [
        ("goods", 62500, 125000),
        ("goods", 17000, 17000),
        ("goods", 18000, 18000),
    ]
    assert sale.total == 160000
    assert [(p.method, p.amount, p.tendered) for p in sale.payments] == [("cash", 160000, 1_000_000)]
    assert sale.change == 840000
    assert (sale.buyer_nik, sale.buyer_kk, sale.buyer_category) == ("6499995508780001", "6499990101250001", "household")
    # Stock left the shop's shelves (the SPHP lot that expires first), and the empty came in for the full one.
    assert shop.on_hand("SPHP5", "TKO-R1") == 8
    assert shop.on_hand("GULA1", "TKO-R2") == 11
    assert shop.on_hand("LPG3", "TKO-LPG") == 14
    assert shop.on_hand("LPG3-KSG", "TKO-LPG") == 1
    moves = db.session.scalars(select(StockMove).where(StockMove.reference == "K1-000001").order_by(StockMove.id))
    assert [(m.item.sku, m.from_location.code, m.to_location.code, m.quantity, m.reason) for m in moves] == [
        ("SPHP5", "TKO-R1", "V-PELANGGAN", 2, "sale"),
        ("GULA1", "TKO-R2", "V-PELANGGAN", 1, "sale"),
        ("LPG3", "TKO-LPG", "V-PELANGGAN", 1, "sale"),
        ("LPG3-KSG", "V-PELANGGAN", "TKO-LPG", 1, "exchange"),
    ]
    # Caps counted and subsidy records written with the member's NIK.
    assert sorted(db.session.scalars(select(CapUsage.used))) == [1, 2]
    records = db.session.scalars(select(SubsidyRecord).order_by(SubsidyRecord.id)).all()
    assert [(r.item.sku, r.nik, r.category, r.quantity, r.unit_price, r.is_member) for r in records] == [
        ("SPHP5", "6499995508780001", "household", 2, 62500, True),
        ("LPG3", "6499995508780001", "household", 1, 18000, True),
    ]
    assert ledger.verify() == []


def test_walk_in_buyers_pay_general_prices_and_suspended_members_too(shop):
    walk_in = shop.sell((SUGAR, 2, None))
    assert (walk_in.price_list, walk_in.total, walk_in.member_id) == ("general", 36000, None)
    suspended = shop.sell((SUGAR, 1, None), member=YUSUF)
    assert (suspended.price_list, suspended.total) == ("general", 18000)
    assert suspended.member.member_number == YUSUF  # still recorded as his purchase
    member = shop.sell((SUGAR, 1, None), member="kkmp-000006")  # scanned in lower case
    assert (member.price_list, member.total) == ("member", 17000)


def test_a_buyer_without_an_empty_pays_for_the_cylinder_too(shop):
    sale = shop.sell((LPG3, 2, 1), buyer=WALK_IN)
    assert [(ln.kind, ln.item.sku, ln.quantity, ln.unit_price, ln.amount) for ln in sale.lines] == [
        ("goods", "LPG3", 2, 19000, 38000),
        ("cylinder", "LPG3-KSG", 1, 160000, 160000),
    ]
    assert sale.total == 198000
    assert shop.on_hand("LPG3", "TKO-LPG") == 13
    assert shop.on_hand("LPG3-KSG", "TKO-LPG") == 1  # one empty came in; the other cylinder left with the buyer


def test_loose_rice_is_sold_by_weight_to_the_rupiah(shop):
    sale = shop.sell((RICE_KG, "2.5", None))
    assert (sale.lines[0].quantity, sale.lines[0].amount) == (Decimal("2.5"), 35000)
    weighed = shop.sell((RICE_KG, "0.333", None), member=SITI)  # 13500 x 0.333 = 4495.5 -> 4496
    assert weighed.total == 4496
    assert shop.on_hand("BRS-MED", "TKO-R2") == Decimal("47.167")
    with pytest.raises(SaleRefused) as refused:
        shop.sell((SUGAR, "1.5", None))
    assert refused.value.message == "Gula pasir 1 kg dijual per Bungkus 1 kg utuh."


def test_the_cap_refuses_in_one_sentence_and_writes_nothing(shop):
    shop.sell((SPHP, 1, None), member=SITI)
    sales_before = db.session.scalar(select(func.count(Sale.id)))
    with pytest.raises(CapReached) as refused, db.session.begin_nested():
        shop.sell((SPHP, 2, None), member=SITI)
    assert refused.value.message == "Batas SPHP 2 pak per hari; hari ini sudah 1."
    assert db.session.scalar(select(func.count(Sale.id))) == sales_before
    assert shop.on_hand("SPHP5", "TKO-R1") == 9
    shop.sell((SPHP, 1, None), member=SITI)  # the second pack of the day is still hers


def test_a_subsidised_sale_needs_nik_and_category(shop):
    with pytest.raises(SaleRefused) as refused:
        shop.sell((LPG3, 1, None))
    assert "NIK" in refused.value.message and "LPG 3 kg" in refused.value.message
    with pytest.raises(ValidationFailed) as bad:
        shop.sell((LPG3, 1, None), buyer=WalkIn(nik="1234", category="household"))
    assert "nik" in bad.value.fields
    sale = shop.sell((LPG3, 1, None), buyer=WALK_IN)
    record = db.session.scalar(select(SubsidyRecord).where(SubsidyRecord.sale_id == sale.id))
    assert (record.nik, record.kk_number, record.category, record.buyer_name, record.is_member) == (
        WALK_IN.nik,
        WALK_IN.kk_number,
        "household",
        "Bu Ani",
        False,
    )


def test_a_lowered_ceiling_refuses_the_sale(shop):
    pricing.set_ceiling(shop.items["GULA1"], 17500, date(2026, 1, 1))  # sugar gets a ceiling under its price
    with pytest.raises(SaleRefused) as refused:
        shop.sell((SUGAR, 1, None))
    assert "HET" in refused.value.message and "Rp18.000" in refused.value.message
    assert shop.sell((SUGAR, 1, None), member=SITI).total == 17000  # the member price is under it


def test_payments_cash_qris_and_split(shop):
    qris = shop.sell((SUGAR, 1, None), pay=[PaymentIn("qris", amount=18000, reference="QR-1")])
    assert [(p.method, p.amount, p.reference) for p in qris.payments] == [("qris", 18000, "QR-1")]
    split = shop.sell(
        (SUGAR, 3, None), pay=[PaymentIn("qris", amount=20000, reference="QR-2"), PaymentIn("cash", tendered=50000)]
    )
    assert [(p.method, p.amount, p.tendered) for p in split.payments] == [("qris", 20000, None), ("cash", 34000, 50000)]
    assert split.change == 16000
    for payments, field in [
        ([PaymentIn("cash", tendered=10000)], "tendered"),
        ([PaymentIn("qris", amount=18000)], "qris_reference"),
        ([PaymentIn("qris", amount=20000, reference="X")], "qris_amount"),
        ([PaymentIn("qris", amount=8000, reference="X")], "tendered"),
        ([PaymentIn("cheque", amount=18000)], "payments"),
        ([], "payments"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            shop.sell((SUGAR, 1, None), pay=payments)
        assert field in refused.value.fields, (payments, refused.value.fields)
    assert db.session.scalar(select(func.count(Payment.id))) == 3


def test_not_enough_stock_at_the_shop(shop):
    with pytest.raises(InsufficientStock) as refused:
        shop.sell((SUGAR, 13, None))
    assert refused.value.message == "Stok Gula pasir 1 kg di Toko tidak cukup: ada 12, perlu 13."


def test_receipt_numbers_run_per_till(shop, make_user):
    from orders import tills

    other = make_user("cashier")
    tills.open_session(tills.get_till("K2"), other, 0)
    numbers = [
        shop.sell((SUGAR, 1, None)).receipt_number,
        shop.sell((SUGAR, 1, None), user=other, till="K2").receipt_number,
        shop.sell((SUGAR, 1, None)).receipt_number,
    ]
    assert numbers == ["K1-000001", "K2-000001", "K1-000002"]


def test_only_the_cashier_of_an_open_till_sells_on_it(shop, make_user):
    with pytest.raises(SaleRefused) as refused:
        shop.sell((SUGAR, 1, None), user=make_user("cashier"))
    assert refused.value.message.startswith("Kasir K1 sedang dibuka oleh Test cashier")
    with pytest.raises(SaleRefused) as closed:
        shop.sell((SUGAR, 1, None), till="K2")
    assert closed.value.message == "Kasir K2 belum dibuka: buka dulu dengan uang modal."


def test_a_quote_shows_prices_caps_and_problems_without_writing(shop):
    shop.sell((SPHP, 2, None), member=SITI)
    quote = cart.quote(shop.cart((SPHP, 1, None), (SUGAR, 1, None), member=SITI), shop.cashier)
    assert quote.priced.total == 79500
    assert [(s.rule.name, s.used, s.remaining, s.fits) for s in quote.caps] == [("Batas SPHP", 2, 0, False)]
    assert quote.problems == ["Batas SPHP 2 pak per hari; hari ini sudah 2."]
    assert db.session.scalar(select(func.count(Sale.id))) == 1


@pytest.mark.postgres  # SQLite inserts the lines one by one (no RETURNING order guarantee to batch them)
def test_a_till_sells_again_after_it_was_closed_and_opened(shop, make_user):
    from orders import tills

    shop.sell((SUGAR, 1, None))
    tills.close_session(shop.session, shop.cashier, {"cash": 218000, "qris": 0})
    other = make_user("cashier")  # the next shift, at the same till
    second = tills.open_session(shop.till, other, 100000)
    sale = shop.sell((SUGAR, 1, None), user=other)
    assert (sale.receipt_number, sale.session_id) == ("K1-000002", second.id)


def test_a_scanned_product_says_whether_it_is_sold_by_weight(shop):
    rice = cart.identify("BRSMED-KG")
    assert (rice.kind, rice.by_weight, rice.quantity) == ("item", True, None)  # the till asks for the weight
    sugar = cart.identify(SUGAR)
    assert (sugar.kind, sugar.by_weight, sugar.name) == ("item", False, "Gula pasir 1 kg")
    member = cart.identify("kkmp-000001")
    assert (member.kind, member.member.full_name) == ("member", "Siti Aminah")


def test_an_expired_lot_is_never_sold_and_the_till_says_why(shop):
    """The shop's 10 SPHP packs (lot 2610B) expired yesterday; one pack of lot 2611A is moved to the shelf. The
    sale takes 2611A although 2610B expires first (before: the expired lot went first); the next pack is refused
    with the expired stock named, on the quote and at posting."""
    from datetime import timedelta

    from app.clock import today
    from inventory.models import Lot

    expired = db.session.scalar(select(Lot).where(Lot.code == "SPHP-2610B"))
    expired.expiry_date = today() - timedelta(days=1)
    good = db.session.scalar(select(Lot).where(Lot.code == "SPHP-2611A"))
    sphp, bin_a, shelf = shop.items["SPHP5"], shop.locations["GDG-A-01"], shop.locations["TKO-R1"]
    ledger.post_moves([ledger.Move(sphp.id, bin_a.id, shelf.id, Decimal(1), "transfer", "T-1", lot_id=good.id)])
    shop.sell((SPHP, 1, None), member=SITI)
    sold = db.session.scalar(select(StockMove).where(StockMove.item_id == sphp.id, StockMove.reason == "sale"))
    assert sold.lot_id == good.id
    quote = cart.quote(shop.cart((SPHP, 1, None), member=SITI), shop.cashier)
    assert quote.priced.problems == [
        "Beras SPHP 5 kg di toko tidak cukup: sisa 0; 10 lagi sudah kedaluwarsa dan tidak boleh dijual."
    ]
    with pytest.raises(InsufficientStock) as refused:
        shop.sell((SPHP, 1, None), member=SITI)
    assert refused.value.extra["expired"] == "10.000"
    assert "10 lagi sudah kedaluwarsa" in refused.value.message


def test_a_shop_in_another_zone_sells_under_that_zones_ceiling(shop):
    """The shop TKO gets its own HET zone, where SPHP's ceiling is Rp60.000 a pack (the member price is 62.500):
    the till refuses to sell it there; a price above that zone's ceiling is refused when set too. Back in the
    cooperative's zone, it sells."""
    from app.clock import today
    from orders.pricing import AboveCeiling

    pricing.set_ceiling(shop.items["SPHP5"], 60000, today(), "HET zona PPU", in_zone="kaltim-ppu")
    pricing.set_shop_zone(shop.locations["TKO"].id, "kaltim-ppu")
    with pytest.raises(SaleRefused) as refused:
        shop.sell((SPHP, 1, None), member=SITI)
    assert "kaltim-ppu" not in refused.value.message and "Rp60.000" in refused.value.message
    sphp = db.session.get(pricing.Packaging, shop.packaging(SPHP))
    with pytest.raises(AboveCeiling):
        pricing.set_price(sphp, "member", 61000, today())  # within the cooperative's zone, above the shop's
    pricing.set_shop_zone(shop.locations["TKO"].id, None)
    assert shop.sell((SPHP, 1, None), member=SITI).total == 62500


def test_the_receipt_footer_and_header_come_from_the_settings(shop):
    from app import settings
    from orders import receipts

    settings.update(
        {"receipt_header": "Telp 0542 999", "receipt_footer": "Barang yang sudah dibeli\nboleh ditukar 7 hari"}
    )
    text = receipts.receipt_text(shop.sell((SUGAR, 1, None))).splitlines()
    assert [line.strip() for line in text[:2]] == ["KKMP Balikpapan Tengah", "Telp 0542 999"]
    assert [line.strip() for line in text[-2:]] == ["Barang yang sudah dibeli", "boleh ditukar 7 hari"]


def test_the_sales_lines_export_lists_the_periods_lines(shop, client, login):
    import csv
    import io

    from app.clock import today

    sale = shop.sell((SPHP, 2, None), (SUGAR, 1, None), member=SITI)
    login("manager")
    text = client.get(f"/shop/sales-lines.csv?from={today().isoformat()}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["receipt"], r["member_number"], r["sku"], r["quantity"], r["amount"]) for r in rows] == [
        (sale.receipt_number, SITI, "SPHP5", "2.000", "125000"),
        (sale.receipt_number, SITI, "GULA1", "1.000", "17000"),
    ]
    earlier = client.get("/shop/sales-lines.csv?from=2020-01-01&to=2020-01-31").get_data(as_text=True)
    assert len(earlier.strip().splitlines()) == 1  # the header alone
    assert client.get("/shop/sales-lines.csv?from=yesterday").status_code == 400
