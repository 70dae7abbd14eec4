"""`python -m bench [ledger] [sale] [reorder] [reports] [scan] [memory] [--seconds S] [--workers N] [--rounds R]
[--web-workers W] [--instances I]`: run the benchmarks named (all of them by default) and print their figures.

The database is BENCH_DATABASE_URL (PostgreSQL) if set, else a throwaway lumbung_bench_<random> on
127.0.0.1:5432, made by the migrations and dropped at the end. Exits 0 after printing (a missed target is
printed, not failed), 2 when PostgreSQL cannot be reached.
"""

import argparse
import os
import platform
import sys
import time

from bench import ledger, memory, reorder, reports, sale, scan
from bench.common import DatabaseUnavailable, bench_database

# each has run(url, app, seconds, workers, rounds, ...); reorder, reports and memory ignore those (fixed counts)
BENCHMARKS = {
    "ledger": ledger,
    "sale": sale,
    "reorder": reorder,
    "reports": reports,
    "scan": scan,
    "memory": memory,
}
DEFAULT_WORKERS = 8  # the clients, unless a benchmark has its own (scan: its target is set at 4 clients)


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Lumbung benchmarks on PostgreSQL.")
    parser.add_argument("benchmarks", nargs="*", metavar="name", help=", ".join(BENCHMARKS) + " (all by default)")
    parser.add_argument("--seconds", type=_positive(float), default=10.0, help="timed seconds per side (10)")
    parser.add_argument(
        "--workers",
        type=_positive(int),
        default=None,
        help=f"concurrent worker processes, the clients ({DEFAULT_WORKERS}; scan: {scan.DEFAULT_CLIENTS})",
    )
    parser.add_argument(
        "--rounds",
        type=_positive(int),
        default=1,
        help="1: baseline then service; more: interleave that many times and keep each side's best (1)",
    )
    parser.add_argument(
        "--web-workers",
        type=_positive(int),
        default=sale.DEFAULT_WEB_WORKERS,
        help=f"gunicorn workers serving the sale and scan benchmarks ({sale.DEFAULT_WEB_WORKERS})",
    )
    parser.add_argument(
        "--instances",
        type=_positive(int),
        default=sale.DEFAULT_INSTANCES,
        help="sale: also run the service side on 2..I gunicorn instances, the clients round-robin "
        f"({sale.DEFAULT_INSTANCES}; 1: one instance only)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.benchmarks if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})")
    return args


def build_app(url: str):
    """The app on the benchmark database, its schema brought up to date by the migrations."""
    from flask_migrate import upgrade

    from app.db import db
    from app.factory import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return app


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    try:
        with bench_database() as (url, throwaway):
            where = "throwaway, dropped at the end" if throwaway else "from BENCH_DATABASE_URL, kept"
            print(f"database: {url.rsplit('/', 1)[-1]} ({where})")
            print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}; client and server share them")
            app = build_app(url)
            try:
                for name in args.benchmarks or BENCHMARKS:
                    options = {"web_workers": args.web_workers} if name in ("sale", "scan") else {}
                    if name == "sale":
                        options["instances"] = args.instances
                    workers = args.workers or (scan.DEFAULT_CLIENTS if name == "scan" else DEFAULT_WORKERS)
                    BENCHMARKS[name].run(url, app, seconds=args.seconds, workers=workers, rounds=args.rounds, **options)
            finally:
                from app.db import db

                with app.app_context():
                    db.engine.dispose()
    except DatabaseUnavailable as exc:
        print(f"bench: {exc}", file=sys.stderr)
        print(
            "bench: start PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth; see docs/performance.md) "
            "or set BENCH_DATABASE_URL=postgresql+psycopg://user@host:port/dbname",
            file=sys.stderr,
        )
        return 2
    print(f"\nbench: done in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
