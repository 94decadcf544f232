"""Problems (问题): loading one in reach, issuing and correcting it, lists, and the answers
the screens read (summaries, a problem's detail)."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import case, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts import service as accounts_service
from backend.accounts.access import CLAIMERS, REVIEWERS
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.loaders import load_or_404
from backend.core.paging import equals
from backend.core.scope import contains, in_area, within
from backend.core.usecase import use_case
from backend.households import service as households_service
from backend.rectification import records
from backend.rectification.models import (
    CATEGORY_NAMES,
    HANDED_IN,
    OPEN_FOR_WORK,
    STATUS_NAMES,
    Evidence,
    Problem,
    ProblemBatch,
    ProblemHousehold,
    ProblemStatus,
)
from backend.rectification.overdue import (
    OverdueJudge,
    overdue_condition,
    review_due,
    review_due_condition,
)
from backend.rectification.permissions import allowed_actions, require_issuer
from backend.rectification.schemas import (
    EvidencePublic,
    NotePublic,
    ProblemCreate,
    ProblemFilters,
    ProblemPublic,
    ProblemSummary,
    ProblemUpdate,
    RectificationStepPublic,
    RectificationUserRef,
    ReviewPublic,
)
from backend.webhooks import events as webhooks
from backend.webhooks.models import EventKind

# --- loading and checking ------------------------------------------------------------------


def get_problem(
    *, session: Session, user: User, problem_id: uuid.UUID, lock: bool = False
) -> Problem:
    """The problem, or the same 404 whether missing or out of reach. `lock` holds the row
    (PostgreSQL) so two people cannot claim or review the same problem at once."""
    return load_or_404(
        session,
        Problem,
        problem_id,
        sees=in_area(user.scope),
        missing="没有找到这个问题",
        lock=lock,
    )


def next_number(session: Session, batch_id: uuid.UUID) -> int:
    top = session.exec(select(func.max(Problem.number)).where(Problem.batch_id == batch_id)).one()
    return (top or 0) + 1


def flush_or_number_taken(session: Session, message: str = "序号已被占用,请重试") -> None:
    """Write what is pending; a number another issuer took meanwhile is a 409 and nothing
    of this transaction is kept."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(message, code="number_taken") from exc


def check_problem_area(
    *, session: Session, batch: ProblemBatch, area_code: str, field: str
) -> None:
    if areas_service.get(session=session, code=area_code) is None:
        raise Invalid(field, "没有这个地区代码")
    if not contains(batch.area_code, area_code):
        raise Invalid(field, "问题所在地区不在本批问题清单的下发范围内")


def check_deadline(batch: ProblemBatch, deadline: date, field: str = "deadline") -> None:
    if deadline > batch.deadline:
        raise Invalid(field, f"不能晚于本批问题清单的整改时限 {batch.deadline.isoformat()}")
    if deadline < batch.issued_on:
        raise Invalid(field, f"不能早于问题清单的下发日期 {batch.issued_on.isoformat()}")


def apply_changes(row: Problem | ProblemBatch, changes: dict[str, Any]) -> dict[str, Any]:
    """Set `changes` on the row and stamp it; returns them as audit changes."""
    before = {k: getattr(row, k) for k in changes}
    for key, value in changes.items():
        setattr(row, key, value)
    row.updated_at = clock.now()
    return audit.diff(before, changes)


# What a problem is issued with: its audit record when issued or copied.
ISSUED = (
    "batch_id",
    "number",
    "title",
    "description",
    "category",
    "severity",
    "area_code",
    "responsible_unit",
    "responsible_person",
    "deadline",
    "status",
)


def issued_fields(problem: Problem) -> dict[str, Any]:
    """What a new problem was issued with, as audit changes (from nothing)."""
    return {k: [None, getattr(problem, k)] for k in ISSUED}


# --- issuing and correcting ----------------------------------------------------------------


def _check_households(*, session: Session, data: ProblemCreate, actor: User) -> None:
    for i, household_id in enumerate(data.household_ids):
        try:
            household = households_service.get_visible(
                session=session, user=actor, household_id=household_id
            )
        except NotFound:
            raise Invalid(f"household_ids.{i}", "没有找到这户") from None
        if not contains(data.area_code, household.area_code):
            raise Invalid(f"household_ids.{i}", "这户不在问题所在地区")


