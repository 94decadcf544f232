"""A department's warning about a person, and what the township made of it."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from backend.core.enums import NamedEnum
from backend.core.models import (
    CreatedRow,
    area_field,
    enum_field,
    json_field,
    time_field,
)


class WarningSource(NamedEnum):
    medical_insurance = "medical_insurance", "医保"
    civil_affairs = "civil_affairs", "民政"
    education = "education", "教育"
    disabled_persons = "disabled_persons", "残联"
    human_resources = "human_resources", "人社"


SOURCE_NAMES = WarningSource.names()


class WarningStatus(NamedEnum):
    pending = "pending", "待分拣"
    reported = "reported", "已代报"
    dismissed = "dismissed", "已排除"
    unmatched = "unmatched", "未匹配到农户"


WARNING_STATUS_NAMES = WarningStatus.names()


class DepartmentWarning(CreatedRow, table=True):
    """部门预警. One per source, person and period: a department that sends it again gets
    the one it sent. Matched to the household the person is an active member of; a warning
    about nobody on record is kept (unmatched) under the sender's area."""

    __tablename__ = "department_warning"
    __table_args__ = (
        UniqueConstraint("source", "id_number_hash", "period"),
        Index("ix_department_warning_area_status", "area_code", "status"),
    )

    client_id: uuid.UUID = Field(foreign_key="api_client.id", index=True)
    source: str = enum_field()
    id_number_cipher: str
    id_number_hash: str = Field(max_length=64, index=True)
    period: str = Field(max_length=10)
    summary: str = Field(default="", max_length=300)
    figures: dict[str, Any] = json_field()
    payload_hash: str = Field(max_length=64)
    # The household's village when matched; the sender's area when not.
    area_code: str = area_field()
    household_id: uuid.UUID | None = Field(default=None, foreign_key="household.id", index=True)
    status: str = enum_field(WarningStatus.pending)
    report_id: uuid.UUID | None = Field(default=None, foreign_key="self_report.id")
    dismiss_reason: str = Field(default="", max_length=300)
    triaged_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    triaged_at: datetime | None = time_field()
