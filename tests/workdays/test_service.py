"""Working-day arithmetic across 国庆 and 春节, with their 调休 make-up days."""

from datetime import date, timedelta

from sqlmodel import Session

from backend.accounts.models import Role
from backend.workdays import service
from tests import factories as f


def test_national_day_2026_and_its_make_up_saturday(session: Session) -> None:
    # 2026-09-30 (Wed) + 1 working day: 10-01..07 are the holiday, 10-08 (Thu) is the next.
    assert service.add_working_days(
        session=session, area_code=f.GAOJIAZHUANG, start=date(2026, 9, 30), days=1
    ) == date(2026, 10, 8)
    # 10-10 is a Saturday worked in exchange (调休): it counts.
    assert service.is_workday(session=session, area_code=f.GAOJIAZHUANG, day=date(2026, 10, 10))
    # From 09-30, five working days: 10-08, 10-09, 10-10 (Sat, make-up), 10-12, 10-13.
    assert service.add_working_days(
        session=session, area_code=f.GAOJIAZHUANG, start=date(2026, 9, 30), days=5
    ) == date(2026, 10, 13)


def test_spring_festival_2026(session: Session) -> None:
    # 春节 2026: 02-15..02-23 off; 02-14 (Sat) and 02-28 (Sat) are worked.
    assert service.is_workday(session=session, area_code=f.LENGSHUIGOU, day=date(2026, 2, 14))
    assert not service.is_workday(session=session, area_code=f.LENGSHUIGOU, day=date(2026, 2, 16))
    assert service.add_working_days(
        session=session, area_code=f.LENGSHUIGOU, start=date(2026, 2, 13), days=2
    ) == date(2026, 2, 24)
    assert (
        service.working_days_between(
            session=session, area_code=f.LENGSHUIGOU, start=date(2026, 2, 13), end=date(2026, 2, 28)
        )
        == 6
    )


def test_a_county_correction_overrides_the_national_calendar(session: Session) -> None:
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    service.set_day(
        session=session,
        area_code=f.NINGSHAN,
        day=date(2026, 10, 9),
        is_workday=False,
        note="县庆",
        actor=officer,
    )
    assert not service.is_workday(session=session, area_code=f.LENGSHUIGOU, day=date(2026, 10, 9))
    # Another county keeps the national calendar.
    assert service.is_workday(session=session, area_code=f.GAOJIAZHUANG, day=date(2026, 10, 9))


def test_years_the_library_does_not_know_fall_back_to_weekdays() -> None:
    first, last = service.covered_years()
    assert first <= 2023 and last >= 2026
    assert service.national_is_workday(date(2099, 1, 5)) is True  # a Monday
    assert service.national_is_workday(date(2099, 1, 3)) is False  # a Saturday


def _walk(cal_is_workday, start: date, end: date) -> int:  # type: ignore[no-untyped-def]
    """The old day-by-day count, as the reference the ordinals must agree with."""
    step = 1 if end >= start else -1
    n, day = 0, start
    while day != end:
        nxt = day + timedelta(days=step)
        if step > 0 and cal_is_workday(nxt):
            n += 1
        if step < 0 and cal_is_workday(day):
            n -= 1
        day = nxt
    return n


EDGES = [
    date(2025, 12, 31),  # a year's end
    date(2026, 1, 1),  # 元旦
    date(2026, 1, 4),  # 调休 Sunday worked
    date(2026, 2, 13),
    date(2026, 2, 14),  # 调休 Saturday before 春节
    date(2026, 2, 16),  # 春节
    date(2026, 2, 28),  # 调休 Saturday, a month's end
    date(2026, 3, 1),
    date(2026, 4, 30),
    date(2026, 9, 30),
    date(2026, 10, 7),
    date(2026, 10, 10),  # 调休 Saturday after 国庆
    date(2026, 10, 31),
    date(2099, 12, 31),  # past the national table: weekdays
    date(2100, 12, 31),  # the ordinal table's last day
    date(2101, 1, 3),  # beyond it
    date(1999, 12, 31),  # before it
]


def test_ordinals_count_as_the_day_by_day_walk_did(session: Session) -> None:
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    # A county holiday on a Friday and a worked Saturday, both near the edges above.
    for day, worked in ((date(2026, 10, 9), False), (date(2026, 2, 21), True)):
        service.set_day(
            session=session,
            area_code=f.NINGSHAN,
            day=day,
            is_workday=worked,
            note="县级调整",
            actor=officer,
        )
    for area in (f.LENGSHUIGOU, f.GAOJIAZHUANG):
        cal = service.calendar(session=session, area_code=area)
        for start in EDGES:
            for end in EDGES:
                if abs((end - start).days) > 800:
                    continue
                assert cal.working_days_between(start, end) == _walk(cal.is_workday, start, end), (
                    area,
                    start,
                    end,
                )
            for days in (0, 1, 2, 5, 23):
                current, left = start, days
                while left > 0:
                    current += timedelta(days=1)
                    left -= cal.is_workday(current)
                assert cal.add(start, days) == current, (area, start, days)
            last = cal.last_workday(start)
            assert cal.is_workday(last) and last <= start
            assert all(
                not cal.is_workday(last + timedelta(days=i + 1)) for i in range((start - last).days)
            )


def test_a_correction_changes_the_count_at_once(session: Session) -> None:
    """The ordinals are kept by the corrections' content: a new correction is a new table,
    whatever this process computed before."""
    before = service.working_days_between(
        session=session, area_code=f.LENGSHUIGOU, start=date(2026, 10, 8), end=date(2026, 10, 12)
    )
    assert before == 3  # 10-09 (Fri), 10-10 (调休 Sat), 10-12 (Mon)
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    service.set_day(
        session=session,
        area_code=f.NINGSHAN,
        day=date(2026, 10, 9),
        is_workday=False,
        note="县庆",
        actor=officer,
    )
    after = service.working_days_between(
        session=session, area_code=f.LENGSHUIGOU, start=date(2026, 10, 8), end=date(2026, 10, 12)
    )
    assert after == 2
    service.set_day(
        session=session,
        area_code=f.NINGSHAN,
        day=date(2026, 10, 9),
        is_workday=True,
        note="撤销",
        actor=officer,
    )
    assert (
        service.working_days_between(
            session=session,
            area_code=f.LENGSHUIGOU,
            start=date(2026, 10, 8),
            end=date(2026, 10, 12),
        )
        == 3
    )
