"""What every request passes before a view sees it: bodies that are too big, too deep or ambiguous (a key twice),
NUL bytes in query and form fields, and ids past what a column holds, are refused with a 4xx problem, never a
500."""

import json
from decimal import Decimal
from typing import Any

import flask_smorest
from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _
from marshmallow import fields as ma_fields
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType
from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1  # an INTEGER column
MAX_JSON_DEPTH = 32


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice")
        seen[key] = value
    return seen


def _depth(value: Any, limit: int) -> None:
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            raise ValueError(f"nested more than {limit} levels deep")
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)


def loads(text: str | bytes) -> Any:
    """JSON as the API reads it: no key twice in an object, not nested past MAX_JSON_DEPTH (100,000 '[' is a
    ValueError, never a RecursionError). A NUL character in a string is left to the schemas, which name its
    field."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates)
    except RecursionError as exc:
        raise ValueError("nested too deep") from exc
    _depth(value, MAX_JSON_DEPTH)
    return value


class JSONProvider(DefaultJSONProvider):
    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)


class Parser(FlaskParser):
    """webargs' Flask parser reading JSON bodies as `loads` does; a body it refuses is a 400 problem. A schema
    class is made into a schema once per process, not per request (with its nested schemas, a third of the
    cost of reading a sale's body)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._schemas: dict[type, Any] = {}

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type):
            if argmap not in self._schemas:
                self._schemas[argmap] = super()._get_schema(argmap, req)
            return self._schemas[argmap]
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req):
        if not is_json_request(req):
            if req.content_length or req.get_data(cache=True):  # a form or text where JSON belongs: 415
                raise UnsupportedMediaType("Send the body as application/json.")
            return super()._raw_load_json(req)
        try:
            return loads(req.get_data(cache=True))
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f"The JSON body cannot be used: {exc}.") from exc


class Blueprint(flask_smorest.Blueprint):
    """The API's blueprints: flask-smorest's, with the parser above."""

    ARGUMENTS_PARSER = Parser()


class BoundedIntConverter(IntegerConverter):
    """`<int:id>` in a URL: an id past an INTEGER column's range is a 404, not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def refuse_nul() -> None:
    """A NUL byte in a query string or a form field (PostgreSQL stores none) is a 400 naming where it is; an id
    in one (`location_id`, `item_id`, ...) past what an INTEGER column holds is a 422 naming the field."""
    from app.errors import ValidationFailed

    for where, values in (("query", request.args), ("form", request.form)):
        for name, value in values.items(multi=True):
            if "\x00" in value or "\x00" in name:
                raise BadRequest(f"The {where} field {name!r} contains a NUL character.")
            if (name == "id" or name.endswith("_id")) and value.strip().isdigit() and int(value) > INT_MAX:
                raise ValidationFailed(_("Not found."), fields={name: [_("Not found.")]})


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul)


def _numbers_as_numbers(self, field, ret, **kwargs) -> dict:
    """apispec writes the limits of a decimal given as a string ("minimum": "0.000"): the spec says numbers."""
    fixed = {}
    if isinstance(field, ma_fields.Decimal) and field.as_string:  # sent and read as "12.500"
        fixed.update(type="string", format="decimal", pattern=r"^-?\d+(\.\d+)?$")
        if isinstance(ret.get("default"), int | float):
            fixed["default"] = str(ret["default"])
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(ret.get(key), str):
            number = Decimal(ret[key])
            fixed[key] = int(number) if number == number.to_integral_value() else float(number)
    return fixed


def document(api) -> None:
    """What the OpenAPI says beyond what the schemas say: limits written as numbers."""
    api.ma_plugin.converter.add_attribute_function(_numbers_as_numbers)
