"""红黑榜: units, people and areas one level down, ranked by overdue and returned problems
(warning board) or by problems closed on time at the first review (honor board)."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.core import clock
from backend.core.errors import Invalid, NotFound
from backend.core.scope import contains, within
from backend.rectification import service
from backend.rectification.models import Problem, ProblemStatus
from backend.rectification.overdue import OverdueJudge, review_due
from backend.rectification.schemas import Board, BoardEntry, BoardsPublic, RectificationUserRef

TOP = 10

# (name, unit) → mark → count
Tally = dict[tuple[str, str | None], dict[str, int]]


def _new_tally() -> Tally:
    return defaultdict(lambda: defaultdict(int))


def _marks(problem: Problem, judge: OverdueJudge) -> dict[str, int]:
    late = judge.days(problem) > 0
    return {
        "total": 1,
        "overdue": int(late),
        "returned": int(problem.return_count > 0),
        "closed_on_time_first_review": int(
            problem.status == ProblemStatus.closed and problem.return_count == 0 and not late
        ),
        "review_due": int(review_due(problem, judge.today)),
    }


def _tally(
    problems: Sequence[Problem],
    *,
    judge: OverdueJudge,
    users: dict[uuid.UUID, RectificationUserRef],
    level: int | None,
    area_names: dict[str, str],
) -> tuple[Tally, Tally, Tally]:
    """Each problem counted for its unit, its person (the claimant, or before a claim the
    person named on the list) and its area one level down."""
    units, people, areas = _new_tally(), _new_tally(), _new_tally()
    for p in problems:
        keys: list[tuple[Tally, tuple[str, str | None]]] = [
            (units, (p.responsible_unit or "(未写明责任单位)", None))
        ]
        if p.claimed_by and p.claimed_by in users:
            ref = users[p.claimed_by]
            keys.append((people, (ref.full_name, ref.unit or p.responsible_unit)))
        elif p.responsible_person:
            keys.append((people, (p.responsible_person, p.responsible_unit or None)))
        if level:
            code = p.area_code[:level]
            if len(code) == level:
                keys.append((areas, (area_names.get(code, code), None)))
        marks = _marks(p, judge)
        for tally, key in keys:
            for mark, n in marks.items():
                tally[key][mark] += n
    return units, people, areas


def _entries(tally: Tally) -> list[BoardEntry]:
    return [
        BoardEntry(name=name, unit=unit, **dict(counts)) for (name, unit), counts in tally.items()
    ]


def _warning(tally: Tally) -> list[BoardEntry]:
    rows = [e for e in _entries(tally) if e.overdue or e.returned or e.review_due]
    return sorted(rows, key=lambda e: (-e.overdue, -e.returned, -e.review_due, e.name))[:TOP]


def _honor(tally: Tally) -> list[BoardEntry]:
    rows = [e for e in _entries(tally) if e.closed_on_time_first_review]
    return sorted(
        rows, key=lambda e: (-e.closed_on_time_first_review, e.overdue, e.returned, e.name)
    )[:TOP]


def boards(*, session: Session, user: User, area: str | None) -> BoardsPublic:
    """红黑榜 for a county or township (the caller's area when none is named)."""
    area = area if area is not None else user.scope
    if not contains(user.scope, area):
        raise NotFound("没有找到这个地区")
    if not area:
        raise Invalid("area", "请选择县或乡镇")
    # The columns the boards count by, not whole problems: a county has thousands.
    problems: list[Any] = list(
        session.exec(
            select(
                Problem.area_code,
                Problem.deadline,
                Problem.status,
                Problem.submitted_on,
                Problem.return_count,
                Problem.claimed_by,
                Problem.responsible_unit,
                Problem.responsible_person,
                Problem.ongoing,
                Problem.next_review_on,
            ).where(within(Problem.area_code, area), within(Problem.area_code, user.scope))
        )
    )
    today = clock.today()
    judge = OverdueJudge(session=session, problems=problems, today=today)
    users = service.user_refs(session=session, ids=[p.claimed_by for p in problems])
    level = {6: 9, 9: 12}.get(len(area))
    area_names = areas_service.names(
        session=session, codes=[area] + ([p.area_code[:level] for p in problems] if level else [])
    )
    units, people, areas = _tally(
        problems, judge=judge, users=users, level=level, area_names=area_names
    )
    return BoardsPublic(
        area_code=area,
        area_name=area_names.get(area),
        as_of=today,
        review_due=sum(1 for p in problems if review_due(p, today)),
        warning_board=Board(units=_warning(units), people=_warning(people), areas=_warning(areas)),
        honor_board=Board(units=_honor(units), people=_honor(people), areas=_honor(areas)),
    )
