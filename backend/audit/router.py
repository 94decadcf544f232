"""HTTP for reading the audit log, within the caller's area."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.accounts.deps import Scope, require
from backend.accounts.models import Role, User
from backend.audit import service
from backend.audit.schemas import AuditEntriesPublic, AuditEntryPublic, AuditFilters
from backend.core.deps import PagingDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["audit"])

READERS = (Role.admin, Role.county_officer, Role.township_officer, Role.inspector)


@router.get("/audit", response_model=AuditEntriesPublic, operation_id="list_audit")
def list_audit(
    session: SessionDep,
    scope: Scope,
    paging: PagingDep,
    _: Annotated[User, Depends(require(*READERS))],
    filters: Annotated[AuditFilters, Query()],
) -> AuditEntriesPublic:
    """Who changed what and when, newest first, in the caller's area."""
    rows, count = service.list_entries(
        session=session, scope=scope, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return AuditEntriesPublic(data=[AuditEntryPublic.model_validate(r) for r in rows], count=count)
