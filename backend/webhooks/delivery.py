"""Sending a delivery: the URL rule (public addresses only, unless the settings allow a
network), the signature (Standard Webhooks: HMAC-SHA256 over id, timestamp and body), and
the worker's handler that posts, records the attempt and retries with back-off for a day."""

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update
from sqlmodel import Session, col

from backend.core import clock, security
from backend.core.db import get_engine
from backend.core.settings import get_settings
from backend.webhooks.events import DELIVERY_JOB
from backend.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from backend.worker.registry import Policy, Retry, handler

log = logging.getLogger("shouwang.webhooks")

# The headers of a delivery (README: "Webhooks"). The signed content is
# f"{webhook-id}.{webhook-timestamp}.{body}"; webhook-signature is "v1,<base64 HMAC>".
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
EVENT_HEADER = "x-shouwang-event"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


# --- where a delivery may go -------------------------------------------------------------


class UrlRefused(ValueError):
    """Why a URL is not a place the app posts to, in Chinese."""


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    raw = get_settings().webhook_allowed_networks
    return [ipaddress.ip_network(n.strip(), strict=False) for n in raw.split(",") if n.strip()]


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused("无法解析这个域名") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s), carries credentials, or whose host is (or resolves
    to) an address that is not public: loopback, private, link-local (the cloud metadata
    services at 169.254.169.254 and 100.100.100.200 among them), unspecified, reserved.
    Networks listed in SHOUWANG_WEBHOOK_ALLOWED_NETWORKS are let through."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("只能是 http 或 https 地址")
    if not parts.hostname:
        raise UrlRefused("缺少主机名")
    if parts.username or parts.password:
        raise UrlRefused("地址中不能包含用户名或密码")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlRefused("端口不对") from exc
    allowed = _allowed_networks()
    for address in _addresses(parts.hostname, port):
        mapped = getattr(address, "ipv4_mapped", None) or address
        if any(mapped in net for net in allowed):
            continue
        if not mapped.is_global:
            raise UrlRefused("不能指向本机、内网、链路本地或云元数据地址")


# --- the worker's side -------------------------------------------------------------------


@dataclass(frozen=True)
class _Outgoing:
    delivery_id: uuid.UUID
    status: str
    round_attempts: int
    retry_until: datetime
    url: str
    secret: str
    event_id: str
    kind: str
    body: bytes


def body_of(event: WebhookEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.kind,
        "occurred_at": event.created_at.isoformat(),
        "area_code": event.area_code,
        "data": event.data,
    }


def _load(delivery_id: uuid.UUID) -> _Outgoing | None:
    """What to send, read apart from the job's session, so nothing is held through the
    network call. From the primary, not a replica: the delivery was just committed there."""
    with Session(get_engine()) as reader:
        delivery = reader.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return None
        event = reader.get(WebhookEvent, delivery.event_id)
        subscription = reader.get(WebhookSubscription, delivery.subscription_id)
        assert event is not None and subscription is not None
        return _Outgoing(
            delivery_id=delivery.id,
            status=delivery.status,
            round_attempts=delivery.round_attempts,
            retry_until=delivery.retry_until,
            url=subscription.url,
            secret=security.decrypt_secret(subscription.secret_cipher),
            event_id=str(event.id),
            kind=event.kind,
            body=json.dumps(body_of(event), ensure_ascii=False, separators=(",", ":")).encode(),
        )


def _post(out: _Outgoing) -> tuple[int | None, str]:
    """Post once; (HTTP status or None, error or "")."""
    try:
        check_url(out.url)
    except UrlRefused as exc:
        return None, f"地址不允许:{exc}"
    timestamp = int(time.time())  # noqa: TID251 - receivers compare it with their wall clock
    headers = {
        "content-type": "application/json",
        "user-agent": "Shouwang-Webhooks/1",
        ID_HEADER: out.event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(
            secret=out.secret, msg_id=out.event_id, timestamp=timestamp, body=out.body
        ),
        EVENT_HEADER: out.kind,
    }
    try:
        response = httpx.post(
            out.url,
            content=out.body,
            headers=headers,
            timeout=get_settings().webhook_timeout_seconds,
            follow_redirects=False,
        )
    except httpx.HTTPError as exc:
        return None, f"连接失败:{exc.__class__.__name__}"
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"对方答复 {response.status_code}"


# Back-off: 30 s, 1, 2, 4 … minutes, at most 2 hours between attempts; a delivery is given
# up when its next attempt would fall past its day (retry_until). max_attempts only bounds
# a job that kills its workers.
POLICY = Policy(max_attempts=40, max_delay=timedelta(hours=2))


@handler(DELIVERY_JOB, policy=POLICY)
def deliver(*, session: Session, payload: dict[str, Any]) -> None:
    out = _load(uuid.UUID(payload["delivery_id"]))
    if out is None or out.status != DeliveryStatus.pending:
        return  # delivered already (a job run twice after a crash), or replaced by a replay
    started = time.perf_counter()
    status_code, error = _post(out)
    took = int((time.perf_counter() - started) * 1000)
    now = clock.now()
    n = out.round_attempts + 1
    gives_up = bool(error) and now + POLICY.delay(n) > out.retry_until
    new_status = (
        DeliveryStatus.delivered
        if not error
        else (DeliveryStatus.failed if gives_up else DeliveryStatus.pending)
    )
    attempts = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == out.delivery_id)
        .values(
            attempts=WebhookDelivery.attempts + 1,
            round_attempts=n,
            status=new_status,
            last_status_code=status_code,
            last_error=error[:300],
            delivered_at=now if not error else None,
        )
        .returning(WebhookDelivery.attempts)
    ).scalar_one()
    session.add(
        WebhookAttempt(
            delivery_id=out.delivery_id,
            number=attempts,
            at=now,
            status_code=status_code,
            ok=not error,
            error=error[:300],
            duration_ms=took,
        )
    )
    if error:
        log.warning("webhook delivery %s attempt %d failed: %s", out.delivery_id, n, error)
        if not gives_up:
            raise Retry(error)
