"""The durable queue and engine: at-least-once, retried with backoff, dead-lettered, never lost."""

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from warroom.core.delivery import DeliveryError
from warroom.engine import queue
from warroom.engine.models import Job, JobState
from warroom.engine.runner import Engine
from warroom.integrations.webhooks import signature

from ..support.receiver import http_receiver


def enqueue(runtime, key="job-1", kind="test", delay=timedelta(0)):
    with runtime.database.writing() as db:
        queue.enqueue(db=db, kind=kind, payload={"n": 1}, idempotency_key=key, due_at=runtime.clock.now() + delay)
        return db.scalar(sa.select(Job.id).where(Job.idempotency_key == key))


def job_state(runtime, job_id):
    with runtime.database.reading() as db:
        job = db.get(Job, job_id)
        assert job is not None
        return job


def test_due_jobs_run_once_and_future_jobs_wait(runtime, clock):
    ran = []
    engine = Engine(runtime.database, clock, {"test": lambda db, job: ran.append(job.idempotency_key)})
    enqueue(runtime, "now")
    later = enqueue(runtime, "later", delay=timedelta(minutes=5))
    assert engine.tick() == 1
    assert engine.tick() == 0
    assert ran == ["now"]
    assert job_state(runtime, later).state is JobState.pending
    clock.advance(timedelta(minutes=5))
    assert engine.tick() == 1
    assert ran == ["now", "later"]


def test_a_lapsed_lease_is_claimed_again(runtime, clock):
    job_id = enqueue(runtime)
    with runtime.database.writing() as db:
        assert [j.id for j in queue.claim(db=db, now=clock.now(), owner="dead-engine")] == [job_id]
    with runtime.database.writing() as db:
        assert queue.claim(db=db, now=clock.now(), owner="other") == []  # leased
    clock.advance(queue.LEASE + timedelta(seconds=1))
    with runtime.database.writing() as db:
        again = queue.claim(db=db, now=clock.now(), owner="other")
        assert [j.id for j in again] == [job_id] and again[0].attempts == 2


def test_failures_back_off_honour_retry_after_and_dead_letter(runtime, clock):
    def fail(db, job):
        raise DeliveryError("HTTP 503", retry_after=30 if job.attempts == 1 else None)

    engine = Engine(runtime.database, clock, {"test": fail})
    job_id = enqueue(runtime)
    engine.tick()
    job = job_state(runtime, job_id)
    assert job.state is JobState.pending and job.due_at == clock.now() + timedelta(seconds=30)
    for _ in range(20):
        clock.advance(queue.MAX_BACKOFF)
        engine.tick()
    job = job_state(runtime, job_id)
    assert job.state is JobState.dead and job.attempts == job.max_attempts and "503" in job.last_error
    with runtime.database.reading() as db:
        assert [j.id for j in queue.dead_letters(db=db)] == [job_id]


def test_permanent_failure_is_not_retried(runtime, clock):
    engine = Engine(runtime.database, clock, {})
    job_id = enqueue(runtime, kind="unknown-kind")
    engine.tick()
    job = job_state(runtime, job_id)
    assert job.state is JobState.dead and job.attempts == 1 and "no handler" in job.last_error


def test_announcements_reach_a_signed_webhook_with_an_idempotency_id(runtime, factory, clock):
    runtime.settings.announce_webhook_url = "set below"
    with http_receiver() as receiver:
        receiver.script = [(429, "0"), 500]
        runtime.settings.announce_webhook_url = receiver.url
        engine = runtime.engine()
        factory.incident(factory.user("pat"), title="Checkout fails")
        for _ in range(5):
            engine.tick()
            clock.advance(timedelta(minutes=1))
    assert len(receiver.received) == 3  # 429, 500, then delivered
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {"announcement-1"}
    last = receiver.received[-1]
    assert last.json()["text"].startswith("New incident INC-1 [critical] Checkout fails")
    expected = signature("test-secret-key", "announcement-1", int(last.headers["webhook-timestamp"]), last.body)
    assert last.headers["webhook-signature"] == expected
    with runtime.database.reading() as db:
        assert db.scalar(sa.select(Job.state)) is JobState.done


