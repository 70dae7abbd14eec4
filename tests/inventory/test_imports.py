"""CSV imports of the warehouse's data: read as a spreadsheet saves them, checked row by row with every problem
named by line and column, dry-run exactly, applied whole or not at all, and the same file twice changes nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import csvimport
from app.csvimport import ImportRefused, parse_decimal, parse_rupiah
from app.models import ImportBatch
from inventory.models import Barcode, Item, Location, Packaging, StockBalance, StockMove
from tests.conftest import csrf_token_from

LOCATIONS = "code;name;kind;parent\r\nGDG;Gudang;warehouse;\r\nGDG-A-01;Rak A-01;bin;GDG\r\nTKO;Toko;shop;\r\n"
ITEMS = (
    "\ufeffsku;name_id;name_en;category;base_unit;is_lot_tracked;is_expiry_tracked;packaging;factor;for_purchase;"
    "for_sale;barcode\r\n"
    "BRS-MED;Beras medium;Rice, medium;beras;kg;tidak;tidak;Karung 25 kg;25;ya;tidak;8991000000409\r\n"
    "BRS-MED;Beras medium;Rice, medium;beras;kg;tidak;tidak;Kilogram;1;tidak;ya;BRSMED-KG\r\n"
    "MNYK1;MinyaKita 1 L;Cooking oil 1 L;minyak;pack;ya;ya;Botol;1;ya;ya;8991000000607\r\n"
)
OPENING = (
    "location,sku,lot,expiry,quantity,unit_cost\r\n"
    'GDG-A-01,BRS-MED,,,"112,5",12400\r\n'
    "GDG-A-01,MNYK1,MK-2701,31-05-2027,48,14000\r\n"
)


def _count(model) -> int:
    from app.db import db

    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2,5", "2.5"),
        ("2.5", "2.5"),
        ("1.234,5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("12", "12"),
        ("1.234.567", "1234567"),
    ],
)
def test_numbers_are_read_as_an_indonesian_or_english_spreadsheet_writes_them(text, number):
    assert parse_decimal(text) == Decimal(number)


def test_a_number_that_reads_two_ways_is_refused_and_rupiah_take_thousands_marks():
    with pytest.raises(ValueError, match="1.234"):
        parse_decimal("1.234")
    assert [parse_rupiah(t) for t in ("17500", "17.500", "Rp17.500", "17,500")] == [17500] * 4
    with pytest.raises(ValueError):
        parse_rupiah("17.5")


def test_a_first_day_from_csv_files_locations_items_then_opening_stock(session):
    locations, items, opening = (csvimport.get_kind(k) for k in ("locations", "items", "opening_stock"))
    assert csvimport.dry_run(locations, LOCATIONS.encode()).as_json() == {"created": 3, "updated": 0, "unchanged": 0}
    assert _count(Location) == 0  # a dry run writes nothing
    csvimport.run(locations, LOCATIONS.encode())
    assert _count(Location) == 3 + 5  # and the virtual places every cooperative needs
    assert session.scalar(select(Location).where(Location.code == "GDG-A-01")).parent.code == "GDG"

    assert csvimport.dry_run(items, ITEMS.encode()).as_json() == {"created": 2, "updated": 0, "unchanged": 0}
    assert csvimport.run(items, ITEMS.encode()).as_json() == {"created": 2, "updated": 0, "unchanged": 0}
    rice = session.scalar(select(Item).where(Item.sku == "BRS-MED"))
    assert [(p.name, p.factor, p.for_purchase, p.for_sale) for p in rice.packagings] == [
        ("Karung 25 kg", 25, True, False),
        ("Kilogram", 1, False, True),
    ]
    assert {b.code for b in session.scalars(select(Barcode))} == {"8991000000409", "BRSMED-KG", "8991000000607"}

    assert csvimport.run(opening, OPENING.encode()).as_json() == {"created": 2, "updated": 0, "unchanged": 0}
    moves = session.scalars(select(StockMove).where(StockMove.reason == "opening")).all()
    assert sorted(m.quantity for m in moves) == [Decimal("48"), Decimal("112.5")]
    session.refresh(rice)
    assert rice.average_cost == Decimal(12400)
    oil_balance = session.scalar(
        select(StockBalance).join(Item).where(Item.sku == "MNYK1", StockBalance.lot_id.is_not(None))
    )
    assert (oil_balance.quantity, oil_balance.lot.code, str(oil_balance.lot.expiry_date)) == (
        48,
        "MK-2701",
        "2027-05-31",
    )

    # The same three files again: nothing changes, no move is posted twice.
    for kind, text in ((locations, LOCATIONS), (items, ITEMS), (opening, OPENING)):
        assert csvimport.run(kind, text.encode()).as_json()["unchanged"] > 0
        assert csvimport.run(kind, text.encode()).as_json()["created"] == 0
    assert _count(StockMove) == 2 and _count(Packaging) == 3


def test_a_bad_file_names_every_bad_row_and_column_and_imports_nothing(session):
    csvimport.run(csvimport.get_kind("locations"), LOCATIONS.encode())
    bad = (
        "sku;name_id;category;base_unit;packaging;factor;barcode\r\n"
        "GULA1;Gula 1 kg;sembako;pack;Pak;1;8991000000508\r\n"
        "TEH;Teh;minuman;pack;Kotak;1;8991000000501\r\n"  # a wrong check digit
        "KOPI;;minuman;sachet;Sachet;1;\r\n"  # no name, no such unit
        "BERAS;Beras;beras;kg;Karung;1.234;\r\n"  # 1.234 could be 1234 or 1,234
        "GULA2;Gula 2 kg;sembako;pack;Pak;1;8991000000508\r\n"  # the barcode of row 2
    )
    with pytest.raises(ImportRefused) as refused:
        csvimport.dry_run(csvimport.get_kind("items"), bad.encode())
    assert [(e.row, e.field) for e in refused.value.row_errors] == [
        (3, "barcode"),
        (4, "name_id"),
        (4, "base_unit"),
        (5, "factor"),
        (6, "barcode"),
    ]
    assert "8991000000501" in refused.value.row_errors[0].message
    with pytest.raises(ImportRefused):
        csvimport.run(csvimport.get_kind("items"), bad.encode())
    assert _count(Item) == 0


def test_the_opening_stock_needs_known_places_and_items_and_whole_packs(session):
    csvimport.run(csvimport.get_kind("locations"), LOCATIONS.encode())
    csvimport.run(csvimport.get_kind("items"), ITEMS.encode())
    bad = "location;sku;lot;quantity;unit_cost\r\nGDG-X;BRS-MED;;10;1\r\nGDG;NOPE;;1;1\r\nGDG;MNYK1;;1,5;1\r\n"
    with pytest.raises(ImportRefused) as refused:
        csvimport.run(csvimport.get_kind("opening_stock"), bad.encode())
    assert [(e.row, e.field) for e in refused.value.row_errors] == [
        (2, "location"),
        (3, "sku"),
        (4, "lot"),
        (4, "quantity"),
    ]
    assert _count(StockMove) == 0


def test_the_import_screen_checks_then_imports_as_a_job_that_shows_its_progress(client, login, session):
    login("manager")
    page = client.get("/imports").get_data(as_text=True)
    assert 'id="sample-items"' in page
    sample = client.get("/imports/items/sample.csv").get_data(as_text=True)
    assert sample.startswith("\ufeffsku;name_id;") and "8991000000508" in sample
    token = csrf_token_from(page)
    checked = client.post(
        "/imports",
        data={"csrf_token": token, "kind": "locations", "action": "check", "file": (_file(LOCATIONS), "loc.csv")},
        content_type="multipart/form-data",
    )
    assert checked.status_code == 200 and 'id="check-result"' in checked.get_data(as_text=True)
    assert _count(Location) == 0
    started = client.post(
        "/imports",
        data={"csrf_token": token, "kind": "locations", "action": "import", "file": (_file(LOCATIONS), "loc.csv")},
        content_type="multipart/form-data",
    )
    assert started.status_code == 302
    batch = session.scalar(select(ImportBatch))
    assert (batch.kind, batch.status, batch.total) == ("locations", "queued", 3)
    assert csvimport.run_batch(batch.id) == "done"  # what the worker does
    assert csvimport.run_batch(batch.id) == "already taken"  # a retry does it once
    session.refresh(batch)
    shown = client.get(f"/api/imports/{batch.id}").get_json()
    assert (shown["status"], shown["progress"], shown["summary"]["created"]) == ("done", 3, 3)
    assert 'id="batch-summary"' in client.get(started.location).get_data(as_text=True)


def _file(text: str):
    import io

    return io.BytesIO(text.encode())


def test_the_first_day_sample_files_import_as_docs_first_day_md_says(session):
    """docs/samples/ holds one file per import; in the guide's order they import cleanly into an empty Lumbung."""
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "docs" / "samples"
    kinds = ("locations", "items", "opening_stock", "suppliers", "ceilings", "prices", "reorder_rules")
    for kind in kinds:
        summary = csvimport.run(csvimport.get_kind(kind), (samples / f"{kind}.csv").read_bytes())
        assert summary.created > 0 and summary.updated == 0, kind
    assert _count(StockMove) == 4
    for kind in kinds:  # and the same files twice change nothing
        summary = csvimport.run(csvimport.get_kind(kind), (samples / f"{kind}.csv").read_bytes())
        assert (summary.created, summary.updated) == (0, 0), kind
    from members import csvfile

    try:
        assert len(csvfile.import_members((samples / "members.csv").read_bytes()).created) == 3
    except csvfile.ImportRefused as refused:
        raise AssertionError(refused.row_errors) from refused
    assert csvfile.import_members((samples / "members.csv").read_bytes()).unchanged == 3


