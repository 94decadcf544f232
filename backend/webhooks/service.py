"""Subscriptions of an API client, its delivery log and replays. A client sees only its own
subscriptions and deliveries (404 for another's)."""

import uuid

from sqlalchemy import update
from sqlmodel import Session, col, select

from backend.accounts.clients import Caller
from backend.audit import service as audit
from backend.core import clock, security
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.loaders import load_or_404
from backend.core.paging import newest_first, page
from backend.core.usecase import use_case
from backend.webhooks import delivery as sending
from backend.webhooks.events import EVENT_SCOPES, RETRY_WINDOW
from backend.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from backend.webhooks.schemas import (
    AttemptPublic,
    DeliveryDetail,
    DeliveryFilters,
    DeliveryPublic,
    SubscriptionCreate,
)
from backend.worker import service as worker_service


def _audit(*, session: Session, client: Caller, row: WebhookSubscription, action: str) -> None:
    audit.record(
        session=session,
        actor=None,
        actor_name=client.name,
        entity="webhook_subscription",
        entity_id=row.id,
        area_code=client.area_code,
        action=action,
        changes={
            "url": [None, row.url],
            "events": [None, row.events],
            "active": [None, row.active],
        },
    )


@use_case
def subscribe(
    *, session: Session, client: Caller, data: SubscriptionCreate
) -> tuple[WebhookSubscription, str]:
    """A subscription and its signing secret (answered this once)."""
    missing = sorted({EVENT_SCOPES[e] for e in data.events} - client.scopes)
    if missing:
        raise Forbidden(
            f"接口客户端没有读取这些事件的权限({', '.join(missing)})",
            code="insufficient_scope",
            detail={"required_scope": missing[0]},
        )
    try:
        sending.check_url(data.url)
    except sending.UrlRefused as exc:
        raise Invalid("url", str(exc)) from exc
    secret = sending.new_secret()
    row = WebhookSubscription(
        client_id=client.id,
        url=data.url,
        events=sorted({e.value for e in data.events}),
        secret_cipher=security.encrypt_secret(secret),
        description=data.description,
    )
    session.add(row)
    session.flush()
    _audit(session=session, client=client, row=row, action="subscribe")
    return row, secret


def get_subscription(
    *, session: Session, client: Caller, subscription_id: uuid.UUID, lock: bool = False
) -> WebhookSubscription:
    return load_or_404(
        session,
        WebhookSubscription,
        subscription_id,
        sees=lambda s: s.client_id == client.id,
        missing="没有找到这个订阅",
        lock=lock,
    )


def list_subscriptions(
    *, session: Session, client: Caller, offset: int, limit: int
) -> tuple[list[WebhookSubscription], int]:
    return page(
        session,
        WebhookSubscription,
        [WebhookSubscription.client_id == client.id],
        order_by=newest_first(WebhookSubscription),
        offset=offset,
        limit=limit,
    )


@use_case
def unsubscribe(
    *, session: Session, client: Caller, subscription: WebhookSubscription
) -> WebhookSubscription:
    """Stop the subscription: no new deliveries (those under way still finish)."""
    if subscription.active:
        subscription.active = False
        session.add(subscription)
        session.flush()
        _audit(session=session, client=client, row=subscription, action="unsubscribe")
    return subscription


# --- the delivery log --------------------------------------------------------------------


def _own_deliveries(client: Caller):  # type: ignore[no-untyped-def]
    return col(WebhookDelivery.subscription_id).in_(
        select(WebhookSubscription.id).where(WebhookSubscription.client_id == client.id)
    )


def list_deliveries(
    *, session: Session, client: Caller, filters: DeliveryFilters, offset: int, limit: int
) -> tuple[list[DeliveryPublic], int]:
    cond = [_own_deliveries(client)]
    if filters.subscription_id is not None:
        cond.append(WebhookDelivery.subscription_id == filters.subscription_id)
    if filters.status is not None:
        cond.append(WebhookDelivery.status == filters.status)
    if filters.event is not None:
        cond.append(
            col(WebhookDelivery.event_id).in_(
                select(WebhookEvent.id).where(WebhookEvent.kind == filters.event)
            )
        )
    rows, count = page(
        session,
        WebhookDelivery,
        cond,
        order_by=newest_first(WebhookDelivery),
        offset=offset,
        limit=limit,
    )
    kinds = dict(
        session.exec(
            select(WebhookEvent.id, WebhookEvent.kind).where(
                col(WebhookEvent.id).in_({r.event_id for r in rows})
            )
        ).all()
    )
    return [_public(r, kinds[r.event_id]) for r in rows], count


def _public(row: WebhookDelivery, kind: str) -> DeliveryPublic:
    return DeliveryPublic.model_validate({**row.model_dump(), "event": kind})


def get_delivery(
    *, session: Session, client: Caller, delivery_id: uuid.UUID, lock: bool = False
) -> WebhookDelivery:
    row = load_or_404(
        session,
        WebhookDelivery,
        delivery_id,
        sees=lambda d: True,
        missing="没有找到这次推送",
        lock=lock,
    )
    subscription = session.get(WebhookSubscription, row.subscription_id)
    if subscription is None or subscription.client_id != client.id:
        raise NotFound("没有找到这次推送")
    return row


def detail(*, session: Session, delivery: WebhookDelivery) -> DeliveryDetail:
    event = session.get(WebhookEvent, delivery.event_id)
    assert event is not None
    attempts = session.exec(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery.id)
        .order_by(col(WebhookAttempt.number))
    ).all()
    return DeliveryDetail.model_validate(
        {
            **_public(delivery, event.kind).model_dump(),
            "body": sending.body_of(event),
            "attempt_log": [AttemptPublic.model_validate(a) for a in attempts],
        }
    )


@use_case
def replay(*, session: Session, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a finished delivery again (same event id, so the receiver can tell), retried for
    another day. One still under way is refused: it would go out twice at once."""
    now = clock.now()
    reopened = session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == delivery.id,
            col(WebhookDelivery.status).in_([DeliveryStatus.delivered, DeliveryStatus.failed]),
        )
        .values(
            status=DeliveryStatus.pending,
            round_attempts=0,
            retry_until=now + RETRY_WINDOW,
            delivered_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if reopened.rowcount == 0:  # type: ignore[attr-defined]
        raise Conflict("这次推送还在进行中,完成或放弃后才能重发", code="delivery_in_progress")
    worker_service.enqueue(
        session=session, kind=sending.DELIVERY_JOB, payload={"delivery_id": str(delivery.id)}
    )
    session.refresh(delivery)
    return delivery
