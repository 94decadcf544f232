"""Self-reports loaded with their access check, for routers (404 when out of reach), and
locked when a decision will change them."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import loader
from backend.reports import queries
from backend.reports.models import SelfReport

ReportId = Annotated[uuid.UUID, Path(description="报告编号(UUID)")]

VisibleReport = Annotated[SelfReport, Depends(loader(queries.get_visible, "report_id", ReportId))]
# A transition reads the report FOR UPDATE (PostgreSQL): of two decisions taken at once, the
# second waits for the first to commit and then finds the state it left (409).
LockedReport = Annotated[
    SelfReport, Depends(loader(queries.get_visible, "report_id", ReportId, lock=True))
]