def _first_day(session, *kinds):
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "docs" / "samples"
    for kind in kinds:
        csvimport.run(csvimport.get_kind(kind), (samples / f"{kind}.csv").read_bytes())


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (
            "suppliers",
            "code;name;payment_terms;sku;packaging;cost\r\n"
            "S1;Satu;credit;GULA1;Karton 20;1\r\n"  # no such payment terms
            "S2;Dua;cash;NOPE;Karton 20;1\r\n"  # no such item
            "S3;Tiga;cash;GULA1;Pak 2 kg;1\r\n"  # not one of its purchase packagings
            "S4;Empat;cash;GULA1;Karton 20;Rp1,5\r\n",  # not whole rupiah
            [(2, "payment_terms"), (3, "sku"), (4, "packaging"), (5, "cost")],
        ),
        (
            "prices",
            "sku;packaging;price_list;amount\r\n"
            "BRS-MED;Kilogram;member;15000\r\n"  # above the HET of 14.900 a kg
            "GULA1;Karton 20;member;300000\r\n"  # the carton is not sold
            "GULA1;Pak 1 kg;friends;17000\r\n",  # no such price list
            [(2, "amount"), (3, "packaging"), (4, "price_list")],
        ),
        (
            "reorder_rules",
            "sku;location;supplier;reorder_point;order_up_to\r\n"
            "GULA1;GDG;BULOG-BPN;20;100\r\n"  # Bulog does not sell sugar
            "SPHP5;GDG;BULOG-BPN;80;20\r\n",  # up to less than the point
            [(2, "supplier"), (3, "order_up_to")],
        ),
    ],
)
def test_bad_purchasing_and_price_files_name_their_rows_and_write_nothing(session, kind, text, expected):
    from app.models import AuditEntry

    _first_day(session, "locations", "items", "suppliers", "ceilings")
    before = _count(AuditEntry)
    with pytest.raises(ImportRefused) as refused:
        csvimport.run(csvimport.get_kind(kind), text.encode())
    assert [(e.row, e.field) for e in refused.value.row_errors] == expected
    assert _count(AuditEntry) == before


