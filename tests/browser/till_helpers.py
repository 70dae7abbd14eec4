"""What a cashier does at the till, for the browser tests: scan by wedge, open a till, pay."""

import re

from playwright.sync_api import expect

# The demo's barcodes (demo.py): SPHP rice 5 kg, sugar 1 kg, LPG 3 kg full, MinyaKita 1 L, loose medium rice
SPHP, SUGAR, LPG3, OIL, RICE = "8991000000300", "8991000000508", "8991000000119", "8991000000607", "BRSMED-KG"


def wedge(page, code: str, field: str = "#scan") -> None:
    """What a keyboard-wedge scanner does: type the code fast, then Enter."""
    page.locator(field).press_sequentially(code, delay=5)
    page.locator(field).press("Enter")


def open_till(page, code: str = "K1", float_amount: str = "200000") -> None:
    page.goto("/shop/till")
    page.select_option("#till-code", code)
    page.fill("#opening-float", float_amount)
    page.click("#open-till")
    expect(page.locator("#scan")).to_be_focused()


def pay(page, tendered: str = "") -> str:
    """F4 once the cart is priced, the cash handed over (empty: exact money), Enter; the receipt's number."""
    expect(page.locator("#pay")).to_be_enabled()
    page.keyboard.press("F4")
    page.fill("#tendered", tendered)
    page.keyboard.press("Enter")
    receipt = page.locator("#receipt-text")
    expect(receipt).to_be_visible()
    number = re.search(r"K\d-\d{6}", receipt.inner_text()).group(0)
    page.click("#next-sale")
    return number
