"""docs/first-day.md followed in headless Chromium on an empty installation: the administrator made on the first
screen, the settings, the people, the places, goods and opening stock from the sample CSV files (each checked,
then imported as a job whose page follows it), a price, a till, and a cashier's first sign-in and first sale,
whose receipt carries the cooperative's name."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import prepare, screenshot, serve
from tests.browser.till_helpers import SUGAR, open_till, wedge

pytestmark = pytest.mark.browser

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


@pytest.fixture(scope="module")
def live_server(live_database_url, tmp_path_factory):
    """This module's own server: a new installation, no demo."""
    prepare(live_database_url, demo=False)
    yield from serve(live_database_url, tmp_path_factory)


def _secret(page) -> str:
    expect(page.locator("#secret-value")).to_be_visible()
    return page.locator("#secret-value").inner_text().strip()


def _import(page, kind: str) -> None:
    page.goto("/imports")
    page.select_option("#kind", kind)
    page.set_input_files("#file", str(SAMPLES / f"{kind}.csv"))
    page.click("#check-file")
    expect(page.locator("#check-result")).to_be_visible()  # nothing written yet
    page.select_option("#kind", kind)
    page.set_input_files("#file", str(SAMPLES / f"{kind}.csv"))
    page.click("#import-file")
    expect(page.locator("#batch-summary")).to_be_visible(timeout=30_000)  # the job ran; the page followed it
    if kind == "items":
        screenshot(page, "first-day-import")


def test_an_empty_lumbung_to_its_first_sale_with_screens_and_csv_files(page):
    page.goto("/login")
    page.wait_for_url(re.compile(r"/setup$"))
    screenshot(page, "first-day-setup")
    page.fill("#username", "ketua")
    page.fill("#full_name", "Ibu Ketua")
    page.fill("#password", "padi-menguning-9")
    page.fill("#again", "padi-menguning-9")
    page.click("#make-admin")
    page.wait_for_url(re.compile(r"/admin/settings$"))

    page.fill("#cooperative_name", "KKMP Sepinggan")
    page.fill("#address", "Jl. Marsma Iswahyudi 9\nBalikpapan Selatan")
    page.fill("#legal_number", "NIB 9120001234567")
    screenshot(page, "first-day-settings")
    page.click("#save-settings")
    expect(page.locator(".flash.success")).to_be_visible()

    passwords = {}
    for username, name, role in (("rina", "Rina Kasir", "cashier"), ("budi", "Budi Gudang", "warehouse")):
        page.goto("/admin/users")
        page.fill("#username", username)
        page.fill("#full_name", name)
        page.select_option("#role", role)
        page.click("#add-user")
        passwords[username] = _secret(page)

    for kind in ("locations", "items", "opening_stock"):
        _import(page, kind)

    page.goto("/stock/items")
    page.locator("#items-table a", has_text="GULA1").click()
    expect(page.locator('[data-code="8991000000508"]')).to_be_visible()
    page.locator("#packagings-table tr", has_text="Karton 20").locator("input[name=code]").fill("8991000000516")
    page.locator("#packagings-table tr", has_text="Karton 20").locator("button", has_text="Tambah").click()
    expect(page.locator("#error-code")).to_contain_text("Digit cek")  # a wrong check digit, said on the screen
    page.fill("#name_en", "White sugar 1 kg")
    page.click("#save-item")
    expect(page.locator(".flash.success")).to_be_visible()

    page.goto("/shop/prices")
    page.select_option("#packaging_id", label="Gula pasir 1 kg · Pak 1 kg")
    page.select_option("#price_list", "general")
    page.fill("#amount", "18000")
    page.click("#save-price")
    expect(page.locator(".flash.success")).to_be_visible()

    page.goto("/admin/audit")
    page.fill("#f-user", "ketua")
    page.select_option("#f-entity", "settings")
    page.click("#audit-filter")
    expect(page.locator("#audit-table")).to_contain_text("KKMP Sepinggan")  # the settings' change, old → new
    screenshot(page, "audit-log")

    page.goto("/admin/users")
    page.locator("#users-table a", has_text="budi").click()
    page.click("#reset-password")
    assert _secret(page) != passwords["budi"]  # a new one-time password, shown once
    page.click("#disable-user")
    expect(page.locator("#user-status")).to_contain_text("Nonaktif")

    page.goto("/shop/tills")
    page.fill("#new-till-code", "K1")
    page.click("#till-form button[type=submit]")
    expect(page.locator("#tills-table")).to_contain_text("K1")
    page.click("#logout")

    page.goto("/login")
    page.fill("#username", "rina")
    page.fill("#password", passwords["rina"])
    page.click("#sign-in")
    page.wait_for_url(re.compile(r"/account/password$"))  # her own password before anything else
    page.fill("#current", passwords["rina"])
    page.fill("#new", "nasi-kuning-pagi")
    page.fill("#again", "nasi-kuning-pagi")
    page.click("#change-password")
    page.wait_for_url(re.compile(r"/$"))

    open_till(page, "K1", "100000")
    wedge(page, SUGAR)
    expect(page.locator("#pay")).to_be_enabled()
    page.keyboard.press("F4")
    page.fill("#tendered", "20000")
    page.keyboard.press("Enter")
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("STRUK PENJUALAN")
    expect(receipt).to_contain_text("KKMP Sepinggan")
    expect(receipt).to_contain_text("TOTAL                   Rp18.000")
