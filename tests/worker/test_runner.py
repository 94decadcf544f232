"""Where the worker runs: a thread of `shouwang serve` (started and stopped with the app),
or `shouwang worker`; `--once` runs what is due and exits."""

import threading

import pytest
from fastapi.testclient import TestClient

from backend import cli
from backend.main import create_app
from backend.reports import notify
from tests.reports.conftest import report_body
from tests.worker.conftest import jobs


class Phone:
    channel = "test"

    def __init__(self) -> None:
        self.got = threading.Event()
        self.texts: list[str] = []

    def send(self, *, phone: str, text: str, key: str = "") -> None:
        self.texts.append(text)
        self.got.set()


def test_the_in_process_worker_starts_and_stops_with_the_app(
    app_engine, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "worker_in_process", True)
    monkeypatch.setattr(settings, "worker_poll_seconds", 60.0)  # woken by the commit, not polled
    phone = Phone()
    notify.set_notifier(phone)
    try:
        app = create_app()
        with TestClient(app) as client:
            worker = app.state.worker
            assert worker is not None and worker.alive
            r = client.post("/api/v1/self-reports", json=report_body())
            assert r.status_code == 201
            assert phone.got.wait(30), "the worker thread did not send the receipt"
            assert r.json()["receipt_code"] in phone.texts[0]
        assert not worker.alive
    finally:
        notify.set_notifier(None)
    assert {j.kind: j.status for j in jobs("report_text")} == {"report_text": "done"}


def test_the_worker_runs_in_process_by_default_on_sqlite_only(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "worker_in_process", None)
    assert settings.runs_worker_in_process is settings.is_sqlite
    monkeypatch.setattr(settings, "database_url", "postgresql+psycopg://x@127.0.0.1/y")
    assert settings.runs_worker_in_process is False
    monkeypatch.setattr(settings, "worker_in_process", True)
    assert settings.runs_worker_in_process is True


def test_the_app_starts_no_worker_when_told_not_to(app_engine, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "worker_in_process", False)
    app = create_app()
    with TestClient(app):
        assert app.state.worker is None


def test_worker_once_runs_the_due_jobs_and_exits(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    phone = Phone()
    notify.set_notifier(phone)
    try:
        assert client.post("/api/v1/self-reports", json=report_body()).status_code == 201
        assert phone.texts == []
        assert cli.main(["worker", "--once"]) == 0
    finally:
        notify.set_notifier(None)
    assert len(phone.texts) == 1
    # The receipt, tonight's statistics, checks, photo retention, overdue problems' webhook
    # events, forgetting old Idempotency-Key answers, and the day's three staff digests (the
    # schedules' slots, enqueued by this run; no staff account has a phone).
    assert "已执行 9 个到期任务" in capsys.readouterr().out
    assert {j.kind: j.status for j in jobs()} == {
        "report_text": "done",
        "analyze": "done",
        "idempotency.purge": "done",
        "checks.run": "done",
        "reports.photo_retention": "done",
        "rectification.overdue_events": "done",
        "notices.digest": "done",
    }
    assert cli.main(["worker", "--once"]) == 0
    assert "已执行 0 个到期任务" in capsys.readouterr().out
