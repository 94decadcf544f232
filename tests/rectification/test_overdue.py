"""Overdue judged in SQL (the list's `overdue` filter) agrees with the judge's working-day
count at the calendar's edges: holidays, 调休 Saturdays, month ends, a county's own day."""

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from backend.accounts.models import Role
from backend.core import clock
from backend.rectification import service
from backend.rectification.models import Problem, ProblemBatch, ProblemStatus
from backend.rectification.overdue import OverdueJudge
from backend.rectification.schemas import ProblemFilters
from backend.workdays import service as workdays_service
from backend.workdays.service import national_is_workday
from tests import factories as f
from tests.rectification.conftest import HUINING, NANSHILIPU

DEADLINES = [
    date(2026, 1, 30),  # a Friday, a month's end
    date(2026, 2, 13),  # the last working day before 春节
    date(2026, 2, 14),  # 调休 Saturday
    date(2026, 2, 20),  # inside 春节
    date(2026, 2, 27),
    date(2026, 2, 28),  # 调休 Saturday, a month's end
    date(2026, 9, 30),
    date(2026, 10, 8),
    date(2026, 10, 9),  # the county's own holiday below (南十里铺 only)
]
TODAYS = [
    date(2026, 2, 14),
    date(2026, 2, 16),
    date(2026, 2, 24),
    date(2026, 3, 1),
    date(2026, 3, 2),
    date(2026, 10, 8),
    date(2026, 10, 9),
    date(2026, 10, 10),
    date(2026, 10, 11),
    date(2026, 10, 12),
]


def _walk(start: date, end: date, local_holiday: date | None) -> int:
    """Working days after `start` up to `end`, counted one by one (the rule as written)."""
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        n += national_is_workday(day) and day != local_holiday
    return n


def test_the_overdue_filter_in_sql_agrees_with_the_day_by_day_rule(session: Session) -> None:
    officer = f.user(session, Role.county_officer, HUINING)
    # 南十里铺村 takes 2026-10-09 (a Friday) off; 高家庄村 next door works it.
    workdays_service.set_day(
        session=session,
        area_code=NANSHILIPU,
        day=date(2026, 10, 9),
        is_workday=False,
        note="村里庙会",
        actor=officer,
    )
    batch = ProblemBatch(
        area_code=HUINING,
        source="inspection",
        title="督查",
        issued_on=date(2026, 1, 5),
        deadline=date(2026, 12, 31),
    )
    session.add(batch)
    session.flush()
    problems = []
    for area in (f.GAOJIAZHUANG, NANSHILIPU):
        for status in (ProblemStatus.issued, ProblemStatus.submitted_for_closure):
            for d in DEADLINES:
                problems.append(
                    Problem(
                        batch_id=batch.id,
                        number=len(problems) + 1,
                        title="问题",
                        category="records",
                        area_code=area,
                        deadline=d,
                        status=status,
                        submitted_on=d + timedelta(days=3)
                        if status == ProblemStatus.submitted_for_closure
                        else None,
                    )
                )
    session.add_all(problems)
    session.commit()
    for today in TODAYS:
        clock.freeze(datetime(today.year, today.month, today.day, 2, tzinfo=UTC))
        judge = OverdueJudge(session=session, problems=problems, today=today)
        expected = set()
        for p in problems:
            holiday = date(2026, 10, 9) if p.area_code == NANSHILIPU else None
            end = p.submitted_on if p.submitted_on else today
            days = _walk(p.deadline, end, holiday) if end > p.deadline else 0
            assert judge.days(p) == days, (today, p.area_code, p.deadline, p.status)
            if p.status == ProblemStatus.issued and days > 0:
                expected.add(p.id)
        late, n, _ = service.list_problems(
            session=session, user=officer, filters=ProblemFilters(overdue=True), limit=1000
        )
        assert {p.id for p in late} == expected and n == len(expected), today
        rest, m, _ = service.list_problems(
            session=session, user=officer, filters=ProblemFilters(overdue=False), limit=1000
        )
        assert {p.id for p in rest} == {p.id for p in problems} - expected, today
        assert m == len(problems) - len(expected)
