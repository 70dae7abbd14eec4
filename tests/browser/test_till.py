"""The till in headless Chromium: a cashier opens a till, sells to a member by wedge scans, pays cash, gets the
receipt; the cap refuses a third SPHP pack; a double-click on "pay" makes one sale; a sale whose answer is lost
waits in the outbox and keeps the till from closing until it is sent; closing counts the money; loose rice by
weight; LPG to a walk-in buyer; a receipt printed again; the subsidy CSV; the till in English.

The module shares one server and demo database: each test sells to a buyer of its own and counts sales before
and after; the tests that close a till come last and close whatever is open first."""

import csv
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, logout, screenshot
from tests.browser.till_helpers import LPG3, OIL, RICE, SPHP, SUGAR, open_till, pay, wedge

pytestmark = pytest.mark.browser


def till_screen(page) -> None:
    """The cashier's till, opened first if no till is open."""
    page.goto("/shop/till")
    if page.locator("#open-form").count():
        open_till(page)
    expect(page.locator("#scan")).to_be_focused()


def fresh_till(page, float_amount: str) -> None:
    """A new session on K1: whatever this cashier has open is closed first (counted as nothing)."""
    page.goto("/shop/till")
    while page.locator("#close-link").count():
        page.click("#close-link")
        page.fill("#counted-cash", "0")
        page.fill("#counted-qris", "0")
        page.click("#close-till")
        expect(page.locator("#counts-table")).to_be_visible()
        page.goto("/shop/till")
    open_till(page, "K1", float_amount)


def sales_count(page) -> int:
    """How many sales the server holds (the API's page header counts them all)."""
    response = page.request.get("/api/sales?page_size=1")
    assert response.ok
    return json.loads(response.headers["x-pagination"])["total"]


def walk_in_buyer(page, nik: str, kk: str, category: str = "household") -> None:
    """Type a walk-in buyer's NIK, KK and category into the buyer panel, as a cashier tabs through it."""
    page.fill("#buyer-nik", nik)
    page.keyboard.press("Tab")
    page.fill("#buyer-kk", kk)
    page.keyboard.press("Tab")
    page.select_option("#buyer-category", category)


def count_row(page, method: str):
    """The cells of one payment method's row in a closed session's report."""
    return page.locator(f"#counts-table tr:has(#difference-{method}) td")


def test_a_member_sale_by_wedge_scans_with_cash_and_the_receipt(page):
    login(page, "cashier")
    open_till(page)
    wedge(page, "KKMP-000001")
    expect(page.locator("#member-name")).to_have_text("Siti Aminah")
    wedge(page, SPHP)
    wedge(page, "2*" + SUGAR)
    wedge(page, LPG3)
    expect(page.locator("#cart tbody tr")).to_have_count(3)
    expect(page.locator("#total")).to_have_text("Rp114.500")  # 62.500 + 2 x 17.000 + 18.000, member prices
    screenshot(page, "till-cart")
    page.keyboard.press("F4")
    page.fill("#tendered", "150000")
    expect(page.locator("#change")).to_have_text("Rp35.500")
    page.keyboard.press("Enter")
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("K1-000001")
    expect(receipt).to_contain_text("Siti Aminah")
    expect(receipt).to_contain_text("Rp114.500")
    screenshot(page, "till-receipt")
    assert all(len(line) <= 32 for line in receipt.inner_text().splitlines())
    page.click("#next-sale")
    expect(page.locator("#total")).to_have_text("Rp0")
    expect(page.locator("#scan")).to_be_focused()


def test_the_sphp_cap_refuses_a_third_pack_on_the_same_day(page, tr):
    login(page, "cashier")
    till_screen(page)
    wedge(page, "KKMP-000002")  # Ahmad Fauzi: his own NIK, nothing bought yet
    wedge(page, "2*" + SPHP)
    expect(page.locator("#total")).to_have_text("Rp125.000")
    pay(page)
    sold = sales_count(page)
    wedge(page, "KKMP-000002")
    wedge(page, SPHP)
    cap = tr(
        "%(name)s %(max)s %(unit)s per %(period)s; %(used)s already %(when)s.",
        name="Batas SPHP",
        max="2",
        unit=tr("pack"),
        period=tr("day"),
        used="2",
        when=tr("today"),
    )
    expect(page.locator("#problems li")).to_have_text([cap])
    expect(page.locator("#pay")).to_be_disabled()
    screenshot(page, "till-cap-refused")
    page.keyboard.press("F4")
    expect(page.locator("#pay-dialog")).to_be_hidden()
    assert sales_count(page) == sold


