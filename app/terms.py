"""Names for the codes kept as data, in the reader's language: each package registers its own vocabularies
(`inventory/terms.py`, `orders/terms.py`, ...) when it is plugged in; the shell's own are here. Keys are the codes
stored in the database; tests/app/test_translations.py keeps them in step with the models."""

from flask_babel import lazy_gettext as _l

TERMS: dict[str, dict] = {}


def register(**vocabularies: dict) -> None:
    """Add a package's vocabularies (kind -> {code: name}); a kind belongs to one package."""
    taken = set(vocabularies) & set(TERMS)
    if taken:
        raise ValueError(f"vocabularies registered twice: {sorted(taken)}")
    TERMS.update(vocabularies)


def term(kind: str, code: str) -> str:
    """The name of a code in the current language (the code itself if it has none)."""
    return str(TERMS[kind].get(code, code))


register(
    role={
        "admin": _l("Administrator"),
        "manager": _l("Manager"),
        "warehouse": _l("Warehouse clerk"),
        "cashier": _l("Cashier"),
    },
    import_status={
        "queued": _l("waiting for a worker"),
        "running": _l("importing"),
        "done": _l("done"),
        "refused": _l("refused: nothing imported"),
        "failed": _l("failed: nothing imported"),
    },
    health_signal={
        "database": _l("Database"),
        "outbox": _l("Reorder checks waiting"),
        "redis": _l("Job queue (Redis)"),
        "retries_overdue": _l("Retries on time"),
        "failed_jobs": _l("Failed jobs"),
        "cron": _l("Cron"),
        "workers": _l("Workers"),
    },
)
