"""Members in headless Chromium: a manager registers a member (the NIK check speaks first), prints the card,
and finds the member again by scanning the card's number into the search."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot

pytestmark = pytest.mark.browser

WRONG_NIK = "6499993212850001"  # day 32: no man's and no woman's birthday
RIGHT_NIK = "6499995212850001"  # made up: a woman born 12-12-85 ("99 99" is no real regency and district)


def test_a_manager_registers_a_member_prints_the_card_and_scans_it(page, tr):
    login(page, "manager")
    page.goto("/members/new")
    page.fill("#full_name", "Nur Halimah")
    page.fill("#nik", WRONG_NIK)
    page.fill("#kk_number", "6499990101250009")
    page.fill("#address", "Jl. Mawar 3")
    page.fill("#rt", "5")
    page.fill("#rw", "3")
    page.fill("#kelurahan", "Gunung Sari Ulu")
    page.select_option("#category", label=tr("Household"))
    page.click("#save-member")
    expect(page.locator("#error-nik")).to_have_text(
        tr("Digits 7 to 12 of a NIK are the birth date DDMMYY (women add 40 to the day).")
    )
    expect(page.locator("#register-error")).to_be_visible()
    screenshot(page, "member-register-nik-check")

    page.fill("#nik", RIGHT_NIK)
    page.click("#save-member")
    expect(page.locator("#member-name")).to_have_text("Nur Halimah")
    expect(page.locator("#member-status")).to_have_text(tr("active"))
    number = page.locator("#member-number").inner_text()
    assert re.fullmatch(r"KKMP-\d{6}", number)
    member_url = page.url
    screenshot(page, "member")

    page.click("#print-card")
    expect(page.locator("#card-name")).to_have_text("Nur Halimah")
    expect(page.locator("#card-number")).to_contain_text(number)
    expect(page.locator("#card-cooperative")).to_have_text("KKMP Balikpapan Tengah")
    page.wait_for_function("() => document.querySelector('#card-barcode').complete")
    assert page.eval_on_selector("#card-barcode", "img => img.naturalWidth > 0")
    screenshot(page, "member-card")

    page.goto("/members")
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.type(number)  # a wedge scanner: the card's number, then Enter
    page.keyboard.press("Enter")
    page.wait_for_url(member_url)
    expect(page.locator("#member-number")).to_have_text(number)


def test_a_cashier_finds_members_but_cannot_register(page, tr):
    login(page, "cashier")
    page.goto("/members")
    page.fill("#q", "Yusuf")
    page.press("#q", "Enter")
    expect(page.locator("#members-table tbody tr")).to_have_count(1)
    expect(page.locator("#members-table tbody tr td").nth(5)).to_have_text(tr("suspended"))
    expect(page.locator("#register-link")).to_have_count(0)
