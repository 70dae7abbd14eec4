"""The administrator's JSON API: the cooperative's settings, its users and their tokens, the audit log."""

from flask.views import MethodView
from flask_login import current_user
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from app import audit, clock, csvimport, settings, users
from app.auth import roles_required
from app.fields import Schema
from app.idempotency import idempotent
from app.models import ROLES
from app.pagination import page_of
from app.safety import Blueprint


class UserSchema(Schema):
    id = fields.Int(dump_only=True)
    username = fields.Str(required=True, validate=validate.Length(min=3, max=64))
    full_name = fields.Str(required=True, validate=validate.Length(min=1, max=120))
    role = fields.Str(required=True, validate=validate.OneOf(ROLES))
    is_active = fields.Bool(dump_only=True)
    must_change_password = fields.Bool(dump_only=True)
    last_login_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class UserChangeSchema(Schema):
    role = fields.Str(validate=validate.OneOf(ROLES))
    is_active = fields.Bool(metadata={"description": "false disables: every session and token ends at once."})


class NewUserSchema(Schema):
    user = fields.Nested(UserSchema)
    one_time_password = fields.Str(metadata={"description": "Shown once; the user must change it at sign-in."})


class TokenSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    days = fields.Int(load_only=True, load_default=None, allow_none=True, validate=validate.Range(min=1, max=3650))
    created_at = fields.AwareDateTime(dump_only=True)
    expires_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    revoked_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class NewTokenSchema(Schema):
    token = fields.Nested(TokenSchema)
    secret = fields.Str(metadata={"description": "The bearer token, shown once (only its hash is kept)."})


class AuditQuerySchema(Schema):
    user = fields.Str(validate=validate.Length(max=64), metadata={"description": "A username"})
    entity = fields.Str(validate=validate.Length(max=40), metadata={"description": "A kind of record: item, user"})
    entity_id = fields.Str(validate=validate.Length(max=64))
    action = fields.Str(validate=validate.Length(max=40))
    since = fields.Date(data_key="from", metadata={"description": "From this local date"})
    until = fields.Date(data_key="to", metadata={"description": "Until this local date, included"})


class AuditEntrySchema(Schema):
    id = fields.Int()
    at = fields.AwareDateTime()
    username = fields.Function(lambda entry: entry.user.username if entry.user else None)
    action = fields.Str()
    entity = fields.Str()
    entity_id = fields.Str()
    changes = fields.Function(
        lambda entry: {c.field: [c.old, c.new] if c.is_pair else c.new for c in audit.readable(entry)},
        metadata={"description": "field: [old, new], or field: value; NIK and KK masked"},
    )


def _field(spec: settings.Spec) -> fields.Field:
    """The field a setting is read and shown with; app.settings checks the rest (bounds, a real time zone)."""
    if spec.kind == "int":
        return fields.Integer(metadata={"description": str(spec.label)})
    if spec.kind == "decimal":
        return fields.Decimal(as_string=True, allow_nan=False, metadata={"description": str(spec.label)})
    return fields.String(validate=validate.Length(max=spec.max_length), metadata={"description": str(spec.label)})


def blueprints() -> list[Blueprint]:
    """Made when the app is built, after every package has declared its settings (their fields are the schema's)."""
    settings_schema = Schema.from_dict({key: _field(spec) for key, spec in settings.SPECS.items()}, name="Settings")
    blp = Blueprint("settings", __name__, url_prefix="/api/settings", description="The cooperative's settings")

    @blp.route("")
    class Settings(MethodView):
        @roles_required("manager")
        @blp.response(200, settings_schema)
        def get(self):
            """Every setting's value (the default where none was set)."""
            return settings.all_values()

        @roles_required("admin")
        @blp.arguments(settings_schema, required=False)  # every field optional: the ones given change
        @blp.response(200, settings_schema)
        def patch(self, data):
            """Change some settings, all or none (each refusal names its setting); audited as one entry."""
            settings.update(data)
            return settings.all_values()

    return [blp, users_blp, audit_blp, imports_blp]


users_blp = Blueprint("users", __name__, url_prefix="/api/users", description="Users, roles and API tokens")


@users_blp.route("")
class Users(MethodView):
    @roles_required("admin")
    @users_blp.response(200, UserSchema(many=True))
    def get(self):
        """Every user, active ones first."""
        return [user for user, _tokens in users.list_users()]

    @roles_required("admin")
    @users_blp.arguments(UserSchema)
    @users_blp.response(201, NewUserSchema)
    def post(self, data):
        """Add a user with a one-time password (in the answer only); they choose their own at first sign-in."""
        user, password = users.create(data["username"], data["full_name"], data["role"])
        return {"user": user, "one_time_password": password}


