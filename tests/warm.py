"""Loaded once by the forkserver that the racing processes fork from (tests/parallel.py): the app's modules, and
those create_app imports on the way, are imported once per test process instead of once per racing process
(~1.4 s of CPU each). The app made here is thrown away: it opens no connection and starts no thread."""

from app.factory import create_app

create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
