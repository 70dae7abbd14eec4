"""A stock count in headless Chromium: a clerk counts a bin by wedge scans, recounts, a manager posts.

The module has its own server and demo database; the tests run in file order (the second starts once the
first has posted its count of GDG-A-02).
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, logout, screenshot, text_pattern

RICE_SACK = "8991000000409"  # Beras medium (curah): Karung 50 kg
RICE_PER_KG = "BRSMED-KG"  # Per kg
SUGAR_PACK = "8991000000508"  # Gula pasir 1 kg: Bungkus 1 kg
SUGAR_CARTON = "8991000000515"  # Karton 20
OIL_CARTON = "8991000000614"  # MinyaKita 1 L: Karton 12 (lot-tracked, the label has no lot)
REF = r"CNT-\d+"


def scan(page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the characters into the focused field, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def type_into(page, selector: str, text: str) -> None:
    """Type a number or a lot on the keypad; Enter takes the cursor back to the scan field."""
    page.fill(selector, text)
    page.press(selector, "Enter")
    expect(page.locator("#scan")).to_be_focused()


def choose_location(page, selector: str, code: str) -> None:
    value = page.eval_on_selector(
        selector,
        "(select, code) => [...select.options].find(o => o.textContent.trim().startsWith(code + ' ·')).value",
        code,
    )
    page.select_option(selector, value)


def table(page, selector: str) -> list[list[str]]:
    return page.locator(f"{selector} tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )


def on_hand(page, location_code: str) -> dict[tuple[str, str], Decimal]:
    """The stock on hand screen for one location: {(sku, lot code): quantity}."""
    page.goto("/stock/on-hand")
    choose_location(page, "#location_id", location_code)
    page.click("form.card button[type=submit]")
    page.wait_for_url("**/stock/on-hand?location_id=*")
    return {
        (row[0], row[3].split(" ")[0]): Decimal(row[4].split()[0].replace(",", "."))
        for row in table(page, "#stock-table")
        if len(row) == 5
    }


@pytest.mark.browser
def test_run_a_count_with_a_recount(page, tr):
    login(page, "warehouse")
    page.locator(".tile", has_text=tr("Stock count")).click()
    page.wait_for_url("**/stock/counts")
    choose_location(page, "#location_id", "GDG-A-02")
    page.click("#start-count")
    page.wait_for_url(re.compile(r"/stock/counts/\d+$"))
    count_url = page.url
    expect(page.locator("main p.flash.success")).to_have_text(
        text_pattern(tr("%(ref)s started: scan the first bin label.", ref="REF"), REF=REF)
    )
    expect(page.locator("#scan")).to_be_focused()

    # An item before the bin label: the screen asks for the bin first and counts nothing.
    scan(page, SUGAR_PACK)
    expect(page.locator("#scan-message")).to_have_text(tr("Scan the bin label first."))
    scan(page, "GDG-A-02")
    expect(page.locator("#current-bin")).to_have_text("GDG-A-02 · Rak A-02")
    expect(page.locator("#scan-message")).to_have_text("")

    for _ in range(9):  # rice: nine 50 kg sacks and 45 kg loose = 495 kg (500 there: within 2 %)
        scan(page, RICE_SACK)
    type_into(page, "#packs", "45")
    scan(page, RICE_PER_KG)
    scan(page, SUGAR_CARTON)  # sugar: two cartons of 20 and 10 packs = 50 (60 there: over the threshold)
    scan(page, SUGAR_CARTON)
    type_into(page, "#packs", "10")
    scan(page, SUGAR_PACK)
    type_into(page, "#lot_code", "MK-2609")  # MinyaKita: the carton label has no lot, the clerk types it
    for _ in range(4):
        scan(page, OIL_CARTON)

    lines = page.locator("#count-lines tbody tr")
    expect(lines).to_have_count(3)
    expect(lines.nth(0).locator("td.qty")).to_have_text("48")
    expect(lines.nth(1).locator("td.qty")).to_have_text("50")
    expect(lines.nth(2).locator("td.qty")).to_have_text("495")
    expect(page.locator("#scan-ok")).to_have_text("MinyaKita 1 L · GDG-A-02: 48")
    assert [row[:4] for row in table(page, "#count-lines")] == [
        ["GDG-A-02", "MinyaKita 1 L", "MK-2609", "48"],
        ["GDG-A-02", "Gula pasir 1 kg", "", "50"],
        ["GDG-A-02", "Beras medium (curah)", "", "495"],
    ]
    expect(page.locator("#scan-message")).to_have_text("")
    screenshot(page, "count")
    # Blind: what the system expects (500 kg, 60 sugar) is nowhere on the page, nor after a reload.
    page.reload()
    assert [row[3] for row in table(page, "#count-lines")] == ["48", "50", "495"]
    html = re.sub(r'<meta name="csrf-token"[^>]*>|<input type="hidden"[^>]*>', "", page.content())  # random tokens
    assert "500" not in html and ">60<" not in html

    page.click("#close-count")
    page.wait_for_url(count_url)
    closed = tr(
        "%(ref)s is closed: %(num)d line needs a recount.",
        plural="%(ref)s is closed: %(num)d lines need a recount.",
        num=1,
        ref="REF",
    )
    expect(page.locator("main p.flash.warning")).to_have_text(text_pattern(closed, REF=REF))
    expect(page.locator("#count-status")).to_have_text(tr("in review"))
    assert [row[:4] for row in table(page, "#count-lines")] == [["GDG-A-02", "Gula pasir 1 kg", "", "—"]]
    expect(page.locator("#close-count")).to_have_count(0)

    # The recount, blind again: two cartons and 12 packs.
    page.click("#scan")
    scan(page, "GDG-A-02")
    scan(page, SUGAR_CARTON)
    scan(page, SUGAR_CARTON)
    type_into(page, "#packs", "12")
    scan(page, SUGAR_PACK)
    expect(page.locator("#count-lines tbody tr td.qty")).to_have_text(["52"])
    scan(page, RICE_SACK)  # a line that is not to be recounted is refused, and nothing changes
    expect(page.locator("#scan-message")).to_have_text(
        tr("%(item)s at %(location)s does not need a recount.", item="Beras medium (curah)", location="GDG-A-02")
    )
    assert "500" not in re.sub(r'<meta name="csrf-token"[^>]*>|<input type="hidden"[^>]*>', "", page.content())
    assert page.goto(count_url + "/review").status == 403
    logout(page)

    login(page, "manager")
    page.goto("/stock/counts")
    page.locator("#counts-table tr", has_text="GDG-A-02").get_by_role("link", name=tr("Review")).click()
    page.wait_for_url(count_url + "/review")
    expect(page.locator("#recount-pending")).to_have_count(0)
    assert [row[:7] for row in table(page, "#review-table")] == [  # bin, item, lot, expected, counted, recount, diff
        ["GDG-A-02", "Beras medium (curah)", "", "500", "495", "", "-5"],
        ["GDG-A-02", "Gula pasir 1 kg", "", "60", "50", "52", "-8"],
        ["GDG-A-02", "MinyaKita 1 L", "MK-2609", "48", "48", "", "0"],
    ]
    expect(page.locator("#total-lost")).to_have_text("-Rp186.000")  # 8 × Rp15.500 + 5 × Rp12.400
    expect(page.locator("#total-gained")).to_have_text("Rp0")
    screenshot(page, "count-review")

    page.click("#post-count")
    page.wait_for_url(count_url + "/review")
    expect(page.locator("main p.flash.success")).to_have_text(text_pattern(tr("%(ref)s posted.", ref="REF"), REF=REF))
    expect(page.locator("#count-status")).to_have_text(tr("posted"))
    expect(page.locator("#post-count")).to_have_count(0)

    assert on_hand(page, "GDG-A-02") == {
        ("BRS-MED", ""): Decimal(495),
        ("GULA1", ""): Decimal(52),
        ("MKITA1", "MK-2609"): Decimal(48),
    }


@pytest.mark.browser
def test_print_a_count_sheet_then_cancel_the_count(page, tr):
    login(page, "manager")
    page.goto("/stock/counts")
    choose_location(page, "#location_id", "TKO")
    page.click("#start-count")
    page.wait_for_url(re.compile(r"/stock/counts/\d+$"))
    count_url = page.url
    page.click("#sheet-link")
    page.wait_for_url(count_url + "/sheet")

    sections = page.locator("#count-sheet section")
    expect(sections.locator("h2")).to_have_text(
        ["TKO-LPG · Tempat tabung toko", "TKO-R1 · Rak toko 1", "TKO-R2 · Rak toko 2"]  # the shop itself holds nothing
    )
    listed = {
        section.get_attribute("data-location"): [
            row[1]
            for row in section.locator("tbody tr.listed").evaluate_all(
                "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
            )
        ]
        for section in sections.all()
    }
    assert listed == {
        "TKO-LPG": ["LPG 3 kg (isi)"],
        "TKO-R1": ["Beras SPHP 5 kg"],
        "TKO-R2": ["Beras medium (curah)", "Gula pasir 1 kg", "MinyaKita 1 L"],
    }
    counted = page.locator("#count-sheet tbody tr.listed td.write")
    assert set(counted.all_inner_texts()) == {""}  # the counted column is left to the pen, no expected quantity
    expect(page.locator("#count-sheet")).not_to_contain_text("15")  # 15 cylinders at TKO-LPG
    expect(page.locator("button[data-print]")).to_have_text(tr("Print"))

    page.goto(count_url + "/review")
    page.click("#cancel-count")
    page.wait_for_url("**/stock/counts")
    expect(page.locator("main p.flash.info")).to_have_text(text_pattern(tr("%(ref)s cancelled.", ref="REF"), REF=REF))
    row = page.locator("#counts-table tr", has_text="TKO · Toko")
    expect(row.locator("td").nth(2)).to_have_text(tr("cancelled"))