@use_case
def add_problem(
    *, session: Session, batch: ProblemBatch, data: ProblemCreate, actor: User
) -> Problem:
    """One problem in a batch (an import adds many in its own use case)."""
    require_issuer(actor, batch.area_code)
    # A problem lies in the list's own area unless it names another.
    area_code = data.area_code or batch.area_code
    data = data.model_copy(update={"area_code": area_code})
    check_problem_area(session=session, batch=batch, area_code=area_code, field="area_code")
    deadline = data.deadline or batch.deadline
    check_deadline(batch, deadline)
    _check_households(session=session, data=data, actor=actor)
    number = data.number or next_number(session, batch.id)
    if session.exec(
        select(Problem.id).where(Problem.batch_id == batch.id, Problem.number == number)
    ).first():
        raise Conflict(f"本批清单已有序号为 {number} 的问题", code="number_taken")
    problem = Problem.model_validate(
        data.model_dump(exclude={"household_ids"}),
        update={
            "batch_id": batch.id,
            "number": number,
            "deadline": deadline,
            "created_by": actor.id,
        },
    )
    session.add(problem)
    flush_or_number_taken(session)  # two issuers took the same number at once
    for household_id in dict.fromkeys(data.household_ids):
        session.add(ProblemHousehold(problem_id=problem.id, household_id=household_id))
    changes = issued_fields(problem)
    if data.household_ids:
        changes["household_ids"] = [None, [str(h) for h in data.household_ids]]
    audit.record_change(session=session, row=problem, actor=actor, action="issue", changes=changes)
    tell(session=session, problem=problem, kind=EventKind.problem_issued)
    return problem


def tell(*, session: Session, problem: Problem, kind: EventKind) -> None:
    """A problem's webhook event (issued, closed), in the change's transaction."""
    webhooks.emit(session=session, kind=kind, area_code=problem.area_code, data=event_data(problem))


def event_data(problem: Problem) -> dict[str, Any]:
    """What a problem's webhook event says: ids, codes, status and deadline."""
    return {
        "problem_id": str(problem.id),
        "batch_id": str(problem.batch_id),
        "number": problem.number,
        "status": problem.status,
        "severity": problem.severity,
        "category": problem.category,
        "deadline": problem.deadline.isoformat(),
        "copied_from_id": str(problem.copied_from_id) if problem.copied_from_id else None,
    }


@use_case
def update_problem(
    *, session: Session, problem: Problem, data: ProblemUpdate, actor: User
) -> Problem:
    """Correct an issued problem. Once claimed, what the responsible person took on stays."""
    batch = session.get(ProblemBatch, problem.batch_id)
    assert batch is not None
    require_issuer(actor, batch.area_code)
    if problem.status != ProblemStatus.issued:
        raise Conflict("问题已被认领,不能再修改下发内容", code="already_claimed")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "area_code" in changes:
        check_problem_area(
            session=session, batch=batch, area_code=changes["area_code"], field="area_code"
        )
        if not contains(actor.scope, changes["area_code"]):
            raise Forbidden("只能把问题下发到本辖区", code="outside_scope")
    if "deadline" in changes:
        check_deadline(batch, changes["deadline"])
    diff = apply_changes(problem, changes)
    session.add(problem)
    audit.record_change(session=session, row=problem, actor=actor, action="update", changes=diff)
    return problem


# --- lists ---------------------------------------------------------------------------------


def _conditions(*, user: User, today: date, filters: ProblemFilters) -> list[Any]:
    """The list's filters as SQL, all but `overdue` (that needs the calendars)."""
    f = filters
    cond: list[Any] = [
        within(Problem.area_code, user.scope),
        *equals(Problem, f, "batch_id", "status", "category"),
    ]
    if f.area:
        cond.append(within(Problem.area_code, f.area))
    if f.source:
        cond.append(
            exists().where(ProblemBatch.id == Problem.batch_id, ProblemBatch.source == f.source)
        )
    if f.mine:
        cond.append(Problem.claimed_by == user.id)
    if f.q:
        cond.append(or_(col(Problem.title).contains(f.q), col(Problem.description).contains(f.q)))
    if f.review_due is not None:
        due = review_due_condition(today)
        # NOT over a NULL review date is NULL in SQL: say "no review date" is "not due".
        cond.append(due if f.review_due else or_(~due, col(Problem.next_review_on).is_(None)))
    return cond


