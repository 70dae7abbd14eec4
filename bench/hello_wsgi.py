"""The production app with one trivial route, for the scan benchmark only: `gunicorn bench.hello_wsgi:app`.

`GET /_bench/hello` answers a small JSON object without touching the database, through the same gunicorn worker,
Flask app, hooks (CSRF and token check, the request's commit, security headers) and JSON answer as the scans: the
floor a look-up is measured against. The production entry point (`wsgi.py`) never has this route.
"""

from app.factory import create_app

app = create_app()


@app.get("/_bench/hello")
def hello() -> dict:
    return {"hello": "world"}
