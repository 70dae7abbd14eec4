"""Receipts for 58 mm thermal paper: 32 characters a line, in Indonesian (the buyer's language, whatever the
cashier's screen shows). The receipt number is printed as Code128 on the HTML receipt so a return can scan it."""

import textwrap
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app import clock, settings
from app.db import db
from app.formatting import format_qty, format_rupiah
from app.terms import term
from inventory.labels import render_barcode
from orders.models import Sale

WIDTH = 32


def _pair(left: str, right: str) -> str:
    space = WIDTH - len(right)
    return left[: max(space - 1, 0)].ljust(space) + right


def _center(text: str) -> str:
    return text[:WIDTH].center(WIDTH).rstrip()


def _money(amount: int) -> str:
    return format_rupiah(amount).removeprefix("Rp")


def masked_nik(nik: str) -> str:
    """A receipt leaves the shop: show only enough of the NIK for the buyer to recognise it."""
    return nik[:4] + "*" * 8 + nik[-4:]


def receipt_text(sale: Sale, copy: bool = False) -> str:
    """The receipt as plain text, 32 columns; a reprint says it is a copy."""
    with force_locale("id"):
        return "\n".join(_lines(sale, copy)) + "\n"


def _lines(sale: Sale, copy: bool) -> list[str]:
    rule = "-" * WIDTH
    lines = [_center(line) for line in _header()]
    lines.append(_center(_("*** COPY ***") if copy else _("SALES RECEIPT")))
    lines.append(_pair(sale.receipt_number, clock.local(sale.sold_at).strftime("%d-%m-%Y %H:%M")))
    lines.append(_("Cashier: %(name)s", name=sale.cashier.full_name)[:WIDTH])
    if sale.member is not None:
        lines.append(_("Member: %(number)s", number=sale.member.member_number)[:WIDTH])
        lines.append(f"  {sale.member.full_name}"[:WIDTH])
    elif sale.buyer_name:
        lines.append(_("Buyer: %(name)s", name=sale.buyer_name)[:WIDTH])
    lines.append(rule)
    for line in sale.lines:
        name = line.item.name_id if line.kind == "goods" else _("Cylinder: %(item)s", item=line.item.name_id)
        lines.append(name[:WIDTH])
        unit = line.packaging.name if line.packaging.factor != 1 else term("unit", line.item.base_unit)
        quantity = f"  {format_qty(line.quantity)} {unit} x {_money(line.unit_price)}"
        lines.append(_pair(quantity, _money(line.amount)))
        if line.empties_in:
            lines.append(_("  Empty cylinders in: %(n)s", n=format_qty(line.empties_in))[:WIDTH])
    lines.append(rule)
    lines.append(_pair(_("TOTAL"), format_rupiah(sale.total)))
    for payment in sale.payments:
        if payment.return_id is not None:
            continue
        if payment.method == "cash":
            lines.append(_pair(_("Cash"), format_rupiah(payment.tendered or payment.amount)))
        else:
            lines.append(_pair("QRIS", format_rupiah(payment.amount)))
            lines.append(f"  Ref {payment.reference}"[:WIDTH])
    if sale.change:
        lines.append(_pair(_("Change given"), format_rupiah(sale.change)))
    lines.append(rule)
    lines.append(_("Member price") if sale.price_list == "member" else _("General price"))
    if sale.buyer_nik:
        lines.append(f"NIK {masked_nik(sale.buyer_nik)}")
        if sale.buyer_category:
            lines.append(term("member_category", sale.buyer_category)[:WIDTH])
    footer = settings.get("receipt_footer")
    if footer:
        lines.extend(_center(line) for line in _wrapped(footer))
    else:
        lines.append(_center(_("Thank you. Keep this receipt")))
        lines.append(_center(_("for returns.")))
    return lines


def _header() -> list[str]:
    return _wrapped(settings.get("cooperative_name")) + _wrapped(settings.get("receipt_header"))


def _wrapped(text: str) -> list[str]:
    """The setting's lines, each folded at 32 columns on its spaces."""
    return [part for line in text.splitlines() for part in textwrap.wrap(line, WIDTH) or [""]]


settings.register(
    settings.Spec(
        "receipt_paper_mm",
        "int",
        58,
        _l("Receipt paper (mm)"),
        _l("The width of the till printer's roll: 58 or 80 mm."),
        group="selling",
        choices=(58, 80),
    ),
    settings.Spec(
        "receipt_header",
        "multiline",
        "",
        _l("Receipt header"),
        _l("Lines under the name on every receipt: the address, a telephone number (32 characters a line)."),
        group="selling",
        max_length=300,
    ),
    settings.Spec(
        "receipt_footer",
        "multiline",
        "",
        _l("Receipt footer"),
        _l("Lines at the end of every receipt; empty: 'Thank you. Keep this receipt for returns.'"),
        group="selling",
        max_length=300,
    ),
)


@dataclass(frozen=True)
class Paper:
    """How a receipt is laid on the roll: the page width, its margins and the font that fits 32 columns in the
    printable width (a monospace character is 0.6 em: 32 at 7.8 pt are 53 mm, within 58 - 2 x 2 mm)."""

    width_mm: int
    margin_mm: float
    font_pt: float

    @property
    def printable_mm(self) -> float:
        return self.width_mm - 2 * self.margin_mm


PAPERS = {58: Paper(58, 2, 7.8), 80: Paper(80, 3, 10.5)}


def paper() -> Paper:
    return PAPERS[settings.get("receipt_paper_mm")]


def receipt_barcode_svg(sale: Sale) -> bytes:
    return render_barcode("code128", sale.receipt_number, "svg")


def mark_reprint(sale: Sale) -> Sale:
    """Count a reprint; every receipt printed after the first one says it is a copy. Counted in the database
    (copies + 1), so two tills reprinting at once count two."""
    db.session.execute(update(Sale).where(Sale.id == sale.id).values(copies_printed=Sale.copies_printed + 1))
    db.session.refresh(sale, ["copies_printed"])
    return sale
