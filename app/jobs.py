"""The job queue: RQ on Redis in production; in the quick start, RQ over fakeredis in a thread.

Jobs are module-level functions taking ids; they are enqueued only after the transaction that asked for
them has committed (enqueue_after_commit, on the session's after-commit event), so a worker never looks for a
row that isn't there yet. A web request never talks to Redis itself: what it asked for is handed to the process's
relay thread, which enqueues it while the answer goes out (a slow or silent Redis cannot hold a sale; what the
relay cannot enqueue, the stock outbox still holds for the periodic catch-up).
"""

import atexit
import logging
import os
import queue as queue_module
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, has_request_context
from flask_babel import gettext as _
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.cron import CronScheduler
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import event
from sqlalchemy.orm import Session

QUEUES = ("default", "reorder", "reports")
DAY = 86400  # seconds, for the periodic jobs' limits
WAITING = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
log = logging.getLogger(__name__)


class AppWorker(Worker):
    """The production worker: forks a work horse per job, which must not reuse the parent's DB connections."""

    max_connection_wait_time = 5.0  # while Redis is away, try again at least this often (RQ's default: a minute)

    def work(self, *args, **kwargs) -> bool:
        from sqlalchemy.orm import configure_mappers

        configure_mappers()  # once here, inherited by every forked work horse (else ~160 ms of CPU in each)
        return super().work(*args, **kwargs)

    def perform_job(self, job, queue, *args, **kwargs) -> bool:
        from app.db import db

        db.engine.dispose(close=False)  # the horse gets fresh connections; the parent's stay untouched
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            db.session.remove()


