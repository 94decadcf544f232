"""HTTP for an API client's webhooks: subscriptions, the delivery log, replays."""

from typing import Annotated

from fastapi import APIRouter, Query

from backend.accounts.deps import CurrentClient
from backend.core.deps import PagingDep, SessionDep
from backend.core.idempotency import Idempotent
from backend.webhooks import service
from backend.webhooks.deps import OwnDelivery, OwnSubscription
from backend.webhooks.schemas import (
    DeliveriesPublic,
    DeliveryDetail,
    DeliveryFilters,
    SubscriptionCreate,
    SubscriptionPublic,
    SubscriptionSecret,
    SubscriptionsPublic,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post(
    "/subscriptions",
    response_model=SubscriptionSecret,
    status_code=201,
    operation_id="create_webhook_subscription",
)
def create_webhook_subscription(
    session: SessionDep, client: CurrentClient, _: Idempotent, data: SubscriptionCreate
) -> SubscriptionSecret:
    """Subscribe a URL to events; the signing secret is answered this once."""
    row, secret = service.subscribe(session=session, client=client, data=data)
    return SubscriptionSecret(subscription=SubscriptionPublic.model_validate(row), secret=secret)


@router.get(
    "/subscriptions", response_model=SubscriptionsPublic, operation_id="list_webhook_subscriptions"
)
def list_webhook_subscriptions(
    session: SessionDep, client: CurrentClient, paging: PagingDep
) -> SubscriptionsPublic:
    """The calling client's subscriptions."""
    rows, count = service.list_subscriptions(
        session=session, client=client, offset=paging.offset, limit=paging.limit
    )
    return SubscriptionsPublic(
        data=[SubscriptionPublic.model_validate(r) for r in rows], count=count
    )


@router.delete(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionPublic,
    operation_id="delete_webhook_subscription",
)
def delete_webhook_subscription(
    session: SessionDep, client: CurrentClient, subscription: OwnSubscription
) -> SubscriptionPublic:
    """Stop a subscription (its delivery log is kept)."""
    row = service.unsubscribe(session=session, client=client, subscription=subscription)
    return SubscriptionPublic.model_validate(row)


@router.get("/deliveries", response_model=DeliveriesPublic, operation_id="list_webhook_deliveries")
def list_webhook_deliveries(
    session: SessionDep,
    client: CurrentClient,
    paging: PagingDep,
    filters: Annotated[DeliveryFilters, Query()],
) -> DeliveriesPublic:
    """The delivery log of the calling client, newest first."""
    rows, count = service.list_deliveries(
        session=session, client=client, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return DeliveriesPublic(data=rows, count=count)


@router.get(
    "/deliveries/{delivery_id}", response_model=DeliveryDetail, operation_id="get_webhook_delivery"
)
def get_webhook_delivery(session: SessionDep, delivery: OwnDelivery) -> DeliveryDetail:
    """One delivery: its body and every attempt (time, HTTP status, error)."""
    return service.detail(session=session, delivery=delivery)


@router.post(
    "/deliveries/{delivery_id}/replay",
    response_model=DeliveryDetail,
    status_code=202,
    operation_id="replay_webhook_delivery",
)
def replay_webhook_delivery(session: SessionDep, delivery: OwnDelivery) -> DeliveryDetail:
    """Send a finished delivery again (same webhook-id); retried for another day."""
    row = service.replay(session=session, delivery=delivery)
    return service.detail(session=session, delivery=row)
