"""The screens in headless Chromium against a live server with the demo cooperative.

One server (and one database) serves the whole module, so the tests run in file order and each one
touches its own items and locations; where two tests share an item and location, the later one measures
the change instead of the absolute quantity.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from demo import ean13
from inventory.barcodes import normalize_gtin, parse_gs1
from tests.browser.conftest import login, logout, screenshot, text_pattern

SPHP_PACK = "8991000000300"  # Beras SPHP 5 kg, Pak 5 kg
SPHP_GS1 = "(01)08991000000300(17)270531(10)SPHP-2611A"
SUGAR = ean13("899100000050")  # Gula pasir 1 kg, Bungkus 1 kg: 8991000000508
LPG3 = ean13("899100000011")  # LPG 3 kg (isi)
BRIGHT_GAS = ean13("899100000021")  # Bright Gas 5,5 kg (isi)
RICE_PER_KG = "BRSMED-KG"  # Beras medium (curah), per kg


# --- helpers ---------------------------------------------------------------------------------------------


def scan(page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the characters into the focused field, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def choose_location(page, selector: str, code: str) -> None:
    """Pick the option of a location select whose text is '<code> · <name>'."""
    value = page.eval_on_selector(
        selector,
        "(select, code) => [...select.options].find(o => o.textContent.trim().startsWith(code + ' ·')).value",
        code,
    )
    page.select_option(selector, value)


def qty(text: str) -> Decimal:
    """'12,5 kg' -> Decimal('12.5')."""
    return Decimal(text.split()[0].replace(",", "."))


def stock_everywhere(page) -> dict[tuple[str, str, str], Decimal]:
    """The stock on hand screen for every location: {(sku, location code, lot code): quantity}."""
    page.goto("/stock/on-hand")
    rows = page.locator("#stock-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    return {(row[0], row[2], row[3].split(" ")[0]): qty(row[4]) for row in rows if len(row) == 5}


def flash(page, category: str):
    return page.locator(f"main p.flash.{category}")


def lookup_rows(page) -> list[tuple[str, str, str, Decimal]]:
    """The lookup screen's stock table: (item, location code, lot code, quantity) per row."""
    rows = page.locator("#stock-table tbody tr")
    return [
        (
            row.locator("td").nth(0).inner_text().strip(),
            row.locator("td").nth(1).locator(".muted").inner_text().strip(),
            row.locator("td").nth(2).inner_text().strip().split(" ")[0],
            qty(row.locator("td").nth(3).inner_text()),
        )
        for row in rows.all()
    ]


SPHP_STOCK = [
    ("Beras SPHP 5 kg", "GDG-A-01", "SPHP-2610B", Decimal(20)),
    ("Beras SPHP 5 kg", "GDG-A-01", "SPHP-2611A", Decimal(40)),
    ("Beras SPHP 5 kg", "TKO-R1", "SPHP-2610B", Decimal(10)),
]


# --- 1. look an item up by scanning it --------------------------------------------------------------------


@pytest.mark.browser
def test_warehouse_clerk_scans_an_item_and_sees_its_stock_per_location(page, tr):
    login(page, "warehouse")
    expect(page.locator("h1")).to_have_text(tr("Good day, %(name)s", name="Pak Budi (Gudang)"))
    screenshot(page, "home-warehouse")

    page.goto("/stock/lookup")
    expect(page.locator("#code")).to_be_focused()
    scan(page, SPHP_PACK)
    page.wait_for_url(f"**/stock/lookup?code={SPHP_PACK}")

    result = page.locator("#scan-result")
    expect(result.locator("h2")).to_have_text("Beras SPHP 5 kg SPHP5")
    expect(result).to_contain_text("Pak 5 kg")
    assert sorted(lookup_rows(page)) == SPHP_STOCK
    expect(page.locator("#scan-error")).to_have_count(0)
    screenshot(page, "lookup-result")

    # A wedge scanner's noise around the code changes nothing.
    page.goto("/stock/lookup")
    scan(page, f"   {SPHP_PACK}  ")
    page.wait_for_url(f"**/stock/lookup?code={SPHP_PACK}")
    expect(page.locator("#scan-result h2")).to_have_text("Beras SPHP 5 kg SPHP5")
    assert sorted(lookup_rows(page)) == SPHP_STOCK

    # An unknown code says so, and shows no item and no stock.
    page.goto("/stock/lookup")
    scan(page, "TIDAK-ADA-123")
    page.wait_for_url("**/stock/lookup?code=TIDAK-ADA-123")
    expect(page.locator("#scan-error")).to_have_text(tr("Unknown code %(code)s.", code="TIDAK-ADA-123"))
    expect(page.locator("#scan-result")).to_have_count(0)
    expect(page.locator("#stock-table")).to_have_count(0)

    # A misread EAN-13 (wrong check digit) asks for a new scan.
    page.goto("/stock/lookup")
    scan(page, "8991000000301")
    page.wait_for_url("**/stock/lookup?code=8991000000301")
    expect(page.locator("#scan-error")).to_have_text(
        tr("Code %(code)s has a wrong check digit: scan it again.", code="8991000000301")
    )


