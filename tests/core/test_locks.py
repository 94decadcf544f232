"""A request that cannot get a row lock in time is told to come back later (503), it does not
hold its thread for ever: a dependency may hold a row lock across thread-pool calls."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.accounts.models import Role
from backend.core import db
from backend.households.models import Household
from tests import factories as f


def test_a_row_locked_too_long_answers_503_with_retry_after(
    app_engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    if app_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serializes writers in the process, no row locks")
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    household = f.household(session)
    monkeypatch.setattr(db, "LOCK_TIMEOUT_SECONDS", 1)  # lock_timeout=1s for this engine
    impatient = db.make_engine(app_engine.url.render_as_string(hide_password=False))
    db.set_engine(impatient)
    try:
        with (
            app_engine.connect() as holder,
            TestClient(db_app(), raise_server_exceptions=False) as client,
        ):
            holder.execute(
                text("SELECT id FROM household WHERE id = :id FOR UPDATE"),
                {"id": household.id},
            )
            response = client.patch(
                f"/api/v1/households/{household.id}",
                json={"address": "新地址"},
                headers=f.auth(cadre),
            )
            holder.rollback()
    finally:
        db.set_engine(app_engine)
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "database_busy"
    assert response.headers["Retry-After"] == "5"
    session.expire_all()
    assert session.get(Household, household.id).address != "新地址"  # type: ignore[union-attr]


def db_app():  # type: ignore[no-untyped-def]
    from backend.main import create_app

    return create_app()
