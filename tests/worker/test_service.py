"""The job queue: jobs live and die with the transaction that enqueues them, handlers'
outcomes, retries with back-off until dead, every attempt recorded, leases that expire."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from backend.audit.models import AuditEntry
from backend.core import clock
from backend.worker import registry, runner, service
from backend.worker.models import JobStatus
from backend.worker.registry import Policy, Retry
from tests.worker.conftest import advance, attempts, jobs, writer

pytestmark = pytest.mark.pinned_day  # see tests/conftest.py _clock


def audit_row(session: Session, note: str) -> None:
    session.add(
        AuditEntry(actor_name="测试", entity="t", entity_id=note, area_code="62", action="a")
    )


def test_a_job_is_stored_with_the_change_that_enqueued_it_or_not_at_all(app_engine) -> None:  # type: ignore[no-untyped-def]
    with writer() as s:
        audit_row(s, "kept")
        service.enqueue(session=s, kind="t", payload={"n": 1})
        s.commit()
    with writer() as s:
        audit_row(s, "dropped")
        service.enqueue(session=s, kind="t", payload={"n": 2})
        s.rollback()
    stored = jobs("t")
    assert [j.payload for j in stored] == [{"n": 1}]
    assert stored[0].status == JobStatus.pending and stored[0].attempts == 0


def test_a_handler_that_returns_marks_the_job_done(app_engine, handlers) -> None:  # type: ignore[no-untyped-def]
    seen: list[dict[str, Any]] = []

    @registry.handler("t")
    def work(*, session: Session, payload: dict[str, Any]) -> None:
        seen.append(payload)
        audit_row(session, "by the job")

    with writer() as s:
        service.enqueue(session=s, kind="t", payload={"n": 1})
        s.commit()
    assert runner.run_due_jobs() == 1
    assert seen == [{"n": 1}]
    (job,) = jobs("t")
    assert (job.status, job.attempts, job.locked_until) == ("done", 1, None)
    (attempt,) = attempts(job)
    assert attempt.ok is True and attempt.finished_at is not None and attempt.worker
    with writer() as s:  # what the handler wrote was committed with the job's outcome
        assert s.exec(select(AuditEntry).where(AuditEntry.entity_id == "by the job")).one()
    assert runner.run_due_jobs() == 0


def test_a_failing_job_is_retried_with_back_off_then_dead(app_engine, handlers) -> None:  # type: ignore[no-untyped-def]
    calls: list[datetime] = []

    @registry.handler("t", policy=Policy(max_attempts=4, first_delay=timedelta(seconds=30)))
    def work(*, session: Session, payload: dict[str, Any]) -> None:
        calls.append(clock.now())
        raise RuntimeError("网关不通")

    with writer() as s:
        service.enqueue(session=s, kind="t", payload={})
        s.commit()
    assert runner.run_due_jobs() == 1
    (job,) = jobs("t")
    assert job.status == "failed" and "网关不通" in job.last_error
    assert job.run_after - calls[0] == pytest.approx(
        timedelta(seconds=30), abs=timedelta(seconds=1)
    )
    # Not before its back-off has passed.
    advance(seconds=29)
    assert runner.run_due_jobs() == 0
    advance(seconds=2)
    assert runner.run_due_jobs() == 1
    # The waits double: 30 s, 60 s, 120 s.
    assert jobs("t")[0].run_after - calls[1] == pytest.approx(
        timedelta(seconds=60), abs=timedelta(seconds=1)
    )
    advance(seconds=61)
    assert runner.run_due_jobs() == 1
    advance(seconds=121)
    assert runner.run_due_jobs() == 1
    (job,) = jobs("t")
    assert (job.status, job.attempts) == ("dead", 4)
    advance(days=1)
    assert runner.run_due_jobs() == 0
    tries = attempts(job)
    assert [a.number for a in tries] == [1, 2, 3, 4]
    assert all(a.ok is False and "网关不通" in a.error for a in tries)


def test_the_back_off_is_capped() -> None:
    policy = Policy(first_delay=timedelta(seconds=30), max_delay=timedelta(hours=1))
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [
        30,
        60,
        120,
        1920,
        3600,
        3600,
    ]


def test_retry_keeps_what_the_handler_recorded_other_errors_roll_it_back(
    app_engine, handlers
) -> None:  # type: ignore[no-untyped-def]
    @registry.handler("recorded")
    def recorded(*, session: Session, payload: dict[str, Any]) -> None:
        audit_row(session, "attempt recorded")
        raise Retry("refused")

    @registry.handler("broken")
    def broken(*, session: Session, payload: dict[str, Any]) -> None:
        audit_row(session, "half done")
        raise ValueError("bug")

    with writer() as s:
        service.enqueue(session=s, kind="recorded", payload={})
        service.enqueue(session=s, kind="broken", payload={})
        s.commit()
    assert runner.run_due_jobs() == 2
    with writer() as s:
        notes = set(s.exec(select(AuditEntry.entity_id).where(AuditEntry.entity == "t")))
    assert notes == {"attempt recorded"}
    assert {j.kind: j.status for j in jobs()} == {"recorded": "failed", "broken": "failed"}
    assert "ValueError: bug" in jobs("broken")[0].last_error


def test_a_job_of_an_unknown_kind_fails_and_is_recorded(app_engine) -> None:  # type: ignore[no-untyped-def]
    with writer() as s:
        service.enqueue(session=s, kind="nobody-handles-this", payload={})
        s.commit()
    assert runner.run_due_jobs() == 1
    (job,) = jobs()
    assert job.status == "failed" and "no handler" in job.last_error


def test_a_job_whose_worker_died_is_taken_again_after_its_lease(app_engine, handlers) -> None:  # type: ignore[no-untyped-def]
    done: list[str] = []

    @registry.handler("t")
    def work(*, session: Session, payload: dict[str, Any]) -> None:
        done.append("ran")

    with writer() as s:
        service.enqueue(session=s, kind="t", payload={})
        s.commit()
    # A worker takes the job and dies (kill -9) before finishing: no outcome is written.
    with writer() as s:
        taken = service.claim(session=s, worker="host:1:dead", lease=runner.lease())
    assert len(taken) == 1 and jobs("t")[0].status == "running"
    assert runner.run_due_jobs() == 0  # held by the dead worker's lease
    advance(seconds=runner.lease().total_seconds() - 5)
    assert runner.run_due_jobs() == 0
    advance(seconds=10)
    assert runner.run_due_jobs(worker="host:2:alive") == 1
    (job,) = jobs("t")
    assert (job.status, job.attempts, done) == ("done", 2, ["ran"])
    first, second = attempts(job)
    assert (first.worker, first.ok) == ("host:1:dead", False) and "租约到期" in first.error
    assert (second.worker, second.ok) == ("host:2:alive", True)


def test_a_job_that_kills_every_worker_is_given_up(app_engine, handlers) -> None:  # type: ignore[no-untyped-def]
    @registry.handler("t", policy=Policy(max_attempts=2))
    def work(*, session: Session, payload: dict[str, Any]) -> None:
        raise AssertionError("never reached: the worker dies first")

    with writer() as s:
        service.enqueue(session=s, kind="t", payload={})
        s.commit()
    for n in range(2):
        with writer() as s:
            assert service.claim(session=s, worker=f"w{n}", lease=runner.lease())
        advance(seconds=runner.lease().total_seconds() + 1)
    assert runner.run_due_jobs() == 1
    (job,) = jobs("t")
    assert (job.status, job.attempts) == ("dead", 3)


def test_a_late_worker_does_not_overwrite_the_worker_that_took_over(app_engine) -> None:  # type: ignore[no-untyped-def]
    with writer() as s:
        service.enqueue(session=s, kind="t", payload={})
        s.commit()
    with writer() as s:
        (slow,) = service.claim(session=s, worker="slow", lease=runner.lease())
    advance(seconds=runner.lease().total_seconds() + 1)
    with writer() as s:
        (fresh,) = service.claim(session=s, worker="fresh", lease=runner.lease())
    assert fresh.attempts == 2
    with writer() as s:
        assert service.finish(session=s, job=slow, error=None, policy=Policy()) == "running"
    with writer() as s:
        assert service.finish(session=s, job=fresh, error=None, policy=Policy()) == "done"


def test_a_keyed_job_is_enqueued_once(app_engine) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        with writer() as s:
            service.enqueue(session=s, kind="t", payload={}, key="nightly:2026-06-10")
            s.commit()
    assert len(jobs("t")) == 1


def test_schedule_slots_are_days_in_china_or_fixed_intervals() -> None:
    nightly = registry.Schedule(name="n", kind="k", at=time(3, 0))
    # 2026-06-10 02:00 in China is still the night of the 9th's slot.
    label, at = runner.slot(nightly, datetime(2026, 6, 9, 18, 0, tzinfo=UTC))
    assert (label, at) == ("2026-06-09", datetime(2026, 6, 8, 19, 0, tzinfo=UTC))
    label, at = runner.slot(nightly, datetime(2026, 6, 9, 19, 0, tzinfo=UTC))
    assert label == "2026-06-10" and at == datetime(2026, 6, 9, 19, 0, tzinfo=UTC)
    hourly = registry.Schedule(name="h", kind="k", every=timedelta(hours=1))
    assert runner.slot(hourly, datetime(2026, 6, 9, 18, 59, tzinfo=UTC))[0] == "2026-06-09T18:00Z"
    with pytest.raises(ValueError):
        registry.schedule("bad", kind="k")


def test_each_slot_of_a_schedule_runs_once_however_many_workers(app_engine) -> None:  # type: ignore[no-untyped-def]
    # Two workers (each with its memory of slots) and a `--once` run, at the same instant.
    first, second = {}, {}  # type: ignore[var-annotated]
    assert runner.enqueue_schedules(seen=first) >= 1
    assert runner.enqueue_schedules(seen=second) == 0
    assert runner.enqueue_schedules() == 0
    (nightly,) = jobs("analyze")
    assert nightly.key == f"nightly-analyze:{clock.today().isoformat()}"
    assert runner.run_due_jobs() >= 1
    assert jobs("analyze")[0].status == "done"
    # The next night's slot is a new job.
    advance(days=1)
    assert runner.enqueue_schedules(seen=first) >= 1
    assert len(jobs("analyze")) == 2


def test_a_batch_of_add_only_jobs_costs_two_transactions_others_finish_alone(
    app_engine, handlers
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    from backend.core import db

    @registry.handler("adds")
    def adds(*, session: Session, payload: dict[str, Any]) -> None:
        audit_row(session, f"adds {payload['n']}")

    @registry.handler("queries")
    def queries(*, session: Session, payload: dict[str, Any]) -> None:
        session.exec(select(AuditEntry.id)).all()
        audit_row(session, "queries")

    @registry.handler("breaks")
    def breaks(*, session: Session, payload: dict[str, Any]) -> None:
        audit_row(session, "breaks")
        raise ValueError("bug")

    with writer() as s:
        for n in range(5):
            service.enqueue(session=s, kind="adds", payload={"n": n})
        service.enqueue(session=s, kind="breaks", payload={})
        s.commit()
    commits: list[int] = []
    engine = db.get_engine()
    listener = lambda *_: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        assert runner.run_batch() == 6
    finally:
        event.remove(engine, "commit", listener)
    assert len(commits) == 2  # the claim, then every outcome with the texts' records
    with writer() as s:
        service.enqueue(session=s, kind="queries", payload={})
        service.enqueue(session=s, kind="adds", payload={"n": 5})
        s.commit()
    assert runner.run_due_jobs() == 2
    assert {j.kind: j.status for j in jobs() if j.kind != "adds"} == {
        "queries": "done",
        "breaks": "failed",
    }
    assert {j.status for j in jobs("adds")} == {"done"}
    with writer() as s:
        notes = set(s.exec(select(AuditEntry.entity_id).where(AuditEntry.entity == "t")))
    assert notes == {f"adds {n}" for n in range(6)} | {"queries"}
