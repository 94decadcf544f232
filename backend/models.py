"""Imports every table so the metadata (and Alembic) sees the whole schema."""

from backend.accounts.models import User
from backend.areas.models import Area
from backend.audit.models import AuditEntry
from backend.files.models import StoredFile
from backend.households.models import (
    AssistancePlan,
    Household,
    HouseholdRisk,
    IncomeRecord,
    Measure,
    Member,
    MonitoringLine,
)
from backend.rectification.models import (
    Evidence,
    Problem,
    ProblemBatch,
    ProblemHousehold,
    ProblemReview,
    ProgressNote,
    RectificationStep,
)
from backend.workdays.models import CalendarDay

__all__ = [
    "Area",
    "AssistancePlan",
    "AuditEntry",
    "CalendarDay",
    "Evidence",
    "Household",
    "HouseholdRisk",
    "IncomeRecord",
    "Measure",
    "Member",
    "MonitoringLine",
    "Problem",
    "ProblemBatch",
    "ProblemHousehold",
    "ProblemReview",
    "ProgressNote",
    "RectificationStep",
    "StoredFile",
    "User",
]
