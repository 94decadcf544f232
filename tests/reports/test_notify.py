"""Texts to the farmer through an SMS gateway over HTTP, tested against a real local
gateway; a failed send is recorded and never costs the farmer the report."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.reports.models import ReportNotice, SelfReport
from backend.reports.notify import LogNotifier, NotifyError, SmsGatewayNotifier, get_notifier
from tests.reports.conftest import count, rows, submit


class FakeGateway:
    """A real HTTP server on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                gateway.received.append(
                    {
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(self.rfile.read(length)),
                    }
                )
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings, monkeypatch) -> Iterator[FakeGateway]:  # type: ignore[no-untyped-def]
    fake = FakeGateway()
    monkeypatch.setattr(settings, "sms_gateway_url", fake.url)
    monkeypatch.setattr(settings, "sms_gateway_key", "test-key-123")
    yield fake
    fake.close()


def test_the_log_backend_is_the_default(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.sms_gateway_url == ""
    assert isinstance(get_notifier(), LogNotifier)


def test_the_gateway_backend_posts_phone_and_text_with_the_key(gateway: FakeGateway) -> None:
    notifier = get_notifier()
    assert isinstance(notifier, SmsGatewayNotifier)
    notifier.send(phone="13912345678", text="你好")
    assert gateway.received == [
        {"auth": "Bearer test-key-123", "body": {"phone": "13912345678", "text": "你好"}}
    ]
    gateway.status = 500
    with pytest.raises(NotifyError):
        notifier.send(phone="13912345678", text="你好")


def test_a_report_texts_its_receipt_through_the_gateway(
    client: TestClient, session: Session, gateway: FakeGateway
) -> None:
    r = submit(client)
    assert r.status_code == 201
    assert gateway.received[0]["body"]["phone"] == "13912345678"
    assert r.json()["receipt_code"] in gateway.received[0]["body"]["text"]
    notice = rows(session, select(ReportNotice))[0]
    assert (notice.kind, notice.channel, notice.sent) == ("receipt", "sms", True)


def test_a_failing_gateway_never_loses_the_report(
    client: TestClient, session: Session, gateway: FakeGateway
) -> None:
    gateway.status = 503
    r = submit(client)
    assert r.status_code == 201
    assert count(session, SelfReport) == 1
    notice = rows(session, select(ReportNotice))[0]
    assert notice.sent is False and "503" in notice.error


def test_an_unreachable_gateway_never_loses_the_report(
    client: TestClient, session: Session, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    dead = FakeGateway()
    dead.close()  # nothing listens on this port any more
    monkeypatch.setattr(settings, "sms_gateway_url", dead.url)
    r = submit(client)
    assert r.status_code == 201
    assert count(session, SelfReport) == 1
    assert count(session, ReportNotice, ReportNotice.sent == False) == 1  # noqa: E712
