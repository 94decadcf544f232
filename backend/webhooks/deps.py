"""A client's own subscriptions and deliveries, loaded with their check (404 for another's)."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import CurrentClient
from backend.core.deps import SessionDep
from backend.webhooks import service
from backend.webhooks.models import WebhookDelivery, WebhookSubscription

SubscriptionId = Annotated[uuid.UUID, Path(description="订阅编号")]
DeliveryId = Annotated[uuid.UUID, Path(description="推送编号")]


def _subscription(
    session: SessionDep, client: CurrentClient, subscription_id: SubscriptionId
) -> WebhookSubscription:
    return service.get_subscription(
        session=session, client=client, subscription_id=subscription_id, lock=True
    )


def _delivery(
    session: SessionDep, client: CurrentClient, delivery_id: DeliveryId
) -> WebhookDelivery:
    return service.get_delivery(session=session, client=client, delivery_id=delivery_id)


OwnSubscription = Annotated[WebhookSubscription, Depends(_subscription)]
OwnDelivery = Annotated[WebhookDelivery, Depends(_delivery)]