def test_the_managers_run_at_most_once_a_second_however_often_the_engine_ticks(runtime, clock):
    """A busy engine ticks on every commit that adds a job; its managers (reminders, expiries, pruning) do not."""
    runs = []
    engine = Engine(runtime.database, clock, managers=[lambda _database, now: runs.append(now)])
    for _ in range(5):
        engine.tick()
    clock.advance(timedelta(milliseconds=999))
    engine.tick()
    assert len(runs) == 1
    clock.advance(timedelta(milliseconds=1))
    engine.tick()
    engine.tick()
    assert runs == [runs[0], runs[0] + timedelta(seconds=1)]


def running(engine):
    """The engine as ``warroom serve`` and ``warroom engine`` run it (``run_until`` on a thread); stopped after."""
    stop = threading.Event()
    loop = threading.Thread(target=engine.run_until, args=(stop, 0.05), name="engine-loop", daemon=True)
    loop.start()
    return stop, loop


def test_a_manager_that_takes_a_while_holds_back_no_page(runtime, clock):
    """A running engine's managers sweep on their own thread: a job due meanwhile goes out at once, not after the
    sweep (on PostgreSQL a sweep took 20 to 100 ms each second: the slowest pages waited for it)."""
    sweeping, release, sent = threading.Event(), threading.Event(), threading.Event()

    def slow_sweep(_database, _now):
        sweeping.set()
        release.wait(10)

    engine = Engine(runtime.database, clock, {"test": lambda db, job: sent.set()}, managers=[slow_sweep])
    stop, loop = running(engine)
    try:
        assert sweeping.wait(5)
        enqueue(runtime, "due-during-the-sweep")
        assert sent.wait(5), "the job waited for the managers"
    finally:
        release.set()
        stop.set()
        loop.join(10)
    assert not loop.is_alive()


def test_the_heartbeat_turns_with_the_loop_that_sends_not_with_the_managers(runtime, clock):
    """The heartbeat says pages can go out: it is written by the loop that sends them, even while a manager hangs,
    and the managers' thread ends with that loop."""
    beats, release, before = [], threading.Event(), set(threading.enumerate())
    engine = Engine(runtime.database, clock, managers=[lambda _database, _now: release.wait(10)],
                    beat=lambda _database, now: beats.append(threading.current_thread().name))
    stop, loop = running(engine)
    try:
        deadline = time.monotonic() + 5
        while len(beats) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(beats) >= 3 and set(beats) == {"engine-loop"}
    finally:
        release.set()
        stop.set()
        loop.join(10)
    assert not loop.is_alive()
    assert not [thread for thread in set(threading.enumerate()) - before if thread.name == "warroom-managers"]


def test_one_result_that_cannot_be_recorded_fails_its_job_alone_and_the_batch_keeps_the_rest(runtime, clock):
    """Results are recorded together in one transaction; one that fails (when run, or only at commit) is
    rolled back with its writes and retried, and every other result of the batch is kept."""

    def handler(db, job):
        key = job.idempotency_key

        def record(write):
            if key == "raises":
                queue.enqueue(db=write, kind="written", payload={}, idempotency_key="by-raises", due_at=clock.now())
                raise RuntimeError("cannot record")
            if key == "fails-at-commit":  # a second job with an idempotency key already taken: refused on flush
                write.add(Job(kind="written", payload={}, idempotency_key="by-good-1", due_at=clock.now()))
                return
            queue.enqueue(db=write, kind="written", payload={}, idempotency_key=f"by-{key}", due_at=clock.now())

        return record

    engine = Engine(runtime.database, clock, {"test": handler})
    ids = {key: enqueue(runtime, key) for key in ["good-1", "raises", "fails-at-commit", "good-2"]}
    assert engine.tick() == 4
    assert job_state(runtime, ids["good-1"]).state is JobState.done
    assert job_state(runtime, ids["good-2"]).state is JobState.done
    for key in ["raises", "fails-at-commit"]:
        job = job_state(runtime, ids[key])
        assert job.state is JobState.pending and job.attempts == 1 and job.last_error
    with runtime.database.reading() as db:
        written = db.scalars(sa.select(Job.idempotency_key).where(Job.kind == "written")).all()
    assert sorted(written) == ["by-good-1", "by-good-2"]


