"""Prices in headless Chromium: a manager sets a legal ceiling, a price above it is refused, one under it saved."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_a_price_above_the_legal_ceiling_is_refused_on_the_screen(page):
    login(page, "manager")
    page.goto("/shop/prices")
    page.select_option("#ceiling-item", label="LPG 3 kg (isi) (tabung)")
    page.fill("#ceiling-amount", "19000")
    page.click("#save-ceiling")
    row = page.locator("#prices-table tr", has_text="LPG 3 kg (isi)").first
    expect(row.locator("td.ceiling")).to_have_text("Rp19.000")
    page.select_option("#packaging_id", label="LPG 3 kg (isi) · Tabung isi")
    page.select_option("#price_list", "general")
    page.fill("#amount", "19500")
    page.click("#save-price")
    expect(page.locator("#error-amount")).to_contain_text("Rp19.000")
    expect(row.locator("td.general")).to_have_text("Rp19.000")  # the demo's price stays
    page.select_option("#packaging_id", label="LPG 3 kg (isi) · Tabung isi")
    page.select_option("#price_list", "general")
    page.fill("#amount", "18800")
    page.click("#save-price")
    expect(page.locator("#prices-table tr", has_text="LPG 3 kg (isi)").first.locator("td.general")).to_have_text(
        "Rp18.800"
    )