def test_the_exports_stock_on_hand_with_value_the_stock_card_and_sales_lines(client, login, session):
    import csv
    import io

    _first_day(session, "locations", "items", "opening_stock")
    login("manager")
    on_hand = client.get("/stock/on-hand.csv")
    assert on_hand.status_code == 200 and on_hand.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(on_hand.get_data(as_text=True).lstrip("\ufeff"))))
    rice = next(r for r in rows if r["sku"] == "BRS-MED")
    assert (rice["location"], rice["quantity"], rice["value"]) == ("GDG-A-01", "500.000", str(500 * 12400))
    sphp = [r for r in rows if r["sku"] == "SPHP5"]
    assert {(r["location"], r["lot"], r["expiry"]) for r in sphp} == {
        ("GDG-A-01", "SPHP-2611A", "2027-05-31"),
        ("TKO-R1", "SPHP-2611A", "2027-05-31"),
    }
    item = session.scalar(select(Item).where(Item.sku == "GULA1"))
    shelf = session.scalar(select(Location).where(Location.code == "TKO-R1"))
    card = client.get(f"/stock/card.csv?item_id={item.id}&location_id={shelf.id}").get_data(as_text=True)
    card_rows = list(csv.DictReader(io.StringIO(card.lstrip("\ufeff"))))
    assert [(r["reason"], r["in"], r["balance"]) for r in card_rows] == [("opening", "24.000", "24.000")]


