"""The Idempotency-Key header: a replay by the same caller answers the first answer and
creates nothing; other content under the key is 422; keys are per caller, kept 24 hours;
two requests with one key at once create one record."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from backend.accounts.models import ApiClient, Role, User
from backend.core import clock, idempotency
from backend.core.idempotency import IdempotencyKey
from backend.households import service as households_service
from backend.households.models import Household
from backend.main import create_app
from backend.worker import registry
from tests import clusters
from tests import factories as f


@pytest.fixture
def cadre(session: Session) -> User:
    return f.user(session, Role.village_cadre, f.LENGSHUIGOU)


def _household(**kw: Any) -> dict[str, Any]:
    return {
        "area_code": f.LENGSHUIGOU,
        "category": "lifted",
        "address": kw.pop("address", "3组12号"),
        "members": [{"name": "王建国", "relation": "head", "id_number": f.id_number()}],
        **kw,
    }


def _households(session: Session) -> int:
    session.rollback()
    return session.exec(select(func.count()).select_from(Household)).one()


def _keyed(who: User, key: str) -> dict[str, str]:
    return {**f.auth(who), "Idempotency-Key": key}


def test_a_replay_answers_the_first_answer_and_creates_nothing(
    client: TestClient, session: Session, cadre: User
) -> None:
    body = _household()
    first = client.post("/api/v1/households", json=body, headers=_keyed(cadre, "k-1"))
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    again = client.post("/api/v1/households", json=body, headers=_keyed(cadre, "k-1"))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _households(session) == 1


def test_the_same_key_with_another_body_is_422_naming_the_header(
    client: TestClient, session: Session, cadre: User
) -> None:
    assert (
        client.post(
            "/api/v1/households", json=_household(), headers=_keyed(cadre, "k-2")
        ).status_code
        == 201
    )
    other = client.post(
        "/api/v1/households", json=_household(address="别处"), headers=_keyed(cadre, "k-2")
    )
    assert other.status_code == 422
    answer = other.json()
    assert answer["error"] == "invalid"
    assert answer["message"].startswith("幂等键(Idempotency-Key):")
    assert answer["detail"][0]["field"] == "Idempotency-Key"
    assert _households(session) == 1


def test_the_same_key_on_another_endpoint_is_other_content(
    client: TestClient, session: Session, cadre: User
) -> None:
    assert (
        client.post(
            "/api/v1/households", json=_household(), headers=_keyed(cadre, "k-3")
        ).status_code
        == 201
    )
    batch = client.post("/api/v1/problem-batches", json={}, headers=_keyed(cadre, "k-3"))
    assert batch.status_code == 422 and batch.json()["detail"][0]["field"] == "Idempotency-Key"


def test_keys_are_per_caller(client: TestClient, session: Session, cadre: User) -> None:
    other = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    a = client.post("/api/v1/households", json=_household(), headers=_keyed(cadre, "same"))
    b = client.post("/api/v1/households", json=_household(), headers=_keyed(other, "same"))
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert _households(session) == 2


def test_without_the_header_nothing_changes(
    client: TestClient, session: Session, cadre: User
) -> None:
    for _ in range(2):
        r = client.post("/api/v1/households", json=_household(), headers=f.auth(cadre))
        assert r.status_code == 201 and "Idempotent-Replayed" not in r.headers
    assert _households(session) == 2
    assert session.exec(select(IdempotencyKey)).all() == []


def test_a_refused_request_keeps_no_key_so_it_can_be_sent_again(
    client: TestClient, session: Session, cadre: User
) -> None:
    outside = _household(area_code=f.SHANNAN)
    refused = client.post("/api/v1/households", json=outside, headers=_keyed(cadre, "k-4"))
    assert refused.status_code in (403, 404, 422), refused.text
    session.rollback()
    assert session.exec(select(IdempotencyKey)).all() == []
    fixed = client.post("/api/v1/households", json=_household(), headers=_keyed(cadre, "k-4"))
    assert fixed.status_code == 201, fixed.text


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tin", "a b"])
def test_a_malformed_key_is_422(client: TestClient, cadre: User, key: str) -> None:
    r = client.post("/api/v1/households", json=_household(), headers=_keyed(cadre, key))
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "header.Idempotency-Key"
    assert r.json()["message"].startswith("幂等键(header.Idempotency-Key):")


def test_a_key_is_kept_24_hours_then_forgotten(
    client: TestClient, session: Session, cadre: User
) -> None:
    body = _household()
    assert (
        client.post("/api/v1/households", json=body, headers=_keyed(cadre, "k-5")).status_code
        == 201
    )
    start = clock.now()
    try:
        clock.freeze(start + timedelta(hours=23))
        replay = client.post("/api/v1/households", json=body, headers=_keyed(cadre, "k-5"))
        assert replay.headers.get("Idempotent-Replayed") == "true"
        clock.freeze(start + timedelta(hours=24, seconds=1))
        # Found on read past its time: unused. (The person is on record now: 409, not a copy.)
        late = client.post("/api/v1/households", json=body, headers=_keyed(cadre, "k-5"))
        assert late.status_code == 409 and "Idempotent-Replayed" not in late.headers
        # And the nightly job forgets what is past its time.
        assert (
            client.post(
                "/api/v1/households", json=_household(), headers=_keyed(cadre, "k-6")
            ).status_code
            == 201
        )
        clock.freeze(start + timedelta(hours=49))
        job = registry.get("idempotency.purge")
        assert job is not None
        session.rollback()
        job.fn(session=session, payload={})
        session.commit()
        assert session.exec(select(IdempotencyKey)).all() == []
    finally:
        clock.freeze(start)


def test_an_api_client_secret_is_replayed_and_kept_encrypted(
    client: TestClient, session: Session
) -> None:
    admin = f.user(session, Role.admin, None)
    body = {"name": "医保局", "area_code": f.NINGSHAN, "scopes": ["warnings:write"]}
    first = client.post("/api/v1/api-clients", json=body, headers=_keyed(admin, "client-1"))
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/api-clients", json=body, headers=_keyed(admin, "client-1"))
    assert again.json()["client_secret"] == first.json()["client_secret"]
    session.rollback()
    assert len(session.exec(select(ApiClient)).all()) == 1
    (kept,) = session.exec(select(IdempotencyKey)).all()
    assert kept.caller == f"user:{admin.id}"
    assert first.json()["client_secret"] not in (kept.answer_cipher or "")


def test_an_api_client_is_keyed_as_itself(client: TestClient, session: Session) -> None:
    headers = f.api_client_auth(client, session, ["webhooks:manage", "visits:read"])
    body = {"url": "https://1.2.3.4/hook", "events": ["visit.recorded"]}
    first = client.post(
        "/api/v1/webhooks/subscriptions", json=body, headers={**headers, "Idempotency-Key": "w-1"}
    )
    assert first.status_code == 201, first.text
    again = client.post(
        "/api/v1/webhooks/subscriptions", json=body, headers={**headers, "Idempotency-Key": "w-1"}
    )
    assert again.json() == first.json()
    session.rollback()
    callers = {k.caller for k in session.exec(select(IdempotencyKey))}
    assert any(c.startswith("client:") for c in callers), callers


def test_a_farmer_without_a_token_is_not_keyed(client: TestClient, session: Session) -> None:
    from tests.reports.conftest import report_body

    r = client.post("/api/v1/self-reports", json=report_body(), headers={"Idempotency-Key": "x"})
    assert r.status_code == 201, r.text
    session.rollback()
    assert session.exec(select(IdempotencyKey)).all() == []


def test_two_requests_with_one_key_at_once_create_one_household(
    app_engine: Any, session: Session, cadre: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second waits for the first (on PostgreSQL at the key's unique index, on SQLite
    for the write lock) and answers the first answer."""
    create = households_service.create

    def slow_create(**kw: Any) -> Household:
        time.sleep(0.5)
        return create(**kw)

    monkeypatch.setattr(households_service, "create", slow_create)
    body = _household()

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as c:
            return c.post("/api/v1/households", json=body, headers=_keyed(cadre, "together"))

    with clusters.in_thread(create_app()) as base, ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(send, range(2)))
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert _households(session) == 1


def test_an_in_flight_key_past_the_wait_is_409(
    client: TestClient, session: Session, cadre: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key committed whose answer was never recorded (the process died in between)."""
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.2)
    body = _household()
    ok = client.post("/api/v1/households", json=body, headers=_keyed(cadre, "k-7"))
    assert ok.status_code == 201
    session.rollback()
    kept = session.get(IdempotencyKey, (f"user:{cadre.id}", "k-7"))
    assert kept is not None
    kept.status_code = None
    kept.answer_cipher = None
    session.commit()
    busy = client.post("/api/v1/households", json=body, headers=_keyed(cadre, "k-7"))
    assert busy.status_code == 409
    assert busy.json()["error"] == "idempotency_key_in_use"
    assert busy.headers["Retry-After"] == "1"
    assert _households(session) == 1
