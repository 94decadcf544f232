"""举一反三: a problem copied to the other villages of its township, as new problems of the
same list."""

import uuid
from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import Session, col, select

from backend.accounts.access import ISSUERS
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.areas.models import AreaLevel
from backend.audit import service as audit
from backend.core.errors import Conflict, Forbidden, Invalid
from backend.core.scope import contains
from backend.core.usecase import use_case
from backend.rectification import service
from backend.rectification.models import Problem, ProblemBatch
from backend.rectification.schemas import AreaRef, CopyInput
from backend.webhooks.models import EventKind


def _copied(session: Session, origin: uuid.UUID, codes: Iterable[str]) -> set[str]:
    """Of `codes`, the villages that already have the original problem or a copy of it."""
    stmt = select(Problem.area_code).where(
        or_(Problem.copied_from_id == origin, Problem.id == origin),
        col(Problem.area_code).in_(list(codes)),
    )
    return set(session.exec(stmt))


def _targets(
    *,
    session: Session,
    problem: Problem,
    batch: ProblemBatch,
    data: CopyInput,
    actor: User,
    origin: uuid.UUID,
) -> tuple[list[str], list[str]]:
    """(villages to copy to, villages skipped because they already have the problem)."""
    villages = {
        a.code
        for a in areas_service.children(session=session, code=problem.area_code[:9])
        if a.level == AreaLevel.village
    }
    skipped: list[str] = []
    if data.all_villages:
        # Every other village the caller and the list both reach.
        reachable = [
            c
            for c in sorted(villages)
            if c != problem.area_code and contains(actor.scope, c) and contains(batch.area_code, c)
        ]
        have = _copied(session, origin, reachable)
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
        already = _copied(session, origin, targets)
        if already:
            names = areas_service.names(session=session, codes=already)
            raise Conflict(
                "这些村已有同一问题:" + "、".join(names.get(c, c) for c in sorted(already)),
                code="already_copied",
                detail=sorted(already),
            )
    return targets, skipped


@use_case
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
    if len(problem.area_code) < 9:
        raise Conflict("只有乡镇或村的问题可以举一反三到其他村", code="not_in_township")
    origin = problem.copied_from_id or problem.id
    targets, skipped = _targets(
        session=session, problem=problem, batch=batch, data=data, actor=actor, origin=origin
    )
    number = service.next_number(session, batch.id)
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
        changes = {**service.issued_fields(copy), "copied_from_id": [None, str(origin)]}
        audit.record_change(session=session, row=copy, actor=actor, action="copy", changes=changes)
        service.tell(session=session, problem=copy, kind=EventKind.problem_issued)
        copies.append(copy)
    names = areas_service.names(session=session, codes=skipped)
    return copies, [AreaRef(code=c, name=names.get(c)) for c in skipped]
