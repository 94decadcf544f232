"""The database: one engine per process, sessions per use case, SQLite tuned and serialized."""

import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
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


def _release(info: dict[str, Any]) -> bool:
    """Let go of the write lock if this connection held it: whether it did."""
    if info.pop(_LOCK_KEY, False):
        _sqlite_write_lock.release()
        return True
    return False


# A commit whose WAL has grown past wal_autocheckpoint copies the WAL back into the database
# and syncs both before it returns: with SQLite's default (1,000 pages) a phone's batch of
# 200 visits did so at nearly every commit, half of the batch's time (py-spy, bench/RESULTS.md
# batch). The writer process's checkpoints are made here instead, beside the requests: a
# PASSIVE checkpoint, in a thread of its own with its own connection (sqlite3 lets the GIL
# go), a moment after writes. It never blocks a writer or a reader; the requests' own
# threshold stays as a backstop should this thread fall behind.
CHECKPOINT_AFTER_SECONDS = 0.25
BACKSTOP_CHECKPOINT_PAGES = 20_000  # 80 MB of WAL


class _Checkpointer:
    def __init__(self, engine: Engine) -> None:
        self._path = engine.url.database
        self._engine = weakref.ref(engine)
        self._wrote = threading.Event()
        self._never = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def written(self) -> None:
        self._wrote.set()
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="sqlite-checkpoint", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        uri = Path(self._path).absolute().as_uri() + "?mode=rw"  # never create a removed one
        while True:
            wrote = self._wrote.wait(timeout=60)
            if self._engine() is None:  # the engine is gone (tests, the CLI): stop
                return
            if not wrote:
                continue
            self._wrote.clear()
            # Let a few commits gather (an Event's wait, not time.sleep: a test that patches
            # time.sleep to count a login's slow-down must not count this thread's pauses).
            self._never.wait(CHECKPOINT_AFTER_SECONDS)
            try:
                checkpoint(uri)
            except sqlite3.Error:
                continue  # busy or gone: the next write tries again, the backstop stays


def checkpoint(uri: str) -> tuple[int, int, int]:
    """A PASSIVE checkpoint of the database at `uri` (a file: URI) on a connection of its
    own: SQLite's (busy, frames in the WAL, frames copied back into the database)."""
    conn = sqlite3.connect(uri, uri=True, timeout=0)
    try:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return busy, frames, copied
    finally:
        conn.close()


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
    database = engine.url.database
    in_file = bool(database) and database != ":memory:" and not database.startswith("file:")
    checkpointer = _Checkpointer(engine) if writer and in_file else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=10000")
        if checkpointer is not None:
            cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
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

        _release_cache_on_checkin(engine)
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
        if _release(record.info) and checkpointer is not None:
            checkpointer.written()

    _release_cache_on_checkin(engine)  # after the lock is let go: not inside it


def _release_cache_on_checkin(engine: Engine) -> None:
    """A connection back in the pool keeps no page cache. Each has its own, up to 2 MB, and
    kept what its last transaction read: after the bench's writes and phones' batches the
    pool's idle connections held 31 MB of SQLite's memory, 17 MB of it these caches (their
    prepared statements are the rest; core/memory.py). Little is lost: in WAL mode a
    connection empties its cache anyway at its next transaction when anyone wrote in
    between, and what it reads again comes from the system's file cache."""

    @event.listens_for(engine.pool, "checkin")
    def _shrink(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        if dbapi_conn is not None:  # None: the connection was invalidated and closed
            dbapi_conn.execute("PRAGMA shrink_memory")


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
        # jit=off as deploy/postgresql/shouwang.conf sets it, on any server: a stock one
        # compiled coverage's county tally (its per-household EXISTS costed for every row,
        # so past jit_optimize_above_cost) for 360 ms of a 480 ms statement.
        connect_args: dict[str, Any] = {
            "options": f"-c lock_timeout={LOCK_TIMEOUT_SECONDS}s -c jit=off"
        }
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
            # Read every index whole. Sampled (analysis_limit=1000), a low-cardinality index
            # looked like 1,001 rows a value: at 100,000 households the planner took
            # ledger_entry's `year` index (460,000 rows for the year) over household_id for a
            # phone's 200 households, seconds instead of milliseconds. Whole, ANALYZE reads
            # the 1.6 GB bench county in 29 s with the machine at load 19 (2 s of CPU).
            conn.exec_driver_sql("PRAGMA analysis_limit=0")
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
