"""Findings loaded with their access check for routers (404 when out of reach), locked when
the request will change them."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import loader
from backend.checks import service
from backend.checks.models import Finding

FindingId = Annotated[uuid.UUID, Path(description="排查发现的编号(UUID)")]

VisibleFinding = Annotated[Finding, Depends(loader(service.get_finding, "finding_id", FindingId))]
LockedFinding = Annotated[
    Finding, Depends(loader(service.get_finding, "finding_id", FindingId, lock=True))
]
