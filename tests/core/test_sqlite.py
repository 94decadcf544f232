"""SQLite is set up once per connection and writes are serialized inside the process."""

import threading

from sqlalchemy import text
from sqlmodel import Session

from backend.core import db


def test_sqlite_connection_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = db.make_engine(f"sqlite:///{tmp_path}/p.db")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    engine.dispose()


def test_writer_leaves_checkpoints_to_its_thread(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A writer's commit does not copy the WAL back at SQLite's 1,000 pages (half a phone's
    batch was that): its connections keep only a backstop, and the checkpoint copies it."""
    url = f"sqlite:///{tmp_path}/c.db"
    engine, reader = db.make_engine(url), db.make_engine(url, writer=False)
    with engine.begin() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == (
            db.BACKSTOP_CHECKPOINT_PAGES
        )
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    with reader.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    busy, frames, copied = db.checkpoint((tmp_path / "c.db").as_uri() + "?mode=rw")
    assert busy == 0 and frames > 0 and copied == frames
    engine.dispose()
    reader.dispose()


def _sqlite_memory_used() -> int | None:
    """The bytes SQLite holds in this process (sqlite3_memory_used), where the sqlite3 module
    runs on the system's shared library and can be asked."""
    import ctypes

    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
    except OSError:
        return None
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return lib.sqlite3_memory_used()


def test_a_connection_back_in_the_pool_keeps_no_page_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    if _sqlite_memory_used() is None:
        pytest.skip("the sqlite3 module is not on the system's libsqlite3")
    url = f"sqlite:///{tmp_path}/m.db"
    writer, reader = db.make_engine(url), db.make_engine(url, writer=False, query_only=True)
    with writer.begin() as conn:  # 4 MB of rows
        conn.execute(text("CREATE TABLE t (s TEXT)"))
        conn.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) "
                "INSERT INTO t SELECT hex(randomblob(500)) FROM n"
            )
        )
    for engine in (writer, reader):
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM t WHERE s LIKE '%zz%'")).scalar()
            reading = _sqlite_memory_used()
        after = _sqlite_memory_used()
        assert reading is not None and after is not None
        # Its 2 MB cache was full of the table's pages; back in the pool, it is let go.
        assert reading - after > 1_000_000
    writer.dispose()
    reader.dispose()


