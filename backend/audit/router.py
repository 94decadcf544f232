"""HTTP for reading the audit log, within the caller's area."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from backend.accounts.deps import Scope, require
from backend.accounts.models import Role, User
from backend.audit import service
from backend.core.deps import PagingDep, SessionDep
from backend.core.schemas import Output

router = APIRouter(prefix="/api/v1", tags=["audit"])


class AuditEntryPublic(Output):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_name: str
    actor_role: str | None
    client: str
    entity: str
    entity_id: str
    area_code: str
    action: str
    changes: dict[str, Any]


class AuditEntriesPublic(Output):
    data: list[AuditEntryPublic]
    count: int


READERS = (Role.admin, Role.county_officer, Role.township_officer, Role.inspector)


@router.get("/audit", response_model=AuditEntriesPublic, operation_id="list_audit")
def list_audit(
    session: SessionDep,
    scope: Scope,
    paging: PagingDep,
    _: Annotated[User, Depends(require(*READERS))],
    entity: str | None = None,
    entity_id: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> AuditEntriesPublic:
    """Who changed what and when, newest first, in the caller's area."""
    rows, count = service.list_entries(
        session=session,
        scope=scope,
        entity=entity,
        entity_id=entity_id,
        actor_id=actor_id,
        offset=paging.offset,
        limit=paging.limit,
    )
    return AuditEntriesPublic(data=[AuditEntryPublic.model_validate(r) for r in rows], count=count)
