"""The warehouse: items, places and lots, the stock ledger, transfers, counts, stock value."""


def init_app(app) -> None:
    """Plug the warehouse into the app: its screens and menu, API, CSV import kinds, the names of its codes,
    its nightly job and its commands."""
    from app import jobs
    from app.extensions import api
    from app.views import register_menu
    from inventory import api as inventory_api
    from inventory import catalogue_views, cli, count_views, views
    from inventory import imports as _imports  # noqa: F401 - registers its CSV import kinds
    from inventory import jobs as inventory_jobs
    from inventory import terms as _terms  # noqa: F401 - registers its vocabularies

    app.register_blueprint(views.bp)
    app.register_blueprint(count_views.bp)
    register_menu(app, views.MENU, views.home_counts, order=20)
    app.register_blueprint(catalogue_views.bp)
    register_menu(app, catalogue_views.MENU, order=30)
    for blp in inventory_api.blueprints:
        api.register_blueprint(blp)
    jobs.register_periodic(
        app,
        inventory_jobs.take_daily_snapshot,
        "reports",
        cron="45 17 * * *",  # 01:45 WITA: yesterday's stock kept for the valuation at a date
        name="stock-snapshot",
        job_timeout=1800,
        result_ttl=jobs.DAY,
        failure_ttl=7 * jobs.DAY,
    )
    app.cli.add_command(cli.inventory)
