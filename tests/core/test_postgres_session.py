"""What every PostgreSQL connection of the app sets for itself, whatever the server's config."""

import pytest
from sqlalchemy.engine import Engine


def test_postgres_connections_wait_30_s_for_a_lock_and_compile_no_query(
    app_engine: Engine,
) -> None:
    if app_engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: lock_timeout and jit are settings of a PostgreSQL session")
    with app_engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW lock_timeout").scalar_one() == "30s"
        # A stock server compiles any statement estimated past jit_above_cost: coverage's
        # county tally spent 360 ms of 480 compiling (deploy/postgresql/shouwang.conf has
        # jit off; the app does not rely on it).
        assert conn.exec_driver_sql("SHOW jit").scalar_one() == "off"
