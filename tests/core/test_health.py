from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from backend.core import db
from backend.main import create_app


def test_health_answers_ok_after_a_database_round_trip(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_503_when_the_database_does_not_answer(app_engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dead = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    db.set_engine(dead)
    try:
        with TestClient(create_app(), raise_server_exceptions=False) as c:
            response = c.get("/api/v1/health")
        assert response.status_code == 503
        assert response.json()["status"] == "unavailable"
    finally:
        db.set_engine(app_engine)
