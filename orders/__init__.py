"""The shop: tills and sales, prices and ceilings, caps, returns, subsidy records, reports and the SHU."""


def init_app(app) -> None:
    """Plug the shop into the app: the till (first on the menu: a cashier's day starts there), the shop's screens
    and menu, API, CSV import kinds and the names of its codes."""
    from app.extensions import api
    from app.views import register_menu
    from orders import api as orders_api
    from orders import imports as _imports  # noqa: F401 - registers its CSV import kinds
    from orders import terms as _terms  # noqa: F401 - registers its vocabularies
    from orders import till_views, views

    app.register_blueprint(till_views.bp)
    register_menu(app, till_views.MENU, order=10)
    app.register_blueprint(views.bp)
    register_menu(app, views.MENU, views.home_counts, order=70)
    for blp in orders_api.blueprints:
        api.register_blueprint(blp)
