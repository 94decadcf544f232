"""The problem's state machine: issued → claimed → in_progress → submitted_for_closure →
closed | returned → in_progress; a closed problem may be kept ongoing (长期坚持)."""

import uuid
from datetime import date
from typing import Any

from sqlmodel import Session

from backend.accounts.access import CLAIMERS
from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.scope import contains
from backend.core.usecase import use_case
from backend.files import service as files_service
from backend.rectification import records, service
from backend.rectification.models import (
    HANDED_IN,
    OPEN_FOR_WORK,
    STATUS_NAMES,
    Evidence,
    EvidenceKind,
    Problem,
    ProblemBatch,
    ProblemReview,
    ProblemStatus,
    ProgressNote,
    RectificationStep,
    ReviewDecision,
)
from backend.rectification.permissions import require_responsible, require_reviewer
from backend.rectification.schemas import (
    ClaimInput,
    CloseInput,
    EvidenceCreate,
    NoteCreate,
    OngoingInput,
    ReturnInput,
    StepCreate,
)
from backend.webhooks.models import EventKind

MAX_STEPS = 20


def _refuse_state(problem: Problem, action: str, rule: str) -> Conflict:
    return Conflict(
        f"问题当前状态为“{STATUS_NAMES[problem.status]}”,不能{action}",
        code=rule,
        detail={"status": str(problem.status)},
    )


def _move(
    session: Session,
    problem: Problem,
    to: ProblemStatus,
    *,
    actor: User,
    action: str,
    extra: dict | None = None,
) -> None:
    before = problem.status
    problem.status = to
    problem.updated_at = clock.now()
    session.add(problem)
    _record(session, problem, actor, action, {"status": [before, to], **(extra or {})})


def _record(
    session: Session, problem: Problem, actor: User, action: str, changes: dict[str, Any]
) -> None:
    audit.record_change(session=session, row=problem, actor=actor, action=action, changes=changes)


def _add_work(
    session: Session,
    problem: Problem,
    actor: User,
    row: RectificationStep | ProgressNote | Evidence,
    action: str,
    changes: dict[str, Any],
) -> None:
    """A step, note or piece of evidence written and recorded. The first piece of work after
    a claim (or after a return) puts the problem in progress."""
    session.add(row)
    session.flush()
    if problem.status in (ProblemStatus.claimed, ProblemStatus.returned):
        _move(session, problem, ProblemStatus.in_progress, actor=actor, action="start")
    _record(session, problem, actor, action, changes)


def _require_work(problem: Problem, actor: User, action: str) -> None:
    require_responsible(actor, problem)
    if problem.status not in OPEN_FOR_WORK:
        if problem.status in HANDED_IN:
            raise Conflict(
                f"已申请销号的问题,整改措施和印证资料已冻结,不能{action}",
                code="evidence_frozen",
                detail={"status": str(problem.status)},
            )
        raise _refuse_state(problem, action, "not_open_for_work")


@use_case
def claim(*, session: Session, problem: Problem, data: ClaimInput, actor: User) -> Problem:
    """认领: the caller becomes the responsible person, with planned steps and a deadline."""
    if actor.role not in CLAIMERS:
        raise Forbidden("您的角色不能认领问题", code="role_forbidden")
    if not contains(actor.scope, problem.area_code):  # unreachable through the API (404 first)
        raise Forbidden("只能认领本辖区的问题", code="outside_scope")
    if problem.status != ProblemStatus.issued:
        raise _refuse_state(problem, "认领", "already_claimed")
    batch = session.get(ProblemBatch, problem.batch_id)
    assert batch is not None
    deadline = data.deadline or problem.deadline
    service.check_deadline(batch, deadline)
    if deadline > problem.deadline:
        raise Invalid("deadline", f"不能晚于下发的整改时限 {problem.deadline.isoformat()}")
    before = {
        "deadline": problem.deadline,
        "responsible_person": problem.responsible_person,
        "responsible_unit": problem.responsible_unit,
    }
    problem.claimed_by = actor.id
    problem.claimed_at = clock.now()
    problem.deadline = deadline
    problem.responsible_person = actor.full_name
    if not problem.responsible_unit and actor.unit:
        problem.responsible_unit = actor.unit
    for i, text in enumerate(data.steps, start=1):
        session.add(
            RectificationStep(
                problem_id=problem.id, position=i, description=text, created_by=actor.id
            )
        )
    after = {
        "deadline": problem.deadline,
        "responsible_person": problem.responsible_person,
        "responsible_unit": problem.responsible_unit,
    }
    _move(
        session,
        problem,
        ProblemStatus.claimed,
        actor=actor,
        action="claim",
        extra={
            **audit.diff(before, after),
            "claimed_by": [None, str(actor.id)],
            "steps": [None, list(data.steps)],
        },
    )
    return problem


