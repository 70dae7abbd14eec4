"""The WSGI entry point: gunicorn wsgi:app (LUMBUNG_ENV=production in production)."""

from app.factory import create_app

app = create_app()