@users_blp.route("/<int:user_id>")
class OneUser(MethodView):
    @roles_required("admin")
    @users_blp.response(200, UserSchema)
    def get(self, user_id):
        """One user."""
        return users.get_user(user_id)

    @roles_required("admin")
    @users_blp.arguments(UserChangeSchema)
    @users_blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change the role, or disable/enable; the last active administrator and your own access are kept."""
        if "role" in data:
            users.set_role(user_id, data["role"], current_user)
        if "is_active" in data:
            users.set_active(user_id, data["is_active"], current_user)
        return users.get_user(user_id)


@users_blp.route("/<int:user_id>/password-reset")
class PasswordReset(MethodView):
    @roles_required("admin")
    @users_blp.response(200, NewUserSchema)
    def post(self, user_id):
        """A one-time password (in the answer only); the user's sessions end."""
        user, password = users.reset_password(user_id, current_user)
        return {"user": user, "one_time_password": password}


@users_blp.route("/<int:user_id>/tokens")
class Tokens(MethodView):
    @roles_required("admin")
    @users_blp.response(200, TokenSchema(many=True))
    def get(self, user_id):
        """The user's API tokens, newest first (revoked ones too)."""
        users.get_user(user_id)
        return users.tokens(user_id)

    @roles_required("admin")
    @users_blp.arguments(TokenSchema)
    @users_blp.response(201, NewTokenSchema)
    def post(self, data, user_id):
        """Make a token (its secret in the answer only), valid for `days` or until revoked."""
        token, secret = users.issue_token(user_id, data["name"], data["days"])
        return {"token": token, "secret": secret}


@users_blp.route("/<int:user_id>/tokens/<int:token_id>")
class OneToken(MethodView):
    @roles_required("admin")
    @users_blp.response(200, TokenSchema)
    def delete(self, user_id, token_id):
        """Revoke the token at once."""
        return users.revoke_token(user_id, token_id)


audit_blp = Blueprint("audit", __name__, url_prefix="/api/audit", description="The audit log")


@audit_blp.route("")
class Audit(MethodView):
    @roles_required("manager")
    @audit_blp.arguments(AuditQuerySchema, location="query")
    @audit_blp.response(200, AuditEntrySchema(many=True))
    @audit_blp.paginate()
    def get(self, args, pagination_parameters):
        """Who changed what, newest first, filtered by user, kind of record, record, action and local dates."""
        since, until = clock.day_window(args.get("since"), args.get("until"))
        stmt = audit.search(
            username=args.get("user"),
            entity=args.get("entity"),
            entity_id=args.get("entity_id"),
            action=args.get("action"),
            since=since,
            until=until,
        )
        return page_of(stmt, pagination_parameters)


class ImportBatchSchema(Schema):
    id = fields.Int()
    kind = fields.Str()
    filename = fields.Str()
    status = fields.Str(metadata={"description": "queued, running, done, refused or failed"})
    progress = fields.Int(metadata={"description": "Rows done"})
    total = fields.Int(metadata={"description": "Rows in the file"})
    summary = fields.Dict(allow_none=True, metadata={"description": "{created, updated, unchanged} once done"})
    errors = fields.List(fields.Dict(), allow_none=True, metadata={"description": "[{row, field, message}]"})
    message = fields.Str(allow_none=True)
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)


imports_blp = Blueprint("api-imports", __name__, url_prefix="/api/imports", description="CSV imports and their jobs")


@imports_blp.route("/<int:batch_id>")
class OneImport(MethodView):
    @roles_required("manager")
    @imports_blp.response(200, ImportBatchSchema)
    def get(self, batch_id):
        """An import's status and progress (rows done of the file's rows), its counts or its row errors."""
        return csvimport.get_batch(batch_id)


class CsvUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "The CSV (UTF-8, ; or , between columns, a header row)"})


class ImportSummarySchema(Schema):
    created = fields.Int()
    updated = fields.Int()
    unchanged = fields.Int()


def _upload(files) -> bytes:
    return files["file"].read(csvimport.MAX_BYTES + 1)


@imports_blp.route("/kinds/<kind>/check")
class CheckImport(MethodView):
    @roles_required("manager")
    @imports_blp.arguments(CsvUploadSchema, location="files")
    @imports_blp.response(200, ImportSummarySchema)
    def post(self, files, kind):
        """A dry run: what importing the file would create, change and leave, writing nothing; or a 422 problem
        listing every bad row as {row, field, message}."""
        return csvimport.dry_run(csvimport.get_kind(kind), _upload(files)).as_json()


@imports_blp.route("/kinds/<kind>")
class StartImport(MethodView):
    @roles_required("manager")
    @idempotent
    @imports_blp.arguments(CsvUploadSchema, location="files")
    @imports_blp.response(202, ImportBatchSchema)
    def post(self, files, kind):
        """Queue the file's import (whole or not at all) as a job; follow it at GET /api/imports/{id}. Kinds:
        locations, items, opening_stock, suppliers, ceilings, prices, reorder_rules."""
        upload = files["file"]
        return csvimport.start(csvimport.get_kind(kind), _upload(files), upload.filename or "", current_user)