# --- 2. a GS1 scan carries the lot and the expiry ---------------------------------------------------------


@pytest.mark.browser
def test_gs1_scan_shows_the_lot_and_expiry(page, tr):
    gs1 = parse_gs1(SPHP_GS1)
    assert gs1 is not None and gs1.gtin == normalize_gtin("08991000000300") == SPHP_PACK

    login(page, "warehouse")
    page.goto("/stock/lookup")
    scan(page, SPHP_GS1)
    page.wait_for_url("**/stock/lookup?code=*")

    result = page.locator("#scan-result")
    expect(result.locator("h2")).to_have_text("Beras SPHP 5 kg SPHP5")
    expect(result.locator("p").first).to_contain_text(f"{tr('Lot')} SPHP-2611A")
    expect(result.locator("p").first).to_contain_text(f"{tr('Expiry')} 31-05-2027")
    assert sorted(lookup_rows(page)) == SPHP_STOCK


@pytest.mark.browser
def test_scans_on_the_lookup_screen_follow_each_other_without_a_reload(page, tr):
    """Three codes scanned back to back at 5 ms a key: the page shows the last one, and no code is glued to the
    next (before, each scan reloaded the page and the keys typed meanwhile were lost or garbled)."""
    login(page, "warehouse")
    page.goto("/stock/lookup")
    page.click("#code")
    for code in (SPHP_PACK, LPG3, SUGAR):
        page.keyboard.type(code, delay=5)
        page.keyboard.press("Enter")
    expect(page.locator("#scan-result h2")).to_have_text("Gula pasir 1 kg GULA1")
    expect(page.locator("#scan-error")).to_have_count(0)
    assert page.evaluate("window.location.search") == f"?code={SUGAR}"


# --- 3. transfer warehouse -> shop by scanning -------------------------------------------------------------


@pytest.mark.browser
def test_transfer_to_the_shop_by_scanning(page, tr):
    login(page, "warehouse")
    page.goto("/stock/transfer")
    choose_location(page, "#from_location_id", "GDG-A-02")
    choose_location(page, "#to_location_id", "TKO-R2")
    page.click("#scan")
    for _ in range(3):
        scan(page, SUGAR)

    lines = page.locator("#lines tbody tr")
    expect(lines).to_have_count(1)
    expect(lines.locator('input[name="code"]')).to_have_value(SUGAR)
    expect(lines.locator('input[name="quantity"]')).to_have_value("3")
    expect(lines.locator(".name")).to_have_text("Gula pasir 1 kg · Bungkus 1 kg")
    expect(page.locator("#scan-message")).to_have_text("")
    screenshot(page, "transfer")

    page.click("#save-transfer")
    expect(flash(page, "success")).to_have_text(
        text_pattern(tr("%(ref)s done: the stock is at %(to)s.", ref="REF", to="Rak toko 2"), REF=r"\S+")
    )
    expect(page.locator("#lines tbody tr")).to_have_count(0)

    stock = stock_everywhere(page)
    assert stock[("GULA1", "TKO-R2", "")] == 15  # 12 + 3
    assert stock[("GULA1", "GDG-A-02", "")] == 57  # 60 - 3


