"""The members API: managers keep the register, a cashier only looks members up, the warehouse sees nothing."""

import io

from sqlalchemy import func, select

from members.models import Member
from tests.members.conftest import fake_nik, member_fields


def _body(n: int, **fields) -> dict:
    data = {**member_fields(n), "join_date": "2026-01-05", **fields}
    return {k: v for k, v in data.items() if v is not None}


def test_register_look_up_change_and_suspend(api, session):
    manager = api("manager")
    created = manager.post("/api/members", json=_body(1))
    assert created.status_code == 201, created.get_json()
    member = created.get_json()
    assert (member["member_number"], member["status"], member["rt"]) == ("KKMP-000001", "active", "004")
    member_id = member["id"]

    changed = manager.patch(f"/api/members/{member_id}", json={"phone": "0812 3456 7890"})
    assert changed.status_code == 200 and changed.get_json()["phone"] == "0812 3456 7890"
    suspended = manager.post(f"/api/members/{member_id}/status", json={"status": "suspended", "reason": "iuran"})
    assert suspended.get_json()["status"] == "suspended"
    again = manager.post(f"/api/members/{member_id}/status", json={"status": "suspended"})
    assert again.status_code == 409 and again.get_json()["type"] == "/problems/illegal_transition"

    cashier = api("cashier")
    found = cashier.get("/api/members/lookup", query_string={"code": "KKMP-000001\r\n"})
    assert found.status_code == 200 and found.get_json()["id"] == member_id
    missing = cashier.get("/api/members/lookup", query_string={"code": "KKMP-000404"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    listed = cashier.get("/api/members", query_string={"status": "suspended", "q": "uji"})
    assert [m["id"] for m in listed.get_json()] == [member_id]
    assert cashier.get(f"/api/members/{member_id}").get_json()["nik"] == fake_nik(1)[:4] + "********0001"


def test_a_bad_nik_is_a_422_problem_naming_the_field(api, session):
    refused = api("manager").post("/api/members", json=_body(1, nik="6499993203850001"))
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"
    assert list(refused.get_json()["errors"]) == ["nik"]
    assert session.scalar(select(func.count()).select_from(Member)) == 0


def test_a_cashier_looks_up_but_does_not_register(api, session):
    cashier = api("cashier")
    assert cashier.post("/api/members", json=_body(1)).status_code == 403
    assert cashier.get("/api/members/export").status_code == 403
    assert cashier.get("/api/members").status_code == 200


def test_the_warehouse_cannot_see_members(api, session):
    clerk = api("warehouse")
    assert clerk.get("/api/members").status_code == 403
    assert clerk.get("/api/members/lookup", query_string={"code": "KKMP-000001"}).status_code == 403


def test_import_and_export_through_the_api(api, session):
    manager = api("manager")
    manager.post("/api/members", json=_body(1))
    exported = manager.get("/api/members/export")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="members-')
    text = exported.get_data(as_text=True)
    new_row = text.splitlines()[1].replace("KKMP-000001", "").replace(fake_nik(1), fake_nik(2))
    upload = (text + new_row + "\r\n").encode()
    imported = manager.post(
        "/api/members/import", data={"file": (io.BytesIO(upload), "members.csv")}, content_type="multipart/form-data"
    )
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json() == {"created": 1, "updated": 0, "unchanged": 1, "member_numbers": ["KKMP-000002"]}

    bad = (text + new_row.replace(fake_nik(2), "123") + "\r\n" + new_row.replace("004", "x") + "\r\n").encode()
    refused = manager.post(
        "/api/members/import", data={"file": (io.BytesIO(bad), "members.csv")}, content_type="multipart/form-data"
    )
    assert refused.status_code == 422 and refused.get_json()["type"] == "/problems/import_refused"
    # Row 4 has no member number and the NIK of KKMP-000002: it is that member (updated), and only its RT is wrong.
    assert [(r["row"], r["field"]) for r in refused.get_json()["rows"]] == [(3, "nik"), (4, "rt")]
    assert session.scalar(select(func.count()).select_from(Member)) == 2

    # The same Idempotency-Key with another file is a different request: 422, not a replay of the first.
    reused = manager.post(
        "/api/members/import",
        key="one-upload",
        data={"file": (io.BytesIO(text.encode()), "a.csv")},  # the export itself: changes nothing
        content_type="multipart/form-data",
    )
    other = manager.post(
        "/api/members/import",
        key="one-upload",
        data={"file": (io.BytesIO(bad), "a.csv")},
        content_type="multipart/form-data",
    )
    assert reused.status_code == 200 and other.status_code == 422
    assert other.get_json()["type"] == "/problems/idempotency_key_reused"


def test_only_a_manager_sees_niks_in_full_and_each_view_is_audited(api, demo, session):
    """Before, a cashier got the whole register with full NIK and KK, and any sale's buyer NIK. Now a cashier
    sees them masked everywhere and finds a member by card, name or a whole NIK; a manager sees them in full,
    and each full view is in the audit log."""
    from app.models import AuditEntry

    cashier, manager = api("cashier"), api("manager")
    listed = cashier.get("/api/members").get_json()
    assert listed and all("********" in m["nik"] and "********" in m["kk_number"] for m in listed)
    siti = listed[0]
    assert cashier.get("/api/members", query_string={"q": "64999912"}).get_json() == []  # no fishing by digits
    full_nik = manager.get(f"/api/members/{siti['id']}").get_json()["nik"]
    assert "*" not in full_nik
    assert [m["id"] for m in cashier.get("/api/members", query_string={"q": full_nik}).get_json()] == [siti["id"]]
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "view_nik")) == 1
    everyone = manager.get("/api/members").get_json()  # one record per member shown, NIK and KK together
    views = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "view_nik"))
    assert views == 1 + len(everyone)
