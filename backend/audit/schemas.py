"""What the audit API answers, and what its list can be narrowed by."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from backend.core.schemas import Output


class AuditFilters(BaseModel):
    """Query parameters of the audit list."""

    entity: str | None = None
    entity_id: str | None = None
    actor_id: uuid.UUID | None = None


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
