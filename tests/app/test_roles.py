"""The role matrix: every endpoint and screen checks the role on the server."""

import functools
import re

from app import auth
from app.models import ROLES

# Reachable without signing in, on purpose.
PUBLIC = {
    "core.login",
    "core.setup",  # a new installation's first screen; gone once any user exists
    "core.language",
    "static",
    "inventory.static",
    "till.static",
    "receiving.static",
    "swagger_ui_assets",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "core.healthz",  # for a monitor: names, counts and ages, nothing about the cooperative's business
}
# Any signed-in user.
ANY_ROLE = {"core.home", "core.logout", "core.password"}


def _endpoints(app):
    """(rule, method, allowed roles) for every route; roles come from @roles_required on the view."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            func = getattr(view.view_class, method.lower()) if hasattr(view, "view_class") else view
            yield rule, method, getattr(func, "allowed_roles", None)


SAMPLE_VALUES = {
    "fmt": "svg",
    "kind": "location",
    "decision": "approve",
    "filename": "x.css",
    "code": "id",
    "action": "approve",
    "layout": "logbook",
}


def _url(rule) -> str:
    values = {arg: SAMPLE_VALUES.get(arg, 1) for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def test_every_endpoint_declares_its_roles(app):
    undeclared = [f"{m} {r.rule}" for r, m, roles in _endpoints(app) if roles is None and r.endpoint not in ANY_ROLE]
    assert undeclared == []


def test_every_role_that_may_not_reach_an_endpoint_is_refused(app, client, make_user):
    tokens = {role: auth.issue_api_token(make_user(role), "matrix") for role in ROLES}
    checked = 0
    for rule, method, roles in _endpoints(app):
        if roles is None:
            continue
        for role in ROLES:
            if role == "admin" or role in roles:
                continue
            response = client.open(
                _url(rule),
                method=method,
                headers={"Authorization": f"Bearer {tokens[role]}", "Idempotency-Key": f"matrix-{checked}"},
                json={},
            )
            assert response.status_code == 403, f"{role} reached {method} {rule.rule}: {response.status_code}"
            checked += 1
    assert checked >= 20


def test_every_endpoint_refuses_anonymous_callers(app, client):
    for rule, method, _roles in _endpoints(app):
        response = client.open(_url(rule), method=method, headers={"Accept": "application/json"})
        # Screens send the browser to the login page, the API answers 401; a POST without a CSRF token is 400.
        assert response.status_code in (302, 401, 400), f"{method} {rule.rule}: {response.status_code}"
        if method == "GET":
            assert response.status_code in (302, 401)


def test_admin_reaches_everything_a_manager_does(app, client, make_user):
    token = auth.issue_api_token(make_user("admin"), "matrix")
    for rule, method, roles in _endpoints(app):
        if method != "GET" or roles is None:
            continue
        response = client.get(_url(rule), headers={"Authorization": f"Bearer {token}"})
        assert response.status_code != 403, f"admin refused at {rule.rule}"


# The bad-input corpus: numbers past every column and type, special floats, ids past INTEGER, text far past
# any length, as JSON and as the screens' form fields.
_NUMBERS = ["1e30", "NaN", "Infinity", "-Infinity", "sNaN", "99999999999999999999", "65500.5", "1.1234567891"]
_FIELDS = ["quantity", "times", "packs", "amount", "tendered", "opening_float", "empties", "count", "price"]
_IDS = ["item_id", "location_id", "packaging_id", "supplier_id", "line_id", "member_id", "return_id"]
HOSTILE_BODIES = [
    {"json": {**dict.fromkeys(_FIELDS, 1e30), **dict.fromkeys(_IDS, 2**31), "code": "x" * 100_000}},
    {"json": {**dict.fromkeys(_FIELDS, 65500.5), **dict.fromkeys(_IDS, 1.5), "lines": [{"quantity": "NaN"}]}},
    {"data": "[" * 50_000 + "]" * 50_000, "content_type": "application/json"},
    *({"data": {**dict.fromkeys(_FIELDS, n), **dict.fromkeys(_IDS, n), "code": n}} for n in _NUMBERS),
]


@functools.cache
def _row_count_statement():
    """Every table's row count in one statement, its text built once (building a 60-way union per call cost
    the test half its time)."""
    from sqlalchemy import text

    from app.db import db

    tables = db.metadata.sorted_tables
    return text(" UNION ALL ".join(f"SELECT '{t.name}' AS t, count(*) AS n FROM \"{t.name}\"" for t in tables))


def _row_counts() -> dict[str, int]:
    from app.db import db

    return dict(db.session.execute(_row_count_statement()).all())


def _changed(before: dict, after: dict) -> dict:
    return {t: (before.get(t), n) for t, n in after.items() if before.get(t) != n}


def test_no_endpoint_answers_garbage_with_a_500(app, client, make_user, demo):
    """Every mutating endpoint and screen form, called by an admin with empty, nonsense or hostile input, says what
    is wrong instead, and a refusal writes nothing in any table."""
    token = auth.issue_api_token(make_user("admin"), "garbage")
    checked = 0
    before = _row_counts()
    unnamed: list[str] = []
    field_errors = 0
    for rule, method, _roles in _endpoints(app):
        if method == "GET" or rule.endpoint in ("core.logout", "core.language"):
            continue
        for body in (
            {"json": {}},
            {"json": {"code": "x" * 300, "quantity": "-1", "item_id": "abc"}},
            {"data": {"code": "???", "quantity": "abc", "location_id": "999", "action": "post"}},
            *HOSTILE_BODIES,
        ):
            response = client.open(
                _url(rule),
                method=method,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"garbage-{checked}"},
                **body,
            )
            assert response.status_code < 500, f"{method} {rule.rule} {body}: {response.get_data(as_text=True)[:300]}"
            if response.status_code == 422 and response.mimetype == "application/problem+json":
                named = response.get_json().get("errors")
                field_errors += 1
                unnamed.extend([] if named else [f"{method} {rule.rule}: {response.get_json()['detail']}"])
            if response.status_code == 422 and response.mimetype == "text/html":
                page = response.get_data(as_text=True)
                if not re.search(r'class="[^"]*field-error', page):
                    unnamed.append(f"{method} {rule.rule} (screen): no field error on the page")
            if response.status_code >= 400:  # refused: nothing written, in any table
                after = _row_counts()
                assert after == before, f"{method} {rule.rule} wrote {_changed(before, after)} and answered 4xx"
            before = _row_counts() if response.status_code < 400 else before
            checked += 1
    assert checked > 60 * 3
    assert sorted(set(unnamed)) == [] and field_errors > 50  # a 422 always names the field it is about
