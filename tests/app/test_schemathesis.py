"""schemathesis over the whole OpenAPI, as an admin and as a cashier: no answer is a server error, and every
answer (status, content type, headers, body) is the one the document describes.

Generated from the document Lumbung serves, with a fixed seed and a bounded number of examples per operation so
it fits the suite. Two of schemathesis's checks are left out, on purpose: `ignored_auth` (this harness signs
every request in itself with a real token; who may call what is tests/app/test_roles.py's matrix) and
`positive_data_acceptance` (a request valid by the schema may still be refused by a rule the schema cannot say:
a NIK's checksum, an id that does not exist, stock that is not there; those refusals are 4xx problems, which
the other checks verify)."""

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from app import auth
from app.factory import create_app

_DOCUMENT = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"}).test_client().get("/api/openapi.json").json
# The harness signs every request in itself; left in, the security schemes would have schemathesis vary the
# Authorization header it then overrides.
_DOCUMENT["components"].pop("securitySchemes", None)
_DOCUMENT.pop("security", None)
SCHEMA = schemathesis.openapi.from_dict(_DOCUMENT)
EXAMPLES = 4


@pytest.fixture(scope="module")
def signed_in(app):
    """The demo cooperative committed for real once for the module (every operation runs against it, as a
    deployment would), and a token per role; emptied afterwards."""
    from app.db import db
    from demo import load_demo
    from tests.conftest import truncate_all

    with app.app_context():
        truncate_all(db.engine)
        load_demo()
        tokens = {
            role: auth.issue_api_token(auth.create_user(f"st-{role}", f"ST {role}", role, "kunci-uji-123"), "st")
            for role in ("admin", "cashier")
        }
        db.session.commit()
    yield tokens
    with app.app_context():
        db.session.rollback()
        truncate_all(db.engine)


@pytest.mark.parametrize("role", ["admin", "cashier"])
@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented_and_never_with_a_500(case, role, app, signed_in):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {signed_in[role]}"}
    if "Idempotency-Key" not in (case.headers or {}):  # the generated one, valid or not, is sent as generated
        headers["Idempotency-Key"] = str(uuid.uuid4())
    request = case.as_transport_kwargs(headers=headers)
    response = client.open(
        request["url"],
        method=request["method"],
        query_string=request.get("params"),
        headers=request["headers"],
        json=request.get("json"),
        data=request.get("data"),
    )
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    case.validate_response(response, excluded_checks=[ignored_auth, positive_data_acceptance])
