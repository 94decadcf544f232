"""What the personal-data endpoints answer."""

import uuid
from datetime import datetime
from typing import Any

from backend.core.schemas import Output


class IdNumberShown(Output):
    """One full ID number, shown to a role that may see it; the view is in the audit log."""

    id: uuid.UUID  # the member's or the report's
    id_number: str


class PersonalDataExport(Output):
    """Everything the platform holds about one household, for the household (PIPL art. 45):
    the record with full ID numbers, incomes and plan, visits, reports, and every audit row
    about them (who changed or viewed what, when)."""

    exported_at: datetime
    exported_by: str
    household: dict[str, Any]
    visits: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    audit: list[dict[str, Any]]
