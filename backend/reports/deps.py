"""Self-reports loaded with their access check, for routers (404 when out of reach), and
locked when the request will change them."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import CurrentUser
from backend.core.deps import SessionDep
from backend.reports import queries
from backend.reports.models import SelfReport

ReportId = Annotated[uuid.UUID, Path(description="报告编号(UUID)")]


def _visible(session: SessionDep, user: CurrentUser, report_id: ReportId) -> SelfReport:
    return queries.get_visible(session=session, user=user, report_id=report_id)


def _locked(session: SessionDep, user: CurrentUser, report_id: ReportId) -> SelfReport:
    return queries.get_visible(session=session, user=user, report_id=report_id, lock=True)


VisibleReport = Annotated[SelfReport, Depends(_visible)]
# A transition reads the report FOR UPDATE (PostgreSQL): of two decisions taken at once, the
# second waits for the first to commit and then finds the state it left (409).
LockedReport = Annotated[SelfReport, Depends(_locked)]
