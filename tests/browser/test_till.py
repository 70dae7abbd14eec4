"""The till in headless Chromium: a cashier opens a till, sells to a member by wedge scans, pays cash, gets the
receipt; the cap refuses a third SPHP pack; a double-click on "pay" makes one sale; closing counts the money."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

SPHP, SUGAR, LPG3 = "8991000000300", "8991000000508", "8991000000119"


def wedge(page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code fast, then Enter."""
    page.locator("#scan").press_sequentially(code, delay=5)
    page.locator("#scan").press("Enter")


def open_till(page, code: str = "K1", float_amount: str = "200000") -> None:
    page.goto("/shop/till")
    page.select_option("#till-code", code)
    page.fill("#opening-float", float_amount)
    page.click("#open-till")
    expect(page.locator("#scan")).to_be_focused()


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
