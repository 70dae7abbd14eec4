"""The manager's report screens in headless Chromium on the demo after a sale: the sales report and its chart, the
home's month chart, stock value now and at a past date, margins, slow movers, the purchasing report and the SHU
computed; each shows its figures without a script error, and prints."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, logout, screenshot
from tests.browser.till_helpers import SUGAR, open_till, pay, wedge

pytestmark = pytest.mark.browser


def test_the_reports_a_manager_reads(page):
    login(page, "cashier")
    open_till(page)
    wedge(page, "KKMP-000001")
    wedge(page, SUGAR)
    pay(page)
    logout(page)

    login(page, "manager")
    expect(page.locator("#month-sales svg.chart rect")).not_to_have_count(0)
    page.goto("/shop/reports/sales?by=day")
    expect(page.locator("#r-chart rect").last.locator("title")).to_contain_text("Rp17.000")  # today's bar, a day each
    expect(page.locator("#r-totals")).to_contain_text("Rp17.000")
    screenshot(page, "sales-report")
    page.select_option("#r-by", "member")
    page.click("#r-show")
    expect(page.locator('#r-table tr[data-key="KKMP-000001"]')).to_contain_text("Rp17.000")

    page.goto("/stock/valuation")
    expect(page.locator("#valuation-total")).to_have_text(re.compile(r"Rp[\d.]+"))
    page.fill("#v-day", "2026-01-01")
    page.click("#v-show")
    expect(page.locator("#valuation-table")).to_be_visible()

    page.goto("/shop/reports/margins")
    expect(page.locator("#margins-table tbody tr").first).to_contain_text("Gula")
    page.goto("/stock/cover")
    expect(page.locator('#cover-table tr[data-sku="GULA1"]')).to_be_visible()
    page.goto("/purchasing/report")
    expect(page.locator("#quota-table")).to_contain_text("LPG")

    page.goto("/shop/shu")
    page.fill("#shu-year", "2026")
    page.fill("#shu-surplus", "1000000")
    page.fill("#shu-percent", "40")
    page.click("#shu-show")
    expect(page.locator("#shu-total")).to_have_text("Rp400.000")  # the shares add up to the amount
    screenshot(page, "shu")
