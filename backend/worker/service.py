"""The job queue: enqueue inside the caller's transaction, claim a due job, finish it.

Other domains call `enqueue` only. Claiming is one statement: on PostgreSQL `UPDATE … WHERE
id = (SELECT … FOR UPDATE SKIP LOCKED)`, so several workers never take the same job; on
SQLite the same UPDATE … RETURNING runs under the process write lock (one process)."""

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from backend.core import clock
from backend.worker.models import Job, JobAttempt, JobStatus
from backend.worker.registry import Policy

log = logging.getLogger("shouwang.worker")

_ENQUEUED = "shouwang_jobs_enqueued"
# Workers of this process to wake when a transaction that enqueued a job commits, so a text
# goes out at once instead of at the next poll.
_wake: set[threading.Event] = set()


def enqueue(
    *,
    session: Session,
    kind: str,
    payload: dict[str, Any],
    run_after: datetime | None = None,
    key: str | None = None,
) -> Job | None:
    """Add a job to the caller's transaction (flushed, not committed: the use case commits,
    and a rolled-back change leaves no job). With `key`, a job already stored under that key
    wins and None is returned: a scheduled slot is enqueued once by however many workers."""
    now = clock.now()
    values = {
        "kind": kind,
        "payload": payload,
        "run_after": run_after or now,
        "created_at": now,
        "updated_at": now,
    }
    session.info[_ENQUEUED] = True
    if key is None:
        job = Job.model_validate(values)
        session.add(job)
        session.flush()
        return job
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    job_id = uuid.uuid4()
    stmt = (
        insert(Job)
        .values(id=job_id, key=key, status=JobStatus.pending, attempts=0, **values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Job.id)  # type: ignore[arg-type]
    )
    if session.execute(stmt).first() is None:
        return None
    return session.get(Job, job_id)


@event.listens_for(OrmSession, "after_commit")
def _wake_workers(session: OrmSession) -> None:
    if session.info.pop(_ENQUEUED, False):
        for waker in list(_wake):
            waker.set()


def on_enqueue(waker: threading.Event, *, listen: bool = True) -> None:
    """Set `waker` whenever a transaction of this process that enqueued a job commits."""
    (_wake.add if listen else _wake.discard)(waker)


# --- claiming and finishing --------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    worker: str


def _due(now: datetime) -> Any:
    return or_(
        col(Job.status).in_([JobStatus.pending, JobStatus.failed]) & (col(Job.run_after) <= now),
        (col(Job.status) == JobStatus.running) & (col(Job.locked_until) < now),
    )


def has_due(*, session: Session) -> bool:
    """A cheap read (no write lock on SQLite) before trying to claim."""
    now = clock.now()
    return session.exec(select(Job.id).where(_due(now)).limit(1)).first() is not None


def claim(*, session: Session, worker: str, lease: timedelta, limit: int = 1) -> list[Claimed]:
    """Take up to `limit` due jobs, oldest first (pending ones, ones whose back-off has
    passed, ones whose worker's lease ran out), record the attempts, and commit. One
    transaction for the batch: on SQLite each is a turn of the process write lock that the
    requests wait for."""
    now = clock.now()
    pick = (
        select(Job.id)
        .where(_due(now))
        .order_by(col(Job.run_after))
        .limit(limit)
        .with_for_update(skip_locked=True)  # left out on SQLite, where the write lock serves
    )
    stmt = (
        sa.update(Job)
        .where(col(Job.id).in_(pick))
        .values(
            status=JobStatus.running,
            attempts=col(Job.attempts) + 1,
            locked_until=now + lease,
            locked_by=worker,
            updated_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.run_after)  # type: ignore[arg-type]
        .execution_options(synchronize_session=False)
    )
    rows = sorted(session.execute(stmt).all(), key=lambda row: row[4])
    taken = [
        Claimed(id=job_id, kind=kind, payload=payload, attempts=attempts, worker=worker)
        for job_id, kind, payload, attempts, _ in rows
    ]
    again = [job.id for job in taken if job.attempts > 1]
    if again:
        # An attempt left unfinished belonged to a worker that died or hung past its lease.
        session.execute(
            sa.update(JobAttempt)
            .where(col(JobAttempt.job_id).in_(again), col(JobAttempt.finished_at).is_(None))
            .values(finished_at=now, ok=False, error="租约到期:执行它的进程已退出或无响应")
            .execution_options(synchronize_session=False)
        )
    for job in taken:
        session.add(JobAttempt(job_id=job.id, number=job.attempts, worker=worker, started_at=now))
    session.commit()
    return taken