@use_case
def add_step(
    *, session: Session, problem: Problem, data: StepCreate, actor: User
) -> RectificationStep:
    _require_work(problem, actor, "增加整改措施")
    steps = records.steps_of(session=session, problem_id=problem.id)
    if len(steps) >= MAX_STEPS:
        raise Conflict(f"整改措施最多 {MAX_STEPS} 条", code="too_many_steps")
    step = RectificationStep(
        problem_id=problem.id,
        position=(steps[-1].position + 1) if steps else 1,
        description=data.description,
        planned_on=data.planned_on,
        created_by=actor.id,
    )
    _add_work(session, problem, actor, step, "add_step", {"step": [None, data.description]})
    return step


@use_case
def add_note(*, session: Session, problem: Problem, data: NoteCreate, actor: User) -> ProgressNote:
    _require_work(problem, actor, "记录整改进展")
    note = ProgressNote(problem_id=problem.id, text=data.text, created_by=actor.id)
    _add_work(session, problem, actor, note, "add_note", {"note": [None, data.text]})
    return note


def _step_of(session: Session, problem: Problem, step_id: uuid.UUID) -> RectificationStep:
    step = session.get(RectificationStep, step_id)
    if step is None or step.problem_id != problem.id:
        raise NotFound("没有找到这条整改措施")
    return step


@use_case
def add_evidence(
    *,
    session: Session,
    problem: Problem,
    step_id: uuid.UUID,
    data: EvidenceCreate,
    actor: User,
) -> Evidence:
    """印证资料 on a step: a file uploaded through the files API, or a text record."""
    step = _step_of(session, problem, step_id)
    _require_work(problem, actor, "增加印证资料")
    if data.kind == EvidenceKind.file:
        assert data.file_id is not None
        # A helper sees only their uploads and their households' files (404 otherwise).
        stored = files_service.get_visible(session=session, file_id=data.file_id, user=actor)
        if not (
            contains(stored.area_code, problem.area_code)
            or contains(problem.area_code, stored.area_code)
        ):
            raise Invalid("file_id", "文件不属于问题所在地区,请在本问题页面上传")
        if stored.created_at < problem.created_at:
            raise Invalid(
                "file_id",
                "这个文件在问题下发之前就已上传,不能证明整改,请上传整改后拍摄的照片或资料",
            )
    evidence = Evidence(
        problem_id=problem.id,
        step_id=step.id,
        kind=data.kind,
        file_id=data.file_id if data.kind == EvidenceKind.file else None,
        text=data.text,
        created_by=actor.id,
    )
    changes = {
        "evidence_id": [None, str(evidence.id)],
        "step_id": [None, str(step.id)],
        "kind": [None, data.kind],
        "file_id": [None, str(data.file_id) if evidence.file_id else None],
        "text": [None, data.text or None],
    }
    _add_work(session, problem, actor, evidence, "add_evidence", changes)
    return evidence


