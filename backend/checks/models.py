"""排查: what a county changed of a check's parameters, each run of the checks, and the
findings they keep (one per check and subject)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from backend.core.enums import NamedEnum
from backend.core.models import (
    CreatedRow,
    Row,
    area_field,
    created_at_field,
    enum_field,
    json_field,
    time_field,
)


class FindingStatus(NamedEnum):
    open = "open", "待处理"
    resolved = "resolved", "已自动消除"
    dismissed = "dismissed", "已排除"


class RunStatus(NamedEnum):
    queued = "queued", "排队中"
    running = "running", "运行中"
    done = "done", "已完成"
    failed = "failed", "失败"


FINDING_STATUS_NAMES = FindingStatus.names()
RUN_STATUS_NAMES = RunStatus.names()


class CheckParameter(Row, table=True):
    """The parameters an area (a county, usually) set for one check: they apply to every
    area under it unless a nearer one sets its own."""

    __tablename__ = "check_parameter"
    __table_args__ = (UniqueConstraint("check_code", "area_code"),)

    check_code: str = Field(max_length=40, index=True)
    area_code: str = area_field()
    values: dict[str, Any] = json_field()
    updated_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime | None = time_field()


class CheckRun(CreatedRow, table=True):
    """One run of every check over an area."""

    __tablename__ = "check_run"

    area_code: str = area_field()
    status: RunStatus = enum_field(RunStatus.queued, index=True)
    requested_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    # {check_code: open findings after the run}
    counts: dict[str, Any] = json_field()
    opened: int = 0
    resolved: int = 0
    duration_ms: int | None = None
    error: str = Field(default="", max_length=500)
    started_at: datetime | None = time_field()
    finished_at: datetime | None = time_field()


class Finding(Row, table=True):
    """What one check found about one subject (a household, member, helper or village):
    open while the data triggers it, resolved when it no longer does, or dismissed by a
    person until the triggering values change (`fingerprint`)."""

    __tablename__ = "finding"
    __table_args__ = (
        UniqueConstraint("check_code", "subject_key"),
        # The lists (an area's findings by status, by check, or all of them), village by
        # village, longest-standing first: counted and ordered from an index alone, only the
        # page's rows read from the table. Severity rides at the end of the status index,
        # so a list filtered by it is counted and paged from the index too. The count of an
        # area's findings by status reads the narrow (status, area) index: a county's 15,804
        # open findings are 98 pages there, 398 in the wide one (what a request reads when
        # they are not in memory, as after a run).
        Index(
            "ix_finding_check_status_area",
            "check_code",
            "status",
            "area_code",
            "first_seen_at",
            "id",
        ),
        Index(
            "ix_finding_status_area_severity",
            "status",
            "area_code",
            "first_seen_at",
            "id",
            "severity",
        ),
        Index("ix_finding_area_first_seen", "area_code", "first_seen_at", "id"),
        Index("ix_finding_status_area_count", "status", "area_code"),
    )

    check_code: str = Field(max_length=40)
    # "household:<id>", "member:<id>", "helper:<id>", "village:<code>"
    subject_key: str = Field(max_length=60)
    subject_kind: str = Field(max_length=16)
    household_id: uuid.UUID | None = Field(default=None, foreign_key="household.id", index=True)
    # Indexed by ix_finding_area_first_seen (area first), not on its own.
    area_code: str = Field(foreign_key="area.code", max_length=12)
    status: FindingStatus = enum_field(FindingStatus.open)
    severity: str = Field(max_length=16)
    summary: str = Field(default="", max_length=300)
    # The values that triggered it (the line and income used, the months copied, …).
    values: dict[str, Any] = json_field()
    fingerprint: str = Field(max_length=64)
    first_seen_at: datetime = created_at_field()
    last_seen_at: datetime | None = time_field()
    resolved_at: datetime | None = time_field()
    dismissed_at: datetime | None = time_field()
    dismissed_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    dismiss_reason: str = Field(default="", max_length=500)
    # The fingerprint a person dismissed: a run reopens the finding when it differs.
    dismissed_fingerprint: str | None = Field(default=None, max_length=64)
    report_id: uuid.UUID | None = Field(default=None, foreign_key="self_report.id")
    problem_id: uuid.UUID | None = Field(default=None, foreign_key="problem.id")
    run_id: uuid.UUID | None = Field(default=None, foreign_key="check_run.id", index=True)
