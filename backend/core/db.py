"""The database: one engine per process, sessions per use case, SQLite tuned and serialized."""

import threading
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine
from starlette.requests import Request

from backend.core.errors import Unavailable
from backend.core.settings import get_settings

# Constraint names are stable across SQLite and PostgreSQL, so migrations can name them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, hands back aware datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite allows one writer. Rather than let threads sleep in its busy handler, writes in this
# process take this lock and BEGIN IMMEDIATE (STYLE.md rule 10), but only for the writes
# (rule 21): a writer's transaction begins as a plain snapshot read, so a request reads and
# validates without the lock, and takes it at its first write statement, or earlier where
# the use case says it is about to change what it reads (`lock_for_write`, which every
# FOR UPDATE load calls). Taking it restarts the transaction as BEGIN IMMEDIATE, so what is
# read from then on is the latest data, and nothing else in the process writes until the
# commit. A check made before then was made on a snapshot: what a concurrent writer can
# change is checked again under the lock, or caught by a constraint.
_sqlite_write_lock = threading.Lock()
_LOCK_KEY = "shouwang_holds_write_lock"
_WRITER_KEY = "shouwang_sqlite_writer"


def _release(info: dict[str, Any]) -> None:
    if info.pop(_LOCK_KEY, False):
        _sqlite_write_lock.release()


# A writer that cannot get the lock in this time answers 503 instead of hanging.
LOCK_TIMEOUT_SECONDS = 30


def _take_write_lock(conn: Connection) -> None:
    """Wait for this process's write turn, then restart `conn`'s transaction as BEGIN
    IMMEDIATE: whatever it read so far was a snapshot, and it has written nothing yet."""
    if not _sqlite_write_lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
        raise Unavailable("系统繁忙,请稍后再试", code="database_busy")
    conn.info[_LOCK_KEY] = True
    try:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        if raw.in_transaction:
            raw.execute("COMMIT")
        raw.execute("BEGIN IMMEDIATE")
    except BaseException:
        _release(conn.info)
        raise


def _writes(statement: str) -> bool:
    # SQLAlchemy's statements start with their verb: only a SELECT leaves the database as it
    # was (a SAVEPOINT, ANALYZE or PRAGMA is taken as a write, to be safe; BEGIN is ours).
    return statement.lstrip()[:6].upper() not in ("SELECT", "BEGIN", "BEGIN ")


def _configure_sqlite(engine: Engine, *, writer: bool, query_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=10000")
        if query_only:
            # Enforces "a GET never writes": a write here fails loudly instead of racing
            # the writer without the lock.
            cur.execute("PRAGMA query_only=ON")
        cur.close()
        if writer:
            record.info[_WRITER_KEY] = True

    if not writer:
        # Readers take a WAL snapshot and never wait for, or block, the writer.
        @event.listens_for(engine, "begin")
        def _on_read_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A connection that still holds the lock (a second transaction before it went back
        # to the pool) writes at once; any other reads first, without the lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get(_LOCK_KEY) else "BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def _on_execute(
        conn: Connection, _cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        if not conn.info.get(_LOCK_KEY) and _writes(statement):
            _take_write_lock(conn)

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        # A session gives its connection back after COMMIT or ROLLBACK (the pool's reset
        # rolls back anything left open first), so this is where the lock is let go.
        _release(record.info)


def lock_for_write(session: Session) -> None:
    """The use case is about to change what it reads next (a row loaded FOR UPDATE, a
    replay re-checked before its insert). On SQLite: take the process write lock now, so
    those reads see the latest data and nothing else writes until the commit. On
    PostgreSQL nothing: its rows are locked FOR UPDATE, one by one."""
    conn = session.connection()
    if conn.info.get(_WRITER_KEY) and not conn.info.get(_LOCK_KEY):
        _take_write_lock(conn)


_engine: Engine | None = None
_read_engine: Engine | None = None
_engine_lock = threading.Lock()


def make_engine(url: str, *, writer: bool = True, query_only: bool = False) -> Engine:
    """An engine for `url`. On SQLite a writer serializes its transactions in this process
    (BEGIN IMMEDIATE under one lock); a reader (writer=False) reads snapshots, and with
    query_only=True cannot write at all."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=8,
            max_overflow=32,
        )
        _configure_sqlite(engine, writer=writer, query_only=query_only)
    else:
        # A request that waits this long for a row another request has locked gives up with
        # 503 (errors.py) rather than hold its thread for ever (a safety net: core/inflight.py
        # keeps a free thread for every request in flight, so lock holders always go on).
        connect_args: dict[str, Any] = {"options": f"-c lock_timeout={LOCK_TIMEOUT_SECONDS}s"}
        if get_settings().database_pgbouncer:
            # Transaction pooling (deploy/pgbouncer.ini): no server-side prepared statements
            # (the next transaction may run on another server connection) and no `options`
            # (PgBouncer refuses it; role.sql sets lock_timeout on the role instead).
            connect_args = {"prepare_threshold": None}
        engine = create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args
        )
    return engine


def get_engine() -> Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            settings = get_settings()
            if settings.is_sqlite:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
            _engine = make_engine(settings.database_url)
        return _engine


def get_read_engine() -> Engine:
    """For requests that only read (GET): on SQLite an engine without the write lock, so
    readers never queue behind writers; on PostgreSQL the streaming replica named by
    SHOUWANG_READ_DATABASE_URL when there is one (deploy/SCALING.md), else the same engine."""
    global _read_engine
    engine = get_engine()
    replica = get_settings().read_database_url
    if engine.dialect.name != "sqlite" and not replica:
        return engine
    with _engine_lock:
        if _read_engine is None:
            if engine.dialect.name == "sqlite":
                url = engine.url.render_as_string(hide_password=False)
                _read_engine = make_engine(url, writer=False, query_only=True)
            else:
                _read_engine = make_engine(replica, writer=False)
        return _read_engine


# What processes keep of the database's content (deadline policies…): forgotten when the
# engine is set, since a new engine may be another database (tests, the CLI).
_forget_on_new_engine: list[Callable[[], None]] = []


def forget_on_new_engine(forget: Callable[[], None]) -> None:
    _forget_on_new_engine.append(forget)


def set_engine(engine: Engine | None) -> None:
    """Replace the process engine (tests, CLI with another URL)."""
    global _engine, _read_engine
    for forget in _forget_on_new_engine:
        forget()
    with _engine_lock:
        if _engine is not None and _engine is not engine:
            _engine.dispose()
            if _read_engine is not None:
                _read_engine.dispose()
                _read_engine = None
        _engine = engine


def analyze(engine: Engine | None = None) -> None:
    """Refresh the query planner's statistics. SQLite keeps none until ANALYZE runs, and
    without them picks the wrong index (bench/RESULTS.md: every member scanned to find one
    household's); PostgreSQL's autovacuum gets there too, this makes it immediate. Run
    after migrating, before serving and nightly by the worker."""
    engine = engine or get_engine()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # Sample at most this many index rows per index: seconds, not minutes, at scale.
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        conn.exec_driver_sql("ANALYZE")


def new_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_scope(request: Request) -> AsyncIterator[Session]:
    """Request dependency: one session per request, closed as the endpoint returns.

    GET requests read through the read engine (on SQLite without the write lock, so a GET
    must never write). Other requests use the writer, whose transactions on SQLite read
    without the lock too and take it for their writes alone, until the commit; a request
    waiting for it holds a thread, and core/inflight.py keeps one free for every request in
    flight, so the lock's holder always goes on. The teardown is async so that closing
    (after an error, say) needs no free thread."""
    engine = get_read_engine() if request.method in READ_METHODS else get_engine()
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
