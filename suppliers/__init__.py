"""Purchasing: suppliers and their catalogues, purchase orders, receiving, reordering."""


def init_app(app) -> None:
    """Plug purchasing into the app: its screens and menu, API, CSV import kinds, the names of its codes, its
    health signals, its periodic jobs, and the reorder check after every stock change."""
    from app import health, jobs
    from app.extensions import api
    from app.views import register_menu
    from inventory import ledger
    from suppliers import api as suppliers_api
    from suppliers import imports as _imports  # noqa: F401 - registers its CSV import kinds
    from suppliers import jobs as suppliers_jobs
    from suppliers import receiving_views, reorder_views, views
    from suppliers import terms as _terms  # noqa: F401 - registers its vocabularies

    app.register_blueprint(views.bp)
    app.register_blueprint(receiving_views.bp)
    register_menu(app, views.MENU, views.home_counts, order=50)
    app.register_blueprint(reorder_views.bp)
    register_menu(app, reorder_views.MENU, reorder_views.home_counts, order=60)
    for blp in suppliers_api.blueprints:
        api.register_blueprint(blp)
    # The ledger (a floor below) tells purchasing that stock changed through a signal.
    ledger.stock_changed.connect(suppliers_jobs.on_stock_changed)
    health.register(app, suppliers_jobs.health)
    jobs.register_periodic(
        app,
        suppliers_jobs.requeue_pending,
        "reorder",
        interval=60,
        name="reorder-catch-up",
        job_timeout=60,
        ttl=120,  # a catch-up no worker took within two minutes is dropped: the next one is already queued
        result_ttl=300,
        failure_ttl=jobs.DAY,
    )
    jobs.register_periodic(
        app,
        suppliers_jobs.sweep,
        "reorder",
        cron="30 18 * * *",  # 02:30 WITA: every rule checked, demand-mode points recomputed
        name="reorder-sweep",
        job_timeout=1800,
        result_ttl=jobs.DAY,
        failure_ttl=7 * jobs.DAY,
    )
