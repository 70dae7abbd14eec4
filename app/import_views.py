"""The CSV import screens: choose what to import, check the file (a dry run: every bad row with its line and
field, or exactly what would change), then import it as a job whose progress the page shows."""

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import csvimport
from app.auth import roles_required
from app.errors import DomainError
from app.forms import field_messages
from app.views import MenuEntry

bp = Blueprint("imports", __name__, url_prefix="/imports", template_folder="templates")

MENU = [MenuEntry("imports.imports_page", _l("Import CSV"), ("manager",), _l("Items, opening stock and more"))]


@bp.route("", methods=["GET", "POST"])
@roles_required("manager")
def imports_page():
    """Upload a file of a kind; 'check' answers what would happen, 'import' starts the job."""
    kinds = list(csvimport.KINDS.values())
    chosen = request.values.get("kind", kinds[0].key if kinds else "")
    checked = row_errors = message = None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        raw = upload.read(csvimport.MAX_BYTES + 1) if upload else b""
        try:
            kind = csvimport.get_kind(chosen)
            if request.form.get("action") == "import":
                batch = csvimport.start(kind, raw, upload.filename if upload else "", current_user)
                return redirect(url_for("imports.batch_page", batch_id=batch.id))
            checked = csvimport.dry_run(kind, raw)
        except csvimport.ImportRefused as refused:
            row_errors, message, status = refused.row_errors, refused.message, 422
        except DomainError as error:
            message, status = error.message, 422
            errors = field_messages(error.fields) or {"file": error.message}
    return render_template(
        "imports.html",
        kinds=kinds,
        chosen=chosen,
        checked=checked,
        row_errors=row_errors,
        message=message,
        errors=errors,
        batches=csvimport.recent_batches(),
    ), status


@bp.route("/<kind>/sample.csv")
@roles_required("manager")
def sample(kind: str):
    """The kind's header and an example row, to fill in."""
    found = csvimport.get_kind(kind)
    return Response(
        "\ufeff" + csvimport.sample(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{found.key}.csv"'},
    )


@bp.route("/<int:batch_id>")
@roles_required("manager")
def batch_page(batch_id: int):
    """An import's progress (the page follows the job) and its outcome."""
    batch = csvimport.get_batch(batch_id)
    return render_template("import_batch.html", batch=batch, kind=csvimport.KINDS.get(batch.kind))
