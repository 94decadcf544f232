"""What the webhooks API reads and writes."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from backend.core.schemas import Input, Output, name_field
from backend.webhooks.models import DELIVERY_STATUS_NAMES, EVENT_NAMES, DeliveryStatus, EventKind


class SubscriptionCreate(Input):
    url: Annotated[str, StringConstraints(min_length=8, max_length=500)]
    events: Annotated[list[EventKind], Field(min_length=1, max_length=len(EventKind))]
    description: Annotated[str, StringConstraints(max_length=200)] = ""


class SubscriptionPublic(Output):
    id: uuid.UUID
    url: str
    events: list[EventKind]
    event_names = name_field(EVENT_NAMES, "events", list[str])
    description: str
    active: bool
    created_at: datetime


class SubscriptionsPublic(Output):
    data: list[SubscriptionPublic]
    count: int


class SubscriptionSecret(Output):
    """The subscription with its signing secret: answered once, at creation."""

    subscription: SubscriptionPublic
    secret: str


class AttemptPublic(Output):
    number: int
    at: datetime
    status_code: int | None
    ok: bool
    error: str
    duration_ms: int


class DeliveryPublic(Output):
    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event: EventKind
    event_name = name_field(EVENT_NAMES, "event")
    status: DeliveryStatus
    status_name = name_field(DELIVERY_STATUS_NAMES, "status")
    attempts: int
    last_status_code: int | None
    last_error: str
    retry_until: datetime
    delivered_at: datetime | None
    created_at: datetime


class DeliveryDetail(DeliveryPublic):
    """A delivery with every attempt at it and the body that was (or is to be) sent."""

    body: dict[str, object]
    attempt_log: list[AttemptPublic]


class DeliveriesPublic(Output):
    data: list[DeliveryPublic]
    count: int


class DeliveryFilters(BaseModel):
    subscription_id: uuid.UUID | None = None
    status: DeliveryStatus | None = None
    event: EventKind | None = None
