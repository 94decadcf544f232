"""Fixtures for the worker's tests: handlers registered for a test only, and a look at the
job table from outside the worker."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from backend.core import clock, db
from backend.worker import registry
from backend.worker.models import Job, JobAttempt


@pytest.fixture
def handlers() -> Iterator[dict[str, registry.Registered]]:
    """Register test handlers with `registry.handler(...)`; they are gone after the test."""
    registry.load()
    saved = dict(registry._handlers)
    yield registry._handlers
    registry._handlers.clear()
    registry._handlers.update(saved)


def writer() -> Session:
    """A session like a use case's: on SQLite it takes the process write lock."""
    return Session(db.get_engine(), expire_on_commit=False)


def jobs(kind: str | None = None) -> list[Job]:
    with Session(db.get_engine(), expire_on_commit=False) as s:
        stmt = select(Job).order_by(col(Job.created_at))
        if kind:
            stmt = stmt.where(Job.kind == kind)
        return list(s.exec(stmt))


def attempts(job: Job) -> list[JobAttempt]:
    with Session(db.get_engine(), expire_on_commit=False) as s:
        stmt = select(JobAttempt).where(JobAttempt.job_id == job.id)
        return list(s.exec(stmt.order_by(col(JobAttempt.number))))


def advance(**kw: float) -> None:
    """Move the frozen clock forward (instead of sleeping)."""
    clock.freeze(clock.now() + timedelta(**kw))
