"""Emitting an event: other domains call `emit` inside the use case of the change. When an
active subscription of a client whose area holds the change listens for it, the event, one
delivery per subscription and the worker's job for each are added to the same transaction:
a rolled-back change sends nothing, a committed one is delivered however the request ends."""

import uuid
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from backend.accounts import clients as api_clients
from backend.core import clock
from backend.webhooks.models import EventKind, WebhookDelivery, WebhookEvent, WebhookSubscription
from backend.worker import service as worker_service

DELIVERY_JOB = "webhook_delivery"
# How long a delivery is retried, from the event (or from a replay).
RETRY_WINDOW = timedelta(hours=24)

# The read scope a client needs to hear of each event: an event says no more than the
# client could read by the API.
EVENT_SCOPES = {
    EventKind.self_report_submitted: "reports:read",
    EventKind.self_report_decided: "reports:read",
    EventKind.household_enrolled: "households:read",
    EventKind.household_risk_cleared: "households:read",
    EventKind.visit_recorded: "visits:read",
    EventKind.problem_issued: "problems:read",
    EventKind.problem_overdue: "problems:read",
    EventKind.problem_closed: "problems:read",
    EventKind.finding_opened: "checks:read",
}


# Built once: every visit and report stored asks (most installations have no subscription).
_ACTIVE = select(
    WebhookSubscription.id, WebhookSubscription.client_id, WebhookSubscription.events
).where(col(WebhookSubscription.active).is_(True))


def _listeners(*, session: Session, kind: EventKind) -> list[tuple[uuid.UUID, str]]:
    """The active subscriptions that hear `kind`, with their client's area: the client is
    active and holds the event's read scope."""
    subscriptions = session.connection().execute(_ACTIVE).all()
    wanted = [(sid, cid) for sid, cid, events in subscriptions if kind.value in events]
    clients = api_clients.listening(session=session, ids={cid for _, cid in wanted})
    return [
        (sid, clients[cid][0])
        for sid, cid in wanted
        if cid in clients and EVENT_SCOPES[kind] in clients[cid][1]
    ]


def emit(*, session: Session, kind: EventKind, area_code: str, data: dict[str, Any]) -> None:
    """Add the event and its deliveries to the caller's transaction (flushed, not
    committed). `data` holds ids, codes and statuses only: no name, phone or ID number."""
    emit_many(session=session, kind=kind, events=[(area_code, data)])


def listened(*, session: Session, kind: EventKind) -> bool:
    """Whether any subscription hears `kind` (a scan for events skips its work if not)."""
    return bool(_listeners(session=session, kind=kind))


def emit_many(
    *,
    session: Session,
    kind: EventKind,
    events: list[tuple[str, dict[str, Any]]],
    keys: list[str] | None = None,
) -> None:
    """`emit` for several events of one kind (a batch of visits): one look-up of the
    listeners for all of them. With `keys` (one per event), an event whose key was emitted
    before is left out."""
    if not events:
        return
    listeners = _listeners(session=session, kind=kind)
    if not listeners:
        return
    now = clock.now()
    keyed = list(zip(events, keys or [None] * len(events), strict=True))
    if keys:
        seen = set(
            session.exec(select(WebhookEvent.key).where(col(WebhookEvent.key).in_(keys))).all()
        )
        keyed = [(event, key) for event, key in keyed if key not in seen]
    for (area_code, data), key in keyed:
        heard = [sid for sid, client_area in listeners if area_code.startswith(client_area)]
        if not heard:
            continue
        event = WebhookEvent(
            kind=kind.value, area_code=area_code, data=data, key=key, created_at=now
        )
        session.add(event)
        session.flush()
        for sid in heard:
            schedule(
                session=session,
                delivery=WebhookDelivery(
                    event_id=event.id,
                    subscription_id=sid,
                    retry_until=now + RETRY_WINDOW,
                    created_at=now,
                ),
            )


def schedule(*, session: Session, delivery: WebhookDelivery) -> None:
    """Store the delivery and the worker's job that sends it."""
    session.add(delivery)
    session.flush()
    worker_service.enqueue(
        session=session, kind=DELIVERY_JOB, payload={"delivery_id": str(delivery.id)}
    )
