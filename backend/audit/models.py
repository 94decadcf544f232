"""The audit log: who changed what, when, from which client, before and after."""

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field

from backend.core.models import Row, created_at_field, json_field


class AuditEntry(Row, table=True):
    __tablename__ = "audit_entry"

    at: datetime = created_at_field()
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_name: str = Field(max_length=80)
    actor_role: str | None = Field(default=None, max_length=32)
    client: str = Field(default="", max_length=200)
    entity: str = Field(index=True, max_length=40)
    entity_id: str = Field(index=True, max_length=64)
    # Plain text, not a foreign key: an audit row outlives whatever it describes.
    area_code: str = Field(index=True, max_length=12)
    action: str = Field(max_length=40)
    changes: dict[str, Any] = json_field()
