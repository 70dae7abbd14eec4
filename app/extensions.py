"""Flask extensions, created unbound; app/factory.py binds them with init_app."""

import http

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.spec import prepare_response
from flask_wtf import CSRFProtect
from marshmallow import INCLUDE, Schema, fields

from app.db import db


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error of the API is sent (application/problem+json)."""

    class Meta:
        unknown = INCLUDE  # a refusal may say more: what is available, the new suggestion, ...

    type = fields.Str(metadata={"description": "/problems/<code>: what kind of refusal"})
    title = fields.Str()
    status = fields.Int()
    detail = fields.Str(metadata={"description": "The sentence to show a person"})
    errors = fields.Dict(metadata={"description": "Field name: its messages"})


class LumbungApi(Api):
    """flask-smorest's Api, its error answers documented as what they are: problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, "application/problem+json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error: see its type and detail", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, "application/problem+json")
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_pagination_header(self):
        # A header is text: its JSON is described, not typed as an object a client would have to guess at.
        header = {
            "description": "Pagination, as JSON: total, total_pages, first_page, last_page, page, previous_page,"
            " next_page",
            "schema": {"type": "string"},
        }
        self.spec.components.header("PAGINATION", header, lazy=True)


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = LumbungApi()

__all__ = ["db", "migrate", "login_manager", "csrf", "babel", "api"]
