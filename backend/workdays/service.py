"""Working-day arithmetic. Defaults come from the chinese-calendar library (national
holidays and their 调休 make-up working days); a county's own entries override them."""

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from datetime import date, timedelta
from functools import cache, lru_cache
from itertools import accumulate
from typing import Any

import chinese_calendar
from sqlalchemy import bindparam, or_
from sqlmodel import Session, col, func, select

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core.scope import within
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


# Working days are counted as ordinals: a day's ordinal is the number of working days from
# ORIGIN up to and including it, so the working days after `a` up to `b` are
# ordinal(b) - ordinal(a) and "overdue by N working days" is a subtraction (or, in SQL, a
# comparison with one date: see `last_workday`), never a walk over the days in between.
# The national table is computed once a process; an area's corrections are read with one
# small query each time and the ordinals they make are kept by their content, so a county's
# correction takes effect at once in every process (new content, new table) and nothing has
# to be told to forget anything.
ORIGIN = date(2000, 1, 1)
LAST = date(2100, 12, 31)
_SPAN = (LAST - ORIGIN).days + 1


@cache
def _national_flags() -> bytes:
    """1 for each national working day from ORIGIN to LAST (the library's tables read
    directly: the same rule as `national_is_workday`, without its per-call validation)."""
    from chinese_calendar import constants

    first, last = covered_years()
    out = bytearray(_SPAN)
    for i in range(_SPAN):
        day = ORIGIN + timedelta(days=i)
        if first <= day.year <= last:
            out[i] = day in constants.workdays or (
                day.weekday() < 5 and day not in constants.holidays
            )
        else:
            out[i] = day.weekday() < 5
    return bytes(out)


Overrides = frozenset[tuple[date, bool]]


@lru_cache(maxsize=32)
def _ordinals(overrides: Overrides) -> array:
    """Cumulative working days from ORIGIN with an area's corrections applied, kept by the
    corrections' content (most areas share the national one, `frozenset()`)."""
    flags = bytearray(_national_flags())
    for day, is_workday in overrides:
        if ORIGIN <= day <= LAST:
            flags[(day - ORIGIN).days] = is_workday
    return array("l", accumulate(flags))


def warm() -> None:
    """Build the national table now (0.2 s of CPU, once a process): at start-up, not in the
    first self-report that needs a deadline (py-spy: a quarter of the first ten seconds of
    reports, ten clients waiting behind it)."""
    _ordinals(frozenset())


def _weekdays_after(start: date, end: date) -> int:
    """Monday-to-Friday days after `start` up to and including `end` (start <= end)."""
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    return weeks * 5 + sum(
        1 for i in range(1, rest + 1) if (start + timedelta(days=i)).weekday() < 5
    )


class Calendar:
    """One area's working days: the national calendar with the corrections of the area and
    of every area above it (the most local one wins)."""

    def __init__(self, overrides: dict[date, bool]) -> None:
        self.overrides = overrides
        self._cum = _ordinals(frozenset(overrides.items()))

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return national_is_workday(day)

    def ordinal(self, day: date) -> int:
        """Working days from ORIGIN up to and including `day` (beyond 2000-2100, weekdays)."""
        if day < ORIGIN:
            return -_weekdays_after(day, ORIGIN - timedelta(days=1))
        if day > LAST:
            return self._cum[-1] + _weekdays_after(LAST, day)
        return self._cum[(day - ORIGIN).days]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if end is
        earlier)."""
        return self.ordinal(end) - self.ordinal(start)

    def add(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself not counted); zero days
        gives `start` itself."""
        if days <= 0:
            return start
        target = self.ordinal(start) + days
        if start >= ORIGIN and target <= self._cum[-1]:
            return ORIGIN + timedelta(days=bisect_left(self._cum, target))
        current = start  # outside the table: a rare walk, day by day
        while days > 0:
            current += timedelta(days=1)
            days -= self.is_workday(current)
        return current

    def last_workday(self, day: date) -> date:
        """The last working day on or before `day`: a deadline before it has at least one
        working day past it by `day` (overdue), one on or after it has none."""
        if ORIGIN <= day <= LAST and self.ordinal(day) > 0:
            return ORIGIN + timedelta(days=bisect_left(self._cum, self.ordinal(day)))
        current = day
        while not self.is_workday(current):
            current -= timedelta(days=1)
        return current


def _merge(rows: list[tuple[str, date, bool]], area_code: str) -> dict[date, bool]:
    """The corrections that apply to `area_code`, the most local one winning (a village's
    code is longer than its county's)."""
    applying = [r for r in rows if area_code.startswith(r[0])]
    return {day: is_workday for _, day, is_workday in sorted(applying, key=lambda r: len(r[0]))}


def _rows(session: Session, where: Any) -> list[tuple[str, date, bool]]:
    stmt = select(CalendarDay.area_code, CalendarDay.day, CalendarDay.is_workday).where(where)
    return [tuple(r) for r in session.exec(stmt)]  # type: ignore[misc]


# Built once: every self-report received reads its village's corrections.
_CORRECTIONS_OF = select(CalendarDay.area_code, CalendarDay.day, CalendarDay.is_workday).where(
    col(CalendarDay.area_code).in_(bindparam("codes", expanding=True))
)


def calendar(*, session: Session, area_code: str) -> Calendar:
    """The working-day calendar of one area (one small query for its corrections)."""
    found = session.connection().execute(_CORRECTIONS_OF, {"codes": _prefixes(area_code)})
    return Calendar(_merge([tuple(r) for r in found], area_code))  # type: ignore[misc]


def calendars(*, session: Session, area_codes: Iterable[str]) -> dict[str, Calendar]:
    """The calendars of several areas, in one query."""
    codes = set(area_codes)
    if not codes:
        return {}
    prefixes = {p for code in codes for p in _prefixes(code)}
    rows = _rows(session, col(CalendarDay.area_code).in_(prefixes))
    return {code: Calendar(_merge(rows, code)) for code in codes}


def calendars_under(*, session: Session, scope: str) -> list[tuple[str, Calendar]]:
    """Every distinct calendar in force under `scope`: (area, calendar) for each area under
    it with corrections of its own, the deepest first, and last (scope, calendar) for the
    rest. What a query needs to judge working days per row in SQL."""
    rows = _rows(
        session,
        or_(col(CalendarDay.area_code).in_(_prefixes(scope)), within(CalendarDay.area_code, scope)),
    )
    codes = sorted({r[0] for r in rows if len(r[0]) > len(scope)}, key=lambda c: (-len(c), c))
    return [(code, Calendar(_merge(rows, code))) for code in codes] + [
        (scope, Calendar(_merge(rows, scope)))
    ]


def add_working_days(*, session: Session, area_code: str, start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted): a deadline.
    Zero days gives `start` itself."""
    return calendar(session=session, area_code=area_code).add(start, days)


def working_days_between(*, session: Session, area_code: str, start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative if end is earlier)."""
    return calendar(session=session, area_code=area_code).working_days_between(start, end)


def is_workday(*, session: Session, area_code: str, day: date) -> bool:
    return calendar(session=session, area_code=area_code).is_workday(day)


def month(*, session: Session, area_code: str, year: int, month: int) -> list[dict]:
    start = date(year, month, 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    cal = calendar(session=session, area_code=area_code)
    out = []
    for i in range((end - start).days + 1):
        day = start + timedelta(days=i)
        out.append(
            {
                "day": day,
                "is_workday": cal.is_workday(day),
                "holiday": national_holiday_name(day),
                "local": day in cal.overrides,
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
