"""Purchasing in headless Chromium: a manager orders SPHP rice from Bulog by scanning, submits and approves."""

import pytest
from playwright.sync_api import expect

from demo import ean13
from tests.browser.conftest import login, screenshot

SPHP_BALE = ean13("899100000031")  # Beras SPHP 5 kg, Bal 10 pak (the purchase packaging)

pytestmark = pytest.mark.browser


def test_a_manager_orders_from_bulog_by_scanning_and_approves(page, tr):
    login(page, "manager")
    page.goto("/purchasing/orders")
    page.select_option("#supplier_id", label="Perum Bulog Kantor Cabang Balikpapan")
    page.click("#create-order")
    expect(page.locator("#order-status")).to_have_text(tr("draft"))
    number = page.locator("h1").inner_text().split()[0]
    assert number.startswith("PO-")

    page.locator("#code").click()
    page.keyboard.type(SPHP_BALE)  # a wedge scanner: digits, then Enter moves on to the quantity
    page.keyboard.press("Enter")
    expect(page.locator("#packs")).to_be_focused()
    page.fill("#packs", "41")  # 41 bales × 10 packs × 5 kg = 2,050 kg: over Bulog's 2 tonnes
    page.click("#save-line")
    expect(page.locator("#lines-table tbody tr")).to_have_count(1)
    expect(page.locator("#order-total")).to_have_text("Rp23.165.000")
    page.click("#action-submit")
    expect(page.locator("#order-error")).to_contain_text("2000 kg")
    expect(page.locator("#order-status")).to_have_text(tr("draft"))

    page.locator("#code").click()
    page.keyboard.type(SPHP_BALE)
    page.keyboard.press("Enter")
    page.fill("#packs", "40")  # exactly 2,000 kg
    page.click("#save-line")
    expect(page.locator("#order-total")).to_have_text("Rp22.600.000")
    page.click("#action-submit")
    expect(page.locator("#order-status")).to_have_text(tr("waiting for approval"))
    page.click("#action-approve")
    expect(page.locator("#order-status")).to_have_text(tr("approved"))
    screenshot(page, "purchase-order")

    page.click("#print-link")
    expect(page.locator("#po-sheet h1")).to_contain_text(number)
    page.wait_for_function("() => document.querySelector('#po-barcode').complete")  # loaded, not still loading
    assert page.eval_on_selector("#po-barcode", "img => img.naturalWidth > 0")
    screenshot(page, "purchase-order-print")


def test_a_clerk_cannot_approve(page, tr):
    login(page, "warehouse")
    page.goto("/purchasing/orders")
    page.select_option("#supplier_id", label="PT Agen LPG Balikpapan (Pertamina)")
    page.click("#create-order")
    page.select_option("#item_id", label="LPG 3 kg (isi) · Tabung isi")
    page.fill("#packs", "20")
    page.click("#save-line")
    expect(page.locator("#lines-table tbody")).to_contain_text("LPG 3 kg (isi)")
    page.click("#action-submit")
    expect(page.locator("#order-status")).to_have_text(tr("waiting for approval"))
    expect(page.locator("#action-approve")).to_have_count(0)
