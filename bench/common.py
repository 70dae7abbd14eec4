"""What every benchmark shares: a throwaway PostgreSQL database, timed worker processes and the figures.

A benchmark side is a runner class: `Runner(index, config)` sets itself up in a spawned process (and warms up),
exposes `backend_pid` (its PostgreSQL backend, to read that backend's CPU time), `batch()` does one timed unit
of work and returns the `time.perf_counter()` taken just before its COMMIT, `recover()` cleans up after an
error and `close()` ends it. `run_side` starts the workers, lets them all begin at one common moment, and
gathers their latencies.
"""

import http.client
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
READY_TIMEOUT = 180  # seconds for every worker to import the app, connect and warm up
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class DatabaseUnavailable(Exception):
    """PostgreSQL cannot be reached (or the URL is not PostgreSQL): the benchmarks cannot run."""


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as plain psycopg takes it (postgresql+psycopg:// -> postgresql://)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _hide(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _connect(url: str, **kwargs) -> psycopg.Connection:
    try:
        return psycopg.connect(libpq_url(url), connect_timeout=5, **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"PostgreSQL at {_hide(url)} is unreachable: {str(exc).strip()}") from exc


@contextmanager
def bench_database() -> Iterator[tuple[str, bool]]:
    """Yield (url, throwaway): BENCH_DATABASE_URL as given, or a new lumbung_bench_<random> dropped at the end."""
    given = os.environ.get("BENCH_DATABASE_URL")
    if given:
        if not given.startswith("postgresql"):
            raise DatabaseUnavailable(f"BENCH_DATABASE_URL must be a PostgreSQL URL, not {given.split(':', 1)[0]}:")
        _connect(given).close()
        yield given, False
        return
    name = f"lumbung_bench_{secrets.token_hex(5)}"
    admin = f"{DEFAULT_SERVER}/postgres"
    with _connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{DEFAULT_SERVER}/{name}", True
    finally:
        with _connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- CPU accounting (Linux /proc; None where it cannot be read) --------------------------------------------


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of any process (here: a PostgreSQL backend), from /proc/<pid>/stat."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15 of the line)


def machine_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:9]]
    except OSError:
        return None
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values)
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


# --- running one side ------------------------------------------------------------------------------------


