"""Problems and problem lists loaded with their access check, for routers (404 when out of
reach), and locked when the request will change them."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import loader
from backend.rectification import batches, service
from backend.rectification.models import Problem, ProblemBatch

BatchId = Annotated[uuid.UUID, Path(description="问题清单的编号(UUID)")]
ProblemId = Annotated[uuid.UUID, Path(description="问题的编号(UUID)")]

VisibleBatch = Annotated[ProblemBatch, Depends(loader(batches.get_batch, "batch_id", BatchId))]
LockedBatch = Annotated[
    ProblemBatch, Depends(loader(batches.get_batch, "batch_id", BatchId, lock=True))
]
VisibleProblem = Annotated[Problem, Depends(loader(service.get_problem, "problem_id", ProblemId))]
LockedProblem = Annotated[
    Problem, Depends(loader(service.get_problem, "problem_id", ProblemId, lock=True))
]
