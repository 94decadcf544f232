"""HTTP for visits, the monthly ledger and coverage: parse, call the service, answer."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from backend.accounts.deps import CurrentUser
from backend.core.deps import AreaQuery, PagingDep, SessionDep
from backend.core.idempotency import Idempotent
from backend.households.deps import VisibleHousehold
from backend.visits import coverage as coverage_service
from backend.visits import ledger, phone, recording, service
from backend.visits.deps import VisibleVisit
from backend.visits.schemas import (
    BatchResult,
    Coverage,
    LedgerYear,
    Month,
    MyHouseholds,
    VisitBatch,
    VisitCreate,
    VisitPublic,
    VisitsPublic,
)

router = APIRouter(prefix="/api/v1", tags=["visits"])
MonthQuery = Annotated[Month | None, Query(description="月份,如 2026-11")]


@router.post(
    "/visits",
    response_model=VisitPublic,
    status_code=201,
    operation_id="record_visit",
    responses={
        200: {"model": VisitPublic, "description": "同一编号、同样内容已收到过:返回已存的记录"}
    },
)
def record_visit(
    session: SessionDep, user: CurrentUser, _: Idempotent, data: VisitCreate
) -> Response:
    """Record a visit by its phone-made id; a replay answers 200, another payload 409."""
    answer, created = recording.create(session=session, actor=user, data=data)
    return _json(answer, 201 if created else 200)


def _json(answer: BaseModel, status: int) -> Response:
    """The answer as FastAPI would write it for `response_model` (the same JSON), written
    here: FastAPI validates a sync endpoint's answer again in a second thread-pool call,
    a hand-off per request (py-spy, bench/RESULTS.md)."""
    return Response(answer.model_dump_json(by_alias=True), status, media_type="application/json")


@router.post("/visits/batch", response_model=BatchResult, operation_id="record_visits_batch")
def record_visits_batch(session: SessionDep, user: CurrentUser, data: VisitBatch) -> Response:
    """Up to 200 visits at once, a result per item; a bad item is refused alone."""
    return _json(recording.create_batch(session=session, actor=user, items=data.items), 200)


@router.get("/visits", response_model=VisitsPublic, operation_id="list_visits")
def list_visits(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    household_id: uuid.UUID | None = None,
    visitor_id: Annotated[uuid.UUID | None, Query(description="走访人")] = None,
    helper_id: Annotated[uuid.UUID | None, Query(description="该户的帮扶责任人")] = None,
    area: AreaQuery = None,
    month: MonthQuery = None,
) -> VisitsPublic:
    """Visits in the caller's reach, by household, visitor (helper), village and month."""
    rows, count = service.list_visits(
        session=session,
        user=user,
        household_id=household_id,
        visitor_id=visitor_id,
        helper_id=helper_id,
        area=area,
        month=month,
        offset=paging.offset,
        limit=paging.limit,
    )
    return VisitsPublic(data=service.public(session=session, visits=rows), count=count)


@router.get("/visits/my-households", response_model=MyHouseholds, operation_id="my_households")
def my_households(session: SessionDep, user: CurrentUser, month: MonthQuery = None) -> MyHouseholds:
    """The households the caller visits, with this month's state, for the phone to keep."""
    return phone.my_households(session=session, user=user, month=month)


@router.get("/visits/coverage", response_model=Coverage, operation_id="visit_coverage")
def coverage(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    area: AreaQuery = None,
    month: MonthQuery = None,
) -> Coverage:
    """遍访: per helper and village, households due, visited, not visited, and the list."""
    return coverage_service.coverage(
        session=session,
        user=user,
        area=area,
        month=month,
        offset=paging.offset,
        limit=paging.limit,
    )


@router.get("/visits/{visit_id:uuid}", response_model=VisitPublic, operation_id="get_visit")
def get_visit(session: SessionDep, visit: VisibleVisit) -> VisitPublic:
    """One visit, with its ledger entry and the corrections that name it."""
    return service.public(session=session, visits=[visit])[0]


@router.get(
    "/households/{household_id}/ledger", response_model=LedgerYear, operation_id="household_ledger"
)
def household_ledger(
    session: SessionDep,
    user: CurrentUser,
    household: VisibleHousehold,
    year: Annotated[int, Query(ge=2000, le=2100, description="年度")],
) -> LedgerYear:
    """The year's monthly ledger and per-capita net income from it beside the declared."""
    return ledger.for_year(session=session, user=user, household=household, year=year)
