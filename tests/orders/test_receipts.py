from datetime import date

from sqlalchemy import func, select

from app.db import db
from orders import receipts, subsidy
from orders.cart import WalkIn
from orders.checkout import PaymentIn
from orders.models import Sale

from .conftest import LPG3, RICE_KG, SPHP, SUGAR

WALK_IN = WalkIn(nik="6471014101900001", kk_number="6471010101090001", category="household", name="=Bu Ani")


def row(left: str, right: str) -> str:
    """A receipt line: left text, right-aligned amount, 32 columns."""
    return left + " " * (32 - len(left) - len(right)) + right


def test_the_receipt_fits_58_mm_and_says_what_was_sold(shop):
    sale = shop.sell(
        (SPHP, 2, None),
        (RICE_KG, "2.5", None),
        (LPG3, 1, None),
        member="KKMP-000001",
        pay=[PaymentIn("qris", amount=100000, reference="QR-778899"), PaymentIn("cash", tendered=100000)],
    )
    text = receipts.receipt_text(sale)
    lines = text.splitlines()
    assert all(len(line) <= 32 for line in lines), [line for line in lines if len(line) > 32]
    # the cooperative's name and the receipt header from its settings (the demo's), then the title
    assert [line.strip() for line in lines[:4]] == [
        "KKMP Balikpapan Tengah",
        "Jl. Jenderal Sudirman No. 1",
        "Balikpapan Tengah",
        "STRUK PENJUALAN",
    ]
    assert lines[4].startswith("K1-000001")
    assert "Anggota: KKMP-000001" in lines
    assert "  Siti Aminah" in lines
    body = "\n".join(lines)
    assert row("  2 pak x 62.500", "125.000") in lines
    assert row("  2,5 kg x 13.500", "33.750") in lines
    assert "  Tukar tabung kosong: 1" in lines
    assert row("TOTAL", "Rp176.750") in lines
    assert row("QRIS", "Rp100.000") in lines
    assert "  Ref QR-778899" in lines
    assert row("Tunai", "Rp100.000") in lines
    assert row("Kembali", "Rp23.250") in lines
    assert "NIK 6499********0001" in lines  # the receipt leaves the shop: the NIK is masked
    assert "6499995508780001" not in body
    assert "SALINAN" not in body


def test_a_reprint_is_marked_as_a_copy_and_counted(shop):
    sale = shop.sell((SUGAR, 1, None))
    receipts.mark_reprint(sale)
    receipts.mark_reprint(sale)
    assert sale.copies_printed == 2
    assert receipts.receipt_text(sale, copy=True).splitlines()[3].strip() == "*** SALINAN ***"


def test_the_subsidy_export_lists_lpg_sales_with_nik_and_category(shop):
    shop.sell((LPG3, 2, None), buyer=WALK_IN)
    shop.sell((LPG3, 1, None), member="KKMP-000003")  # a micro business
    shop.sell((SUGAR, 1, None), buyer=WALK_IN)  # not subsidised: not in the export
    lpg = shop.items["LPG3"]
    today = db.session.scalar(select(func.max(Sale.sale_date)))
    rows = list(subsidy.export_rows(lpg, date(2026, 1, 1), today))
    assert rows[0] == ",".join(subsidy.COLUMNS) + "\r\n"
    assert len(rows) == 3
    first = rows[1].rstrip("\r\n").split(",")
    assert first[2:] == [
        "6471014101900001",
        "6471010101090001",
        "'=Bu Ani",  # a name is never run as a spreadsheet formula
        "Rumah tangga",
        "tidak",
        "LPG3",
        "LPG 3 kg (isi)",
        "2",
        "19000",
        "jual",
    ]
    second = rows[2].rstrip("\r\n").split(",")
    assert (second[4], second[5], second[6], second[9], second[10]) == (
        "Rahmawati (Warung Bu Rahma)",
        "Usaha mikro",
        "ya",
        "1",
        "18000",
    )
