"""Where reads live (docs/architecture.md): a package's look-ups and lists are in its `queries.py`, its reports in
`reports.py` or a named report module, the reads a rule needs in its services. A views or API module (`*/views.py`,
`*/api.py`, `*/*_views.py`, `*/*_api.py`, the shell's `app/` ones included) parses the input, calls services and
queries, and renders. The rule: it never touches `db.session` (no `get`, `scalar`, `scalars`, `execute`, not even a
`rollback`: no helper is allowed), never imports `db`, and never builds a statement (no `select(...)`, no `select`
imported from SQLAlchemy); a paginated list hands a queries function's statement to `app.pagination`."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = ("*/views.py", "*/api.py", "*/*_views.py", "*/*_api.py")
DB_MODULES = {"app.db", "app.extensions"}


def view_modules() -> list[Path]:
    found = {path for pattern in PATTERNS for path in ROOT.glob(pattern)}
    return sorted(p for p in found if not p.relative_to(ROOT).parts[0].startswith((".", "tests")))


def direct_reads(source: str) -> list[tuple[int, str]]:
    """Every place the source reads the database itself: `db.session`, `db` imported, `select` imported or called."""
    tree = ast.parse(source)
    sqlalchemy_names = set()  # what `import sqlalchemy` / `import sqlalchemy as sa` bound
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            sqlalchemy_names |= {a.asname or a.name for a in node.names if a.name.split(".")[0] == "sqlalchemy"}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module.split(".")[0] == "sqlalchemy" and "select" in names:
                found.append((node.lineno, f"from {node.module} import select"))
            if node.module in DB_MODULES and "db" in names:
                found.append((node.lineno, f"from {node.module} import db"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "session":
            if isinstance(node.value, ast.Name) and node.value.id == "db":
                found.append((node.lineno, "db.session"))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "select":
                found.append((node.lineno, "select(...)"))
            elif (
                isinstance(func, ast.Attribute)
                and func.attr == "select"
                and isinstance(func.value, ast.Name)
                and func.value.id in sqlalchemy_names
            ):
                found.append((node.lineno, f"{func.value.id}.select(...)"))
    return sorted(found)


def test_views_and_apis_leave_reads_to_queries_and_services():
    modules = view_modules()
    relative = {p.relative_to(ROOT).as_posix() for p in modules}
    assert {"inventory/views.py", "orders/api.py", "suppliers/reorder_views.py", "app/admin_views.py"} <= relative
    assert "app/views.py" in relative
    reads = [
        f"{path.relative_to(ROOT).as_posix()}:{line} {what}"
        for path in modules
        for line, what in direct_reads(path.read_text())
    ]
    assert reads == []


def test_the_walk_sees_each_kind_of_direct_read():
    source = (
        "import sqlalchemy as sa\n"
        "from sqlalchemy import func, select\n"
        "from app.db import db\n"
        "def page(item_id):\n"
        "    item = db.session.get(Item, item_id)\n"
        "    db.session.rollback()\n"
        "    rows = sa.select(Item)\n"
        "    return select(Item).where(Item.id == item_id)\n"
    )
    assert direct_reads(source) == [
        (2, "from sqlalchemy import select"),
        (3, "from app.db import db"),
        (5, "db.session"),
        (6, "db.session"),
        (7, "sa.select(...)"),
        (8, "select(...)"),
    ]
    clean = "from inventory import queries\ndef page(item_id):\n    return queries.item(item_id)\n"
    assert direct_reads(clean) == []