@pytest.mark.browser
def test_a_lot_tracked_transfer_by_scanning_takes_the_first_to_expire_and_fast_scans_all_count(page, tr):
    """The SPHP pack's plain EAN (no lot) scanned twice: one line of 2, the bin's lots offered, first to expire
    taken by default (before: refused, 'ada 0, perlu 2'). Then 20 sugar scans typed at 5 ms a key with no pause
    between them: one line of 20, none lost or glued."""
    login(page, "warehouse")
    page.goto("/stock/transfer")
    choose_location(page, "#from_location_id", "GDG-A-01")
    choose_location(page, "#to_location_id", "TKO-R1")
    page.click("#scan")
    scan(page, SPHP_PACK)
    scan(page, SPHP_PACK)
    line = page.locator("#lines tbody tr")
    expect(line.locator('input[name="quantity"]')).to_have_value("2")
    lots = line.locator("select.lot option")
    expect(lots).to_have_count(3)
    assert [o.split(" · ")[0] for o in lots.all_inner_texts()[1:]] == ["SPHP-2610B", "SPHP-2611A"]
    expect(line.locator("select.lot")).to_have_value("")
    page.click("#save-transfer")
    expect(flash(page, "success")).to_be_visible()
    stock = stock_everywhere(page)
    assert stock[("SPHP5", "TKO-R1", "SPHP-2610B")] == 12  # 10 + 2, the lot expiring first
    assert stock[("SPHP5", "GDG-A-01", "SPHP-2611A")] == 40

    page.goto("/stock/transfer")
    choose_location(page, "#from_location_id", "GDG-A-02")
    choose_location(page, "#to_location_id", "TKO-R2")
    page.click("#scan")
    for _ in range(20):
        page.keyboard.type(SUGAR, delay=5)
        page.keyboard.press("Enter")
    expect(page.locator("#lines tbody tr input[name='quantity']")).to_have_value("20")
    expect(page.locator("#lines tbody tr")).to_have_count(1)
    expect(page.locator("#scan-message")).to_have_text("")


# --- 4. two-step transfer via in-transit -------------------------------------------------------------------


