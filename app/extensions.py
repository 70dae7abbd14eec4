"""Flask extensions, created unbound; app/factory.py binds them with init_app."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_wtf import CSRFProtect

from app.db import db

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = Api()

__all__ = ["db", "migrate", "login_manager", "csrf", "babel", "api"]
