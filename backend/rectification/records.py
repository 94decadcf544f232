"""The records the work on problems leaves — steps, progress notes, evidence, reviews — read
for many problems at once, and the evidence files' names and dates."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.files import service as files_service
from backend.rectification.models import (
    Evidence,
    ProblemReview,
    ProgressNote,
    RectificationStep,
)


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


@dataclass
class FileInfo:
    name: str
    content_type: str
    # The file's own date: when the photo was taken (EXIF), else when it was uploaded. The
    # day it was attached to a step says nothing about when the work was done.
    on: date
    # Whether `on` is the day the photo was taken (EXIF) rather than the upload's.
    taken: bool
    # What it shows, typed at upload ("" for files uploaded before captions existed).
    caption: str
    sha256: str


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
        i: FileInfo(
            name=r.original_name or "照片",
            content_type=r.content_type,
            on=r.taken_on or files_service.day_taken(taken_at=r.taken_at, created_at=r.created_at),
            taken=r.taken_at is not None,
            caption=r.caption,
            sha256=r.sha256,
        )
        for i, r in rows.items()
    }
