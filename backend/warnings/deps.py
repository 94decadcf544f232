"""Warnings loaded with their check: the sender's own, or one in the triager's area."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import CurrentClient, loader
from backend.core.deps import SessionDep
from backend.warnings import service
from backend.warnings.models import DepartmentWarning

WarningId = Annotated[uuid.UUID, Path(description="预警编号")]


def _sent(session: SessionDep, client: CurrentClient, warning_id: WarningId) -> DepartmentWarning:
    return service.get_sent(session=session, client=client, warning_id=warning_id)


SentWarning = Annotated[DepartmentWarning, Depends(_sent)]
VisibleWarning = Annotated[
    DepartmentWarning, Depends(loader(service.get_visible, "warning_id", WarningId))
]
LockedWarning = Annotated[
    DepartmentWarning, Depends(loader(service.get_visible, "warning_id", WarningId, lock=True))
]