def test_a_double_click_or_a_double_enter_on_pay_makes_one_sale(page):
    login(page, "cashier")
    till_screen(page)
    wedge(page, SUGAR)
    expect(page.locator("#total")).to_have_text("Rp18.000")
    before = sales_count(page)
    page.keyboard.press("F4")
    page.dblclick("#confirm-pay")
    expect(page.locator("#receipt-text")).to_be_visible()
    page.click("#next-sale")
    assert sales_count(page) == before + 1
    wedge(page, SUGAR)
    expect(page.locator("#total")).to_have_text("Rp18.000")
    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_have_text("Rp0")  # paid: the next cart is empty
    assert sales_count(page) == before + 2


def test_loose_rice_asks_for_the_weight(page):
    login(page, "cashier")
    till_screen(page)
    wedge(page, RICE)
    expect(page.locator("#weight-item")).to_have_text("Beras medium (curah)")
    page.fill("#weight", "2,5")
    page.keyboard.press("Enter")
    line = page.locator("#cart tbody tr")
    expect(line.locator(".name")).to_have_text("Beras medium (curah) · Per kg")
    expect(line.locator(".qty-input")).to_have_value("2,5")
    expect(line.locator(".price")).to_have_text("Rp14.000")  # a walk-in pays the general price
    expect(page.locator("#total")).to_have_text("Rp35.000")


def test_lpg_to_a_walk_in_needs_the_nik_and_without_an_empty_sells_the_cylinder(page, tr):
    login(page, "cashier")
    till_screen(page)
    wedge(page, LPG3)
    expect(page.locator("#buyer-panel")).to_be_visible()
    needs_nik = tr(
        "%(items)s is subsidised: record the buyer's NIK and category (scan the member card, or type them).",
        items="LPG 3 kg (isi)",
    )
    expect(page.locator("#problems li")).to_have_text([needs_nik])
    expect(page.locator("#pay")).to_be_disabled()
    page.fill("#buyer-nik", "64999912039")  # a digit short: the panel stays, saying what is wrong
    page.keyboard.press("Tab")
    wrong = tr("Check the buyer's details.") + " " + tr("A NIK has exactly 16 digits.")
    expect(page.locator("#problems li")).to_have_text([wrong, needs_nik])
    expect(page.locator("#buyer-panel")).to_be_visible()
    walk_in_buyer(page, "6499991203900011", "6499990101250009")
    expect(page.locator("#problems li")).to_have_count(0)
    expect(page.locator("#pay")).to_be_enabled()
    page.locator("#cart .exchange-box").uncheck()  # no empty cylinder to hand in
    cylinder = page.locator("#cart tbody tr.cylinder")
    expect(cylinder.locator(".name")).to_have_text("Tabung LPG 3 kg kosong · " + tr("cylinder, no empty in exchange"))
    expect(cylinder.locator(".price")).to_have_text("Rp160.000")
    expect(page.locator("#total")).to_have_text("Rp179.000")  # 19.000 gas + 160.000 cylinder, general prices
    expect(page.locator("#pay")).to_be_enabled()


def test_a_receipt_printed_again_says_copy_and_counts(page, tr):
    login(page, "cashier")
    till_screen(page)
    wedge(page, SUGAR)
    number = pay(page)
    page.goto("/shop/sales")
    page.locator("#sales-table a", has_text=number).click()
    expect(page.locator("#receipt-text")).to_contain_text(tr("*** COPY ***"))
    page.click("#reprint")
    printed = tr("Printed again %(num)d time.", plural="Printed again %(num)d times.", num=1)
    expect(page.get_by_text(printed)).to_be_visible()


def _pdf_page_mm(pdf: bytes) -> tuple[float, float]:
    """The first page's width and height in mm, from its MediaBox (in points)."""
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    return round((x1 - x0) * 25.4 / 72, 1), round((y1 - y0) * 25.4 / 72, 1)