@use_case
def remove_evidence(
    *, session: Session, problem: Problem, evidence_id: uuid.UUID, actor: User
) -> None:
    """Only evidence never handed in may be taken back; what a reviewer saw stays."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.problem_id != problem.id:
        raise NotFound("没有找到这份印证资料")
    _require_work(problem, actor, "删除印证资料")
    if evidence.frozen_at is not None:
        raise Conflict(
            "这份印证资料已随销号申请提交过,不能删除,请补充新的资料", code="evidence_frozen"
        )
    changes = {
        "evidence_id": [str(evidence.id), None],
        "kind": [evidence.kind, None],
        "file_id": [str(evidence.file_id) if evidence.file_id else None, None],
        "text": [evidence.text or None, None],
    }
    _record(session, problem, actor, "remove_evidence", changes)
    session.delete(evidence)


@use_case
def submit_for_closure(*, session: Session, problem: Problem, actor: User) -> Problem:
    """申请销号: refused while any step lacks evidence, naming each such step."""
    require_responsible(actor, problem)
    if problem.status != ProblemStatus.in_progress:
        raise _refuse_state(problem, "申请销号", "not_in_progress")
    steps = records.steps_of(session=session, problem_id=problem.id)
    evidence = records.evidence_of(session=session, problem_id=problem.id)
    if not steps:
        raise Conflict("还没有整改措施,不能申请销号", code="no_steps")
    covered = {e.step_id for e in evidence}
    bare = [s for s in steps if s.id not in covered]
    if bare:
        names = "、".join(f"措施{s.position}“{_short(s.description)}”" for s in bare)
        raise Conflict(
            f"以下整改措施还没有印证资料,不能申请销号:{names}",
            code="step_without_evidence",
            detail=[
                {"step_id": str(s.id), "position": s.position, "description": s.description}
                for s in bare
            ],
        )
    now = clock.now()
    for e in evidence:
        if e.frozen_at is None:
            e.frozen_at = now
            session.add(e)
    problem.submitted_at = now
    problem.submitted_on = clock.today()
    _move(
        session,
        problem,
        ProblemStatus.submitted_for_closure,
        actor=actor,
        action="submit_for_closure",
        extra={"evidence_count": [None, len(evidence)]},
    )
    return problem


def _short(text: str, n: int = 20) -> str:
    return text if len(text) <= n else text[:n] + "…"


def _review(
    session: Session, problem: Problem, actor: User, decision: ReviewDecision, reason: str
) -> None:
    require_reviewer(actor, problem, session=session)
    if problem.status != ProblemStatus.submitted_for_closure:
        raise _refuse_state(problem, "审核", "not_submitted")
    session.add(
        ProblemReview(problem_id=problem.id, reviewer_id=actor.id, decision=decision, reason=reason)
    )


@use_case
def close(*, session: Session, problem: Problem, data: CloseInput, actor: User) -> Problem:
    """销号 by a reviewer who did not rectify it; optionally kept under watch (长期坚持)."""
    _review(session, problem, actor, ReviewDecision.close, data.note)
    _check_next_review(data.ongoing, data.next_review_on)
    problem.closed_at = clock.now()
    problem.closed_by = actor.id
    problem.ongoing = data.ongoing
    problem.next_review_on = data.next_review_on if data.ongoing else None
    _move(
        session,
        problem,
        ProblemStatus.closed,
        actor=actor,
        action="close",
        extra={
            "note": [None, data.note or None],
            "ongoing": [False, data.ongoing],
            "next_review_on": [None, problem.next_review_on],
        },
    )
    service.tell(session=session, problem=problem, kind=EventKind.problem_closed)
    return problem


def _check_next_review(ongoing: bool, next_review_on: date | None) -> None:
    if ongoing and next_review_on is None:
        raise Invalid("next_review_on", "长期坚持的问题要写明下次复核日期")
    if ongoing and next_review_on is not None and next_review_on <= clock.today():
        raise Invalid("next_review_on", "下次复核日期应在今天之后")


@use_case
def return_(*, session: Session, problem: Problem, data: ReturnInput, actor: User) -> Problem:
    """退回 with a reason the responsible person reads; the problem goes back to work."""
    if not data.reason.strip():
        raise Invalid("reason", "退回必须写明理由")
    _review(session, problem, actor, ReviewDecision.return_, data.reason)
    problem.return_count += 1
    _move(
        session,
        problem,
        ProblemStatus.returned,
        actor=actor,
        action="return",
        extra={
            "reason": [None, data.reason],
            "return_count": [problem.return_count - 1, problem.return_count],
        },
    )
    return problem


@use_case
def mark_ongoing(*, session: Session, problem: Problem, data: OngoingInput, actor: User) -> Problem:
    """长期坚持: a closed problem stays under watch until the next review date."""
    # 长期坚持 is a reviewer's judgement on someone else's work, like closing it.
    require_reviewer(actor, problem, session=session, action="标记长期坚持")
    if problem.status != ProblemStatus.closed:
        raise _refuse_state(problem, "标记长期坚持", "not_closed")
    _check_next_review(True, data.next_review_on)
    before = {"ongoing": problem.ongoing, "next_review_on": problem.next_review_on}
    problem.ongoing = True
    problem.next_review_on = data.next_review_on
    problem.updated_at = clock.now()
    session.add(problem)
    changes = {
        **audit.diff(before, {"ongoing": True, "next_review_on": data.next_review_on}),
        "note": [None, data.note or None],
    }
    _record(session, problem, actor, "mark_ongoing", changes)
    return problem
