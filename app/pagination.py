"""One page of a query, for flask-smorest's @paginate(): the total goes in its X-Pagination header."""

from sqlalchemy import Select, func, select

from app.db import db


def page_of(stmt: Select, pagination_parameters) -> list:
    pagination_parameters.item_count = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    return list(
        db.session.scalars(stmt.limit(pagination_parameters.page_size).offset(pagination_parameters.first_item))
    )
