"""Problems and problem lists loaded with their access check, for routers (404 when out of
reach), and locked when the request will change them."""

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import CurrentUser
from backend.core.deps import SessionDep
from backend.rectification import batches, service
from backend.rectification.models import Problem, ProblemBatch

BatchId = Annotated[uuid.UUID, Path(description="问题清单的编号(UUID)")]
ProblemId = Annotated[uuid.UUID, Path(description="问题的编号(UUID)")]


def _batch(*, lock: bool) -> Callable[..., ProblemBatch]:
    def load(session: SessionDep, user: CurrentUser, batch_id: BatchId) -> ProblemBatch:
        return batches.get_batch(session=session, user=user, batch_id=batch_id, lock=lock)

    return load


def _problem(*, lock: bool) -> Callable[..., Problem]:
    def load(session: SessionDep, user: CurrentUser, problem_id: ProblemId) -> Problem:
        return service.get_problem(session=session, user=user, problem_id=problem_id, lock=lock)

    return load


VisibleBatch = Annotated[ProblemBatch, Depends(_batch(lock=False))]
LockedBatch = Annotated[ProblemBatch, Depends(_batch(lock=True))]
VisibleProblem = Annotated[Problem, Depends(_problem(lock=False))]
LockedProblem = Annotated[Problem, Depends(_problem(lock=True))]