def _printed(page) -> tuple[float, float, float, str]:
    """The receipt page printed to PDF (page width and length, mm) and, laid out for print, the width of its
    32-column text (mm) and how that text is aligned."""
    page.wait_for_load_state()
    expect(page.locator("#receipt-page-length")).to_be_attached()  # receipt-paper.js has set the length
    width, length = _pdf_page_mm(page.pdf(prefer_css_page_size=True))
    page.emulate_media(media="print")
    text = page.locator("#receipt-text")
    text_mm = text.bounding_box()["width"] * 25.4 / 96
    align = text.evaluate("el => getComputedStyle(el).textAlign")
    page.emulate_media(media="null")  # no emulation again: a later PDF is printed as print
    return width, length, round(text_mm, 1), align


def test_the_receipt_prints_on_58_mm_paper_and_on_80_mm_when_set(page):
    """Printed to PDF by Chromium: the page is as wide as the roll (58 mm, or 80 mm once the setting says so),
    not A4, as long as the receipt; the 32 columns fit the printable width and each line starts at the left."""
    login(page, "cashier")
    till_screen(page)
    wedge(page, SUGAR)
    number = pay(page)
    page.goto("/shop/sales")
    page.locator("#sales-table a", has_text=number).click()
    receipt_url = page.url
    width, length, text_mm, align = _printed(page)
    assert abs(width - 58) < 0.5 and 60 < length < 200, (width, length)  # Chromium rounds the page to pixels
    assert text_mm <= 54 and align == "left", (text_mm, align)

    logout(page)
    login(page, "admin")
    page.goto("/admin/settings")
    page.select_option("#receipt_paper_mm", "80")
    page.click("#save-settings")
    expect(page.locator(".flash.success")).to_be_visible()
    try:
        page.goto(receipt_url)
        width, _length, text_mm, align = _printed(page)
        assert abs(width - 80) < 0.5 and text_mm <= 74 and align == "left", (width, text_mm, align)
    finally:
        page.goto("/admin/settings")
        page.select_option("#receipt_paper_mm", "58")
        page.click("#save-settings")
        expect(page.locator(".flash.success")).to_be_visible()


