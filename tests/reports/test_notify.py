"""Texts to the farmer through an SMS gateway over HTTP, tested against a real local
gateway: queued with the report, sent by the worker; a failed send is recorded and retried,
and never costs the farmer the report."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.reports.models import ReportNotice, SelfReport
from backend.reports.notify import LogNotifier, NotifyError, SmsGatewayNotifier, get_notifier
from backend.worker import runner
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
    assert gateway.received == []  # queued with the report; the worker sends it
    assert runner.run_due_jobs() == 1
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
    runner.run_due_jobs()
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
    runner.run_due_jobs()
    assert count(session, ReportNotice, ReportNotice.sent == False) == 1  # noqa: E712


def test_a_text_the_gateway_refused_is_sent_on_a_later_attempt(
    client: TestClient, session: Session, gateway: FakeGateway
) -> None:
    from datetime import timedelta

    from backend.core import clock
    from backend.worker.models import Job, JobAttempt

    gateway.status = 503
    assert submit(client).status_code == 201
    assert runner.run_due_jobs() == 1
    (job,) = rows(session, select(Job))
    assert (job.kind, job.status, job.attempts) == ("report_text", "failed", 1)
    # Back in 30 seconds: the clock moves, nobody sleeps.
    gateway.status = 200
    clock.freeze(clock.now() + timedelta(seconds=31))
    assert runner.run_due_jobs() == 1
    assert [r["body"]["phone"] for r in gateway.received] == ["13912345678"] * 2
    notices = rows(session, select(ReportNotice).order_by(ReportNotice.at))
    assert [(n.sent, "503" in n.error) for n in notices] == [(False, True), (True, False)]
    (job,) = rows(session, select(Job))
    assert (job.status, job.attempts) == ("done", 2)
    tries = rows(session, select(JobAttempt).order_by(JobAttempt.number))
    assert [t.ok for t in tries] == [False, True]


def test_a_notifier_that_raises_never_fails_the_request(
    client: TestClient, session: Session
) -> None:
    from backend.reports import notify

    class Broken:
        channel = "broken"

        def send(self, *, phone: str, text: str, key: str = "") -> None:
            raise RuntimeError("driver bug")

    notify.set_notifier(Broken())
    try:
        assert submit(client).status_code == 201
        assert runner.run_due_jobs() == 1
    finally:
        notify.set_notifier(None)
    notice = rows(session, select(ReportNotice))[0]
    assert (notice.channel, notice.sent, notice.error) == (
        "broken",
        False,
        "unexpected: RuntimeError",
    )
