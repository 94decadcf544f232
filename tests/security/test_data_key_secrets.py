"""A data key rotation reaches beyond ID numbers: webhook signing secrets and kept
Idempotency-Key answers are re-encrypted; department warnings find a person, and a warning
already received, under the old key's hash until the rotation has reached them."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

import backend.models  # noqa: F401  (every table, as the command has them)
from backend.core import datakeys, security, throttle
from backend.core.idempotency import IdempotencyKey
from backend.core.settings import get_settings
from backend.warnings.models import DepartmentWarning
from backend.webhooks.models import WebhookSubscription
from tests import factories as f
from tests.warnings.test_router import head_id, warning

NEW_KEY = "rotated-data-key-0123456789abcdefghijklmnop"


@pytest.fixture(autouse=True)
def _fresh_limits() -> Any:
    throttle.reset()
    yield
    throttle.reset()


def _new_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """The operator's first step: the new key in force, the old one kept for reading."""
    old = get_settings().data_key
    monkeypatch.setattr(get_settings(), "data_key", NEW_KEY)
    monkeypatch.setattr(get_settings(), "old_data_keys", old)
    return old


def test_webhook_secrets_and_kept_answers_are_reencrypted(
    client: TestClient, session: Session, app_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {(t.name, c.name) for t, c in datakeys.secret_columns()} >= {
        ("webhook_subscription", "secret_cipher"),
        ("idempotency_key", "answer_cipher"),
    }
    headers = f.api_client_auth(client, session, ["webhooks:manage", "visits:read"])
    body = {"url": "https://1.2.3.4/hook", "events": ["visit.recorded"]}
    keyed = {**headers, "Idempotency-Key": "sub-1"}
    made = client.post("/api/v1/webhooks/subscriptions", json=body, headers=keyed)
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    session.rollback()
    before = session.exec(select(WebhookSubscription)).one().secret_cipher

    _new_key(monkeypatch)
    done = {(d.table, d.column): d for d in datakeys.rotate(app_engine)}
    assert done[("webhook_subscription", "secret_cipher")].reencrypted == 1
    assert done[("idempotency_key", "answer_cipher")].reencrypted == 1
    assert all(d.reencrypted == 0 for d in datakeys.rotate(app_engine))

    # The old key retired: the secret still reads back whole, the kept answer still replays.
    monkeypatch.setattr(get_settings(), "old_data_keys", "")
    session.rollback()
    session.expire_all()
    row = session.exec(select(WebhookSubscription)).one()
    assert row.secret_cipher != before
    assert security.decrypt_secret(row.secret_cipher) == secret
    kept = session.exec(select(IdempotencyKey)).one()
    assert security.secret_under_current_key(kept.answer_cipher or "")
    again = client.post("/api/v1/webhooks/subscriptions", json=body, headers=keyed)
    assert again.status_code == 201 and again.json()["secret"] == secret
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_warning_finds_the_person_and_its_first_copy_under_the_old_key(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    household, person = head_id(session)
    sender = f.api_client_auth(client, session, ["warnings:write"])
    first = client.post("/api/v1/warnings", json=warning(person), headers=sender)
    assert first.status_code == 201, first.text

    _new_key(monkeypatch)
    # Rotation not yet run: the member and the first warning keep the old key's hash.
    again = client.post("/api/v1/warnings", json=warning(person), headers=sender)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    changed = client.post(
        "/api/v1/warnings", json=warning(person, figures={"self_paid_yuan": 1}), headers=sender
    )
    assert changed.status_code == 409 and changed.json()["error"] == "warning_differs"
    # A new period is a new warning, matched to the household through the old hash, and
    # stored under the new key's.
    later = client.post("/api/v1/warnings", json=warning(person, period="2026-12"), headers=sender)
    assert later.status_code == 201, later.text
    assert later.json()["household_id"] == str(household.id)
    session.rollback()
    assert session.exec(select(func.count()).select_from(DepartmentWarning)).one() == 2
    stored = session.exec(
        select(DepartmentWarning).where(DepartmentWarning.period == "2026-12")
    ).one()
    assert stored.id_number_hash == security.id_number_hash(person)


def test_a_resend_after_the_rotation_finds_the_rotated_warning(
    client: TestClient, session: Session, app_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, person = head_id(session, f.LENGSHUIGOU)
    sender = f.api_client_auth(client, session, ["warnings:write"])
    first = client.post("/api/v1/warnings", json=warning(person), headers=sender)
    assert first.status_code == 201
    _new_key(monkeypatch)
    datakeys.rotate(app_engine)
    monkeypatch.setattr(get_settings(), "old_data_keys", "")
    again = client.post("/api/v1/warnings", json=warning(person), headers=sender)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["matched"] is True


def test_the_command_names_secrets_apart_from_id_numbers(
    session: Session,
    app_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from backend.cli import main

    _new_key(monkeypatch)
    assert main(["rotate-data-key"]) == 0
    out = capsys.readouterr().out
    assert "webhook_subscription: 0 个密钥(secret_cipher)" in out
    assert "member: 0 个身份证号" in out
