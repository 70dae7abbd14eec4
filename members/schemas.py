"""What enters and leaves the members API."""

from flask_smorest.fields import Upload
from marshmallow import fields, validate

from app.fields import Schema
from members.models import MEMBER_CATEGORIES, MEMBER_STATUSES
from members.privacy import Private


class MemberSchema(Schema):
    """A member; the NIK, KK and NIB format checks are the service's, so every door checks the same way."""

    id = fields.Int(dump_only=True)
    member_number = fields.Str(dump_only=True)
    full_name = fields.Str(required=True, validate=validate.Length(1, 120))
    nik = Private(required=True, validate=validate.Length(1, 40))
    kk_number = Private(required=True, validate=validate.Length(1, 40))
    address = fields.Str(load_default="", validate=validate.Length(max=500))
    rt = fields.Str(required=True, validate=validate.Length(1, 5))
    rw = fields.Str(required=True, validate=validate.Length(1, 5))
    kelurahan = fields.Str(required=True, validate=validate.Length(1, 80))
    category = fields.Str(required=True, validate=validate.OneOf(MEMBER_CATEGORIES))
    nib = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=40))
    status = fields.Str(dump_only=True)
    join_date = fields.Date(load_default=None, allow_none=True)
    phone = fields.Str(load_default="", validate=validate.Length(max=40))
    created_at = fields.DateTime(dump_only=True)


class MemberUpdateSchema(MemberSchema):
    """PATCH a member: used with partial=True; the status changes through its own endpoint."""


class MemberQuerySchema(Schema):
    q = fields.Str(load_default=None, validate=validate.Length(max=120))
    status = fields.Str(load_default=None, validate=validate.OneOf(MEMBER_STATUSES))
    category = fields.Str(load_default=None, validate=validate.OneOf(MEMBER_CATEGORIES))


class LookupSchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(1, 200))


class StatusChangeSchema(Schema):
    status = fields.Str(required=True, validate=validate.OneOf(MEMBER_STATUSES))
    reason = fields.Str(load_default="", validate=validate.Length(max=200))


class ImportFileSchema(Schema):
    file = Upload(required=True)


class ImportResultSchema(Schema):
    created = fields.Int()
    updated = fields.Int()
    unchanged = fields.Int()
    member_numbers = fields.List(fields.Str())
