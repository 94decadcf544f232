"""Overdue (逾期) in working days on each area's calendar, and 长期坚持 problems whose review
date has passed (复核已逾期)."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case
from sqlmodel import Session, col

from backend.core.scope import within
from backend.rectification.models import HANDED_IN, Problem, ProblemStatus
from backend.workdays import service as workdays_service


class OverdueJudge:
    """Working days past the deadline, on each area's working-day calendar. A problem handed
    in is judged at the day it was handed in; an open one at today. The calendars of the
    set's areas are read in one query; each problem is then two ordinals subtracted."""

    def __init__(self, *, session: Session, problems: Sequence[Problem], today: date) -> None:
        self.today = today
        self._cals = workdays_service.calendars(
            session=session, area_codes={p.area_code for p in problems}
        )

    def end_of(self, problem: Problem) -> date:
        if problem.status in HANDED_IN and problem.submitted_on is not None:
            return problem.submitted_on
        return self.today

    def days(self, problem: Problem) -> int:
        end = self.end_of(problem)
        if end <= problem.deadline:
            return 0
        return self._cals[problem.area_code].working_days_between(problem.deadline, end)

    def overdue(self, problem: Problem) -> bool:
        """Open and past its deadline (the red mark on lists)."""
        return problem.status not in HANDED_IN and self.days(problem) > 0


def overdue_condition(*, session: Session, scope: str, today: date) -> Any:
    """`OverdueJudge.overdue` as SQL for the problems under `scope`: open, with a working
    day after the deadline by today, i.e. a deadline before the last working day on or
    before today of the problem's area (one date per calendar in force under the scope)."""
    calendars = workdays_service.calendars_under(session=session, scope=scope)
    *local, (_, general) = calendars
    last = general.last_workday(today)
    if local:
        last = case(
            *((within(Problem.area_code, code), cal.last_workday(today)) for code, cal in local),
            else_=last,
        )
    return and_(col(Problem.status).not_in(list(HANDED_IN)), col(Problem.deadline) < last)


def review_due(problem: Problem, today: date) -> bool:
    """长期坚持 whose next review date has passed: the 回头看 was missed."""
    return (
        problem.status == ProblemStatus.closed
        and problem.ongoing
        and problem.next_review_on is not None
        and problem.next_review_on < today
    )


def review_due_condition(today: date) -> Any:
    """`review_due` as SQL, for filtering lists."""
    return and_(
        Problem.status == ProblemStatus.closed,
        col(Problem.ongoing).is_(True),
        col(Problem.next_review_on) < today,
    )