def list_problems(
    *,
    session: Session,
    user: User,
    filters: ProblemFilters | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Problem], int, OverdueJudge]:
    filters = filters or ProblemFilters()
    today = clock.today()
    cond = _conditions(user=user, today=today, filters=filters)
    order = (col(Problem.deadline), col(Problem.number), col(Problem.id))
    if filters.overdue is not None:
        # Judged in SQL on the working-day calendar (a deadline on a Friday is not overdue
        # on the Sunday after): the count and the page grow with the page, not the county.
        late = overdue_condition(session=session, scope=user.scope, today=today)
        cond.append(late if filters.overdue else ~late)
    count = session.exec(select(func.count()).select_from(Problem).where(*cond)).one()
    rows = list(
        session.exec(select(Problem).where(*cond).order_by(*order).offset(offset).limit(limit))
    )
    return rows, count, OverdueJudge(session=session, problems=rows, today=today)


def problems_of_batch(*, session: Session, batch: ProblemBatch, user: User) -> list[Problem]:
    """The batch's problems the caller sees, by number (the ledger's and the report's)."""
    stmt = (
        select(Problem)
        .where(Problem.batch_id == batch.id, within(Problem.area_code, user.scope))
        .order_by(col(Problem.number))
    )
    return list(session.exec(stmt))


# --- answers -------------------------------------------------------------------------------


def user_refs(
    *, session: Session, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, RectificationUserRef]:
    """Names of the people a page mentions, in one query (as households do for helpers): their
    names and units, not whole accounts (the county's boards name a thousand claimants)."""
    people = accounts_service.names_and_units(
        session=session, ids=[i for i in ids if i is not None]
    )
    return {
        uid: RectificationUserRef(id=uid, full_name=name, unit=unit)
        for uid, (name, unit) in people.items()
    }