def test_the_api_checks_and_starts_an_import(api, session):
    manager = api("manager")

    def send(url, text):
        return manager.post(url, data={"file": (_file(text), "f.csv")}, content_type="multipart/form-data")

    checked = send("/api/imports/kinds/locations/check", LOCATIONS)
    assert checked.status_code == 200 and checked.get_json() == {"created": 3, "updated": 0, "unchanged": 0}
    refused = send("/api/imports/kinds/items/check", "sku;name_id;category;base_unit\r\nX;;a;box\r\n")
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert [(r["row"], r["field"]) for r in refused.get_json()["rows"]] == [(2, "name_id"), (2, "base_unit")]
    assert send("/api/imports/kinds/nothing/check", LOCATIONS).status_code == 404
    started = send("/api/imports/kinds/locations", LOCATIONS)
    assert started.status_code == 202 and started.get_json()["status"] == "queued"
    assert csvimport.run_batch(started.get_json()["id"]) == "done"
    assert manager.get(f"/api/imports/{started.get_json()['id']}").get_json()["summary"]["created"] == 3
    assert api("cashier").post("/api/imports/kinds/locations/check").status_code == 403


def _import_opening(gate, database_url: str, text: str) -> dict:
    from app.factory import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        from app.db import db

        db.session.execute(select(1))
        db.session.rollback()
        gate.wait()
        summary = csvimport.run(csvimport.get_kind("opening_stock"), text.encode()).as_json()
        db.session.commit()
        db.engine.dispose()
    return summary


@pytest.mark.postgres
@pytest.mark.concurrency
def test_the_same_opening_stock_imported_twice_at_once_is_posted_once(app, database_url):
    """Two imports of one opening-stock file run at the same moment (a double click, two workers): one posts the
    two rows, the other finds them and posts nothing. Without the lock on the supplier side in _apply_opening both
    read "no opening yet" and the stock is doubled."""
    from app.db import db
    from tests.conftest import truncate_all
    from tests.parallel import run_in_processes

    with app.app_context():
        truncate_all(db.engine)
        csvimport.run(csvimport.get_kind("locations"), LOCATIONS.encode())
        csvimport.run(csvimport.get_kind("items"), ITEMS.encode())
        db.session.commit()
    try:
        results = run_in_processes(_import_opening, [(database_url, OPENING), (database_url, OPENING)])
        assert sorted((r["created"], r["unchanged"]) for r in results) == [(0, 2), (2, 0)]
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(StockMove)) == 2
    finally:
        with app.app_context():
            truncate_all(db.engine)


def test_the_shared_cell_readers_say_what_they_want():
    from app.csvimport import choice, whole_days

    assert choice(("kg", "pack"))(" Pack ") == "pack"
    with pytest.raises(ValueError, match="kg, pack"):
        choice(("kg", "pack"))("box")
    assert whole_days(365)("7") == 7
    for bad in ("7,5", "-1", "366"):
        with pytest.raises(ValueError):
            whole_days(365)(bad)
