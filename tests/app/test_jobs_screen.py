"""The administrator's jobs screen on real Redis: queues and counts, a failed job with its error, its retry."""

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job

from app import jobs
from tests.conftest import REDIS_URL, csrf_token_from

pytestmark = pytest.mark.redis


def weigh_the_sacks(scale: str) -> None:
    """A job that fails the way a real one might."""
    raise ValueError(f"scale {scale} is offline")


@pytest.fixture
def real_redis(app, monkeypatch):
    """Point the app's job queue at the real Redis (the tests' app otherwise queues in memory)."""
    conn = Redis.from_url(REDIS_URL)
    monkeypatch.setitem(app.extensions["lumbung.jobs"], "connection", conn)
    queue = Queue("default", connection=conn)

    def clear() -> None:  # the queue, and failures left by earlier runs (their job may be gone already)
        queue.empty()
        for job_id in queue.failed_job_registry.get_job_ids():
            queue.failed_job_registry.remove(job_id)
            conn.delete(Job.key_for(job_id))

    clear()
    yield queue
    clear()


def test_a_failed_job_shows_its_error_and_is_retried_from_the_screen(client, login, real_redis):
    queue = real_redis
    queue.enqueue(weigh_the_sacks, "T-1", job_id="weigh-test", failure_ttl=600)
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="ERROR")
    assert queue.failed_job_registry.get_job_ids() == ["weigh-test"]
    login("manager")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert 'id="queue-default"' in page
    assert "ValueError: scale T-1 is offline" in page and 'id="retry-weigh-test"' in page
    form = {"csrf_token": csrf_token_from(page)}
    done = client.post("/admin/jobs/weigh-test/retry", data=form, follow_redirects=True).get_data(as_text=True)
    assert "weigh-test" in done and queue.job_ids == ["weigh-test"] and queue.failed_job_registry.count == 0
    again = client.post("/admin/jobs/weigh-test/retry", data=form, follow_redirects=True).get_data(as_text=True)
    assert "Hanya pekerjaan yang gagal" in again and queue.job_ids == ["weigh-test"]  # queued once, not twice


def test_the_screen_says_so_when_redis_is_down_and_cashiers_cannot_open_it(client, login, app, monkeypatch):
    monkeypatch.setitem(app.extensions["lumbung.jobs"], "connection", Redis.from_url("redis://127.0.0.1:1/0"))
    login("manager")
    page = client.get("/admin/jobs")
    assert page.status_code == 200 and 'id="redis-down"' in page.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    login("cashier")
    assert client.get("/admin/jobs").status_code == 403


def test_the_overview_counts_each_queue(app, real_redis):
    real_redis.enqueue(weigh_the_sacks, "T-2")
    with app.app_context():
        counts = {q.name: q for q in jobs.overview()["queues"]}
    assert set(counts) == set(jobs.QUEUES) and counts["default"].queued == 1


def test_a_failed_job_queued_again_under_its_id_is_no_longer_listed_as_failed(app, real_redis):
    queue = real_redis
    queue.enqueue(weigh_the_sacks, "T-3", job_id="weigh-again", failure_ttl=600)
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="ERROR")
    with app.app_context():
        assert [f.id for f in jobs.overview()["failed"]] == ["weigh-again"]
        jobs.enqueue_once(queue, weigh_the_sacks, "T-3", job_id="weigh-again")  # the next check of the same place
        assert jobs.overview()["failed"] == []
