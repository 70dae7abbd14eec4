"""The members JSON API: managers keep the register; a cashier looks members up for the till."""

from flask.views import MethodView

from app.auth import roles_required
from app.idempotency import idempotent
from app.pagination import page_of
from app.safety import Blueprint
from members import csvfile, schemas, services

MANAGE = ("manager",)
LOOK_UP = ("manager", "cashier")

members_blp = Blueprint("members_api", __name__, url_prefix="/api/members", description="Members of the cooperative")
blueprints = [members_blp]


@members_blp.route("")
class Members(MethodView):
    @roles_required(*LOOK_UP)
    @members_blp.arguments(schemas.MemberQuerySchema, location="query")
    @members_blp.response(200, schemas.MemberSchema(many=True))
    @members_blp.paginate()
    def get(self, args, pagination_parameters):
        """Members by number; q searches name, number, NIK and KK."""
        return page_of(services.search_members(args["q"], args["status"], args["category"]), pagination_parameters)

    @roles_required(*MANAGE)
    @idempotent
    @members_blp.arguments(schemas.MemberSchema)
    @members_blp.response(201, schemas.MemberSchema)
    def post(self, data):
        """Register a member; the NIK is format-checked and unique, a micro business needs its NIB."""
        return services.register_member(data)


@members_blp.route("/lookup")
class Lookup(MethodView):
    @roles_required(*LOOK_UP)
    @members_blp.arguments(schemas.LookupSchema, location="query")
    @members_blp.response(200, schemas.MemberSchema)
    def get(self, args):
        """The member on a scanned card (member number) or with a typed NIK; 404 when there is none."""
        return services.find_member(args["code"])


@members_blp.route("/<int:member_id>")
class MemberById(MethodView):
    @roles_required(*LOOK_UP)
    @members_blp.response(200, schemas.MemberSchema)
    def get(self, member_id):
        """One member."""
        return services.get_member(member_id)

    @roles_required(*MANAGE)
    @members_blp.arguments(schemas.MemberUpdateSchema(partial=True))
    @members_blp.response(200, schemas.MemberSchema)
    def patch(self, data, member_id):
        """Change a member's details (every change audited)."""
        return services.update_member(services.get_member(member_id), data)


@members_blp.route("/<int:member_id>/status")
class MemberStatus(MethodView):
    @roles_required(*MANAGE)
    @idempotent
    @members_blp.arguments(schemas.StatusChangeSchema)
    @members_blp.response(200, schemas.MemberSchema)
    def post(self, data, member_id):
        """Suspend, reactivate, or record that the member left (audited with the reason)."""
        return services.change_status(services.get_member(member_id), data["status"], data["reason"])


@members_blp.route("/import")
class Import(MethodView):
    @roles_required(*MANAGE)
    @idempotent
    @members_blp.arguments(schemas.ImportFileSchema, location="files")
    @members_blp.response(200, schemas.ImportResultSchema)
    def post(self, files):
        """Import members from a CSV (the export's columns): all rows or, if any row is bad, none, with a
        422 problem listing every bad row as {row, field, message}."""
        result = csvfile.import_members(csvfile.read_upload(files["file"]))
        return {
            "created": len(result.created),
            "updated": len(result.updated),
            "unchanged": result.unchanged,
            "member_numbers": [m.member_number for m in result.created + result.updated],
        }


@members_blp.route("/export")
class Export(MethodView):
    @roles_required(*MANAGE)
    @members_blp.doc(
        responses={200: {"description": "The register", "content": {"text/csv": {"schema": {"type": "string"}}}}}
    )
    def get(self):
        """The whole register as CSV (UTF-8, a header row), the import's format."""
        return csvfile.export_response()