def renew(*, session: Session, job_id: uuid.UUID, lease: timedelta) -> None:
    """A long job still running keeps its lease, so no second worker takes it (flushed with
    the caller's transaction)."""
    now = clock.now()
    session.execute(
        sa.update(Job)
        .where(col(Job.id) == job_id, col(Job.status) == JobStatus.running)
        .values(locked_until=now + lease, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def finish(*, session: Session, job: Claimed, error: str | None, policy: Policy) -> str:
    """Record how the attempt ended, in the transaction that holds what the handler wrote,
    and commit. Returns the job's new status."""
    status = _outcome(session=session, job=job, error=error, policy=policy)
    session.commit()
    return status


def finish_many(
    *, session: Session, outcomes: list[tuple[Claimed, str | None, Policy]]
) -> list[str]:
    """`finish` for several jobs in one transaction (with what their handlers added). The
    jobs that succeeded are marked done by two statements whatever their number."""
    now = clock.now()
    done = [job for job, error, _ in outcomes if error is None]
    for worker in {job.worker for job in done}:
        mine = [job for job in done if job.worker == worker]
        session.execute(
            sa.update(Job)
            .where(
                sa.tuple_(col(Job.id), col(Job.attempts)).in_([(j.id, j.attempts) for j in mine]),
                col(Job.locked_by) == worker,
            )
            .values(status=JobStatus.done, locked_until=None, updated_at=now, last_error="")
            .execution_options(synchronize_session=False)
        )
        session.execute(
            sa.update(JobAttempt)
            .where(
                sa.tuple_(col(JobAttempt.job_id), col(JobAttempt.number)).in_(
                    [(j.id, j.attempts) for j in mine]
                )
            )
            .values(finished_at=now, ok=True, error="")
            .execution_options(synchronize_session=False)
        )
    statuses = [
        JobStatus.done
        if error is None
        else _outcome(session=session, job=job, error=error, policy=policy)
        for job, error, policy in outcomes
    ]
    session.commit()
    return statuses


def _outcome(*, session: Session, job: Claimed, error: str | None, policy: Policy) -> str:
    """A failure waits its back-off before the next attempt; after the last attempt the job
    is dead."""
    now = clock.now()
    if error is None:
        status, run_after = JobStatus.done, None
    elif job.attempts >= policy.max_attempts:
        status, run_after = JobStatus.dead, None
    else:
        status, run_after = JobStatus.failed, now + policy.delay(job.attempts)
    values: dict[str, Any] = {
        "status": status,
        "locked_until": None,
        "updated_at": now,
        "last_error": (error or "")[:500],
    }
    if run_after is not None:
        values["run_after"] = run_after
    ours = session.execute(
        sa.update(Job)
        .where(
            col(Job.id) == job.id,
            col(Job.locked_by) == job.worker,
            col(Job.attempts) == job.attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if ours.rowcount == 0:  # type: ignore[attr-defined]
        # Our lease ran out and another worker took the job: its attempt decides.
        log.warning(
            "job %s (%s) finished after its lease; left to its new worker", job.id, job.kind
        )
        status = JobStatus.running
    session.execute(
        sa.update(JobAttempt)
        .where(col(JobAttempt.job_id) == job.id, col(JobAttempt.number) == job.attempts)
        .values(finished_at=now, ok=error is None, error=(error or "")[:500])
        .execution_options(synchronize_session=False)
    )
    return status
