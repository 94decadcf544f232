"""HTTP for the working-day calendar: anyone logged in reads it, a county corrects it."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from starlette.convertors import Convertor, register_url_convertor

from backend.accounts.deps import CurrentUser, require
from backend.accounts.models import Role, User
from backend.core.deps import AreaQuery, SessionDep
from backend.core.errors import Forbidden, Invalid
from backend.core.schemas import Input, Output
from backend.core.scope import contains
from backend.workdays import service

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


class _DayConvertor(Convertor[str]):
    """`{day:date}` matches only a date-shaped segment, so `PUT /calendar/coverage` finds
    the `coverage` route (405) rather than a day it cannot parse (422)."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return str(value)


register_url_convertor("date", _DayConvertor())


class CalendarDayPublic(Output):
    day: date
    is_workday: bool
    holiday: str | None
    local: bool


class CalendarDayInput(Input):
    area_code: Annotated[str, Field(pattern=r"^\d{6}$")]
    is_workday: bool = Field(strict=True)
    note: Annotated[str, Field(max_length=100)] = ""


@router.get("", response_model=list[CalendarDayPublic], operation_id="get_calendar_month")
def get_month(
    session: SessionDep,
    user: CurrentUser,
    year: Annotated[int, Query(ge=2004, le=2100)],
    month: Annotated[int, Query(ge=1, le=12)],
    area: AreaQuery = None,
) -> list[CalendarDayPublic]:
    """A month's days for an area: working day or not, the national holiday's name, and
    whether the county changed it."""
    area_code = area or user.scope
    return [
        CalendarDayPublic(**d)
        for d in service.month(session=session, area_code=area_code, year=year, month=month)
    ]


@router.put("/{day:date}", response_model=CalendarDayPublic, operation_id="set_calendar_day")
def set_day(
    session: SessionDep,
    day: date,
    data: CalendarDayInput,
    actor: Annotated[User, Depends(require(Role.county_officer, Role.admin))],
) -> CalendarDayPublic:
    """Mark a day as a working day or a holiday for a whole county (县级调整)."""
    if not contains(actor.scope, data.area_code):
        raise Forbidden("只能调整本县的工作日历", code="outside_scope")
    if actor.role != Role.admin and len(actor.scope) != 6:
        raise Invalid("area_code", "工作日历由县级设置")
    service.set_day(
        session=session,
        area_code=data.area_code,
        day=day,
        is_workday=data.is_workday,
        note=data.note,
        actor=actor,
    )
    return CalendarDayPublic(
        day=day, is_workday=data.is_workday, holiday=service.national_holiday_name(day), local=True
    )


class CalendarCoverage(Output):
    first_year: int
    last_year: int
    covers_next_year: bool
    message: str


@router.get("/coverage", response_model=CalendarCoverage, operation_id="get_calendar_coverage")
def get_coverage(_: CurrentUser) -> CalendarCoverage:
    """Which years the national holiday table covers; beyond them only weekends are known."""
    first, last = service.covered_years()
    ahead = service.covers_next_year()
    message = (
        "节假日数据已覆盖明年"
        if ahead
        else f"节假日数据只到 {last} 年;之后的法定节假日和调休需由县级在工作日历中录入,"
        "或升级 chinesecalendar"
    )
    return CalendarCoverage(
        first_year=first, last_year=last, covers_next_year=ahead, message=message
    )