@pytest.mark.browser
def test_two_step_transfer_is_on_the_way_until_received(page, tr):
    login(page, "warehouse")
    page.goto("/stock/transfer")
    choose_location(page, "#from_location_id", "GDG-B-01")
    choose_location(page, "#to_location_id", "TKO-LPG")
    page.check("#two_step")
    page.click("#scan")
    scan(page, LPG3)
    scan(page, LPG3)
    expect(page.locator("#lines tbody tr input[name='quantity']")).to_have_value("2")
    page.click("#save-transfer")

    on_its_way = text_pattern(
        tr("%(ref)s is on its way; receive it at %(to)s.", ref="REF", to="Tempat tabung toko"), REF=r"(\S+)"
    )
    expect(flash(page, "info")).to_have_text(on_its_way)
    reference = on_its_way.match(flash(page, "info").inner_text()).group(1)
    expect(page.locator("h2")).to_have_text(tr("On the way"))
    row = page.locator("#in-transit tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text(reference)
    expect(row.locator("td").nth(1)).to_have_text("GDG-B-01 → TKO-LPG")
    expect(row.locator("td").nth(2)).to_have_text("LPG 3 kg (isi): 2")

    stock = stock_everywhere(page)
    assert stock[("LPG3", "GDG-B-01", "")] == 58
    assert stock[("LPG3", "V-TRANSIT", "")] == 2
    assert stock[("LPG3", "TKO-LPG", "")] == 15  # not there yet

    page.goto("/")
    expect(flash(page, "info")).to_have_text(
        tr(
            "%(num)d transfer is on its way and needs receiving.",
            plural="%(num)d transfers are on their way and need receiving.",
            num=1,
        )
    )
    flash(page, "info").locator("a").click()
    page.wait_for_url("**/stock/transfer")
    row.locator("button").click()
    expect(flash(page, "success")).to_have_text(tr("%(ref)s received.", ref=reference))
    expect(page.locator("#in-transit")).to_have_count(0)

    stock = stock_everywhere(page)
    assert stock[("LPG3", "TKO-LPG", "")] == 17
    assert stock[("LPG3", "GDG-B-01", "")] == 58
    assert ("LPG3", "V-TRANSIT", "") not in stock


# --- 5. adjustments: small ones post, big ones wait for the manager ---------------------------------------


def fill_adjustment(page, location: str, reason: str, code: str, quantity: str, note: str = "") -> None:
    page.goto("/stock/adjust")
    choose_location(page, "#location_id", location)
    page.select_option("#reason", reason)
    page.click("#code")
    scan(page, code)  # the scanner's Enter moves on to the next field, it doesn't submit
    expect(page.locator("#lot")).to_be_focused()
    page.fill("#quantity", quantity)
    page.fill("#note", note)


@pytest.mark.browser
def test_small_adjustment_posts_and_large_one_waits_for_the_manager(page, tr):
    login(page, "warehouse")
    sugar_before = stock_everywhere(page)[("GULA1", "TKO-R2", "")]

    fill_adjustment(page, "TKO-R2", "damaged", SUGAR, "-1", "bungkus sobek")
    page.click("#save-adjustment")
    expect(flash(page, "success")).to_have_text(text_pattern(tr("%(ref)s posted.", ref="REF"), REF=r"\S+"))
    expect(page.locator("#pending-table")).to_have_count(0)
    assert stock_everywhere(page)[("GULA1", "TKO-R2", "")] == sugar_before - 1

    fill_adjustment(page, "GDG-A-02", "damaged", RICE_PER_KG, "-100", "karung basah")
    page.click("#save-adjustment")
    waits = text_pattern(
        tr(
            "%(ref)s is worth %(value)s and waits for a manager's approval.",
            ref="REF",
            value="Rp1.240.000",  # 100 kg at Rp12.400
        ),
        REF=r"(\S+)",
    )
    expect(flash(page, "warning")).to_have_text(waits)
    reference = waits.match(flash(page, "warning").inner_text()).group(1)
    pending = page.locator("#pending-table tbody tr")
    expect(pending).to_have_count(1)
    expect(pending.locator("td").nth(0)).to_have_text(reference)
    expect(pending.locator("td").nth(1)).to_have_text("GDG-A-02")
    expect(pending.locator("td").nth(2)).to_have_text(tr("Damaged"))
    expect(pending.locator("td").nth(3)).to_have_text("Beras medium (curah): -100")
    expect(pending.locator("td").nth(4)).to_have_text("Rp1.240.000")
    expect(pending.locator("button")).to_have_count(0)  # a clerk can't approve
    screenshot(page, "adjust-pending")
    assert stock_everywhere(page)[("BRS-MED", "GDG-A-02", "")] == 500  # nothing moved yet

    logout(page)
    login(page, "manager")
    waiting = page.locator("#adjustments-to-approve")
    expect(waiting).to_have_text(
        tr("%(num)d adjustment waits for your approval.", plural="%(num)d adjustments wait for your approval.", num=1)
    )
    screenshot(page, "home-manager")
    waiting.click()
    page.wait_for_url("**/stock/adjust")
    pending.filter(has_text=reference).locator("button.primary").click()
    expect(flash(page, "success")).to_have_text(tr("%(ref)s approved and posted.", ref=reference))
    expect(page.locator("#pending-table")).to_have_count(0)
    page.goto("/")
    expect(page.locator("#adjustments-to-approve")).to_have_count(0)

    page.goto("/stock/card")
    page.select_option("#item_id", label="BRS-MED · Beras medium (curah)")
    choose_location(page, "#location_id", "GDG-A-02")
    page.click("form.card button[type=submit]")
    expect(page.locator("#card-balance")).to_have_text("400")
    newest = page.locator("#card-table tbody tr").first.locator("td")
    expect(newest.nth(1)).to_have_text(reference)
    expect(newest.nth(2)).to_have_text(tr("Adjustment"))
    expect(newest.nth(3)).to_have_text("GDG-A-02 → V-SUSUT")
    expect(newest.nth(5)).to_have_text("-100")
    expect(newest.nth(6)).to_have_text("400")
    screenshot(page, "stock-card")


# --- 6. language ------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_login_page_is_indonesian_and_switches_to_english(page, tr):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    assert tr("Sign in") != "Sign in", "no Indonesian translation of the login screen"
    expect(page.locator("h1")).to_have_text(tr("Sign in"))
    expect(page.locator("#sign-in")).to_have_text(tr("Sign in"))
    expect(page.locator("label").nth(0)).to_contain_text(tr("Username"))
    expect(page.locator("#language-switch")).to_have_text("English")

    page.click("#language-switch")
    page.wait_for_url("**/login*")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Sign in")
    expect(page.locator("label").nth(0)).to_contain_text("Username")
    expect(page.locator("label").nth(1)).to_contain_text("Password")
    expect(page.locator("#language-switch")).to_have_text("Bahasa Indonesia")

    page.click("#language-switch")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("h1")).to_have_text(tr("Sign in"))


# --- 7. roles are enforced by the server ------------------------------------------------------------------


