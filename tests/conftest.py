"""Test fixtures: the real migrations on SQLite and (when TEST_DATABASE_URL is set) on
PostgreSQL, one app per backend, a token per role, small factories."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

# Settings are read once per process; point them at a scratch directory before any import.
_SCRATCH = Path(tempfile.mkdtemp(prefix="shouwang-test-"))
os.environ.setdefault("SHOUWANG_ENV", "test")
os.environ["SHOUWANG_DATA_DIR"] = str(_SCRATCH)
os.environ["SHOUWANG_DATABASE_URL"] = f"sqlite:///{_SCRATCH}/test.db"
os.environ.setdefault("SHOUWANG_LOGIN_SLOWDOWN_AFTER", "100")
# Tests run the worker when they mean to (tests/worker): no thread behind each app.
os.environ.setdefault("SHOUWANG_WORKER_IN_PROCESS", "false")

from backend.areas import service as areas_service  # noqa: E402
from backend.cli import migrate  # noqa: E402
from backend.core import clock, db, throttle  # noqa: E402
from backend.core.settings import get_settings  # noqa: E402
from backend.demo import AREAS_CSV  # noqa: E402
from backend.main import create_app  # noqa: E402

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
# Tables whose rows every test starts without. Areas and monitoring lines are reference data.
KEEP = {"area", "alembic_version", "monitoring_line"}
_test_engines: dict[Engine, Engine] = {}


def _pg_url() -> str:
    url = make_url(os.environ["TEST_DATABASE_URL"])
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def _prepare(url: str) -> Engine:
    migrate(url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        areas_service.import_csv(session=session, file=AREAS_CSV)
    with Session(engine) as session:
        from backend.households.models import MonitoringLine

        for province in ("62", "61", "34"):
            for year in range(2022, 2028):
                session.add(MonitoringLine(province_code=province, year=year, amount=7000))
        session.commit()
    return engine


@pytest.fixture(scope="session", params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{_SCRATCH}/suite.db"
    else:
        url = _pg_url()
        _drop_all(url)
    engine = _prepare(url)
    _test_engines[engine] = (
        db.make_engine(url, writer=False) if request.param == "sqlite" else engine
    )
    yield engine
    _test_engines.pop(engine).dispose()
    engine.dispose()


def _drop_all(url: str) -> None:
    import sqlalchemy as sa

    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    eng.dispose()


def _wipe(engine: Engine) -> None:
    from backend.core.db import metadata

    tables = [t for t in reversed(metadata.sorted_tables) if t.name not in KEEP]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Only the tables a test wrote to, and DELETE rather than TRUNCATE: truncating every
            # table (new files for each table and index) took 0.4-1.6 s after every test, more
            # than most tests themselves; a test leaves a handful of rows in a few tables.
            written = set(
                conn.execute(
                    text(
                        " UNION ALL ".join(
                            f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
                            for t in tables
                        )
                    )
                ).scalars()
            )
            tables = [t for t in tables if t.name in written]
        for table in tables:
            conn.execute(table.delete())


@pytest.fixture
def backend_name(engine: Engine) -> str:
    return engine.dialect.name


# The instant every test runs at unless it pins its own: an ordinary working Wednesday.
# `--today` (or SHOUWANG_TEST_TODAY) moves the whole run, e.g. to a month's first minutes.
DEFAULT_TODAY = "2026-06-10T10:00+08:00"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--today",
        default=os.environ.get("SHOUWANG_TEST_TODAY") or DEFAULT_TODAY,
        help="the frozen instant (ISO 8601 with an offset) for every test that does not pin "
        f"its own; also SHOUWANG_TEST_TODAY; default {DEFAULT_TODAY}",
    )


def _today(config: pytest.Config) -> datetime:
    value = config.getoption("--today")
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise pytest.UsageError(f"--today={value!r}: {exc}") from exc
    if at.tzinfo is None:
        raise pytest.UsageError(f"--today={value!r} needs an offset, e.g. +08:00")
    return at


def pytest_report_header(config: pytest.Config) -> str:
    at = _today(config)
    return f"frozen clock: {at.isoformat()} ({at.astimezone(clock.CHINA):%Y-%m-%d %H:%M} China)"


@pytest.fixture(autouse=True)
def _clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts on the frozen instant; `clock.freeze(...)` in a test moves it. A test
    marked `pinned_day` starts on DEFAULT_TODAY whatever `--today` says: its fixtures name
    months and years by the calendar (stop 17's known gap; tests/dates.py is the better form)."""
    pinned = request.node.get_closest_marker("pinned_day") is not None
    clock.freeze(datetime.fromisoformat(DEFAULT_TODAY) if pinned else _today(request.config))
    yield
    clock.freeze(None)


@pytest.fixture(autouse=True)
def _fresh_limits() -> Iterator[None]:
    """Rate-limit counts are the process's: without this, a test's reports count against the
    next test's (the PostgreSQL half of a run inherited the SQLite half's and answered 429)."""
    throttle.reset()
    yield
    throttle.reset()


@pytest.fixture
def app_engine(engine: Engine) -> Iterator[Engine]:
    db.set_engine(engine)
    yield engine
    _wipe(engine)


@pytest.fixture
def session(app_engine: Engine) -> Iterator[Session]:
    # On SQLite, without the app's write lock: reading in a test never holds the lock the
    # app's requests need. Roll back before reading what the app wrote since (a read
    # transaction keeps its snapshot).
    with Session(_test_engines[app_engine], expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(app_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def settings():  # type: ignore[no-untyped-def]
    return get_settings()


def unique(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"
