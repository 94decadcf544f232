"""SHOUWANG_DATABASE_PGBOUNCER: connections fit PgBouncer's transaction pooling (the deploy
test runs the API through a real PgBouncer; this pins what the setting changes)."""

import pytest
from sqlalchemy.engine import Engine

from backend.core import db
from backend.core.settings import get_settings


def test_behind_pgbouncer_no_prepared_statements_and_no_startup_options(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: PgBouncer pools PostgreSQL connections")
    url = engine.url.render_as_string(hide_password=False)

    direct = db.make_engine(url)
    with direct.connect() as conn:
        assert conn.connection.dbapi_connection.prepare_threshold == 5  # psycopg's default
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar_one() == "30s"
    direct.dispose()

    monkeypatch.setattr(get_settings(), "database_pgbouncer", True)
    pooled = db.make_engine(url)
    with pooled.connect() as conn:
        # Never PREPAREd on one server connection and EXECUTEd on another.
        assert conn.connection.dbapi_connection.prepare_threshold is None
        # No `options` startup parameter (PgBouncer refuses it): role.sql sets the timeout.
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar_one() == "0"
    pooled.dispose()
