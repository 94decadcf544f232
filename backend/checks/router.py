"""HTTP for 排查: the catalogue, parameters, runs, findings and what a finding turns into."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from backend.accounts.deps import CurrentUser
from backend.checks import actions, service
from backend.checks.deps import LockedFinding, VisibleFinding
from backend.checks.schemas import (
    CheckCatalogue,
    DismissInput,
    FindingFilters,
    FindingProblemInput,
    FindingPublic,
    FindingReportInput,
    FindingsPublic,
    FindingsSummary,
    ParametersInput,
    RunCreate,
    RunPublic,
)
from backend.core.deps import PagingDep, SessionDep
from backend.core.idempotency import Idempotent
from backend.core.schemas import AreaCode

router = APIRouter(prefix="/api/v1", tags=["checks"])


@router.get("/checks", response_model=CheckCatalogue, operation_id="list_checks")
def list_checks(
    session: SessionDep, user: CurrentUser, area: Annotated[AreaCode | None, Query()] = None
) -> CheckCatalogue:
    """Every check: its rule, parameters in force for the area, and open findings there."""
    return service.catalogue(session=session, user=user, area_code=area)


@router.put(
    "/checks/{code}/parameters",
    response_model=CheckCatalogue,
    operation_id="set_check_parameters",
)
def set_parameters(
    session: SessionDep,
    user: CurrentUser,
    code: str,
    data: ParametersInput,
    area: Annotated[AreaCode, Query()],
) -> CheckCatalogue:
    """Change a check's parameters for a county (or a city or province) and every area under it."""
    service.set_parameters(
        session=session, code=code, area_code=area, values=data.values, actor=user
    )
    return service.catalogue(session=session, user=user, area_code=area)


@router.post(
    "/checks/runs", response_model=RunPublic, status_code=202, operation_id="start_check_run"
)
def start_run(session: SessionDep, user: CurrentUser, data: RunCreate) -> RunPublic:
    """Run every check over an area in the background; follow it by the run's id."""
    run = service.start_run(session=session, area_code=data.area_code, actor=user)
    return RunPublic.model_validate(run)


@router.get("/checks/runs/{run_id}", response_model=RunPublic, operation_id="get_check_run")
def get_run(session: SessionDep, user: CurrentUser, run_id: uuid.UUID) -> RunPublic:
    """A run's status, open findings per check, how many it opened and resolved, its duration."""
    return RunPublic.model_validate(service.get_run(session=session, user=user, run_id=run_id))


@router.get("/findings", response_model=FindingsPublic, operation_id="list_findings")
def list_findings(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    filters: Annotated[FindingFilters, Query()],
) -> FindingsPublic:
    """Findings in reach by check, area, status, severity or household; oldest first by village."""
    rows, count = service.list_findings(
        session=session, user=user, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return FindingsPublic(
        data=service.publics(session=session, user=user, findings=rows), count=count
    )


@router.get("/findings/summary", response_model=FindingsSummary, operation_id="findings_summary")
def findings_summary(
    session: SessionDep, user: CurrentUser, filters: Annotated[FindingFilters, Query()]
) -> FindingsSummary:
    """How many findings each check and each village has under the other filters."""
    return service.summary(session=session, user=user, filters=filters)


@router.get("/findings/{finding_id}", response_model=FindingPublic, operation_id="get_finding")
def get_finding(session: SessionDep, user: CurrentUser, finding: VisibleFinding) -> FindingPublic:
    """One finding with the values that triggered it and what the caller may do with it."""
    return service.publics(session=session, user=user, findings=[finding])[0]


@router.post(
    "/findings/{finding_id}/dismiss", response_model=FindingPublic, operation_id="dismiss_finding"
)
def dismiss(
    session: SessionDep, user: CurrentUser, finding: LockedFinding, data: DismissInput
) -> FindingPublic:
    """排除 a finding with a reason; it stays dismissed until the values behind it change."""
    actions.dismiss(session=session, finding=finding, reason=data.reason, actor=user)
    return service.publics(session=session, user=user, findings=[finding])[0]


@router.post(
    "/findings/{finding_id}/report",
    response_model=FindingPublic,
    status_code=201,
    operation_id="report_from_finding",
)
def to_report(
    session: SessionDep,
    user: CurrentUser,
    _: Idempotent,
    finding: LockedFinding,
    data: FindingReportInput,
) -> FindingPublic:
    """Open a self-report on the household's behalf (代报) from the finding."""
    actions.to_report(session=session, finding=finding, actor=user, note=data.note)
    return service.publics(session=session, user=user, findings=[finding])[0]


@router.post(
    "/findings/{finding_id}/problem",
    response_model=FindingPublic,
    status_code=201,
    operation_id="problem_from_finding",
)
def to_problem(
    session: SessionDep,
    user: CurrentUser,
    _: Idempotent,
    finding: LockedFinding,
    data: FindingProblemInput,
) -> FindingPublic:
    """Issue a rectification problem (source 系统核查) from the finding."""
    actions.to_problem(
        session=session, finding=finding, actor=user, deadline_days=data.deadline_days
    )
    return service.publics(session=session, user=user, findings=[finding])[0]
