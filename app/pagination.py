"""A page of a query: for the API's @paginate() (`page_of`: the total goes in its X-Pagination header) and for
a screen's numbered pages (`numbered_page`)."""

from sqlalchemy import Select, func, select

from app.db import db


def page_of(stmt: Select, pagination_parameters) -> list:
    pagination_parameters.item_count = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    return list(
        db.session.scalars(stmt.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item))
    )


def numbered_page(stmt: Select, page: int, per_page: int) -> tuple[list, int]:
    """Page `page` (from 1) of a query, and how many rows the whole query has."""
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    # unique(): a no-op for most statements, needed by one that eager-loads a collection with a join
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return list(rows), total