class ThreadWorker(SimpleWorker):
    """An RQ worker that can run in a thread: timeouts by timer, no signal handlers."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def connection(app: Flask | None = None) -> Redis:
    app = app or current_app
    ext = app.extensions["lumbung.jobs"]
    return ext["connection"]


def queue(name: str = "default", app: Flask | None = None) -> Queue:
    return Queue(name, connection=connection(app))


PENDING = "lumbung.jobs_after_commit"


def enqueue_after_commit(func: Callable, *args: Any, queue_name: str = "default", **options: Any) -> None:
    """Enqueue a job once the current transaction has committed, and not at all if it rolls back: in a request,
    a CLI command or a job alike (the session's commit is the signal)."""
    from app.db import db

    db.session.connection()  # the job belongs to an open transaction, so that its rollback can drop it
    db.session.info.setdefault(PENDING, []).append((current_app._get_current_object(), func, args, queue_name, options))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction itself is still open
    for entry in session.info.pop(PENDING, []):
        if has_request_context():
            relay.put(entry)  # the request answers without waiting for Redis
        else:
            _enqueue(*entry)  # a CLI command or a job: no one waits for it


class Relay:
    """One thread per process that enqueues what web requests asked for, in order, after their commit."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.pending: queue_module.Queue = queue_module.Queue()
        self.lock = threading.Lock()

    def put(self, entry: tuple) -> None:
        with self.lock:
            if self.pid != os.getpid():  # first use in this process (gunicorn forks its workers)
                self.pid, self.pending = os.getpid(), queue_module.Queue()
                threading.Thread(target=self._run, args=(self.pending,), daemon=True, name="jobs-relay").start()
        self.pending.put(entry)

    @staticmethod
    def _run(pending: queue_module.Queue) -> None:
        while True:
            entry = pending.get()
            try:
                _enqueue(*entry)
            finally:
                pending.task_done()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until everything handed over so far has been tried (tests, and the process's exit)."""
        deadline = time.monotonic() + timeout
        while self.pending.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self.pending.unfinished_tasks


relay = Relay()
atexit.register(relay.drain, 2.0)  # a worker's graceful exit sends what it holds; the outbox covers the rest


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(PENDING, None)


def _enqueue(app: Flask, func: Callable, args: tuple, queue_name: str, options: dict) -> None:
    try:
        enqueue_once(queue(queue_name, app), func, *args, **options)
    except Exception:  # Redis down: the outbox (where a job matters) catches up later
        log.exception("Could not enqueue %s", getattr(func, "__name__", func))


def enqueue_once(target: Queue, func: Callable, *args: Any, job_id: str | None = None, **options: Any) -> Job | None:
    """Enqueue, unless a job with this id is still waiting to run (return None then). Unlike RQ's `unique`, a
    finished or failed job of the same id does not block the next one, nor does a retry scheduled for a time
    that has passed without anyone moving it to its queue (its scheduler was gone): that one is queued now."""
    options.pop("unique", None)
    if job_id is not None and _waiting(target, job_id):
        return None
    return target.enqueue(func, *args, job_id=job_id, **options)


SCHEDULE_GRACE_SECONDS = 30  # a retry this late is no longer "on its way"


def _waiting(target: Queue, job_id: str) -> bool:
    try:
        status = Job.fetch(job_id, connection=target.connection).get_status()
    except NoSuchJobError:
        return False
    if status != JobStatus.SCHEDULED:
        return status in WAITING
    registry = ScheduledJobRegistry(target.name, connection=target.connection)
    try:
        due = registry.get_scheduled_time(job_id)
    except NoSuchJobError:
        return False
    if (datetime.now(UTC) - due).total_seconds() < SCHEDULE_GRACE_SECONDS:
        return True
    registry.remove(job_id)  # overdue: the caller queues it again under the same id
    return False


def promote_due(conn: Redis) -> int:
    """Move the retries whose time has come from each queue's scheduled registry to the queue: RQ's scheduler's
    work, done here by the one cron process (the workers run without a scheduler, so a worker that dies leaves
    no scheduler lock behind to stall the retries). Return how many were moved."""
    from rq.utils import current_timestamp

    moved = 0
    for name in QUEUES:
        registry = ScheduledJobRegistry(name, connection=conn)
        ids = registry.get_jobs_to_schedule(current_timestamp())
        if not ids:
            continue
        target = Queue(name, connection=conn)
        for job_id, job in zip(ids, Job.fetch_many(ids, connection=conn), strict=True):
            if registry.remove(job_id) and job is not None:  # whoever removes it moves it
                target.enqueue_job(job)
                moved += 1
    return moved


CRON_TICK_KEY = "lumbung:cron:last-tick"


def cron_tick(app: Flask, scheduler: CronScheduler) -> None:
    """One turn of the cron: the periodic jobs that are due, the retries that are due, the heartbeat."""
    conn = connection(app)
    if scheduler.enqueue_jobs():
        scheduler.save()
    promote_due(conn)
    scheduler.heartbeat()
    conn.set(CRON_TICK_KEY, datetime.now(UTC).isoformat(), ex=86400)


def run_cron(app: Flask, stop: threading.Event, max_backoff: float = 5.0) -> None:
    """`flask cron`: tick every second until stopped; while Redis cannot be reached, wait and try again (0.5 s,
    doubling up to `max_backoff`) instead of exiting, so the cron carries on when Redis comes back."""
    scheduler = cron_scheduler(app)
    backoff, registered = 0.5, False
    while not stop.is_set():
        try:
            if not registered:
                scheduler.register_birth()
                registered = True
            cron_tick(app, scheduler)
            backoff = 0.5
            stop.wait(1.0)
        except RedisError as exc:
            log.warning("Redis cannot be reached (%s); the cron tries again in %.1f s", exc, backoff)
            registered = False
            stop.wait(backoff)
            backoff = min(backoff * 2, max_backoff)
    try:
        scheduler.register_death()
    except RedisError:
        pass


def run_worker(app: Flask, queue_names: tuple[str, ...], burst: bool = False, max_backoff: float = 5.0) -> None:
    """`flask worker`: an AppWorker without a scheduler (the cron owns scheduling); if Redis goes away while it is
    busy and the worker gives up, wait and start it again (0.5 s, doubling up to `max_backoff`) instead of
    exiting. A stop asked for by a signal ends it."""
    backoff, worker = 0.5, None
    while True:
        try:
            worker = AppWorker([queue(name, app) for name in queue_names], connection=connection(app))
            worker.work(with_scheduler=False, burst=burst)
            return
        except RedisError as exc:
            if worker is not None and worker._stop_requested:
                return
            log.warning("Redis cannot be reached (%s); the worker starts again in %.1f s", exc, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, max_backoff)


def register_periodic(app: Flask, func: Callable, queue_name: str, **schedule: Any) -> None:
    """Run a job every `interval` seconds or on a `cron` schedule (UTC: 18:30 is 02:30 in Balikpapan), enqueued by
    `flask cron`, with its limits (how long it may run, how long its result and its failure are kept). Each package
    registers its own in its `init_app`."""
    app.extensions.setdefault("lumbung.periodic", []).append({"func": func, "queue_name": queue_name, **schedule})


def cron_scheduler(app: Flask) -> CronScheduler:
    """RQ's cron scheduler with every registered periodic job."""
    scheduler = CronScheduler(connection=connection(app), name=f"lumbung-cron-{os.getpid()}")
    for entry in app.extensions.get("lumbung.periodic", []):
        scheduler.register(**entry)
    return scheduler


def _run_in_process(app: Flask, stop: threading.Event) -> None:
    queues = [Queue(name, connection=connection(app)) for name in QUEUES]
    scheduler = cron_scheduler(app)  # the quick start's cron, too
    while not stop.is_set():
        with app.app_context():
            cron_tick(app, scheduler)
            ThreadWorker(queues, connection=connection(app)).work(burst=True, logging_level="ERROR")
        stop.wait(0.5)


def init_app(app: Flask) -> None:
    if app.config["JOBS_IN_PROCESS"]:
        import fakeredis

        conn = fakeredis.FakeStrictRedis(server=fakeredis.FakeServer())
        app.extensions["lumbung.jobs"] = {"connection": conn}
        if not app.testing:
            stop = threading.Event()
            threading.Thread(target=_run_in_process, args=(app, stop), daemon=True, name="rq-inprocess").start()
            app.extensions["lumbung.jobs"]["stop"] = stop
            app.logger.warning("Jobs run in-process over fakeredis (no REDIS_URL): for development only.")
    else:
        conn = Redis.from_url(
            app.config["REDIS_URL"],
            socket_connect_timeout=app.config["REDIS_CONNECT_TIMEOUT"],
            socket_timeout=app.config["REDIS_SOCKET_TIMEOUT"],
        )
        app.extensions["lumbung.jobs"] = {"connection": conn}


# --- health: what a monitor and the manager need to know (app.health) -------------------------------------------

OVERDUE_BOUND = 60  # seconds a retry may wait past its time (the cron moves it within a second or two)
CRON_TICK_BOUND = 120  # the cron ticks every second
WORKER_HEARTBEAT_BOUND = 480  # an idle RQ worker beats about every 7 minutes (worker_ttl 420 s)
FAILED_WINDOW = 86400  # failed jobs of the last day are news; older ones stay on the jobs screen for a week


def health(app: Flask | None = None) -> list:
    """The jobs' signals: Redis answers, no retry overdue, no job failed in the last day, the cron ticking, the
    workers beating (raises RedisError when Redis can't be reached)."""
    from app.health import Signal

    app = app or current_app
    conn = connection(app)
    conn.ping()
    now = datetime.now(UTC).timestamp()
    found = [Signal("redis", True, None, None, "", _("The job queue (Redis) answers."))]
    overdue = 0.0
    for name in QUEUES:
        first = conn.zrange(ScheduledJobRegistry(name, connection=conn).key, 0, 0, withscores=True)
        if first:
            overdue = max(overdue, now - first[0][1])
    overdue = round(max(overdue, 0.0))
    found.append(
        Signal(
            "retries_overdue",
            overdue <= OVERDUE_BOUND,
            overdue,
            OVERDUE_BOUND,
            "seconds",
            _("No retry is overdue.")
            if not overdue
            else _("A retry is overdue by %(seconds)d s: is `flask cron` running?", seconds=overdue),
        )
    )
    failed = 0
    for name in QUEUES:
        ids = Queue(name, connection=conn).failed_job_registry.get_job_ids(0, 199)
        for job in Job.fetch_many(ids, connection=conn):
            ended = job.ended_at if job is not None and job.is_failed else None
            if ended is not None and now - ended.replace(tzinfo=UTC).timestamp() < FAILED_WINDOW:
                failed += 1
    found.append(
        Signal(
            "failed_jobs",
            failed == 0,
            failed,
            0,
            "count",
            _("No job failed in the last day.")
            if not failed
            else _("%(n)d job(s) failed in the last day: see Background jobs.", n=failed),
        )
    )
    tick = conn.get(CRON_TICK_KEY)
    since = round(now - datetime.fromisoformat(tick.decode()).timestamp()) if tick else None
    found.append(
        Signal(
            "cron",
            since is not None and since <= CRON_TICK_BOUND,
            since,
            CRON_TICK_BOUND,
            "seconds",
            _("The cron has never ticked: start `flask cron`.")
            if since is None
            else _("The cron ticked %(seconds)d s ago.", seconds=since)
            if since <= CRON_TICK_BOUND
            else _("The cron has not ticked for %(seconds)d s: start `flask cron`.", seconds=since),
        )
    )
    if app.config["JOBS_IN_PROCESS"]:
        found.append(Signal("workers", True, None, None, "", _("Jobs run inside the web process (quick start).")))
        return found
    beats = [w.last_heartbeat for w in Worker.all(connection=conn) if w.last_heartbeat is not None]
    quietest = round(max(now - b.replace(tzinfo=UTC).timestamp() for b in beats)) if beats else None
    found.append(
        Signal(
            "workers",
            quietest is not None and quietest <= WORKER_HEARTBEAT_BOUND,
            quietest,
            WORKER_HEARTBEAT_BOUND,
            "seconds",
            _("No worker is running: start `flask worker`.")
            if quietest is None
            else _("%(n)d worker(s), each heard from within %(seconds)d s.", n=len(beats), seconds=quietest)
            if quietest <= WORKER_HEARTBEAT_BOUND
            else _("A worker has not been heard from for %(seconds)d s.", seconds=quietest),
        )
    )
    return found


# --- the administrator's view of the jobs ---------------------------------------------------------------------


@dataclass
class QueueCounts:
    name: str
    queued: int
    started: int
    scheduled: int
    deferred: int
    finished: int
    failed: int


@dataclass
class FailedJob:
    id: str
    queue: str
    description: str
    ended_at: datetime | None
    error: str  # the traceback's last line, what the administrator reads first
    traceback: str


def overview(app: Flask | None = None) -> dict:
    """Queues with their counts, workers and cron processes, and the failed jobs, newest first (raises
    redis.exceptions.ConnectionError when Redis can't be reached)."""
    conn = connection(app)
    queues = [Queue(name, connection=conn) for name in QUEUES]
    counts = [
        QueueCounts(
            q.name,
            q.count,
            q.started_job_registry.count,
            q.scheduled_job_registry.count,
            q.deferred_job_registry.count,
            q.finished_job_registry.count,
            q.failed_job_registry.count,
        )
        for q in queues
    ]
    failed = []
    for q in queues:
        ids = q.failed_job_registry.get_job_ids(0, 49)
        for job in Job.fetch_many(ids, connection=conn):
            if job is not None and job.is_failed:  # not one queued again since under the same id (a reorder check)
                failed.append(_failed(job, q.name))
    failed.sort(key=lambda f: f.ended_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return {
        "queues": counts,
        "workers": Worker.all(connection=conn),
        "crons": CronScheduler.all(conn),
        "failed": failed,
    }


def _failed(job: Job, queue_name: str) -> FailedJob:
    result = job.latest_result()
    trace = (result.exc_string if result is not None else None) or job.exc_info or ""
    lines = [line for line in trace.strip().splitlines() if line.strip()]
    ended = job.ended_at.replace(tzinfo=UTC) if job.ended_at and job.ended_at.tzinfo is None else job.ended_at
    return FailedJob(job.id, queue_name, job.description or job.func_name, ended, lines[-1] if lines else "", trace)


def retry(job_id: str, app: Flask | None = None) -> Job:
    """Put a failed job back on its queue."""
    from app.errors import DomainError, NotFound

    try:
        job = Job.fetch(job_id, connection=connection(app))
    except NoSuchJobError:
        raise NotFound(_("That job is gone (failed jobs are kept for a week).")) from None
    if not job.is_failed:
        raise DomainError(_("Only a failed job can be retried; this one is %(status)s.", status=job.get_status()))
    job.requeue()
    return job
