"""Users and roles managed by an administrator on screens and through the API, without the command line; the
audit log readable by managers."""

import re

import pytest
from sqlalchemy import func, select

from app import auth, users
from app.db import db
from app.errors import DomainError
from app.models import ApiToken, AuditEntry, User
from tests.conftest import csrf_token_from
from tests.parallel import http_requests, run_in_processes


def _form(client, url: str) -> dict:
    return {"csrf_token": csrf_token_from(client.get(url).get_data(as_text=True))}


def _sign_in(client, username: str, password: str):
    return client.post("/login", data={**_form(client, "/login"), "username": username, "password": password})


def test_an_admin_adds_a_user_who_chooses_a_password_at_first_sign_in(app, client, login, session):
    login("admin")
    page = client.post(
        "/admin/users",
        data={**_form(client, "/admin/users"), "username": "Rina", "full_name": "Rina W", "role": "cashier"},
    )
    assert page.status_code == 200
    password = re.search(r'id="secret-value"[^>]*>([^<]+)<', page.get_data(as_text=True)).group(1)
    rina = session.scalar(select(User).where(User.username == "rina"))  # usernames are kept in small letters
    assert (rina.role, rina.must_change_password, rina.last_login_at) == ("cashier", True, None)

    phone = app.test_client()  # Rina on her own device
    assert _sign_in(phone, "rina", password).status_code == 302
    till = phone.get("/shop/till")
    assert till.status_code == 302 and till.location.endswith("/account/password")  # nothing else first
    assert phone.get("/api/sales/scan?code=1").status_code == 403
    changed = phone.post(
        "/account/password",
        data={
            **_form(phone, "/account/password"),
            "current": password,
            "new": "nasi-kuning-7",
            "again": "nasi-kuning-7",
        },
    )
    assert changed.status_code == 302
    assert phone.get("/").status_code == 200
    session.refresh(rina)
    assert rina.must_change_password is False and rina.last_login_at is not None
    assert client.get("/admin/users").get_data(as_text=True).count('data-user="rina"') == 1


def test_bad_new_users_are_named_by_their_field(client, login):
    login("admin")
    refused = client.post(
        "/admin/users", data={**_form(client, "/admin/users"), "username": "a b", "full_name": "", "role": "boss"}
    )
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert all(f'id="error-{name}"' in body for name in ("username", "full_name", "role"))


def test_disabling_ends_sessions_and_tokens_and_enabling_lets_them_in_again(app, client, login, session, make_user):
    login("admin")
    clerk = make_user("warehouse")
    token = auth.issue_api_token(clerk, "scanner")
    other = app.test_client()
    assert _sign_in(other, clerk.username, "password-123").status_code == 302
    url = f"/admin/users/{clerk.id}"
    assert client.post(url, data={**_form(client, url), "action": "disable"}).status_code == 302
    assert other.get("/").status_code == 302  # signed out
    assert other.get("/api/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _sign_in(other, clerk.username, "password-123").status_code == 200  # refused
    assert client.post(url, data={**_form(client, url), "action": "enable"}).status_code == 302
    assert _sign_in(other, clerk.username, "password-123").status_code == 302


def test_a_reset_password_works_once_and_the_old_one_no_more(app, client, login, session, make_user):
    login("admin")
    cashier = make_user("cashier")
    url = f"/admin/users/{cashier.id}"
    page = client.post(url, data={**_form(client, url), "action": "reset"}).get_data(as_text=True)
    password = re.search(r'id="secret-value"[^>]*>([^<]+)<', page).group(1)
    other = app.test_client()
    assert _sign_in(other, cashier.username, "password-123").status_code == 200  # the old one is refused
    assert _sign_in(other, cashier.username, password).status_code == 302
    assert other.get("/").location.endswith("/account/password")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "reset_password"))
    assert entry.entity_id == str(cashier.id) and password not in str(entry.changes)


def test_role_changes_are_audited_and_an_admin_keeps_their_own_access(client, login, session, make_user):
    admin = login("admin")
    clerk = make_user("warehouse")
    url = f"/admin/users/{clerk.id}"
    assert client.post(url, data={**_form(client, url), "action": "role", "role": "manager"}).status_code == 302
    session.refresh(clerk)
    assert clerk.role == "manager"
    own = f"/admin/users/{admin.id}"
    refused = client.post(own, data={**_form(client, own), "action": "disable"})
    assert refused.status_code == 422 or refused.status_code == 409
    with pytest.raises(DomainError):
        users.set_role(admin.id, "cashier", admin)
    history = client.get(f"/admin/audit?entity=user&entity_id={clerk.id}").get_data(as_text=True)
    assert "set_role" in history and '<span class="old">warehouse</span> → <span class="new">manager</span>' in history


