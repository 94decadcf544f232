"""What the warnings API reads and writes. An ID number is read whole and answered masked,
to the sender and to the township alike."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, field_validator

from backend.core import security
from backend.core.schemas import WHOLE, Input, Output, name_field
from backend.households.models import RiskType
from backend.warnings.models import SOURCE_NAMES, WARNING_STATUS_NAMES, WarningSource, WarningStatus

FigureName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Figure = Annotated[int, Field(strict=True, ge=0, le=1_000_000_000), WHOLE]


class WarningCreate(Input):
    """部门预警 as a department sends it: the person, the period it covers, what happened and
    its figures (integers: yuan, days, a threshold…)."""

    source: WarningSource
    id_number: Annotated[str, StringConstraints(min_length=18, max_length=18)]
    # 2026, 2026-11 or 2026-Q3.
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$")]
    summary: Annotated[str, StringConstraints(max_length=300)] = ""
    figures: Annotated[dict[FigureName, Figure], Field(default_factory=dict, max_length=20)]

    @field_validator("id_number")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        value = security.normalize_id_number(value)
        problem = security.id_number_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class WarningPublic(Output):
    """A warning and its outcome (the closed loop the sender reads)."""

    id: uuid.UUID
    source: WarningSource
    source_name = name_field(SOURCE_NAMES, "source")
    id_number: str
    period: str
    summary: str
    figures: dict[str, int]
    matched: bool
    area_code: str
    # The village's name (the sender's area's when unmatched), for the triage screen.
    area_name: str | None = None
    household_id: uuid.UUID | None
    status: WarningStatus
    status_name = name_field(WARNING_STATUS_NAMES, "status")
    report_id: uuid.UUID | None
    report_receipt_code: str | None = None
    report_status: str | None = None
    dismiss_reason: str
    triaged_at: datetime | None
    created_at: datetime


class WarningsPublic(Output):
    data: list[WarningPublic]
    count: int


class WarningFilters(BaseModel):
    status: WarningStatus | None = None
    # Matched to a household (true) or kept about nobody on record (false), whatever became
    # of it since: the statistics' "matched".
    matched: bool | None = None
    source: WarningSource | None = None
    area_code: Annotated[str | None, Field(pattern=r"^\d{2,12}$")] = None
    period: Annotated[str | None, Field(max_length=10)] = None


class WarningReportInput(Input):
    # By default, the risk the source speaks of (医保 → 因病, 教育 → 因学 …).
    risk_types: Annotated[list[RiskType], Field(default_factory=list, max_length=len(RiskType))]
    note: Annotated[str, StringConstraints(max_length=500)] = ""


class WarningDismissInput(Input):
    reason: Annotated[str, StringConstraints(min_length=2, max_length=300)]
