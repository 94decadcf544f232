"""What the checks API reads and writes."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from backend.checks.models import FINDING_STATUS_NAMES, RUN_STATUS_NAMES, FindingStatus
from backend.core.schemas import WHOLE, AreaCode, Input, Output, name_field
from backend.rectification.models import SEVERITY_NAMES, Severity


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
    area_name: str | None = None
    data: list[CheckPublic]
    # What the caller may do here: "run" the checks, "set_parameters".
    can: list[str] = Field(default_factory=list)


class ParametersInput(Input):
    values: dict[str, Annotated[int, Field(strict=True, ge=0, le=1_000_000), WHOLE]]


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
    severity: Severity | None = None
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
    # Who it is about, as a person reads it: the head of the household, the member, the
    # helper, or the village.
    household_head: str | None = None
    subject_name: str | None = None
    area_code: str
    area_name: str | None = None
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
    severity_name = name_field(SEVERITY_NAMES, "severity")


class FindingsPublic(Output):
    data: list[FindingPublic]
    count: int


class VillageCount(Output):
    area_code: str
    area_name: str | None
    count: int


class FindingsSummary(Output):
    """How many findings each check and each village has under the filters (the check's
    counts ignore the check filter, the villages' ignore the area filter)."""

    by_check: dict[str, int]
    by_village: list[VillageCount]


class DismissInput(Input):
    reason: Annotated[str, StringConstraints(min_length=2, max_length=500)]


class FindingReportInput(Input):
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class FindingProblemInput(Input):
    deadline_days: Annotated[int, Field(strict=True, ge=1, le=365), WHOLE] = 30
