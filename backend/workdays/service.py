"""Working-day arithmetic. Defaults come from the chinese-calendar library (national
holidays and their 调休 make-up working days); a county's own entries override them."""

from datetime import date, timedelta
from functools import cache

import chinese_calendar
from sqlmodel import Session, col, func, select

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core.usecase import use_case
from backend.workdays.models import CalendarDay


def national_is_workday(day: date) -> bool:
    """The national rule; for a year the library does not cover yet, Monday to Friday."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def national_holiday_name(day: date) -> str | None:
    try:
        holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return name if holiday and name else None


@cache
def covered_years() -> tuple[int, int]:
    from chinese_calendar import constants

    years = {d.year for d in constants.holidays}
    return min(years), max(years)


def uncovered_basis(*, session: Session, area_code: str, start: date, end: date) -> str | None:
    """None while the national table covers `start`..`end`; past it, what a count over that
    span rests on: the county's entered days, or weekends alone (said in Chinese)."""
    last = covered_years()[1]
    if end.year <= last:
        return None
    first = date(max(start.year, last + 1), 1, 1)
    entered = session.exec(
        select(func.count())
        .select_from(CalendarDay)
        .where(
            col(CalendarDay.area_code).in_(_prefixes(area_code)),
            col(CalendarDay.day) >= first,
            col(CalendarDay.day) <= end,
        )
    ).one()
    years = "、".join(str(y) for y in range(first.year, end.year + 1))
    if entered:
        return f"{years} 年的法定节假日不在国家日历中:按本县录入的 {entered} 天调整和周末计算"
    return f"{years} 年的法定节假日不在国家日历中,本县也未录入:只按周末计算"


def _prefixes(area_code: str) -> list[str]:
    """The codes whose calendar entries apply to an area: its own and each one above it."""
    return [area_code[:n] for n in (2, 4, 6, 9, 12) if n <= len(area_code)]


def covers_next_year() -> bool:
    """False once deadlines can run into a year whose holidays the library does not know;
    then they count only weekends unless the county enters that year's holidays."""
    from backend.core import clock

    return covered_years()[1] > clock.today().year


class Calendar:
    """Answers is-this-a-working-day for one area, loading its overrides once per range."""

    def __init__(self, *, session: Session, area_code: str, start: date, end: date) -> None:
        rows = session.exec(
            select(CalendarDay).where(
                col(CalendarDay.area_code).in_(_prefixes(area_code)),
                col(CalendarDay.day) >= start,
                col(CalendarDay.day) <= end,
            )
        ).all()
        # The most local entry wins (a village's code is longer than its county's).
        self._overrides: dict[date, bool] = {}
        for row in sorted(rows, key=lambda r: len(r.area_code)):
            self._overrides[row.day] = row.is_workday

    def is_workday(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        return national_is_workday(day)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if end is
        earlier), inside the range this calendar was loaded for."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for i in range(1, (end - start).days + 1)
            if self.is_workday(start + timedelta(days=i))
        )


def _calendar(session: Session, area_code: str, start: date, days: int) -> Calendar:
    # Enough room for the longest holiday runs (春节 plus weekends) around `days` working days.
    return Calendar(
        session=session, area_code=area_code, start=start, end=start + timedelta(days=days * 2 + 40)
    )


def add_working_days(*, session: Session, area_code: str, start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted): a deadline.
    Zero days gives `start` itself."""
    cal = _calendar(session, area_code, start, days)
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if cal.is_workday(current):
            left -= 1
    return current


def working_days_between(*, session: Session, area_code: str, start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative if end is earlier)."""
    first, last = min(start, end), max(start, end)
    cal = Calendar(session=session, area_code=area_code, start=first, end=last)
    return cal.working_days_between(start, end)


def is_workday(*, session: Session, area_code: str, day: date) -> bool:
    return Calendar(session=session, area_code=area_code, start=day, end=day).is_workday(day)


def month(*, session: Session, area_code: str, year: int, month: int) -> list[dict]:
    start = date(year, month, 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    cal = Calendar(session=session, area_code=area_code, start=start, end=end)
    out = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        out.append(
            {
                "day": day,
                "is_workday": cal.is_workday(day),
                "holiday": national_holiday_name(day),
                "local": day in cal._overrides,
            }
        )
    return out


@use_case
def set_day(
    *, session: Session, area_code: str, day: date, is_workday: bool, note: str, actor: User
) -> CalendarDay:
    row = session.exec(
        select(CalendarDay).where(CalendarDay.area_code == area_code, CalendarDay.day == day)
    ).first()
    before = {"is_workday": row.is_workday if row else national_is_workday(day)}
    if row is None:
        row = CalendarDay(
            area_code=area_code, day=day, is_workday=is_workday, note=note, created_by=actor.id
        )
    else:
        row.is_workday, row.note = is_workday, note
    session.add(row)
    audit.record(
        session=session,
        actor=actor,
        entity="calendar_day",
        entity_id=f"{area_code}:{day.isoformat()}",
        area_code=area_code,
        action="set",
        changes={**audit.diff(before, {"is_workday": is_workday}), "note": [None, note]},
    )
    return row