def test_the_subsidy_csv_has_a_walk_in_lpg_sale_with_the_nik(page, tr):
    login(page, "cashier")
    till_screen(page)
    wedge(page, LPG3)
    walk_in_buyer(page, "6499995506850012", "6499990101250010")
    expect(page.locator("#pay")).to_be_enabled()
    number = pay(page)
    logout(page)
    login(page, "manager")
    page.goto("/shop/subsidy")  # this month up to today
    page.select_option("#subsidy-item", "LPG3")
    with page.expect_download() as download:
        page.click("#download-subsidy")
    with open(download.value.path(), newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert (
        rows[0]
        == "tanggal nomor_struk nik no_kk nama kategori anggota kode_barang barang jumlah harga_satuan jenis".split()
    )
    assert [row[1:] for row in rows if row[1] == number] == [
        [
            number,
            "6499995506850012",
            "6499990101250010",
            "",
            tr("Household"),
            "tidak",
            "LPG3",
            "LPG 3 kg (isi)",
            "1",
            "19000",
            "jual",
        ]
    ]


def test_the_till_speaks_english_after_the_switch(page, tr):
    login(page, "cashier")
    till_screen(page)
    page.click("#language-switch")
    expect(page.locator("label[for=scan]")).to_have_text(
        tr("Scan a member card or the goods (F2). 3*code sells 3.", "en")
    )
    expect(page.locator("#price-list")).to_have_text(tr("General price", "en"))  # the script's words too
    page.click("#language-switch")  # back: the choice is kept on the user


def test_a_sale_whose_answer_is_lost_waits_in_the_outbox_and_the_till_closes_once_it_is_sent(page, tr):
    login(page, "cashier")
    fresh_till(page, "100000")
    close_url = page.get_attribute("#close-link", "href")
    wedge(page, SUGAR)
    expect(page.locator("#total")).to_have_text("Rp18.000")
    before = sales_count(page)

    def lose_the_answer(route):
        route.fetch()  # the server sells...
        page.context.set_offline(True)  # ...and the network drops before its answer arrives
        route.abort("internetdisconnected")

    page.route("**/api/sales", lose_the_answer)
    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    waiting = tr("No answer from the server yet; trying again with the same sale (it will not be sold twice).")
    expect(page.locator("#pay-error")).to_have_text(waiting)
    expect(page.locator("#outbox-status")).to_have_text(tr("{n} sale(s) not sent yet").replace("{n}", "1"))
    page.unroute("**/api/sales")
    page.goto("about:blank")  # leave the till before the network comes back, so the sale stays unsent
    page.context.set_offline(False)

    page.goto(close_url)
    expect(page.locator("#unsent-warning")).to_be_visible()
    page.fill("#counted-cash", "118000")
    page.fill("#counted-qris", "0")
    page.click("#close-till")
    refused = "This till still has %(n)d sale(s) not sent to the server; wait until they are sent, then close."
    expect(page.locator("#close-error")).to_have_text(tr(refused, n=1))

    page.goto("/shop/till")  # the till sends what waits, with the same key: the server answers with that sale
    expect(page.locator("#receipt-text")).to_contain_text(tr("SALES RECEIPT"))
    expect(page.locator("#outbox-status")).to_be_hidden()
    assert sales_count(page) == before + 1
    page.click("#next-sale")
    page.click("#close-link")
    expect(page.locator("#unsent-warning")).to_be_hidden()
    page.fill("#counted-cash", "120000")
    page.fill("#counted-qris", "0")
    page.click("#close-till")
    over = tr("%(amount)s over", amount="Rp2.000")
    expect(count_row(page, "cash")).to_have_text([tr("Cash"), "Rp118.000", "Rp120.000", "Rp2.000", over])
    expect(count_row(page, "qris")).to_have_text([tr("QRIS"), "Rp0", "Rp0", "Rp0", tr("matches")])


def test_closing_a_till_shows_expected_counted_and_the_difference_per_method(page, tr):
    login(page, "cashier")
    fresh_till(page, "150000")
    wedge(page, SUGAR)
    expect(page.locator("#total")).to_have_text("Rp18.000")
    page.keyboard.press("F4")
    page.fill("#tendered", "20000")
    expect(page.locator("#change")).to_have_text("Rp2.000")
    screenshot(page, "till-payment")
    page.keyboard.press("Enter")
    page.click("#next-sale")
    wedge(page, OIL)
    expect(page.locator("#total")).to_have_text("Rp15.700")
    page.keyboard.press("F4")
    page.fill("#qris-amount", "15700")
    page.fill("#qris-ref", "QR-778899")
    expect(page.locator("#change")).to_have_text("Rp0")
    page.keyboard.press("Enter")
    expect(page.locator("#receipt-text")).to_contain_text("Ref QR-778899")
    page.click("#next-sale")
    page.click("#close-link")
    page.fill("#counted-cash", "163000")  # 150.000 float + 18.000 sugar, Rp5.000 short
    page.fill("#counted-qris", "15700")
    page.click("#close-till")
    short = tr("%(amount)s short", amount="Rp5.000")
    expect(count_row(page, "cash")).to_have_text([tr("Cash"), "Rp168.000", "Rp163.000", "-Rp5.000", short])
    expect(count_row(page, "qris")).to_have_text([tr("QRIS"), "Rp15.700", "Rp15.700", "Rp0", tr("matches")])
    screenshot(page, "till-close-report")


def test_a_scan_typed_while_the_page_is_still_loading_keeps_its_first_characters(page):
    """A wedge scanner types as soon as the field has the focus (autofocus), which can be before the page's
    scripts have run; the code arrives whole (before, the load selected what was typed and the rest replaced it:
    `KKMP-000001` reached the till as `000001`)."""
    login(page, "cashier")
    open_till(page)
    held = []
    page.route("**/static/scan.js*", lambda route: held.append(route))  # the scripts wait for the scanner
    page.goto("/shop/till", wait_until="commit")
    expect(page.locator("#scan")).to_be_focused()
    page.keyboard.type("KKMP-", delay=5)
    held[0].continue_()
    page.wait_for_load_state("domcontentloaded")
    page.keyboard.type("000001", delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#member-name")).to_have_text("Siti Aminah")
