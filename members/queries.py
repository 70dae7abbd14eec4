"""Members' look-ups and lists for the screens and the API: reads only, nothing here writes or flushes (the rules,
and the search's conditions, are in services.py)."""

from app.db import db
from members import services
from members.models import Member


def members(q: str | None, status: str | None, category: str | None, limit: int) -> list[Member]:
    """Up to `limit` members found by `services.search_members`, by number."""
    return list(db.session.scalars(services.search_members(q, status, category).limit(limit)))