def test_concurrent_writers_all_succeed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = db.make_engine(f"sqlite:///{tmp_path}/w.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(20):
                with Session(engine) as s:
                    s.execute(text("SELECT count(*) FROM t")).scalar()
                    s.execute(text("INSERT INTO t VALUES (:n)"), {"n": n * 100 + i})
                    s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 200
    engine.dispose()


def test_a_write_request_can_write_again_after_its_commit(app_engine) -> None:  # type: ignore[no-untyped-def]
    """After its first commit a request reads lock-free; a later write (a notice sent after
    the decision, say) must go back through the writer, not fail or skip the lock."""
    import asyncio
    from types import SimpleNamespace

    from sqlmodel import select

    from backend.audit.models import AuditEntry

    async def run() -> None:
        scope = db.session_scope(SimpleNamespace(method="POST"))  # type: ignore[arg-type]
        session = await scope.__anext__()
        session.add(
            AuditEntry(actor_name="甲", entity="t", entity_id="1", area_code="61", action="a")
        )
        session.commit()
        session.exec(select(AuditEntry)).all()  # reading after the commit: lock-free
        session.add(
            AuditEntry(actor_name="乙", entity="t", entity_id="2", area_code="61", action="b")
        )
        session.commit()
        await scope.aclose()

    asyncio.run(run())
    with Session(app_engine) as check:
        assert len(check.exec(select(AuditEntry).where(AuditEntry.entity == "t")).all()) == 2


def test_the_read_engine_refuses_writes(app_engine) -> None:  # type: ignore[no-untyped-def]
    import pytest
    from sqlalchemy.exc import OperationalError

    if app_engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has one engine, no process lock or read engine")
    with Session(db.get_read_engine()) as s, pytest.raises(OperationalError, match="readonly"):
        s.execute(text("DELETE FROM audit_entry"))


def test_statistics_steer_the_planner_to_the_right_index(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Without ANALYZE, SQLite searched every active member for one household's (bench
    RESULTS.md); `db.analyze`, run after migrating and before serving, gives it statistics."""
    from datetime import date

    from backend.areas import service as areas_service
    from backend.cli import migrate
    from backend.demo import AREAS_CSV
    from tests import factories as f

    url = f"sqlite:///{tmp_path}/plan.db"
    migrate(url)
    engine = db.make_engine(url)
    with Session(engine) as session:
        areas_service.import_csv(session=session, file=AREAS_CSV)
        for i in range(150):
            born = [date(1960 + i % 40, 1 + k, 1 + i % 28) for k in range(4)]
            relations = ["head", "spouse", "child", "child"]
            members = [f.member(r, born=b) for r, b in zip(relations, born, strict=True)]
            f.household(session, members=members)
    # A page of households' members, as the household list asks for them.
    page = ", ".join(f"'{i:032x}'" for i in range(50))
    query = (
        f"EXPLAIN QUERY PLAN SELECT id FROM member WHERE household_id IN ({page}) AND active IS 1"
    )

    def plan() -> str:
        with engine.connect() as conn:
            return " ".join(str(r[-1]) for r in conn.exec_driver_sql(query))

    # There is no index on `active` any more (read path indexes, issue 11): it was what SQLite
    # guessed without statistics, and still chose at 100,000 households with the sampled
    # statistics of `analysis_limit`. The household's index is taken either way.
    assert "ix_member_household_id" in plan(), plan()
    db.analyze(engine)
    assert "ix_member_household_id" in plan(), plan()
    engine.dispose()


def test_a_writer_reads_without_the_write_lock_and_takes_it_for_its_writes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """STYLE rule 21: while one transaction holds the process write lock, another reads (and
    validates) at once; only its first write waits, and then it works on the latest data."""
    engine = db.make_engine(f"sqlite:///{tmp_path}/r.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    holder = Session(engine)
    holder.execute(text("INSERT INTO t VALUES (1)"))  # holds the lock until it commits
    order: list[str] = []

    def other() -> None:
        with Session(engine) as s:
            order.append(f"read {s.execute(text('SELECT count(*) FROM t')).scalar()}")
            s.execute(text("INSERT INTO t VALUES (2)"))  # waits for the holder's commit
            order.append(f"wrote, then saw {s.execute(text('SELECT count(*) FROM t')).scalar()}")
            s.commit()

    thread = threading.Thread(target=other)
    thread.start()
    deadline = threading.Event()
    for _ in range(200):  # the read goes through while the holder keeps the lock
        if order:
            break
        deadline.wait(0.01)
    assert order == ["read 0"]
    order.append("holder commits")
    holder.commit()
    holder.close()
    thread.join(timeout=10)
    assert order == ["read 0", "holder commits", "wrote, then saw 2"]
    engine.dispose()


def test_lock_for_write_reads_the_latest_data_from_then_on(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What a use case reads before taking the lock is a snapshot; after lock_for_write it
    reads what others committed meanwhile, and holds the lock until its commit."""
    engine = db.make_engine(f"sqlite:///{tmp_path}/l.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    with Session(engine) as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 0
        with Session(engine) as other:
            other.execute(text("INSERT INTO t VALUES (1)"))
            other.commit()
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 0  # its snapshot
        db.lock_for_write(s)
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 1
        assert not db._sqlite_write_lock.acquire(blocking=False)  # held until the commit
        s.commit()
    assert db._sqlite_write_lock.acquire(blocking=False)
    db._sqlite_write_lock.release()
    engine.dispose()