@pytest.mark.browser
def test_cashier_has_no_adjust_link_and_is_refused_the_screen(page, tr):
    login(page, "cashier")
    expect(page.locator("h1")).to_have_text(tr("Good day, %(name)s", name="Mbak Rina (Kasir)"))
    expect(page.locator(".tile strong")).to_have_text(
        [tr("Till"), tr("Sales"), tr("Scan an item"), tr("Stock on hand"), tr("Members"), tr("Returns")]
    )
    expect(page.locator('a[href="/stock/adjust"]')).to_have_count(0)
    expect(page.get_by_text(tr("Adjust stock"))).to_have_count(0)
    screenshot(page, "home-cashier")

    response = page.goto("/stock/adjust")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text(tr("Your role may not do this."))
    expect(page.locator("#adjust-form")).to_have_count(0)


# --- 8. labels -------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_label_sheet_shows_the_chosen_labels(page, tr):
    login(page, "warehouse")
    page.goto("/stock/labels")
    page.locator("#labels-form label", has_text="GDG-A-01 · Rak A-01").locator("input").check()
    page.locator("#labels-form label", has_text=SPHP_PACK).locator("input").check()
    page.click("#make-sheet")
    page.wait_for_url("**/stock/labels/sheet?*")

    expect(page.locator(".no-print .muted")).to_have_text(tr("%(num)d label, A4", plural="%(num)d labels, A4", num=2))
    labels = page.locator("#sheet .label")
    expect(labels).to_have_count(2)
    expect(labels.locator("div")).to_have_text(["Beras SPHP 5 kg · Pak 5 kg", "Rak A-01"])
    assert labels.locator("img").evaluate_all("imgs => imgs.map(i => i.alt)") == [SPHP_PACK, "GDG-A-01"]
    page.wait_for_function(
        "() => [...document.querySelectorAll('#sheet img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    widths = labels.locator("img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 2 and all(w > 0 for w in widths)
    screenshot(page, "label-sheet")


# --- 9. a double click saves once -------------------------------------------------------------------------

SUBMIT_TWICE_AT_ONCE = """async () => {
  const form = document.getElementById("adjust-form");
  const send = () => fetch(form.action, {method: "POST", body: new FormData(form), redirect: "manual"})
    .then(r => r.type === "opaqueredirect" ? 302 : r.status);
  return Promise.all([send(), send()]);
}"""


def bright_gas_adjustments(page, tr) -> int:
    """How many adjustment moves the stock card of Bright Gas at GDG-B-01 lists."""
    page.goto("/stock/card")
    page.select_option("#item_id", label="BG55 · Bright Gas 5,5 kg (isi)")
    choose_location(page, "#location_id", "GDG-B-01")
    page.click("form.card button[type=submit]")
    expect(page.locator("#card-table")).to_be_visible()
    return page.locator("#card-table tbody tr td:nth-child(3)").all_inner_texts().count(tr("Adjustment"))


@pytest.mark.browser
def test_double_click_on_save_posts_one_adjustment(page, tr):
    login(page, "warehouse")
    before = stock_everywhere(page)[("BG55", "GDG-B-01", "")]
    assert bright_gas_adjustments(page, tr) == 0

    fill_adjustment(page, "GDG-B-01", "found", BRIGHT_GAS, "1", "ketemu di belakang")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.dblclick("#save-adjustment")
    expect(flash(page, "success")).to_have_text(text_pattern(tr("%(ref)s posted.", ref="REF"), REF=r"\S+"))
    assert 1 <= len(posts) <= 2
    assert stock_everywhere(page)[("BG55", "GDG-B-01", "")] == before + 1
    assert bright_gas_adjustments(page, tr) == 1
    expect(page.locator("#card-balance")).to_have_text(str(before + 1))

    # Both submissions of one form reach the server at the same moment (a double tap on a slow link):
    # the form's idempotency key lets one through and replays it (or refuses the other while it runs).
    fill_adjustment(page, "GDG-B-01", "found", BRIGHT_GAS, "1", "ketemu lagi")
    statuses = page.evaluate(SUBMIT_TWICE_AT_ONCE)
    assert 302 in statuses and set(statuses) <= {302, 409}, statuses
    assert stock_everywhere(page)[("BG55", "GDG-B-01", "")] == before + 2
    assert bright_gas_adjustments(page, tr) == 2


# --- phones ------------------------------------------------------------------------------------------------

PHONE = {"width": 360, "height": 740}


def _too_wide(page) -> list[str]:
    """The screens of the signed-in user's menu (and the given extra paths) that scroll sideways at 360 px."""
    paths = page.locator("nav.menu a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    offenders = []
    for path in ["/", *paths]:
        page.goto(path)
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > inner:
            culprits = page.evaluate(
                """() => [...document.querySelectorAll('main *, header *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 0.5))
                .slice(0, 3).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"""
            )
            offenders.append(f"{path}: {width} > {inner} ({', '.join(culprits)})")
    return offenders


@pytest.mark.browser
@pytest.mark.parametrize("role", ["warehouse", "cashier", "manager"])
def test_no_screen_scrolls_sideways_on_a_phone_and_the_menu_folds_away(page, tr, role):
    """At 360 px wide: every screen of the role's menu fits (before, 6 of 9 warehouse screens scrolled up to
    708 px), and the menu is one button that opens it (before, it took ~300 px of every screen)."""
    page.set_viewport_size(PHONE)
    login(page, role)
    assert _too_wide(page) == []
    page.goto("/")
    menu = page.locator("nav.menu")
    expect(menu).to_be_hidden()
    assert page.locator("header.topbar").bounding_box()["height"] < 90
    page.click("#menu-button")
    expect(menu).to_be_visible()
    if role == "warehouse":
        screenshot(page, "phone-menu")
        page.goto("/stock/transfer")
        screenshot(page, "phone-transfer")
        page.click("#menu-button")
    menu.locator("a").first.click()
    expect(menu).to_be_hidden()


# --- the camera ----------------------------------------------------------------------------------------------


def _barcode_video(path, code: str) -> None:
    """A few seconds of a camera looking at an EAN-13 label: a Y4M file Chromium plays as its fake camera."""
    from io import BytesIO

    from barcode import EAN13
    from barcode.writer import ImageWriter
    from PIL import Image

    png = BytesIO()
    EAN13(code[:12], writer=ImageWriter()).write(png, {"module_width": 0.4, "module_height": 18, "quiet_zone": 8})
    label = Image.open(BytesIO(png.getvalue())).convert("L")
    frame = Image.new("L", (640, 480), 255)
    label.thumbnail((600, 440))
    frame.paste(label, ((640 - label.width) // 2, (480 - label.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(30):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


@pytest.mark.browser
def test_the_camera_reads_a_barcode_where_the_browser_has_no_barcode_detector(chromium, live_server, tmp_path):
    """Headless Chromium on Linux has no BarcodeDetector (nor has iPhone Safari or Firefox): the camera button
    loads the vendored ZXing and reads the sugar pack's EAN-13 off a fake camera showing its label. Before, the
    camera button existed only where BarcodeDetector did."""
    from tests.browser.conftest import CHROMIUM_ARGS, TIMEOUT_MS
    from tests.conftest import CHROMIUM

    video = tmp_path / "sugar.y4m"
    _barcode_video(video, SUGAR)
    camera_args = [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    executable = CHROMIUM or "/usr/bin/chromium-headless-shell"
    browser = chromium.browser_type.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS + camera_args)
    try:
        context = browser.new_context(locale="id-ID", base_url=live_server, viewport=PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        login(page, "warehouse")
        page.goto("/stock/lookup")
        assert page.evaluate("'BarcodeDetector' in window") is False
        page.click("button.camera")
        expect(page.locator(".camera-box video")).to_have_count(1)
        expect(page.locator("#scan-result h2")).to_have_text("Gula pasir 1 kg GULA1", timeout=20_000)
        expect(page.locator(".camera-box")).to_have_count(0)  # closed once it read the code
    finally:
        browser.close()


@pytest.mark.browser
def test_without_a_camera_the_button_says_so_and_leaves_no_empty_box(page, tr):
    """Before, a device without a camera threw, left an empty video box and added another on each tap."""
    login(page, "warehouse")
    page.goto("/stock/lookup")
    for _ in range(3):
        page.click("button.camera")
        expect(page.locator(".camera-message")).not_to_have_text("")
    expect(page.locator(".camera-box")).to_have_count(0)
    expect(page.locator(".camera-message")).to_have_count(1)
    assert page.locator(".camera-message").inner_text() in (
        tr("No camera can be used on this device: type the code, or use a scanner."),
        tr("The camera was not allowed: allow it in the browser settings for this site, or type the code."),
    )
