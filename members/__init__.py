"""The cooperative's members: registration, cards, statuses, privacy of their NIK."""


def init_app(app) -> None:
    """Plug the members into the app: their screens and menu, API and the names of their codes."""
    from app.extensions import api
    from app.views import register_menu
    from members import api as members_api
    from members import terms as _terms  # noqa: F401 - registers its vocabularies
    from members import views

    app.register_blueprint(views.bp)
    register_menu(app, views.MENU, order=40)
    for blp in members_api.blueprints:
        api.register_blueprint(blp)
