"""The cooperative's settings: typed, bounded, all or none, audited; changed by an admin on a screen or through
the API; read by the code that used constants before (the clock, sessions, receipts, stock thresholds)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app import clock, settings
from app.db import db
from app.errors import ValidationFailed
from app.models import AuditEntry, Setting, UserSession
from tests.conftest import csrf_token_from


def test_a_setting_is_its_default_until_set_then_typed(session):
    assert settings.get("expiry_warning_days") == 30
    assert settings.get("count_recount_percent") == Decimal("2")
    settings.update({"expiry_warning_days": "45", "count_recount_percent": "2,5"})  # an Indonesian decimal comma
    assert settings.get("expiry_warning_days") == 45
    assert settings.get("count_recount_percent") == Decimal("2.5")


def test_a_save_is_all_or_none_and_names_every_bad_value(session):
    with pytest.raises(ValidationFailed) as refused:
        settings.update(
            {
                "cooperative_name": "KKMP Sepinggan",
                "expiry_warning_days": "-1",
                "time_zone": "Mars/Olympus",
                "session_idle_minutes": "7.5",
                "receipt_header": "a" * 301,
                "no_such_setting": "1",
            }
        )
    assert set(refused.value.fields) == {
        "expiry_warning_days",
        "time_zone",
        "session_idle_minutes",
        "receipt_header",
        "no_such_setting",
    }
    assert refused.value.fields["expiry_warning_days"] == ["Paling sedikit 0."]
    assert db.session.scalar(select(func.count()).select_from(Setting)) == 0
    assert settings.get("cooperative_name") == "Koperasi Merah Putih"


def test_a_change_is_audited_old_and_new_and_an_unchanged_save_is_not(session):
    settings.update({"cooperative_name": "KKMP Sepinggan", "expiry_warning_days": "30"})  # 30 is the default
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "settings")).all()
    assert [e.changes for e in entries] == [{"cooperative_name": ["Koperasi Merah Putih", "KKMP Sepinggan"]}]
    settings.update({"cooperative_name": "KKMP Sepinggan"})
    assert db.session.scalar(select(func.count()).where(AuditEntry.entity == "settings")) == 1


def test_the_clock_follows_the_time_zone_setting(session):
    assert clock.zone().key == "Asia/Makassar"
    settings.update({"time_zone": "Asia/Jayapura"})
    assert clock.zone().key == "Asia/Jayapura"
    assert clock.now().utcoffset() == timedelta(hours=9)


def test_the_api_shows_settings_to_managers_and_lets_only_admins_change_them(api):
    cashier, manager, admin = api("cashier"), api("manager"), api("admin")
    assert cashier.get("/api/settings").status_code == 403
    shown = manager.get("/api/settings").get_json()
    assert shown["het_zone"] == "kaltim-balikpapan" and shown["count_recount_percent"] == "2"
    assert manager.patch("/api/settings", json={"cooperative_name": "X"}).status_code == 403

    refused = admin.patch("/api/settings", json={"cooperative_name": "KKMP Klandasan", "time_zone": "Nowhere/At"})
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"
    assert set(refused.get_json()["errors"]) == {"time_zone"}
    assert admin.get("/api/settings").get_json()["cooperative_name"] == "Koperasi Merah Putih"  # nothing changed

    done = admin.patch("/api/settings", json={"cooperative_name": "KKMP Klandasan", "count_recount_percent": "3.5"})
    assert done.status_code == 200
    assert (done.get_json()["cooperative_name"], done.get_json()["count_recount_percent"]) == ("KKMP Klandasan", "3.5")
    settings.refresh()
    assert settings.get("count_recount_percent") == Decimal("3.5")


def test_the_settings_screen_saves_and_says_each_refusal_by_its_field(client, login):
    login("admin")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'id="cooperative_name"' in page and 'id="het_zone"' in page and 'id="expiry_warning_days"' in page
    form = {"csrf_token": csrf_token_from(page), "cooperative_name": "KKMP Gunung Sari", "expiry_warning_days": "x"}
    refused = client.post("/admin/settings", data=form)
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    assert 'id="error-expiry_warning_days"' in body and 'value="KKMP Gunung Sari"' in body  # kept for a retry
    assert settings.get("cooperative_name") == "Koperasi Merah Putih"
    done = client.post("/admin/settings", data={**form, "expiry_warning_days": "14"})
    assert done.status_code == 302
    settings.refresh()  # the request changed them in its own app context
    assert (settings.get("cooperative_name"), settings.get("expiry_warning_days")) == ("KKMP Gunung Sari", 14)


def test_the_settings_screen_is_the_admins_alone(client, login):
    login("manager")
    assert client.get("/admin/settings").status_code == 403


def test_a_session_idle_longer_than_the_setting_ends(client, login, session):
    settings.update({"session_idle_minutes": "5"})
    user = login("cashier")
    assert client.get("/").status_code == 200
    row = session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    row.last_seen_at -= timedelta(minutes=4)
    session.flush()
    assert client.get("/").status_code == 200  # 4 minutes idle: still in
    row.last_seen_at -= timedelta(minutes=2)
    session.flush()
    assert client.get("/").status_code == 302  # 6 minutes: signed out
