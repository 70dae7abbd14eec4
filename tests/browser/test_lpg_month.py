"""The LPG base's month in headless Chromium, on a demo of its own: buyers bring their empties for refills at
the till, the agent delivers full cylinders (one leaking, sent back with the driver) and takes the empties
back from the shop's shelf, and the cylinder report balances: nothing owed either way, nothing lost."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, logout, screenshot
from tests.browser.test_receiving import LPG_FULL, approved_order, scan
from tests.browser.test_screens import choose_location
from tests.browser.till_helpers import LPG3, open_till, pay, wedge

LPG3_EMPTY = "8991000000102"  # Tabung LPG 3 kg kosong

pytestmark = pytest.mark.browser


def test_a_month_of_the_lpg_base_balances_to_zero(page, tr):
    # Refills at the till: four full cylinders out, four empties in, for one household (its cap is 5 a month).
    login(page, "cashier")
    open_till(page)
    for _ in range(2):
        wedge(page, "KKMP-000001")
        wedge(page, "2*" + LPG3)
        expect(page.locator("#total")).to_have_text("Rp36.000")  # 2 × Rp18.000, the member price
        pay(page)
    logout(page)

    # The clerk brings 5 of the warehouse's empties to the shop's LPG shelf, where the agent's truck stops.
    login(page, "warehouse")
    page.goto("/stock/transfer")
    choose_location(page, "#from_location_id", "GDG-B-01")
    choose_location(page, "#to_location_id", "TKO-LPG")
    page.click("#scan")
    for _ in range(5):
        wedge(page, LPG3_EMPTY)
    expect(page.locator("#lines tbody tr input[name='quantity']")).to_have_value("5")
    page.click("#save-transfer")
    expect(page.locator("main p.flash.success")).to_be_visible()
    logout(page)

    # The agent delivers to the shop: ten ordered, nine good, one leaking back with the driver; the nine
    # empties on the shop's shelf (four from the buyers, five from the warehouse) go back with the truck.
    number = approved_order(page, "PT Agen LPG Balikpapan (Pertamina)", [("LPG 3 kg (isi) · Tabung isi", "10")], "TKO")
    login(page, "warehouse")
    page.goto("/purchasing/receive")
    scan(page, "#code", number)
    expect(page.locator("h1")).to_contain_text(number)
    page.fill("#times", "9")
    scan(page, "#code", LPG_FULL)
    expect(page.locator("#progress-table tr[data-sku='LPG3'] td.received")).to_have_text("9")
    page.select_option("#condition", "rejected")
    page.fill("#reason", "bocor")
    scan(page, "#code", LPG_FULL)
    expect(page.locator("#receipt-lines")).to_contain_text("bocor")
    page.fill("#empties", "9")
    page.click("#save-empties")
    saved = tr("%(count)s empty cylinders go back with the agent.", count="9")
    expect(page.locator(".flash.success").filter(has_text=saved)).to_be_visible()
    page.click("#post-receipt")
    expect(page.locator("#order-status")).to_have_text(tr("partly received"))
    logout(page)

    # The month's report: 9 in from the agent, 9 back to it, 4 sold, 4 empties taken in: no difference.
    login(page, "manager")
    page.goto("/purchasing/cylinders")
    report = page.locator("#cylinders-LPG3")
    expect(report.locator(".full-in")).to_have_text("9")
    expect(report.locator(".empties-out")).to_have_text("-9")
    expect(report.locator(".full-out")).to_have_text("-4")
    expect(report.locator(".empties-in")).to_have_text("4")
    expect(report.locator(".drift")).to_have_text("0")
    expect(report.locator(".exchange-balance")).to_have_count(0)
    expect(report.locator(".closing")).to_have_text("85")  # the demo's 85 cylinders, every one accounted for
    expect(report.locator(".held")).to_have_text("85")
    report.scroll_into_view_if_needed()
    screenshot(page, "cylinders")
