"""What the checks API reads and writes."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from backend.checks.models import FINDING_STATUS_NAMES, RUN_STATUS_NAMES, FindingStatus
from backend.core.schemas import AreaCode, Input, Output, name_field


class ParameterPublic(Output):
    name: str
    label: str
    default: int
    value: int
    minimum: int
    maximum: int


class CheckPublic(Output):
    code: str
    title: str
    severity: str
    rule: str
    parameters: list[ParameterPublic]
    open_findings: int


class CheckCatalogue(Output):
    area_code: str
    data: list[CheckPublic]


class ParametersInput(Input):
    values: dict[str, Annotated[int, Field(strict=True, ge=0, le=1_000_000)]]


class RunCreate(Input):
    area_code: AreaCode


class RunPublic(Output):
    id: uuid.UUID
    area_code: str
    status: str
    counts: dict[str, int]
    opened: int
    resolved: int
    duration_ms: int | None
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    status_name = name_field(RUN_STATUS_NAMES, "status")


class FindingFilters(BaseModel):
    check: str | None = None
    area: AreaCode | None = None
    status: FindingStatus | None = None
    household_id: uuid.UUID | None = None


class FindingPublic(Output):
    id: uuid.UUID
    check_code: str
    check_title: str
    severity: str
    subject_kind: str
    subject_key: str
    household_id: uuid.UUID | None
    household_reference: str | None = None
    area_code: str
    status: FindingStatus
    summary: str
    values: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime | None
    resolved_at: datetime | None
    dismissed_at: datetime | None
    dismiss_reason: str
    report_id: uuid.UUID | None
    problem_id: uuid.UUID | None
    can: list[str] = Field(default_factory=list)

    status_name = name_field(FINDING_STATUS_NAMES, "status")


class FindingsPublic(Output):
    data: list[FindingPublic]
    count: int


class DismissInput(Input):
    reason: Annotated[str, StringConstraints(min_length=2, max_length=500)]


class FindingReportInput(Input):
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class FindingProblemInput(Input):
    deadline_days: Annotated[int, Field(strict=True, ge=1, le=365)] = 30
