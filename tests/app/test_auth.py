from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app import auth
from app.db import db, utcnow
from app.models import LoginAttempt, UserSession
from tests.conftest import csrf_token_from


def sign_in(client, username, password="password-123"):
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token_from(page.get_data(as_text=True))},
    )


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_passwords_are_hashed_with_argon2id(make_user):
    user = make_user("cashier")
    assert user.password_hash.startswith("$argon2id$")
    assert "password-123" not in user.password_hash


def test_sign_in_opens_a_new_server_side_session_each_time(client, make_user):
    user = make_user("cashier")
    assert sign_in(client, user.username).status_code == 302
    first = db.session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)).all()
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})
    sign_in(client, user.username)
    both = db.session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)).all()
    assert len(first) == 1 and len(both) == 2 and first[0] in both
    assert len(both[0]) >= 40  # 32 random bytes, url-safe


def test_the_home_page_needs_a_signed_in_user(client, session):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client, make_user):
    user = make_user("cashier")
    wrong = sign_in(client, user.username, "not-the-password").get_data(as_text=True)
    unknown = sign_in(client, "nobody", "not-the-password").get_data(as_text=True)
    assert "Nama pengguna atau kata sandi salah." in wrong
    assert "Nama pengguna atau kata sandi salah." in unknown
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 2


def test_login_is_rate_limited_per_account(client, make_user):
    user = make_user("cashier")
    for _ in range(5):
        assert sign_in(client, user.username, "guess-guess").status_code == 200
    response = sign_in(client, user.username)  # even the right password is refused for now
    assert response.status_code == 200
    assert client.get("/").status_code == 302
    assert "Terlalu sering gagal masuk. Tunggu 15 menit" in response.get_data(as_text=True)


def test_old_failures_stop_counting_after_the_window(client, make_user):
    user = make_user("cashier")
    for _ in range(5):
        sign_in(client, user.username, "guess-guess")
    db.session.execute(update(LoginAttempt).values(attempted_at=utcnow() - timedelta(minutes=16)))
    assert sign_in(client, user.username).status_code == 302


def test_logout_ends_the_session_so_a_replayed_cookie_is_refused(client, make_user):
    user = make_user("manager")
    sign_in(client, user.username)
    old_cookie = session_cookie(client)
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})
    client.set_cookie("session", old_cookie)  # an attacker replays the cookie captured before logout
    assert client.get("/").status_code == 302


def test_disabling_a_user_ends_their_sessions_and_tokens(client, make_user):
    user = make_user("warehouse")
    token = auth.issue_api_token(user, "scanner")
    sign_in(client, user.username)
    assert client.get("/").status_code == 200
    auth.set_active(user, False)
    assert client.get("/").status_code == 302
    response = client.get("/api/items", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert sign_in(client, user.username).status_code == 200  # and cannot sign in again


def test_an_idle_session_expires(client, make_user):
    user = make_user("cashier")
    sign_in(client, user.username)
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=3)))
    assert client.get("/").status_code == 302


