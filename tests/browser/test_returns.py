"""Returns in headless Chromium: the cashier scans a receipt and asks for one pack back; the manager sees it on
the home page, approves it, and the goods and the refund are posted against the sale and the cashier's till."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, logout, screenshot
from tests.browser.till_helpers import SUGAR, open_till, pay, wedge

pytestmark = pytest.mark.browser


def test_a_return_asked_at_the_till_and_approved_by_the_manager(page, tr):
    login(page, "cashier")
    open_till(page, "K1", "200000")
    wedge(page, "2*" + SUGAR)
    expect(page.locator("#total")).to_have_text("Rp36.000")  # a walk-in: 2 x 18.000
    number = pay(page)

    page.goto("/shop/returns")
    wedge(page, number, "#return-receipt")
    page.fill("#return-qty-1", "1")
    page.fill("#return-reason", "Bungkus sobek")
    page.click("#request-return")
    waits = tr("Return of %(amount)s against %(number)s waits for a manager.", amount="Rp18.000", number=number)
    expect(page.locator(".flash.success")).to_have_text(waits)
    logout(page)

    login(page, "manager")
    one = tr("%(num)d return waits for your approval.", plural="%(num)d returns wait for your approval.", num=1)
    expect(page.locator("#returns-to-approve")).to_have_text(one)
    page.click("#returns-to-approve")
    row = page.locator("#pending-returns tbody tr", has_text=number)
    expect(row.locator("td").nth(2)).to_have_text("1 × Gula pasir 1 kg")
    screenshot(page, "returns-approve")
    row.locator("button[id^=approve-]").click()
    approved = tr("Return approved: pay back %(amount)s (%(method)s).", amount="Rp18.000", method=tr("Cash"))
    expect(page.locator(".flash.success")).to_have_text(approved)
    expect(page.locator("#pending-returns tbody tr")).to_have_text([tr("Nothing waits.")])

    page.goto(f"/shop/returns?receipt={number}")  # the sale: one of its two packs is back
    expect(page.locator("#return-lines tbody tr td").nth(2)).to_have_text("1")
    page.goto("/shop/tills")
    page.locator("#sessions-table tr", has_text="K1").get_by_role("link", name=tr("Report")).click()
    sales = tr("%(num)d sale", plural="%(num)d sales", num=1)
    expect(page.locator("#session-report p").nth(1)).to_have_text(f"{sales}: Rp36.000 · {tr('refunds')} Rp18.000")
    expect(page.locator("#session-report td")).to_have_text([tr("Cash"), "Rp218.000", tr("QRIS"), "Rp0"])