@dataclass(frozen=True)
class Written:
    """A result recorded on its own or, with its kind's others, by one call (``together``)."""

    key: str
    calls: list[tuple[str, ...]]
    at: datetime

    def __call__(self, write):
        self.calls.append((self.key,))
        queue.enqueue(db=write, kind="written", payload={}, idempotency_key=f"by-{self.key}", due_at=self.at)

    @staticmethod
    def together(write, results):
        results[0].calls.append(tuple(result.key for result in results))
        for result in results:
            queue.enqueue(db=write, kind="written", payload={}, idempotency_key=f"by-{result.key}", due_at=result.at)
        if any(result.key == "refused" for result in results):
            raise RuntimeError("cannot record them together")


def test_results_that_can_be_recorded_together_are_recorded_by_one_call_and_alone_when_that_fails(runtime, clock):
    calls: list[tuple[str, ...]] = []
    engine = Engine(runtime.database, clock, {"test": lambda db, job: None if job.idempotency_key == "plain" else
                                              Written(job.idempotency_key, calls, clock.now() + timedelta(days=1))})

    def tick(keys):
        ids = [enqueue(runtime, key) for key in keys]
        assert engine.tick() == len(keys)
        return [job_state(runtime, job_id).state for job_id in ids]

    assert tick(["a", "plain", "b", "c"]) == [JobState.done] * 4
    assert calls == [("a", "b", "c")]
    calls.clear()
    assert tick(["d", "refused", "e"]) == [JobState.done] * 3
    assert calls == [("d", "refused", "e"), ("d",), ("refused",), ("e",)]  # then each on its own, in a savepoint
    with runtime.database.reading() as db:
        written = db.scalars(sa.select(Job.idempotency_key).where(Job.kind == "written")).all()
    assert sorted(written) == ["by-a", "by-b", "by-c", "by-d", "by-e", "by-refused"]  # the failed try left nothing


def test_a_batch_recorded_again_counts_and_logs_each_failed_send_once(runtime, clock, caplog):
    """When one result cannot be recorded the batch is recorded again, each result on its own; the failed send of
    the first try was rolled back with it, so the jobs metric and the log say it once, not once per try."""
    from warroom.observability.metrics import REGISTRY

    def handler(db, job):
        if job.idempotency_key == "send-fails":
            raise DeliveryError("HTTP 502")

        def record(write):
            if job.idempotency_key == "raises":
                raise RuntimeError("cannot record")

        return record

    def count(outcome):
        return REGISTRY.get_sample_value("warroom_engine_jobs_total", {"kind": "test", "outcome": outcome}) or 0.0

    before = {outcome: count(outcome) for outcome in ["done", "retry", "dead"]}
    engine = Engine(runtime.database, clock, {"test": handler})
    ids = {key: enqueue(runtime, key) for key in ["good", "send-fails", "raises"]}
    with caplog.at_level("WARNING", logger="warroom.engine"):
        assert engine.tick() == 3
    assert {outcome: count(outcome) - before[outcome] for outcome in before} == {"done": 1, "retry": 2, "dead": 0}
    said = [record.getMessage() for record in caplog.records if "HTTP 502" in record.getMessage()]
    assert len(said) == 1, said
    assert job_state(runtime, ids["send-fails"]).attempts == 1
    assert job_state(runtime, ids["good"]).state is JobState.done


def test_work_a_transactional_job_makes_due_now_goes_out_in_the_same_tick(runtime, clock):
    """An escalation step plans its pages in the claiming transaction; the pages are claimed there too and sent in
    that tick, not one tick later. Work it makes due later waits for its time; the batch bounds the whole tick."""
    sent = []

    def step(db, job):
        n = job.payload["n"]
        queue.enqueue(db=db, kind="send", payload={"n": n}, idempotency_key=f"send-{n}", due_at=clock.now())
        queue.enqueue(db=db, kind="send", payload={"n": n}, idempotency_key=f"later-{n}",
                      due_at=clock.now() + timedelta(minutes=5))

    engine = Engine(runtime.database, clock, {"send": lambda db, job: sent.append(job.idempotency_key)},
                    transactional={"step": step}, batch=3)
    for n in (1, 2):
        with runtime.database.writing() as db:
            queue.enqueue(db=db, kind="step", payload={"n": n}, idempotency_key=f"step-{n}", due_at=clock.now())
    assert engine.tick() == 3  # two steps, then the one send the batch has room for
    assert sent == ["send-1"]
    assert engine.tick() == 1 and sent == ["send-1", "send-2"]
    assert engine.tick() == 0
    clock.advance(timedelta(minutes=5))
    assert engine.tick() == 2 and sorted(sent[2:]) == ["later-1", "later-2"]
