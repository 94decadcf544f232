"""整改销号 rules: who issues, sees and works on which problem; overdue; lists; boards; copies."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.access import CLAIMERS, ISSUERS, REVIEWERS
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.areas.models import AreaLevel
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.scope import contains, within
from backend.files import service as files_service
from backend.files.models import StoredFile
from backend.households import service as households_service
from backend.rectification.models import (
    CATEGORY_NAMES,
    SOURCE_NAMES,
    STATUS_NAMES,
    Evidence,
    Problem,
    ProblemBatch,
    ProblemHousehold,
    ProblemReview,
    ProblemStatus,
    ProgressNote,
    RectificationStep,
)
from backend.rectification.schemas import (
    AreaRef,
    BatchCounts,
    BatchCreate,
    BatchPublic,
    BatchUpdate,
    Board,
    BoardEntry,
    BoardsPublic,
    CopyInput,
    EvidencePublic,
    NotePublic,
    ProblemCreate,
    ProblemPublic,
    ProblemSummary,
    ProblemUpdate,
    ReviewPublic,
    StepPublic,
    UserRef,
)
from backend.workdays import service as workdays_service

# A problem is "handed in" in these states: lateness is judged at the submission date.
HANDED_IN = frozenset({ProblemStatus.submitted_for_closure, ProblemStatus.closed})
OPEN_FOR_WORK = frozenset(
    {ProblemStatus.claimed, ProblemStatus.in_progress, ProblemStatus.returned}
)


# --- permissions ---------------------------------------------------------------------------


def require_issuer(user: User, area_code: str) -> None:
    if user.role not in ISSUERS:
        raise Forbidden("只有督查员、县乡村振兴局和乡镇干部可以下发问题清单", code="role_forbidden")
    if not contains(user.scope, area_code):
        raise Forbidden("只能向本辖区下发问题", code="outside_scope")


def is_claimant(session: Session, user: User, problem: Problem) -> bool:
    """The person who rectified it: the same account, or another account with the same
    phone number (one person holding a village and a township account)."""
    if problem.claimed_by is None:
        return False
    if problem.claimed_by == user.id:
        return True
    if not user.phone:
        return False
    claimant = session.get(User, problem.claimed_by)
    return claimant is not None and bool(claimant.phone) and claimant.phone == user.phone


def require_reviewer(
    user: User, problem: Problem, *, session: Session, action: str = "审核销号"
) -> None:
    if user.role not in REVIEWERS:
        raise Forbidden(f"只有督查员、县乡村振兴局和乡镇干部可以{action}", code="role_forbidden")
    if is_claimant(session, user, problem):
        raise Forbidden("不能审核自己整改的问题,请由其他人审核", code="own_rectification")


def require_responsible(user: User, problem: Problem) -> None:
    if problem.claimed_by is None or problem.claimed_by != user.id:
        raise Forbidden("只有认领该问题的责任人可以整改", code="not_responsible")


# --- overdue -------------------------------------------------------------------------------


class OverdueJudge:
    """Working days past the deadline, on each area's working-day calendar. A problem handed
    in is judged at the day it was handed in; an open one at today. Calendars are loaded
    once per area for the whole set, so a list costs one query per village, not per row."""

    def __init__(self, *, session: Session, problems: Sequence[Problem], today: date) -> None:
        self.today = today
        self._cals: dict[str, workdays_service.Calendar] = {}
        ends = [self.end_of(p) for p in problems]
        late = [p for p, end in zip(problems, ends, strict=True) if end > p.deadline]
        if late:
            start = min(p.deadline for p in late)
            stop = max(ends)
            for code in {p.area_code for p in late}:
                self._cals[code] = workdays_service.Calendar(
                    session=session, area_code=code, start=start, end=stop
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


def review_due(problem: Problem, today: date) -> bool:
    """长期坚持 whose next review date has passed: the 回头看 was missed."""
    return (
        problem.status == ProblemStatus.closed
        and problem.ongoing
        and problem.next_review_on is not None
        and problem.next_review_on < today
    )


def _review_due_sql(today: date) -> Any:
    return and_(
        Problem.status == ProblemStatus.closed,
        col(Problem.ongoing).is_(True),
        col(Problem.next_review_on) < today,
    )


# --- batches -------------------------------------------------------------------------------


def _batch_visible(scope: str) -> Any:
    """A batch is seen by those whose area covers it, and by those who have a problem in it
    (a village sees the township's list through its own problems)."""
    has_mine = exists().where(Problem.batch_id == ProblemBatch.id, within(Problem.area_code, scope))
    return or_(within(ProblemBatch.area_code, scope), has_mine)


def get_batch(*, session: Session, user: User, batch_id: uuid.UUID) -> ProblemBatch:
    batch = session.exec(
        select(ProblemBatch).where(ProblemBatch.id == batch_id, _batch_visible(user.scope))
    ).first()
    if batch is None:
        raise NotFound("没有找到这份问题清单")
    return batch


def create_batch(*, session: Session, data: BatchCreate, actor: User) -> ProblemBatch:
    require_issuer(actor, data.area_code)
    if areas_service.get(session=session, code=data.area_code) is None:
        raise Invalid("area_code", "没有这个地区代码")
    batch = ProblemBatch.model_validate(data.model_dump(), update={"created_by": actor.id})
    session.add(batch)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        entity="problem_batch",
        entity_id=batch.id,
        area_code=batch.area_code,
        action="create",
        changes={k: [None, v] for k, v in data.model_dump().items()},
    )
    session.commit()
    return batch


