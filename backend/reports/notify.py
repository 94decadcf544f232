"""Texts to farmers: a Notifier interface with a log backend and an SMS gateway over HTTP."""

import logging
from typing import Protocol

import httpx

from backend.core.security import mask_phone
from backend.core.settings import get_settings

log = logging.getLogger("shouwang.notify")


class NotifyError(Exception):
    """The message did not go out; the caller records it and carries on."""


class Notifier(Protocol):
    channel: str

    def send(self, *, phone: str, text: str) -> None: ...


class LogNotifier:
    """Writes each message to the log: the default, and enough for a pilot without SMS."""

    channel = "log"

    def send(self, *, phone: str, text: str) -> None:
        log.info("text to %s: %s", mask_phone(phone), text)


class SmsGatewayNotifier:
    """POSTs {"phone", "text"} as JSON to an SMS gateway, with the key as a bearer token."""

    channel = "sms"

    def __init__(self, *, url: str, key: str, timeout: float = 5.0) -> None:
        self.url = url
        self.key = key
        self.timeout = timeout

    def send(self, *, phone: str, text: str) -> None:
        try:
            response = httpx.post(
                self.url,
                json={"phone": phone, "text": text},
                headers={"Authorization": f"Bearer {self.key}"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise NotifyError(f"gateway unreachable: {exc.__class__.__name__}") from exc
        if response.status_code >= 300:
            raise NotifyError(f"gateway answered {response.status_code}")


_override: Notifier | None = None


def get_notifier() -> Notifier:
    if _override is not None:
        return _override
    settings = get_settings()
    if settings.sms_gateway_url:
        return SmsGatewayNotifier(url=settings.sms_gateway_url, key=settings.sms_gateway_key)
    return LogNotifier()


def set_notifier(notifier: Notifier | None) -> None:
    """Use this notifier instead of the configured one (tests); None restores the setting."""
    global _override
    _override = notifier