def test_the_api_manages_users_and_tokens(api, client):
    admin, manager = api("admin"), api("manager")
    assert manager.get("/api/users").status_code == 403
    made = admin.post("/api/users", json={"username": "budi", "full_name": "Budi S", "role": "warehouse"})
    assert made.status_code == 201 and made.get_json()["user"]["must_change_password"] is True
    budi = made.get_json()["user"]["id"]
    token = admin.post(f"/api/users/{budi}/tokens", json={"name": "scanner", "days": 30}).get_json()
    headers = {"Authorization": f"Bearer {token['secret']}"}
    assert client.get("/api/items", headers=headers).status_code == 200
    listed = admin.get(f"/api/users/{budi}/tokens").get_json()
    assert [(t["name"], t["revoked_at"], t["expires_at"] is not None) for t in listed] == [("scanner", None, True)]
    assert (
        admin.client.delete(f"/api/users/{budi}/tokens/{token['token']['id']}", headers=admin.headers).status_code
        == 200
    )
    assert client.get("/api/items", headers=headers).status_code == 401
    changed = admin.patch(f"/api/users/{budi}", json={"role": "manager"})
    assert changed.status_code == 200 and changed.get_json()["role"] == "manager"
    bad = admin.patch(f"/api/users/{budi}", json={"role": "king"})
    assert bad.status_code == 422 and "role" in bad.get_json()["errors"]
    log = manager.get(f"/api/audit?entity=user&entity_id={budi}").get_json()
    assert [e["action"] for e in log] == ["set_role", "create"]
    assert log[0]["changes"] == {"role": ["warehouse", "manager"]}


def test_the_audit_log_masks_nik_and_filters_by_user_and_dates(api, session, make_user):
    from app import audit

    admin = make_user("admin")
    audit.record("update", "member", 7, {"nik": ["6471010101900001", "6471010101900002"]})
    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity == "member"))
    entry.user_id = admin.id
    session.flush()
    manager = api("manager")
    shown = manager.get(f"/api/audit?entity=member&user={admin.username}").get_json()
    assert shown[0]["changes"] == {"nik": ["6471********0001", "6471********0002"]}
    assert manager.get("/api/audit?entity=member&from=2099-01-01").get_json() == []
    assert manager.get("/api/audit?entity=member&to=9999-12-31").status_code == 200
    assert manager.get("/api/audit?from=yesterday").status_code == 422


@pytest.mark.postgres
@pytest.mark.concurrency
def test_two_admins_disabling_each_other_at_once_leave_one(app, database_url, committed_demo):
    """The only two administrators disable each other at the same moment: one wins, the other is told the last
    administrator stays, and one remains. Without the lock on the admins' rows (users._lock_admins) both count
    two, both answer 200, and nobody can administer the cooperative any more."""
    with app.app_context():
        db.session.execute(db.update(User).where(User.role == "admin").values(role="manager"))
        first = auth.create_user("admin-a", "Admin A", "admin", "password-123")
        second = auth.create_user("admin-b", "Admin B", "admin", "password-123")
        tokens = [auth.issue_api_token(first, "race"), auth.issue_api_token(second, "race")]
        ids = [first.id, second.id]
        db.session.commit()
    calls = [
        (database_url, tokens[0], [("PATCH", f"/api/users/{ids[1]}", {"is_active": False})]),
        (database_url, tokens[1], [("PATCH", f"/api/users/{ids[0]}", {"is_active": False})]),
    ]
    answers = sorted(status for [(status, _body)] in run_in_processes(http_requests, calls))
    # The loser is refused: 409 (the last administrator stays) when both were in before either finished, 401
    # when the winner had already revoked the loser's token.
    assert answers in ([200, 409], [200, 401])
    with app.app_context():
        active = db.session.scalar(select(func.count()).where(User.role == "admin", User.is_active))
        assert active == 1
        assert db.session.scalar(select(func.count()).where(ApiToken.revoked_at.is_not(None))) == 1


@pytest.mark.postgres
@pytest.mark.concurrency
def test_the_second_admin_waits_for_the_first_and_then_sees_one_admin_left(app, committed_demo):
    """The same, step by step: the first disabling is held open; the second waits on the admins' rows and is
    then refused (before the lock: it counted two on its snapshot and disabled the last one)."""
    from tests.parallel import first_holds_second_waits

    with app.app_context():
        db.session.execute(db.update(User).where(User.role == "admin").values(role="manager"))
        first = auth.create_user("admin-c", "Admin C", "admin", "password-123")
        second = auth.create_user("admin-d", "Admin D", "admin", "password-123")
        ids = (first.id, second.id)
        db.session.commit()

    def as_admin(acting_id: int, target_id: int):
        def work():
            return users.set_active(target_id, False, db.session.get(User, acting_id)).is_active

        return work

    done, refused, waited = first_holds_second_waits(app, as_admin(ids[0], ids[1]), as_admin(ids[1], ids[0]))
    assert done is False and waited
    assert isinstance(refused, DomainError) and refused.code == "last_admin"
