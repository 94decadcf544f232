"""Fixtures for the self-report tests: fresh rate-limit counts, a notifier that records
(after running the worker)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from backend.reports import notify
from backend.worker import runner


class RecordingNotifier:
    """The farmer's phones: `sent` is what they received once the worker has run the jobs
    due now (texts are queued by the request and sent by the worker)."""

    channel = "test"

    def __init__(self) -> None:
        self.received: list[tuple[str, str]] = []

    def send(self, *, phone: str, text: str, key: str = "") -> None:
        self.received.append((phone, text))

    @property
    def sent(self) -> list[tuple[str, str]]:
        runner.run_due_jobs()
        return self.received


@pytest.fixture
def texts() -> Iterator[RecordingNotifier]:
    recorder = RecordingNotifier()
    notify.set_notifier(recorder)
    yield recorder
    notify.set_notifier(None)


def report_body(**kw):  # type: ignore[no-untyped-def]
    from tests import factories as f

    body = {
        "area_code": f.LENGSHUIGOU,
        "name": "王秀英",
        "phone": "13912345678",
        "risk_types": ["illness"],
        "note": "老伴住院,花了很多钱",
    }
    body.update(kw)
    return body


def submit(client: TestClient, **kw):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/self-reports", json=report_body(**kw))


# Reads go through a short-lived session of their own, so the test never holds SQLite's
# write lock while the app answers a request, and the test's own objects stay loaded.
def get(session, model, ident):  # type: ignore[no-untyped-def]
    import uuid

    from sqlmodel import Session

    with Session(session.get_bind(), expire_on_commit=False) as s:
        return s.get(model, uuid.UUID(str(ident)))


def rows(session, stmt):  # type: ignore[no-untyped-def]
    from sqlmodel import Session

    with Session(session.get_bind(), expire_on_commit=False) as s:
        return list(s.exec(stmt))


def count(session, model, *where):  # type: ignore[no-untyped-def]
    from sqlalchemy import func
    from sqlmodel import select

    return rows(session, select(func.count()).select_from(model).where(*where))[0]
