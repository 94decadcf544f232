"""The database gone: every endpoint that needs it answers 503 with Retry-After (so the
phones' outboxes wait and send again), in Chinese, and the log gets one line per request,
not a stack trace."""

import logging
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from backend.core import db, security
from backend.main import create_app
from tests.security.routes import operations

# Bodies for the public writes, valid enough to reach the database.
PUBLIC_REQUESTS = {
    "POST /api/v1/auth/token": {"data": {"username": "someone", "password": "correct-horse-9"}},
    "POST /api/v1/auth/client-token": {
        "data": {
            "grant_type": "client_credentials",
            "client_id": str(uuid.uuid4()),
            "client_secret": "sws_x",
        }
    },
    "POST /api/v1/self-reports": {
        "json": {
            "area_code": "610923102217",
            "name": "王建国",
            "phone": "13800138000",
            "risk_types": ["illness"],
        }
    },
    "GET /api/v1/self-reports/lookup": {
        "params": {"receipt_code": "ABCD2345", "phone": "13800138000"}
    },
}


def _dead_engines(backend_name: str, tmp_path) -> Engine:  # type: ignore[no-untyped-def]
    if backend_name == "sqlite":
        # A directory that does not exist: SQLite cannot open the file.
        return db.make_engine(f"sqlite:///{tmp_path}/gone/none.db")
    from sqlmodel import create_engine

    return create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )


@pytest.fixture
def dead_client(app_engine: Engine, backend_name: str, tmp_path):  # type: ignore[no-untyped-def]
    app = create_app()
    db.set_engine(_dead_engines(backend_name, tmp_path))
    try:
        with TestClient(app, raise_server_exceptions=False) as c:
            yield c, app
    finally:
        db.set_engine(app_engine)


def test_every_endpoint_answers_503_with_retry_after_when_the_database_is_gone(
    dead_client, caplog: pytest.LogCaptureFixture
) -> None:
    client, app = dead_client
    token, _ = security.create_access_token(subject=uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}"}
    answered = {}
    with caplog.at_level(logging.INFO):
        for op in operations(app):
            kw = PUBLIC_REQUESTS.get(op.key, {"json": {}} if op.method != "GET" else {})
            response = client.request(op.method, op.url(), headers=headers, **kw)
            answered[op.key] = response.status_code
            if response.status_code == 503:
                assert int(response.headers["Retry-After"]) > 0, op.key
                assert response.json()["message"].endswith("请稍后再试"), op.key
    # Areas are answered from the database too: nothing answers from memory but the health
    # check, which says so with its own 503.
    assert {k: v for k, v in answered.items() if v != 503} == {}
    assert "Traceback" not in caplog.text
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert tracebacks == []
    lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(lines) == len(answered) - 1  # the health check logs its own line
