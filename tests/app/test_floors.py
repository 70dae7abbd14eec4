"""The floors of the house (docs/architecture.md): `app` at the bottom, `inventory` and `members` on it, `suppliers`
and `orders` on those. A module imports only from its own package and the floors below, never from a neighbour
on its floor or from above, at the top of a file or inside a function; only the roof (`app/factory.py`) imports
every package."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOORS = {"app": 0, "inventory": 1, "members": 1, "suppliers": 2, "orders": 2}
ROOF = {"app/factory.py"}


def imports_crossing_floors(package: str, source: str) -> list[tuple[int, str]]:
    """Every import in the source (function-level ones too) of a package on the same floor or above."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in FLOORS and top != package and FLOORS[top] >= FLOORS[package]:
                found.append((node.lineno, name))
    return found


def test_no_module_imports_across_or_up_the_floors():
    crossings = []
    for package in FLOORS:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ROOF:
                continue
            crossings += [
                f"{relative}:{line} imports {name}" for line, name in imports_crossing_floors(package, path.read_text())
            ]
    assert crossings == []


def test_the_walk_sees_an_import_hidden_in_a_function():
    source = "def report():\n    from orders.models import Sale\n    return Sale\n"
    assert imports_crossing_floors("members", source) == [(2, "orders.models")]
    assert imports_crossing_floors("inventory", "import members.models\n") == [(1, "members.models")]
    assert imports_crossing_floors("orders", "from inventory import ledger\n") == []
