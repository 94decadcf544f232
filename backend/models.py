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
from backend.reports.models import ReportDeadline, ReportEvent, ReportNotice, SelfReport
from backend.visits.models import LedgerEntry, Visit
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
    "LedgerEntry",
    "Measure",
    "Member",
    "MonitoringLine",
    "Problem",
    "ProblemBatch",
    "ProblemHousehold",
    "ProblemReview",
    "ProgressNote",
    "RectificationStep",
    "ReportDeadline",
    "ReportEvent",
    "ReportNotice",
    "SelfReport",
    "StoredFile",
    "User",
    "Visit",
]
