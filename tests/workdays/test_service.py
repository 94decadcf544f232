"""Working-day arithmetic across 国庆 and 春节, with their 调休 make-up days."""

from datetime import date

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
