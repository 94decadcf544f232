"""The job table (an outbox: rows written in the transaction of the change that causes
them) and the record of every attempt at a job."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field

from backend.core.enums import NamedEnum
from backend.core.models import (
    CreatedRow,
    Row,
    created_at_field,
    enum_field,
    json_field,
    time_field,
)


class JobStatus(NamedEnum):
    pending = "pending", "待执行"
    running = "running", "执行中"
    done = "done", "已完成"
    failed = "failed", "失败待重试"
    dead = "dead", "已放弃"


class Job(CreatedRow, table=True):
    """One piece of work for the worker. `key`, when given, is unique: a scheduled job's
    slot (`nightly-analyze:2026-12-01`), so several workers enqueue it once."""

    __tablename__ = "job"
    # The claim's look-up: due jobs by status and time (and running ones by lease).
    __table_args__ = (Index("ix_job_status_run_after", "status", "run_after"),)

    kind: str = Field(max_length=64)
    key: str | None = Field(default=None, max_length=200, unique=True)
    payload: dict[str, Any] = json_field()
    status: str = enum_field(JobStatus.pending)
    attempts: int = 0
    run_after: datetime = time_field(nullable=False)
    # While running: until when the worker that took it holds it. Past that the job is
    # taken again (the worker died, e.g. kill -9, or hangs).
    locked_until: datetime | None = time_field()
    locked_by: str = Field(default="", max_length=100)
    last_error: str = Field(default="", max_length=500)
    updated_at: datetime = created_at_field()


class JobAttempt(Row, table=True):
    """One try at a job: who took it, when, and how it ended (unfinished: still running, or
    its worker died and the job was taken again)."""

    __tablename__ = "job_attempt"

    job_id: uuid.UUID = Field(foreign_key="job.id", index=True)
    number: int
    worker: str = Field(default="", max_length=100)
    started_at: datetime = created_at_field()
    finished_at: datetime | None = time_field()
    ok: bool | None = None
    error: str = Field(default="", max_length=500)