def update_batch(
    *, session: Session, batch: ProblemBatch, data: BatchUpdate, actor: User
) -> ProblemBatch:
    require_issuer(actor, batch.area_code)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "deadline" in changes:
        if changes["deadline"] < batch.issued_on:
            raise Invalid("deadline", "整改时限不能早于下发日期")
        latest = session.exec(
            select(func.max(Problem.deadline)).where(Problem.batch_id == batch.id)
        ).one()
        if latest is not None and changes["deadline"] < latest:
            raise Invalid("deadline", f"已有问题的整改时限为 {latest},清单时限不能早于它")
    before = {k: getattr(batch, k) for k in changes}
    for key, value in changes.items():
        setattr(batch, key, value)
    batch.updated_at = clock.now()
    session.add(batch)
    audit.record(
        session=session,
        actor=actor,
        entity="problem_batch",
        entity_id=batch.id,
        area_code=batch.area_code,
        action="update",
        changes=audit.diff(before, changes),
    )
    session.commit()
    return batch


def list_batches(
    *, session: Session, user: User, offset: int = 0, limit: int = 50
) -> tuple[list[ProblemBatch], int]:
    cond = _batch_visible(user.scope)
    count = session.exec(select(func.count()).select_from(ProblemBatch).where(cond)).one()
    stmt = (
        select(ProblemBatch)
        .where(cond)
        .order_by(col(ProblemBatch.issued_on).desc(), col(ProblemBatch.created_at).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(stmt)), count


def batch_public(
    *, session: Session, user: User, batches: Sequence[ProblemBatch]
) -> list[BatchPublic]:
    ids = [b.id for b in batches]
    problems = (
        list(
            session.exec(
                select(Problem).where(
                    col(Problem.batch_id).in_(ids), within(Problem.area_code, user.scope)
                )
            )
        )
        if ids
        else []
    )
    judge = OverdueJudge(session=session, problems=problems, today=clock.today())
    counts: dict[uuid.UUID, BatchCounts] = {i: BatchCounts() for i in ids}
    for p in problems:
        c = counts[p.batch_id]
        c.total += 1
        setattr(c, str(p.status), getattr(c, str(p.status)) + 1)
        c.ongoing += int(p.ongoing)
        c.overdue += int(judge.overdue(p))
        c.review_due += int(review_due(p, judge.today))
    names = areas_service.names(session=session, codes=[b.area_code for b in batches])
    return [
        BatchPublic(
            **b.model_dump(exclude={"created_by", "updated_at"}, warnings=False),
            area_name=names.get(b.area_code),
            source_name=SOURCE_NAMES[b.source],
            counts=counts[b.id],
        )
        for b in batches
    ]


# --- problems ------------------------------------------------------------------------------


def get_problem(
    *, session: Session, user: User, problem_id: uuid.UUID, for_update: bool = False
) -> Problem:
    """The problem, or the same 404 whether missing or out of reach. `for_update` locks the
    row (PostgreSQL) so two people cannot claim or review the same problem at once."""
    stmt = select(Problem).where(Problem.id == problem_id, within(Problem.area_code, user.scope))
    if for_update:
        stmt = stmt.with_for_update()
    problem = session.exec(stmt).first()
    if problem is None:
        raise NotFound("没有找到这个问题")
    return problem


def _next_number(session: Session, batch_id: uuid.UUID) -> int:
    top = session.exec(select(func.max(Problem.number)).where(Problem.batch_id == batch_id)).one()
    return (top or 0) + 1


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


def _audit_problem(
    session: Session, actor: User | None, problem: Problem, action: str, changes: dict[str, Any]
) -> None:
    audit.record(
        session=session,
        actor=actor,
        entity="problem",
        entity_id=problem.id,
        area_code=problem.area_code,
        action=action,
        changes=changes,
    )


def _problem_changes(problem: Problem) -> dict[str, Any]:
    fields = (
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
    return {k: [None, getattr(problem, k)] for k in fields}


def add_problem(
    *,
    session: Session,
    batch: ProblemBatch,
    data: ProblemCreate,
    actor: User,
    commit: bool = True,
) -> Problem:
    """One problem in a batch. `commit=False` lets an import add many in one transaction."""
    require_issuer(actor, batch.area_code)
    check_problem_area(session=session, batch=batch, area_code=data.area_code, field="area_code")
    deadline = data.deadline or batch.deadline
    check_deadline(batch, deadline)
    for i, household_id in enumerate(data.household_ids):
        try:
            household = households_service.get_visible(
                session=session, user=actor, household_id=household_id
            )
        except NotFound:
            raise Invalid(f"household_ids.{i}", "没有找到这户") from None
        if not contains(data.area_code, household.area_code):
            raise Invalid(f"household_ids.{i}", "这户不在问题所在地区")
    number = data.number or _next_number(session, batch.id)
    if session.exec(
        select(Problem.id).where(Problem.batch_id == batch.id, Problem.number == number)
    ).first():
        raise Conflict(f"本批清单已有序号为 {number} 的问题", code="number_taken")
    problem = Problem(
        batch_id=batch.id,
        number=number,
        title=data.title,
        description=data.description,
        category=data.category,
        severity=data.severity,
        area_code=data.area_code,
        responsible_unit=data.responsible_unit,
        responsible_person=data.responsible_person,
        deadline=deadline,
        created_by=actor.id,
    )
    session.add(problem)
    session.flush()
    for household_id in dict.fromkeys(data.household_ids):
        session.add(ProblemHousehold(problem_id=problem.id, household_id=household_id))
    changes = _problem_changes(problem)
    if data.household_ids:
        changes["household_ids"] = [None, [str(h) for h in data.household_ids]]
    _audit_problem(session, actor, problem, "issue", changes)
    if commit:
        try:
            session.commit()
        except IntegrityError as exc:  # two issuers took the same number at once
            session.rollback()
            raise Conflict("序号已被占用,请重试", code="number_taken") from exc
    return problem


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
    before = {k: getattr(problem, k) for k in changes}
    for key, value in changes.items():
        setattr(problem, key, value)
    problem.updated_at = clock.now()
    session.add(problem)
    _audit_problem(session, actor, problem, "update", audit.diff(before, changes))
    session.commit()
    return problem


def list_problems(
    *,
    session: Session,
    user: User,
    batch_id: uuid.UUID | None = None,
    status: ProblemStatus | None = None,
    area: str | None = None,
    category: str | None = None,
    source: str | None = None,
    mine: bool = False,
    overdue: bool | None = None,
    review_due: bool | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Problem], int, OverdueJudge]:
    cond: list[Any] = [within(Problem.area_code, user.scope)]
    if batch_id:
        cond.append(Problem.batch_id == batch_id)
    if status:
        cond.append(Problem.status == status)
    if area:
        cond.append(within(Problem.area_code, area))
    if category:
        cond.append(Problem.category == category)
    if source:
        cond.append(
            exists().where(ProblemBatch.id == Problem.batch_id, ProblemBatch.source == source)
        )
    if mine:
        cond.append(Problem.claimed_by == user.id)
    if q:
        cond.append(or_(col(Problem.title).contains(q), col(Problem.description).contains(q)))
    today = clock.today()
    if review_due is not None:
        due = _review_due_sql(today)
        # NOT over a NULL review date is NULL in SQL: say "no review date" is "not due".
        cond.append(due if review_due else or_(~due, col(Problem.next_review_on).is_(None)))
    order = (col(Problem.deadline), col(Problem.number), col(Problem.id))
    if overdue is not None:
        # SQL narrows to open problems past their date; the working-day calendar decides
        # (a deadline on a Friday is not overdue on the Sunday after).
        past = and_(col(Problem.status).not_in(list(HANDED_IN)), col(Problem.deadline) < today)
        if overdue:
            candidates = list(session.exec(select(Problem).where(*cond, past).order_by(*order)))
            judge = OverdueJudge(session=session, problems=candidates, today=today)
            rows = [p for p in candidates if judge.overdue(p)]
            return rows[offset : offset + limit], len(rows), judge
        # Not overdue: everything except the ones the calendar confirms as overdue.
        candidates = list(session.exec(select(Problem).where(*cond, past)))
        judge = OverdueJudge(session=session, problems=candidates, today=today)
        late_ids = [p.id for p in candidates if judge.overdue(p)]
        if late_ids:
            cond.append(col(Problem.id).not_in(late_ids))
    count = session.exec(select(func.count()).select_from(Problem).where(*cond)).one()
    rows = list(
        session.exec(select(Problem).where(*cond).order_by(*order).offset(offset).limit(limit))
    )
    return rows, count, OverdueJudge(session=session, problems=rows, today=today)


def _user_refs(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, UserRef]:
    """Names of the people a page mentions, in one query (as households do for helpers)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(wanted)))
    return {u.id: UserRef(id=u.id, full_name=u.full_name, unit=u.unit) for u in users}


def user_names(*, session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    return {k: v.full_name for k, v in _user_refs(session, ids).items()}


def summaries(
    *, session: Session, problems: Sequence[Problem], judge: OverdueJudge | None = None
) -> list[ProblemSummary]:
    judge = judge or OverdueJudge(session=session, problems=problems, today=clock.today())
    areas = areas_service.names(session=session, codes=[p.area_code for p in problems])
    users = _user_refs(session, [p.claimed_by for p in problems])
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
            id=p.id,
            batch_id=p.batch_id,
            batch_title=titles.get(p.batch_id),
            number=p.number,
            title=p.title,
            category=p.category,
            category_name=CATEGORY_NAMES[p.category],
            severity=p.severity,
            area_code=p.area_code,
            area_name=areas.get(p.area_code),
            responsible_unit=p.responsible_unit,
            responsible_person=p.responsible_person,
            deadline=p.deadline,
            status=p.status,
            status_name=STATUS_NAMES[p.status],
            claimed_by=users.get(p.claimed_by) if p.claimed_by else None,
            overdue=judge.overdue(p),
            overdue_days=judge.days(p),
            return_count=p.return_count,
            ongoing=p.ongoing,
            next_review_on=p.next_review_on,
            review_due=review_due(p, judge.today),
        )
        for p in problems
    ]


def steps_of(*, session: Session, problem_id: uuid.UUID) -> list[RectificationStep]:
    return children_of(session=session, model=RectificationStep, problem_ids=[problem_id])[
        problem_id
    ]


def evidence_of(*, session: Session, problem_id: uuid.UUID) -> list[Evidence]:
    return children_of(session=session, model=Evidence, problem_ids=[problem_id])[problem_id]


def notes_of(*, session: Session, problem_id: uuid.UUID) -> list[ProgressNote]:
    return children_of(session=session, model=ProgressNote, problem_ids=[problem_id])[problem_id]


def reviews_of(*, session: Session, problem_id: uuid.UUID) -> list[ProblemReview]:
    return children_of(session=session, model=ProblemReview, problem_ids=[problem_id])[problem_id]


def children_of(
    *, session: Session, model: Any, problem_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    """Steps, notes, evidence or reviews of many problems in one query (ledger, report),
    each problem's rows in the order they were made."""
    out: dict[uuid.UUID, list[Any]] = defaultdict(list)
    if not problem_ids:
        return out
    order = [col(model.position)] if model is RectificationStep else [col(model.created_at)]
    stmt = (
        select(model).where(col(model.problem_id).in_(problem_ids)).order_by(*order, col(model.id))
    )
    for row in session.exec(stmt):
        out[row.problem_id].append(row)
    return out


def household_ids_of(*, session: Session, problem_id: uuid.UUID) -> list[uuid.UUID]:
    stmt = select(ProblemHousehold.household_id).where(ProblemHousehold.problem_id == problem_id)
    return list(session.exec(stmt))


@dataclass
class FileInfo:
    name: str
    content_type: str
    # The file's own date: when the photo was taken (EXIF), else when it was uploaded. The
    # day it was attached to a step says nothing about when the work was done.
    on: date


def file_date(row: StoredFile) -> date:
    if row.taken_at:
        try:
            return datetime.strptime(row.taken_at[:10], "%Y:%m:%d").date()
        except ValueError:
            pass
    return row.created_at.astimezone(clock.CHINA).date()


def file_infos(
    *, session: Session, user: User, file_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, FileInfo]:
    """Evidence files the viewer may open, in one query (a helper sees only theirs)."""
    rows = files_service.visible_many(
        session=session,
        scope=user.scope,
        file_ids=[i for i in file_ids if i is not None],
        user=user,
    )
    return {
        i: FileInfo(name=r.original_name or "照片", content_type=r.content_type, on=file_date(r))
        for i, r in rows.items()
    }


def allowed_actions(
    user: User, problem: Problem, *, session: Session, batch_area: str | None = None
) -> list[str]:
    can: list[str] = []
    mine = problem.claimed_by == user.id
    rectified = is_claimant(session, user, problem)
    if problem.status == ProblemStatus.issued and user.role in CLAIMERS:
        can.append("claim")
    if mine and problem.status in OPEN_FOR_WORK:
        can += ["add_step", "add_note", "add_evidence"]
        if problem.status == ProblemStatus.in_progress:
            can.append("submit_for_closure")
    if user.role in REVIEWERS and not rectified:
        if problem.status == ProblemStatus.submitted_for_closure:
            can += ["close", "return"]
        if problem.status == ProblemStatus.closed:
            can.append("mark_ongoing")
    if batch_area is not None and may_copy(user, problem, batch_area):
        can.append("copy")
    return can


def detail(*, session: Session, user: User, problem: Problem) -> ProblemPublic:
    summary = summaries(session=session, problems=[problem])[0]
    batch = session.get(ProblemBatch, problem.batch_id)
    steps = steps_of(session=session, problem_id=problem.id)
    evidence = evidence_of(session=session, problem_id=problem.id)
    notes = notes_of(session=session, problem_id=problem.id)
    reviews = reviews_of(session=session, problem_id=problem.id)
    users = _user_refs(
        session,
        [e.created_by for e in evidence]
        + [n.created_by for n in notes]
        + [r.reviewer_id for r in reviews]
        + [problem.closed_by],
    )
    by_step: dict[uuid.UUID, list[EvidencePublic]] = defaultdict(list)
    infos = file_infos(session=session, user=user, file_ids=[e.file_id for e in evidence])
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
                text=e.text,
                frozen=e.frozen_at is not None or problem.status in HANDED_IN,
                created_by=users.get(e.created_by) if e.created_by else None,
                created_at=e.created_at,
            )
        )
    return ProblemPublic(
        **summary.model_dump(),
        description=problem.description,
        source=batch.source if batch else "inspection",
        household_ids=household_ids_of(session=session, problem_id=problem.id),
        claimed_at=problem.claimed_at,
        submitted_at=problem.submitted_at,
        closed_at=problem.closed_at,
        closed_by=users.get(problem.closed_by) if problem.closed_by else None,
        copied_from_id=problem.copied_from_id,
        steps=[
            StepPublic(
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


# --- 举一反三 -------------------------------------------------------------------------------


def may_copy(user: User, problem: Problem, batch_area: str) -> bool:
    """举一反三 is open to an issuer whose area holds the problem's township and whose list
    reaches beyond one village: a township officer may copy a county's or city's problem to
    their own villages (each target is checked again when copying)."""
    if user.role not in ISSUERS or len(problem.area_code) < 9 or len(batch_area) > 9:
        return False
    return contains(user.scope, problem.area_code[:9])


def copy_to_villages(
    *, session: Session, problem: Problem, data: CopyInput, actor: User
) -> tuple[list[Problem], list[AreaRef]]:
    """Copy a problem to other villages of its township, as new issued problems of the same
    batch; returns the copies and the villages skipped. Named villages that already have a
    copy are refused (409), nothing written; `all_villages` skips them and says which.

    A copy starts with no responsible unit (unless one is given): the original's unit is
    another village's, and the boards would blame it. Claiming fills in the claimant's unit."""
    batch = session.get(ProblemBatch, problem.batch_id)
    assert batch is not None
    if actor.role not in ISSUERS:
        raise Forbidden("只有督查员、县乡村振兴局和乡镇干部可以举一反三", code="role_forbidden")
    township = problem.area_code[:9]
    if len(problem.area_code) < 9:
        raise Conflict("只有乡镇或村的问题可以举一反三到其他村", code="not_in_township")
    villages = {
        a.code: a
        for a in areas_service.children(session=session, code=township)
        if a.level == AreaLevel.village
    }
    origin = problem.copied_from_id or problem.id

    def copied(codes: Iterable[str]) -> set[str]:
        return set(
            session.exec(
                select(Problem.area_code).where(
                    or_(Problem.copied_from_id == origin, Problem.id == origin),
                    col(Problem.area_code).in_(list(codes)),
                )
            )
        )

    skipped: list[str] = []
    if data.all_villages:
        # Every other village the caller and the list both reach.
        reachable = [
            c
            for c in villages
            if c != problem.area_code and contains(actor.scope, c) and contains(batch.area_code, c)
        ]
        have = copied(reachable)
        skipped = sorted(have)
        targets = [c for c in reachable if c not in have]
        if not targets and not skipped:
            raise Invalid("area_codes", "本乡镇没有可以举一反三的其他村")
    else:
        targets = list(dict.fromkeys(data.area_codes))
        if not targets:
            raise Invalid("area_codes", "请选择要举一反三的村")
    for i, code in enumerate(targets):
        if code not in villages:
            raise Invalid(f"area_codes.{i}", "不是本乡镇的村")
        if code == problem.area_code:
            raise Invalid(f"area_codes.{i}", "不能复制到问题原所在的村")
        if not contains(actor.scope, code) or not contains(batch.area_code, code):
            raise Forbidden("只能举一反三到本辖区内的村", code="outside_scope")
    if not data.all_villages:
        already = copied(targets)
        if already:
            names = areas_service.names(session=session, codes=already)
            raise Conflict(
                "这些村已有同一问题:" + "、".join(names.get(c, c) for c in sorted(already)),
                code="already_copied",
                detail=sorted(already),
            )
    number = _next_number(session, batch.id)
    copies: list[Problem] = []
    for offset, code in enumerate(targets):
        copy = Problem(
            batch_id=batch.id,
            number=number + offset,
            title=problem.title,
            description=problem.description,
            category=problem.category,
            severity=problem.severity,
            area_code=code,
            responsible_unit=data.responsible_unit or "",
            responsible_person="",
            deadline=problem.deadline,
            copied_from_id=origin,
            created_by=actor.id,
        )
        session.add(copy)
        session.flush()
        changes = _problem_changes(copy)
        changes["copied_from_id"] = [None, str(origin)]
        _audit_problem(session, actor, copy, "copy", changes)
        copies.append(copy)
    session.commit()
    names = areas_service.names(session=session, codes=skipped)
    return copies, [AreaRef(code=c, name=names.get(c)) for c in skipped]


# --- boards --------------------------------------------------------------------------------


def boards(*, session: Session, user: User, area: str | None) -> BoardsPublic:
    """红黑榜 for a county or township: units, people and the areas one level down, ranked
    by overdue and returned problems (warning) or problems closed on time at the first
    review (honor)."""
    area = area if area is not None else user.scope
    if not contains(user.scope, area):
        raise NotFound("没有找到这个地区")
    if not area:
        raise Invalid("area", "请选择县或乡镇")
    problems = list(
        session.exec(
            select(Problem).where(
                within(Problem.area_code, area), within(Problem.area_code, user.scope)
            )
        )
    )
    today = clock.today()
    judge = OverdueJudge(session=session, problems=problems, today=today)
    users = _user_refs(session, [p.claimed_by for p in problems])
    level = {6: 9, 9: 12}.get(len(area))
    area_names = areas_service.names(
        session=session, codes=[area] + ([p.area_code[:level] for p in problems] if level else [])
    )

    Tally = dict[tuple[str, str | None], dict[str, int]]
    units: Tally = defaultdict(lambda: defaultdict(int))
    people: Tally = defaultdict(lambda: defaultdict(int))
    areas: Tally = defaultdict(lambda: defaultdict(int))
    for p in problems:
        late = judge.days(p) > 0
        marks = {
            "total": 1,
            "overdue": int(late),
            "returned": int(p.return_count > 0),
            "closed_on_time_first_review": int(
                p.status == ProblemStatus.closed and p.return_count == 0 and not late
            ),
            "review_due": int(review_due(p, today)),
        }
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
        for tally, key in keys:
            for mark, n in marks.items():
                tally[key][mark] += n

    def entries(tally: Tally) -> list[BoardEntry]:
        return [
            BoardEntry(name=name, unit=unit, **{k: v for k, v in counts.items()})
            for (name, unit), counts in tally.items()
        ]

    def warning(tally: Tally) -> list[BoardEntry]:
        rows = [e for e in entries(tally) if e.overdue or e.returned or e.review_due]
        return sorted(rows, key=lambda e: (-e.overdue, -e.returned, -e.review_due, e.name))[:10]

    def honor(tally: Tally) -> list[BoardEntry]:
        rows = [e for e in entries(tally) if e.closed_on_time_first_review]
        return sorted(
            rows, key=lambda e: (-e.closed_on_time_first_review, e.overdue, e.returned, e.name)
        )[:10]

    return BoardsPublic(
        area_code=area,
        area_name=area_names.get(area),
        as_of=today,
        review_due=sum(1 for p in problems if review_due(p, today)),
        warning_board=Board(units=warning(units), people=warning(people), areas=warning(areas)),
        honor_board=Board(units=honor(units), people=honor(people), areas=honor(areas)),
    )