def user_names(*, session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    return {k: v.full_name for k, v in user_refs(session=session, ids=ids).items()}


# A summary's fields read from the problem as stored (the rest are looked up or judged);
# a detail adds the description and the dates.
_AS_STORED = (
    "id",
    *(k for k in ISSUED if k != "description"),
    "return_count",
    "ongoing",
    "next_review_on",
)
_DETAIL_AS_STORED = ("description", "claimed_at", "submitted_at", "closed_at", "copied_from_id")


def summaries(
    *, session: Session, problems: Sequence[Problem], judge: OverdueJudge | None = None
) -> list[ProblemSummary]:
    judge = judge or OverdueJudge(session=session, problems=problems, today=clock.today())
    areas = areas_service.names(session=session, codes=[p.area_code for p in problems])
    users = user_refs(session=session, ids=[p.claimed_by for p in problems])
    batch_ids = list({p.batch_id for p in problems})
    titles = (
        dict(
            session.exec(
                select(ProblemBatch.id, ProblemBatch.title).where(
                    col(ProblemBatch.id).in_(batch_ids)
                )
            ).all()
        )
        if batch_ids
        else {}
    )
    return [
        ProblemSummary(
            **{k: getattr(p, k) for k in _AS_STORED},
            batch_title=titles.get(p.batch_id),
            category_name=CATEGORY_NAMES[p.category],
            area_name=areas.get(p.area_code),
            status_name=STATUS_NAMES[p.status],
            claimed_by=users.get(p.claimed_by) if p.claimed_by else None,
            overdue=judge.overdue(p),
            overdue_days=judge.days(p),
            review_due=review_due(p, judge.today),
        )
        for p in problems
    ]


def household_ids_of(*, session: Session, problem_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(ProblemHousehold.household_id).where(ProblemHousehold.problem_id == problem_id)
    return list(session.exec(stmt))


def _evidence_by_step(
    *,
    session: Session,
    user: User,
    problem: Problem,
    evidence: Sequence[Evidence],
    users: dict[uuid.UUID, RectificationUserRef],
) -> dict[uuid.UUID, list[EvidencePublic]]:
    by_step: dict[uuid.UUID, list[EvidencePublic]] = defaultdict(list)
    infos = records.file_infos(session=session, user=user, file_ids=[e.file_id for e in evidence])
    for e in evidence:
        info = infos.get(e.file_id) if e.file_id else None
        by_step[e.step_id].append(
            EvidencePublic(
                id=e.id,
                step_id=e.step_id,
                kind=e.kind,
                file_id=e.file_id,
                file_name=info.name if info else None,
                content_type=info.content_type if info else None,
                file_date=info.on if info else None,
                caption=info.caption if info else None,
                text=e.text,
                frozen=e.frozen_at is not None or problem.status in HANDED_IN,
                created_by=users.get(e.created_by) if e.created_by else None,
                created_at=e.created_at,
            )
        )
    return by_step


def detail(*, session: Session, user: User, problem: Problem) -> ProblemPublic:
    """One problem with its steps and their evidence, notes, reviews and the caller's `can`."""
    summary = summaries(session=session, problems=[problem])[0]
    batch = session.get(ProblemBatch, problem.batch_id)
    steps = records.steps_of(session=session, problem_id=problem.id)
    evidence = records.evidence_of(session=session, problem_id=problem.id)
    notes = records.notes_of(session=session, problem_id=problem.id)
    reviews = records.reviews_of(session=session, problem_id=problem.id)
    users = user_refs(
        session=session,
        ids=[e.created_by for e in evidence]
        + [n.created_by for n in notes]
        + [r.reviewer_id for r in reviews]
        + [problem.closed_by],
    )
    by_step = _evidence_by_step(
        session=session, user=user, problem=problem, evidence=evidence, users=users
    )
    return ProblemPublic(
        **summary.model_dump(),
        **{k: getattr(problem, k) for k in _DETAIL_AS_STORED},
        source=batch.source if batch else "inspection",
        household_ids=household_ids_of(session=session, problem_id=problem.id),
        closed_by=users.get(problem.closed_by) if problem.closed_by else None,
        steps=[
            RectificationStepPublic(
                id=s.id,
                position=s.position,
                description=s.description,
                planned_on=s.planned_on,
                evidence=by_step.get(s.id, []),
            )
            for s in steps
        ],
        notes=[
            NotePublic(
                id=n.id,
                text=n.text,
                created_by=users.get(n.created_by) if n.created_by else None,
                created_at=n.created_at,
            )
            for n in notes
        ],
        reviews=[
            ReviewPublic(
                id=r.id,
                decision=r.decision,
                reason=r.reason,
                reviewer=users.get(r.reviewer_id),
                created_at=r.created_at,
            )
            for r in reviews
        ],
        can=allowed_actions(
            user, problem, session=session, batch_area=batch.area_code if batch else None
        ),
    )


def tallies(*, session: Session, prefix: str) -> dict[str, dict[str, int]]:
    """Per area code inside `prefix`: problems open (not closed), overdue (the list's
    `overdue=true`: open, past the deadline in working days, judged in SQL) and closed, in
    one grouped statement."""
    closed = Problem.status == ProblemStatus.closed
    late = overdue_condition(session=session, scope=prefix, today=clock.today())
    per: dict[str, dict[str, int]] = defaultdict(lambda: {"open": 0, "overdue": 0, "closed": 0})
    for code, is_closed, n, n_late in session.exec(
        select(Problem.area_code, closed, func.count(), func.sum(case((late, 1), else_=0)))
        .where(within(Problem.area_code, prefix))
        .group_by(col(Problem.area_code), closed)
    ):
        per[code]["closed" if is_closed else "open"] += n
        per[code]["overdue"] += int(n_late or 0)
    return dict(per)


def awaiting(*, session: Session, user: User) -> list[tuple[str, Problem, bool]]:
    """(what, problem, overdue) for the problems waiting on `user`: to claim (issued to their
    own area's level), to rectify (claimed by them: returned ones included), to review
    (handed in, in their area, not their own work)."""
    today = clock.today()
    scope = within(Problem.area_code, user.scope)
    found: list[tuple[str, Problem]] = []
    if user.role in CLAIMERS and user.scope:
        stmt = select(Problem).where(
            scope,
            Problem.status == ProblemStatus.issued,
            func.length(Problem.area_code) == len(user.scope),
        )
        found += [("claim", p) for p in session.exec(stmt.limit(500))]
    stmt = select(Problem).where(
        Problem.claimed_by == user.id, col(Problem.status).in_(list(OPEN_FOR_WORK))
    )
    found += [("rectify", p) for p in session.exec(stmt.limit(500))]
    if user.role in REVIEWERS:
        stmt = select(Problem).where(
            scope,
            Problem.status == ProblemStatus.submitted_for_closure,
            or_(col(Problem.claimed_by).is_(None), Problem.claimed_by != user.id),
        )
        found += [("review", p) for p in session.exec(stmt.limit(500))]
    judge = OverdueJudge(session=session, problems=[p for _, p in found], today=today)
    return [(what, p, judge.overdue(p)) for what, p in found]