@dataclass
class SideResult:
    name: str
    workers: int
    seconds: float  # from the common start to the last batch's end
    latencies_ms: list[float] = field(default_factory=list)
    commit_ms: list[float] = field(default_factory=list)
    client_cpu_s: float = 0.0  # the workers' own CPU (Python, driver) during the window
    server_cpu_s: float | None = None  # their PostgreSQL backends' CPU during the window
    machine_busy: float | None = None  # share of all cores busy during the window (0..1)
    startup_s: float = 0.0  # from starting the processes until every worker had set up and warmed up
    probe_cpu_s: dict[str, float] = field(default_factory=dict)  # CPU of other processes (probes) in the window
    committed: int = 0  # batches committed, warm-up included
    errors: int = 0
    first_error: str | None = None

    @property
    def batches(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.batches / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_per_batch_ms(self) -> float | None:
        """Client plus PostgreSQL backend CPU per batch, in ms (None if the backend's CPU was not readable)."""
        if not self.batches or self.server_cpu_s is None:
            return None
        return (self.client_cpu_s + self.server_cpu_s) * 1000 / self.batches

    def percentile(self, p: float, values: list[float] | None = None) -> float:
        """Nearest-rank percentile of the batch latencies (or of the values given), in ms."""
        data = sorted(self.latencies_ms if values is None else values)
        if not data:
            return float("nan")
        rank = max(1, -(-len(data) * p // 100))  # ceil(n * p / 100)
        return data[int(rank) - 1]


class HttpRunner:
    """One client of a gunicorn under test: sends `request()` over one kept-alive connection, wants
    `expected_status`, lets `check(data)` look at the answer, and counts what was answered."""

    expected_status = 200

    def __init__(self, port: int, warmup: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.backend_pid = None  # the web workers' backends are read by the parent (probes)
        self.committed = 0
        for _ in range(warmup):
            self.batch()

    def request(self) -> tuple[str, str, bytes | None, dict]:
        """(method, path, body, headers) of the next request."""
        raise NotImplementedError

    def check(self, data: bytes) -> None:
        """Raise if the answer is not the one wanted (beyond its status)."""

    def batch(self) -> float:
        method, path, body, headers = self.request()
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status != self.expected_status:
            raise RuntimeError(f"{method} {path} answered {response.status}: {data[:500].decode(errors='replace')}")
        self.check(data)
        self.committed += 1
        return time.perf_counter()

    def recover(self) -> None:
        self.conn.close()  # reconnects on the next request

    def close(self) -> None:
        self.conn.close()


def run_side(
    name: str, runner: type, config: dict, workers: int, seconds: float, probes: dict | None = None
) -> SideResult:
    """Start `workers` spawned processes of `runner`, run them for `seconds` from one common start, gather.

    `probes` ({name: reader}, optional) measure processes the workers talk to (a web server, its database
    backends): each reader returns {pid: CPU seconds so far}; it is read at the window's start and end."""
    ctx = multiprocessing.get_context("spawn")
    ready, results = ctx.Queue(), ctx.Queue()
    go = ctx.Event()
    start_at = ctx.Value("d", 0.0)
    procs = [
        ctx.Process(
            target=_worker,
            args=(runner, i, config, ready, results, go, start_at, seconds),
            name=f"bench-{name}-{i}",
            daemon=True,
        )
        for i in range(workers)
    ]
    began = time.perf_counter()
    try:
        for p in procs:
            p.start()
        for _ in procs:
            index, error = ready.get(timeout=READY_TIMEOUT)
            if error:
                raise RuntimeError(f"{name} worker {index} failed to start:\n{error}")
        startup = time.perf_counter() - began
        start = time.time() + 0.25
        start_at.value = start
        go.set()
        time.sleep(max(0.0, start - time.time()))
        cpu_start = machine_cpu()
        probed_start = {key: read() for key, read in (probes or {}).items()}
        time.sleep(max(0.0, start + seconds - time.time()))
        cpu_end = machine_cpu()
        probed_end = {key: read() for key, read in (probes or {}).items()}
        parts = [results.get(timeout=READY_TIMEOUT) for _ in procs]
        for p in procs:
            p.join(timeout=30)
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)

    result = SideResult(
        name=name, workers=workers, seconds=max(r["finished"] for r in parts) - start, startup_s=startup
    )
    server = [r["server_cpu_s"] for r in parts]
    result.server_cpu_s = None if None in server else sum(server)
    for r in parts:
        result.latencies_ms += r["latencies_ms"]
        result.commit_ms += r["commit_ms"]
        result.client_cpu_s += r["client_cpu_s"]
        result.committed += r["committed"]
        result.errors += r["errors"]
        result.first_error = result.first_error or r["first_error"]
    for key, end in probed_end.items():  # a process that appeared during the window counts from 0
        result.probe_cpu_s[key] = sum(cpu - probed_start[key].get(pid, 0.0) for pid, cpu in end.items())
    if cpu_start and cpu_end and cpu_end[1] > cpu_start[1]:
        result.machine_busy = (cpu_end[0] - cpu_start[0]) / (cpu_end[1] - cpu_start[1])
    return result


def _worker(runner_class, index, config, ready, results, go, start_at, seconds) -> None:
    """One worker process: set up, wait for the common start, run timed batches until the end."""
    try:
        runner = runner_class(index, config)
    except BaseException:  # noqa: B036 - report anything, the parent is waiting for us
        ready.put((index, traceback.format_exc()))
        return
    ready.put((index, None))
    go.wait()
    start = start_at.value
    end = start + seconds
    time.sleep(max(0.0, start - time.time()))

    latencies, commits = [], []
    errors, first_error = 0, None
    server_start = process_cpu_seconds(runner.backend_pid)
    cpu_start = time.process_time()
    while time.time() < end:
        t0 = time.perf_counter()
        try:
            t_commit = runner.batch()
        except Exception:
            errors += 1
            first_error = first_error or traceback.format_exc()
            runner.recover()
            continue
        t1 = time.perf_counter()
        latencies.append((t1 - t0) * 1000)
        commits.append((t1 - t_commit) * 1000)
    finished = time.time()
    client_cpu = time.process_time() - cpu_start
    server_end = process_cpu_seconds(runner.backend_pid)
    committed = runner.committed
    runner.close()
    results.put(
        {
            "latencies_ms": latencies,
            "commit_ms": commits,
            "client_cpu_s": client_cpu,
            "server_cpu_s": None if server_start is None or server_end is None else server_end - server_start,
            "finished": finished,
            "committed": committed,
            "errors": errors,
            "first_error": first_error,
        }
    )


# --- printing --------------------------------------------------------------------------------------------


def print_table(results: list[SideResult]) -> None:
    header = (
        f"{'side':<10} {'batches':>8} {'batches/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'commit p50':>11}"
        f" {'client CPU':>11} {'PG CPU':>8} {'CPU busy':>9} {'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        per_batch = 1000 / r.batches if r.batches else float("nan")
        server = "n/a" if r.server_cpu_s is None else f"{r.server_cpu_s * per_batch:.2f}"
        busy = "n/a" if r.machine_busy is None else f"{r.machine_busy:.0%}"
        print(
            f"{r.name:<10} {r.batches:>8} {r.rate:>10.1f} {r.percentile(50):>8.2f} {r.percentile(99):>8.2f}"
            f" {r.percentile(50, r.commit_ms):>11.2f} {r.client_cpu_s * per_batch:>11.2f} {server:>8}"
            f" {busy:>9} {r.errors:>7}"
        )
    print("(commit p50: time in COMMIT; client CPU / PG CPU: CPU ms per batch in the worker / its backend;")
    print(" CPU busy: all cores, other processes included)")
    startups = ", ".join(f"{r.name} {r.startup_s:.1f} s" for r in results)
    print(f"worker start-up (spawn, import, connect, warm-up): {startups}")


class AppProcess:
    """A process of the production app on the benchmark database (gunicorn, an RQ worker): started with the
    production settings, its output in a temporary log shown if it has errors or warnings, stopped at the end."""

    kind = "app"  # names its log and what its errors say

    def __init__(self, url: str, application_name: str, redis_url: str) -> None:
        self.url, self.application_name, self.redis_url = url, application_name, redis_url
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile("w+", prefix=f"lumbung-bench-{self.kind}-", suffix=".log", delete=False)

    def spawn(self, args: list[str], ready: Callable[[], bool], **popen) -> float:
        """Run `python -m <args>` and wait until `ready()`; return the seconds it took."""
        sep = "&" if "?" in self.url else "?"
        env = {
            **os.environ,
            "LUMBUNG_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"{self.url}{sep}application_name={self.application_name}",
            "REDIS_URL": self.redis_url,
            "FLASK_DEBUG": "0",
        }
        began = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, **popen
        )
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if ready():
                return time.perf_counter() - began
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} was not ready within 120 s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return "".join(self.log.readlines()[-40:])

    def stop(self) -> None:
        """SIGTERM (gunicorn's graceful stop, RQ's warm shutdown), SIGKILL after 30 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        tail = self.log_tail()
        self.log.close()
        if any(word in tail for word in ("Traceback", "ERROR", "WARNING")):
            print(f"the {self.kind}'s log ({self.log.name}) has errors or warnings; last lines:\n{tail}")
        else:
            os.unlink(self.log.name)