def test_api_tokens_work_until_revoked_and_only_their_hash_is_stored(client, make_user):
    from app.models import ApiToken

    user = make_user("manager")
    token = auth.issue_api_token(user, "integration")
    assert db.session.scalar(select(ApiToken.token_hash)) != token
    assert client.get("/api/items", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/items", headers={"Authorization": "Bearer lmb_wrong"}).status_code == 401
    db.session.execute(update(ApiToken).values(revoked_at=utcnow()))
    assert client.get("/api/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_forms_without_a_csrf_token_are_refused(client, make_user):
    user = make_user("cashier")
    response = client.post("/login", data={"username": user.username, "password": "password-123"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_security_headers_are_set(client, session):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "object-src 'none'" in response.headers["Content-Security-Policy"]


def test_cli_creates_and_disables_users(runner):
    result = runner.invoke(
        args=["users", "create", "sari", "--name", "Sari", "--role", "cashier", "--password", "long-enough-1"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "disable", "sari"])
    assert result.exit_code == 0 and "sessions and tokens have ended" in result.output


def test_users_and_tokens_are_audited(make_user):
    from app.models import AuditEntry

    user = make_user("cashier")
    auth.issue_api_token(user, "till-1")
    auth.set_active(user, False)
    entries = db.session.execute(
        select(AuditEntry.action, AuditEntry.entity, AuditEntry.changes).order_by(AuditEntry.id)
    ).all()
    assert [(a, e) for a, e, _ in entries] == [("create", "user"), ("create", "api_token"), ("disable", "user")]
    assert entries[0].changes == {"username": user.username, "full_name": "Test cashier", "role": "cashier"}


def test_the_language_chosen_on_the_login_page_survives_signing_in(client, make_user):
    user = make_user("cashier")
    page = client.get("/login")
    client.post("/language/en", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert "Sign in" in client.get("/login").get_data(as_text=True)
    sign_in(client, user.username)
    assert "Sign out" in client.get("/").get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale == "en"


def test_a_junk_bearer_token_does_not_turn_the_csrf_check_off_for_a_signed_in_browser(client, make_user):
    """Before, any 'Authorization: Bearer …' header skipped the CSRF check while the session cookie still signed
    the user in: a forged cross-site POST with a junk token went through as the user."""
    from inventory.models import Location

    manager = make_user("manager")
    sign_in(client, manager.username)
    before = db.session.scalar(select(func.count()).select_from(Location))
    body = {"code": "X-1", "name": "Forged", "kind": "bin"}
    forged = client.post("/api/locations", json=body, headers={"Authorization": "Bearer junk", "Idempotency-Key": "k1"})
    assert forged.status_code == 401
    assert forged.get_json()["detail"] == "Token API tidak dikenal, sudah dicabut, atau kedaluwarsa."
    assert db.session.scalar(select(func.count()).select_from(Location)) == before
    # A valid token's request is that token's user's alone, whoever's cookie rides along.
    cashier = make_user("cashier")
    token = auth.issue_api_token(cashier, "till")
    as_token = client.post(
        "/api/locations", json=body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "k2"}
    )
    assert as_token.status_code == 403  # a cashier may not make locations; the manager's cookie did not count


def test_a_token_can_expire(client, make_user):
    from app.models import ApiToken

    token = auth.issue_api_token(make_user("manager"), "export", days=30)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/items", headers=headers).status_code == 200
    db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/api/items", headers=headers).status_code == 401


def test_behind_a_trusted_proxy_each_user_is_throttled_by_their_own_address(app, client, make_user, monkeypatch):
    """Behind nginx every request comes from 127.0.0.1: 20 failures by anyone locked everyone out. With
    TRUSTED_PROXIES=1 the forwarded address counts."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_IP", 3)
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1))
    users = [make_user("cashier") for _ in range(4)]
    for user in users[:3]:
        client.post(
            "/login",
            data={"username": user.username, "password": "wrong-one", "csrf_token": "x"},
            headers={"X-Forwarded-For": "10.0.0.66"},
        )
    page = client.get("/login", headers={"X-Forwarded-For": "10.0.0.7"})
    ok = client.post(
        "/login",
        data={
            "username": users[3].username,
            "password": "password-123",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
        headers={"X-Forwarded-For": "10.0.0.7"},
    )
    assert ok.status_code == 302  # another address: not locked out by the first one's failures
    addresses = set(db.session.scalars(select(LoginAttempt.remote_addr)))
    assert "10.0.0.7" not in addresses


def test_the_trusted_proxy_count_comes_from_the_environment(monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from app.config import Config
    from app.factory import create_app

    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    assert Config.from_environment()["TRUSTED_PROXIES"] == 1
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://", "TRUSTED_PROXIES": 1})
    assert isinstance(app.wsgi_app, ProxyFix)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password", "Too common"),
        ("12345678", "Too common"),
        ("Indonesia", "Too common"),
        ("aaaaaaaaaa", "Too simple"),
        ("siti-2026", "own name"),
        ("kasir7!!!", "own name"),
        ("short", "At least 8"),
    ],
)
def test_weak_new_passwords_are_refused_with_the_reason(password, reason):
    from flask_babel import force_locale

    with force_locale("en"):
        problems = auth.password_problems(password, "kasir7", "Siti Aminah")
    assert problems and reason in problems[0]
    assert auth.password_problems("tiga-ekor-kucing-oranye", "kasir7", "Siti Aminah") == []


def test_a_user_changes_their_own_password_and_their_other_sessions_end(app, client, make_user):
    user = make_user("cashier")
    other = app.test_client()
    sign_in(other, user.username)
    sign_in(client, user.username)
    page = client.get("/account/password").get_data(as_text=True)
    token = csrf_token_from(page)

    def change(current, new):
        data = {"current": current, "new": new, "again": new, "csrf_token": token}
        return client.post("/account/password", data=data)

    weak = change("password-123", "12345678")
    assert weak.status_code == 422 and "Terlalu umum" in weak.get_data(as_text=True)
    wrong = change("nope-nope", "tiga-ekor-kucing")
    assert wrong.status_code == 422 and "Kata sandi salah." in wrong.get_data(as_text=True)
    done = change("password-123", "tiga-ekor-kucing")
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one has ended
    db.session.refresh(user)
    assert auth.check_password(user, "tiga-ekor-kucing")


def test_the_command_line_sets_a_password_and_ends_every_session(runner, make_user):
    user = make_user("manager")
    weak = runner.invoke(args=["users", "password", user.username], input="password\npassword\n")
    assert weak.exit_code != 0 and ("umum" in weak.output.lower() or "common" in weak.output.lower())
    done = runner.invoke(args=["users", "password", user.username], input="tiga-ekor-kucing\ntiga-ekor-kucing\n")
    assert done.exit_code == 0, done.output
    db.session.refresh(user)
    assert auth.check_password(user, "tiga-ekor-kucing")
