"""A household import run by the worker: a large upload, kept on disk until it is imported,
with its progress and, when done, its account."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field

from backend.core.enums import NamedEnum
from backend.core.models import CreatedRow, area_field, enum_field, time_field


class ImportStatus(NamedEnum):
    queued = "queued", "排队中"
    running = "running", "导入中"
    done = "done", "已完成"
    failed = "failed", "失败"


class HouseholdImport(CreatedRow, table=True):
    """One uploaded sheet imported in the background. The file lies in the data directory
    (`imports/<id>`) until the import ends; the account (counts, issues, outcomes when the
    file is small enough) is kept here."""

    __tablename__ = "household_import"

    area_code: str = area_field()
    dry_run: bool = False
    filename: str = Field(default="", max_length=200)
    status: str = enum_field(ImportStatus.queued)
    rows_total: int = 0
    rows_done: int = 0
    attempts: int = 0
    account: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Issues found in all; the account keeps the first MAX_KEPT_ISSUES of them.
    issues_total: int = 0
    message: str = Field(default="", max_length=500)
    created_by: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    job_id: uuid.UUID | None = None
    started_at: datetime | None = time_field()
    finished_at: datetime | None = time_field()
