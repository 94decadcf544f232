"""Problem lists (问题清单): who sees one, issuing and correcting it, lists with counts."""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, or_
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Invalid
from backend.core.loaders import load_or_404
from backend.core.scope import contains, within
from backend.core.usecase import use_case
from backend.rectification import service
from backend.rectification.models import SOURCE_NAMES, Problem, ProblemBatch, ProblemSource
from backend.rectification.overdue import OverdueJudge, review_due
from backend.rectification.permissions import require_issuer
from backend.rectification.schemas import BatchCounts, BatchCreate, BatchPublic, BatchUpdate


def _visible(scope: str) -> Any:
    """A batch is seen by those whose area covers it, and by those who have a problem in it
    (a village sees the township's list through its own problems)."""
    has_mine = exists().where(Problem.batch_id == ProblemBatch.id, within(Problem.area_code, scope))
    return or_(within(ProblemBatch.area_code, scope), has_mine)


def _sees(session: Session, user: User, batch: ProblemBatch) -> bool:
    """`_visible` for one batch already loaded."""
    if contains(user.scope, batch.area_code):
        return True
    mine = select(Problem.id).where(
        Problem.batch_id == batch.id, within(Problem.area_code, user.scope)
    )
    return session.exec(mine.limit(1)).first() is not None


def get_batch(
    *, session: Session, user: User, batch_id: uuid.UUID, lock: bool = False
) -> ProblemBatch:
    """The batch, or the same 404 whether missing or out of reach; `lock` holds its row
    until the use case commits."""
    return load_or_404(
        session,
        ProblemBatch,
        batch_id,
        sees=lambda b: _sees(session, user, b),
        missing="没有找到这份问题清单",
        lock=lock,
    )


@use_case
def create_batch(*, session: Session, data: BatchCreate, actor: User) -> ProblemBatch:
    require_issuer(actor, data.area_code)
    if areas_service.get(session=session, code=data.area_code) is None:
        raise Invalid("area_code", "没有这个地区代码")
    batch = ProblemBatch.model_validate(data.model_dump(), update={"created_by": actor.id})
    session.add(batch)
    session.flush()
    changes = {k: [None, v] for k, v in data.model_dump().items()}
    audit.record_change(session=session, row=batch, actor=actor, action="create", changes=changes)
    return batch


@use_case
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
    diff = service.apply_changes(batch, changes)
    session.add(batch)
    audit.record_change(session=session, row=batch, actor=actor, action="update", changes=diff)
    return batch


def list_batches(
    *, session: Session, user: User, offset: int = 0, limit: int = 50
) -> tuple[list[ProblemBatch], int]:
    cond = _visible(user.scope)
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
    """The batches with counts by state, over the problems the caller sees."""
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


def batch_titled(
    *, session: Session, source: ProblemSource, area_code: str, title: str
) -> ProblemBatch | None:
    """The list of this source, area and title, if one was issued (系统核查's monthly list)."""
    stmt = select(ProblemBatch).where(
        ProblemBatch.source == source,
        ProblemBatch.area_code == area_code,
        ProblemBatch.title == title,
    )
    return session.exec(stmt).first()
