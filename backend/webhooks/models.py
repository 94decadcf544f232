"""Subscriptions (an API client's URL and events), the events the app emitted for them, one
delivery per event and subscription, and every attempt at it."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from backend.core.enums import NamedEnum
from backend.core.models import (
    CreatedRow,
    Row,
    created_at_field,
    enum_field,
    json_field,
    time_field,
)


class EventKind(NamedEnum):
    self_report_submitted = "self_report.submitted", "收到一键报贫"
    self_report_decided = "self_report.decided", "报告已办结"
    household_enrolled = "household.enrolled", "农户纳入监测"
    household_risk_cleared = "household.risk_cleared", "农户风险消除"
    visit_recorded = "visit.recorded", "记录走访"
    problem_issued = "problem.issued", "下发问题"
    problem_overdue = "problem.overdue", "问题逾期"
    problem_closed = "problem.closed", "问题销号"
    finding_opened = "finding.opened", "排查发现"


EVENT_NAMES = EventKind.names()


class DeliveryStatus(NamedEnum):
    pending = "pending", "待推送"
    delivered = "delivered", "已送达"
    failed = "failed", "推送失败"


DELIVERY_STATUS_NAMES = DeliveryStatus.names()


class WebhookSubscription(CreatedRow, table=True):
    __tablename__ = "webhook_subscription"

    client_id: uuid.UUID = Field(foreign_key="api_client.id", index=True)
    url: str = Field(max_length=500)
    events: list[str] = json_field(list)
    # The signing secret, encrypted with the data key (the HMAC needs it whole).
    secret_cipher: str
    description: str = Field(default="", max_length=200)
    active: bool = True


class WebhookEvent(CreatedRow, table=True):
    """What happened, written in the transaction of the change (only when someone listens):
    ids and codes, never a name or an ID number; the receiver reads the rest by the API."""

    __tablename__ = "webhook_event"

    kind: str = Field(max_length=40)
    area_code: str = Field(max_length=12, index=True)
    # For an event found by a scan rather than a change (a problem gone overdue): the same
    # key is emitted once, however many nights the scan sees it.
    key: str | None = Field(default=None, max_length=120, unique=True)
    data: dict[str, Any] = json_field()


class WebhookDelivery(CreatedRow, table=True):
    """One event to one subscription. Retried until delivered or its window (a day from
    the event, or from a replay) has passed."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id"),
        Index("ix_webhook_delivery_subscription_created", "subscription_id", "created_at"),
    )

    event_id: uuid.UUID = Field(foreign_key="webhook_event.id", index=True)
    subscription_id: uuid.UUID = Field(foreign_key="webhook_subscription.id")
    status: str = enum_field(DeliveryStatus.pending)
    attempts: int = 0
    # Attempts since the window opened (the event, or the last replay): the back-off's n.
    round_attempts: int = 0
    retry_until: datetime = time_field(nullable=False)
    last_status_code: int | None = None
    last_error: str = Field(default="", max_length=300)
    delivered_at: datetime | None = time_field()


class WebhookAttempt(Row, table=True):
    __tablename__ = "webhook_attempt"

    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", index=True)
    number: int
    at: datetime = created_at_field()
    status_code: int | None = None
    ok: bool
    error: str = Field(default="", max_length=300)
    duration_ms: int = 0
