"""A new installation (no user at all, no demo) leads its first visitor to make the administrator, who goes on
to the settings; the screen is gone once anyone exists, and two people setting up at once make one admin."""

import re

import pytest
from sqlalchemy import func, select

from app.db import db
from app.models import User
from tests.conftest import csrf_token_from, truncate_all
from tests.parallel import run_in_processes


def _setup_form(client) -> dict:
    return {"csrf_token": csrf_token_from(client.get("/setup").get_data(as_text=True))}


def test_an_empty_installation_leads_to_its_administrator_then_the_settings(client, session):
    first = client.get("/login")
    assert first.status_code == 302 and first.location.endswith("/setup")
    form = {**_setup_form(client), "username": "Admin", "full_name": "Ibu Ketua", "password": "padi-menguning-9"}
    refused = client.post("/setup", data={**form, "again": "padi-menguning"})
    assert refused.status_code == 422 and 'id="error-again"' in refused.get_data(as_text=True)
    weak = client.post("/setup", data={**form, "password": "password", "again": "password"})
    assert weak.status_code == 422 and 'id="error-password"' in weak.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User)) == 0

    done = client.post("/setup", data={**form, "again": "padi-menguning-9"})
    assert done.status_code == 302 and done.location.endswith("/admin/settings")
    assert client.get("/admin/settings").status_code == 200  # signed in as the administrator
    assert [(u.username, u.role) for u in session.scalars(select(User))] == [("admin", "admin")]
    assert client.get("/setup").location.endswith("/login")  # gone once anyone exists
    assert client.get("/login").status_code == 200


def _set_up(gate, database_url: str, username: str) -> int:
    from app.factory import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/setup").get_data(as_text=True)).group(1)
    gate.wait()
    answer = client.post(
        "/setup",
        data={
            "csrf_token": token,
            "username": username,
            "full_name": username,
            "password": "padi-menguning-9",
            "again": "padi-menguning-9",
        },
    )
    with app.app_context():
        db.engine.dispose()
    return answer.status_code, answer.location


@pytest.fixture
def empty_committed(app):
    with app.app_context():
        truncate_all(db.engine)
    yield
    with app.app_context():
        db.session.rollback()
        truncate_all(db.engine)


@pytest.mark.postgres
@pytest.mark.concurrency
def test_two_people_setting_up_at_once_make_one_administrator(app, database_url, empty_committed):
    """Both load the set-up screen of the empty installation and send it at the same moment: one becomes the
    administrator, the other is sent to sign in. Without the table lock in users.first_admin both see no user
    and two administrators are made by people who never agreed on it."""
    answers = run_in_processes(_set_up, [(database_url, "ani"), (database_url, "budi")])
    assert sorted(location.rsplit("/", 1)[-1] for _status, location in answers) == ["login", "settings"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
