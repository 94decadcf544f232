"""HTTP for department warnings: a department's client sends and reads its own; the
township's officers work the queue."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from backend.accounts.deps import CurrentClient, CurrentUser
from backend.core.deps import PagingDep, SessionDep
from backend.core.idempotency import Idempotent
from backend.warnings import service
from backend.warnings.deps import LockedWarning, SentWarning, VisibleWarning
from backend.warnings.schemas import (
    WarningCreate,
    WarningDismissInput,
    WarningFilters,
    WarningPublic,
    WarningReportInput,
    WarningsPublic,
)

router = APIRouter(prefix="/api/v1/warnings", tags=["warnings"])


@router.post(
    "",
    response_model=WarningPublic,
    status_code=201,
    operation_id="create_warning",
    responses={
        200: {"model": WarningPublic, "description": "同一部门、同一人、同一期间的预警已收到"},
    },
)
def create_warning(
    session: SessionDep,
    client: CurrentClient,
    _: Idempotent,
    data: WarningCreate,
    response: Response,
) -> WarningPublic:
    """Send a department warning about a person (idempotent per source, person, period)."""
    row, created = service.receive(session=session, client=client, data=data)
    if not created:
        response.status_code = 200
    return service.publics(session=session, warnings=[row])[0]


@router.get("/sent", response_model=WarningsPublic, operation_id="list_sent_warnings")
def list_sent_warnings(
    session: SessionDep,
    client: CurrentClient,
    paging: PagingDep,
    filters: Annotated[WarningFilters, Query()],
) -> WarningsPublic:
    """The warnings the calling client sent, each with its outcome."""
    rows, count = service.sent(
        session=session, client=client, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return WarningsPublic(data=service.publics(session=session, warnings=rows), count=count)


@router.get("/sent/{warning_id}", response_model=WarningPublic, operation_id="get_sent_warning")
def get_sent_warning(session: SessionDep, warning: SentWarning) -> WarningPublic:
    """One warning the calling client sent, with its outcome."""
    return service.publics(session=session, warnings=[warning])[0]


@router.get("", response_model=WarningsPublic, operation_id="list_warnings")
def list_warnings(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    filters: Annotated[WarningFilters, Query()],
) -> WarningsPublic:
    """The triage queue: warnings in the caller's area (status=pending: still to triage)."""
    rows, count = service.queue(
        session=session, user=user, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return WarningsPublic(data=service.publics(session=session, warnings=rows), count=count)


@router.get("/{warning_id}", response_model=WarningPublic, operation_id="get_warning")
def get_warning(session: SessionDep, warning: VisibleWarning) -> WarningPublic:
    """One warning in the caller's area."""
    return service.publics(session=session, warnings=[warning])[0]


@router.post(
    "/{warning_id}/report", response_model=WarningPublic, operation_id="report_from_warning"
)
def report_from_warning(
    session: SessionDep, user: CurrentUser, warning: LockedWarning, data: WarningReportInput
) -> WarningPublic:
    """Triage: open a report on the household's behalf (代报) from the warning."""
    row = service.to_report(session=session, warning=warning, data=data, actor=user)
    return service.publics(session=session, warnings=[row])[0]


@router.post("/{warning_id}/dismiss", response_model=WarningPublic, operation_id="dismiss_warning")
def dismiss_warning(
    session: SessionDep, user: CurrentUser, warning: LockedWarning, data: WarningDismissInput
) -> WarningPublic:
    """Triage: dismiss the warning with a reason the sending department reads."""
    row = service.dismiss(session=session, warning=warning, reason=data.reason, actor=user)
    return service.publics(session=session, warnings=[row])[0]
