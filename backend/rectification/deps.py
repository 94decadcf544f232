"""Problems and problem lists loaded with their access check, for routers (404 when out of
reach), and locked when the request will change them."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import loader
from backend.core import versions
from backend.rectification import batches, service
from backend.rectification.models import Problem, ProblemBatch

BatchId = Annotated[uuid.UUID, Path(description="问题清单的编号(UUID)")]
ProblemId = Annotated[uuid.UUID, Path(description="问题的编号(UUID)")]

_visible_problem = loader(service.get_problem, "problem_id", ProblemId)
_locked_problem = loader(service.get_problem, "problem_id", ProblemId, lock=True)

VisibleBatch = Annotated[ProblemBatch, Depends(loader(batches.get_batch, "batch_id", BatchId))]
LockedBatch = Annotated[
    ProblemBatch, Depends(loader(batches.get_batch, "batch_id", BatchId, lock=True))
]
VisibleProblem = Annotated[Problem, Depends(_visible_problem)]
LockedProblem = Annotated[Problem, Depends(_locked_problem)]
# GET answers the problem's ETag; an action on it is refused with 412 when If-Match names an
# older version, and answers the new ETag.
TaggedProblem = Annotated[Problem, Depends(versions.tagged(_visible_problem), scope="function")]
GuardedProblem = Annotated[Problem, Depends(versions.guarded(_locked_problem), scope="function")]
