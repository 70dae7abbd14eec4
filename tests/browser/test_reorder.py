"""Reordering in headless Chromium: the manager finds the suggestions the demo's rules made (one cut by Bulog's
2 tonnes), reads why, changes a quantity and approves: the order enters approval."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, logout, screenshot
from tests.browser.till_helpers import LPG3, open_till, pay, wedge

pytestmark = pytest.mark.browser


def test_the_manager_approves_a_suggestion_and_the_order_goes_to_approval(page, tr):
    login(page, "manager")
    expect(page.locator("#reorder-suggestions")).to_have_text(
        tr("%(num)d reorder suggestion waits for you.", plural="%(num)d reorder suggestions wait for you.", num=2)
    )
    expect(page.locator("#level-SPHP5-GDG")).to_have_class(re.compile(r"\blow\b"))  # 60 packs, reorder point 100
    expect(page.locator("#level-SPHP5-GDG .level-figures")).to_have_text("60 / 100 " + tr("pack"))
    expect(page.locator("#level-LPG3-TKO")).not_to_have_class(re.compile(r"\blow\b"))  # 15 cylinders, point 10
    screenshot(page, "manager-home-levels")

    page.click("#reorder-suggestions")
    card = page.locator("form.suggestion")
    expect(card).to_have_count(1)
    expect(card.locator("h2")).to_contain_text("Perum Bulog Kantor Cabang Balikpapan")
    expect(page.locator("#packs-SPHP5")).to_have_value("24")
    expect(page.locator("#packs-BRS-MED")).to_have_value("16")
    expect(page.locator("#capped-BRS-MED")).to_be_visible()
    expect(page.locator("#line-BRS-MED .reasoning li").last).to_have_text(
        tr(
            "Cut to %(result)s × %(pack)s: %(supplier)s takes at most %(max)s kg per order, other lines included.",
            result="16",
            pack="Karung 50 kg",
            supplier="Perum Bulog Kantor Cabang Balikpapan",
            max="2000",
        )
    )
    expect(page.locator("#line-SPHP5 .reasoning li").first).to_have_text(
        tr(
            "On hand %(on_hand)s %(unit)s and %(on_order)s on order: %(position)s in all.",
            on_hand="60",
            unit=tr("pack"),
            on_order="0",
            position="60",
        )
    )
    screenshot(page, "reorder-suggestions")

    page.fill("#packs-SPHP5", "20")  # the manager knows the shop sells less in the rainy season
    card.locator("button[id^=approve-]").click()
    flash = page.locator(".flash.success")
    expect(flash).to_contain_text("PO-")
    number = re.search(r"PO-\d{4}-\d{5}", flash.inner_text()).group(0)
    expect(page.locator("#no-suggestions")).to_be_visible()

    page.goto("/purchasing/orders?status=submitted")
    page.get_by_role("link", name=number).click()
    expect(page.locator("#order-status")).to_have_text(tr("waiting for approval"))
    expect(page.locator("#lines-table tbody tr")).to_have_count(2)
    expect(page.locator("#order-total")).to_have_text("Rp21.220.000")  # 20 × 565.000 + 16 × 620.000
    page.click("#action-approve")
    expect(page.locator("#order-status")).to_have_text(tr("approved"))


def test_the_manager_sets_a_rule_and_its_suggestion_appears_then_sees_the_jobs(page, tr):
    login(page, "manager")
    page.goto("/purchasing/reorder/rules")
    page.select_option("#item_id", label="Gula pasir 1 kg (" + tr("piece") + ")")
    page.select_option("#supplier_id", label="Perum Bulog Kantor Cabang Balikpapan")
    page.fill("#reorder_point", "100")
    page.fill("#order_up_to", "90")
    page.click("#save-rule")
    expect(page.locator("#error-order_up_to")).to_have_text(tr("More than the reorder point."))
    page.fill("#order_up_to", "300")
    page.click("#save-rule")
    expect(page.locator(".flash.success")).to_have_text(tr("Rule for %(item)s saved.", item="Gula pasir 1 kg"))
    row = page.locator("#rules-table tbody tr", has_text="Gula pasir 1 kg")
    expect(row.locator("td.num").first).to_have_text("100")

    page.goto("/purchasing/reorder")
    expect(page.locator("#packs-GULA1")).to_have_value("12")  # 60 in the warehouse: 240 = 12 cartons of 20

    page.goto("/admin/jobs")
    expect(page.locator("#in-process")).to_be_visible()  # the quick start: jobs in the web process
    expect(page.locator("#queue-reorder td").first).to_have_text("reorder")
    expect(page.locator("#no-failed")).to_have_text(tr("No failed jobs."))
    screenshot(page, "jobs")


def test_a_sale_at_the_till_crossing_the_reorder_point_brings_a_suggestion(page, tr):
    """The quick start's whole loop: the sale commits, the in-process worker checks the shop's LPG rule (15 on
    hand, reorder point 10, up to 40, the agent's multiples of 10) and the manager finds 30 cylinders to order."""
    login(page, "cashier")
    open_till(page, "K2")
    wedge(page, "KKMP-000001")  # a member household: 5 LPG a month
    wedge(page, "5*" + LPG3)
    expect(page.locator("#total")).to_have_text("Rp90.000")
    pay(page)
    logout(page)

    login(page, "manager")
    lpg = page.locator("#packs-LPG3")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # the worker runs beside the web server, not inside this request
        page.goto("/purchasing/reorder")
        if lpg.count():
            break
        time.sleep(0.3)
    expect(lpg).to_have_value("30")
    expect(page.locator("#line-LPG3 .reasoning li").first).to_have_text(
        tr(
            "On hand %(on_hand)s %(unit)s and %(on_order)s on order: %(position)s in all.",
            on_hand="10",
            unit=tr("cylinder"),
            on_order="0",
            position="10",
        )
    )
