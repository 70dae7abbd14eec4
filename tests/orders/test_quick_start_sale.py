"""The quick start's database (SQLite, no server) sells as PostgreSQL does: the sale's and the ledger's writes have
a PostgreSQL statement each and a plain path for SQLite, and this is the test that runs the plain one."""

from decimal import Decimal

from flask_migrate import upgrade
from sqlalchemy import func, select

import demo
from app import auth
from app.db import db
from app.factory import create_app
from inventory import ledger
from inventory.models import Item, StockMove
from orders import tills
from orders.models import CapUsage, Payment, Sale, SaleLine, SubsidyRecord


def test_a_member_sale_on_sqlite_writes_what_it_writes_on_postgresql(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'quick.sqlite3'}"})
    with app.app_context():
        upgrade()
        demo.load_demo()
        cashier = auth.create_user("kasir-cepat", "Kasir Cepat", "cashier", "kasir-cepat-1")
        tills.open_session(tills.get_till("K1"), cashier, 0)
        token = auth.issue_api_token(cashier, "till")
        items = {item.sku: item for item in db.session.scalars(select(Item))}
        packagings = {
            sku: next(p for p in items[sku].packagings if p.name == name).id
            for sku, name in (("SPHP5", "Pak 5 kg"), ("MKITA1", "Pouch 1 L"), ("BRS-MED", "Per kg"))
        }
        db.session.commit()

    body = {
        "till": "K1",
        "member": "KKMP-000001",
        "lines": [
            {"packaging_id": packagings["SPHP5"], "quantity": "1"},
            {"packaging_id": packagings["MKITA1"], "quantity": "1"},
            {"packaging_id": packagings["BRS-MED"], "quantity": "2.5"},
        ],
        "payments": [{"method": "cash", "tendered": 200000}],
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "quick-start-1"}
    client = app.test_client()
    first = client.post("/api/sales", json=body, headers=headers)
    again = client.post("/api/sales", json=body, headers=headers)

    assert first.status_code == 201, first.get_json()
    answer = first.get_json()
    assert (again.status_code, again.get_json()) == (201, answer)  # replayed, not sold twice
    assert [(ln["line_no"], ln["quantity"]) for ln in answer["lines"]] == [(1, "1.000"), (2, "1.000"), (3, "2.500")]
    with app.app_context():
        sale = db.session.get(Sale, answer["id"])
        assert [line.id for line in sale.lines] == [ln["id"] for ln in answer["lines"]]
        assert sale.member.member_number == "KKMP-000001" and sale.price_list == "member"
        assert [(p.method, p.amount, p.tendered) for p in sale.payments] == [("cash", sale.total, 200000)]
        assert sale.total == sum(line.amount for line in sale.lines)
        record = db.session.scalar(select(SubsidyRecord).where(SubsidyRecord.sale_id == sale.id))
        assert (record.item_id, record.quantity, record.nik) == (items["SPHP5"].id, Decimal(1), sale.buyer_nik)
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 1
        assert db.session.scalar(select(func.count()).select_from(SaleLine)) == 3
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
        assert db.session.scalar(select(CapUsage.used)) == Decimal(1)
        moves = db.session.scalars(select(StockMove).where(StockMove.reference == sale.receipt_number)).all()
        assert sorted((m.item_id, m.quantity) for m in moves) == sorted(
            [(items["SPHP5"].id, Decimal(1)), (items["MKITA1"].id, Decimal(1)), (items["BRS-MED"].id, Decimal("2.5"))]
        )
        assert ledger.verify() == []
