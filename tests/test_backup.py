"""Backup and restore: an archive restored into an empty database has every row and file."""

import io
import os
import shutil
import sqlite3
import tarfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from backend import backup
from backend.accounts.models import Role
from backend.cli import main
from backend.files import service as files_service
from backend.files.models import StoredFile
from tests import factories as f
from tests.files.test_router import jpeg_with_exif, upload


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture
def empty_target(engine: Engine, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind: a new SQLite file, or a throw-away PostgreSQL
    database on the test server, dropped afterwards."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path}/restored.db"
        return
    name = f"shouwang_restore_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        engine.url.set(database="postgres"), poolclass=NullPool, isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield engine.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _some_of_everything(client: TestClient, session: Session) -> list[str]:
    """Households, members (encrypted ID numbers), users and two stored photos."""
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    household = f.household(session, helper=cadre)
    shas = []
    for colour in ("green", "red"):
        data = jpeg_with_exif() if colour == "green" else _png(colour)
        answer = upload(client, f.auth(cadre), data, household_id=str(household.id))
        assert answer.status_code == 201, answer.text
        session.rollback()  # a fresh snapshot: the app wrote the row since
        stored = session.get(StoredFile, uuid.UUID(answer.json()["id"]))
        assert stored is not None
        shas.append(stored.sha256)
    return shas


def _png(colour: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), colour).save(out, "PNG")
    return out.getvalue()


def _every_row(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        meta = sa.MetaData()
        meta.reflect(bind=engine)
        with engine.connect() as conn:
            return {
                name: [
                    tuple(row)
                    for row in conn.execute(
                        sa.select(table).order_by(*(table.primary_key.columns or table.columns))
                    )
                ]
                for name, table in sorted(meta.tables.items())
            }
    finally:
        engine.dispose()


def test_a_backup_restores_every_record_and_file(
    client: TestClient, session: Session, engine: Engine, empty_target: str, tmp_path: Path
) -> None:
    shas = _some_of_everything(client, session)
    archive, manifest = backup.backup(
        url=_url(engine), files_dir=files_service._storage_dir(), dest=tmp_path
    )
    assert archive.parent == tmp_path and archive.name.endswith(".tar.gz")
    assert manifest.tables["household"] == 1 and manifest.tables["stored_file"] == 2
    assert manifest.files >= 2 and manifest.alembic

    files_dir = tmp_path / "restored-files"
    restored = backup.restore(url=empty_target, files_dir=files_dir, src=archive)

    assert restored.tables == manifest.tables
    source_rows = _every_row(_url(engine))
    assert source_rows["member"] and source_rows["area"]
    assert _every_row(empty_target) == source_rows
    for sha in shas:
        restored_file = files_dir / sha[:2] / sha
        assert restored_file.read_bytes() == files_service.path_of(sha).read_bytes()
    # Nothing of the work directory is left beside the files.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [archive.name, "restored-files"] + (["restored.db"] if "sqlite" in empty_target else [])
    )


def test_the_command_line_backs_up_and_restores(
    client: TestClient,
    session: Session,
    engine: Engine,
    empty_target: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _some_of_everything(client, session)
    archive = tmp_path / "county.tar.gz"
    assert main(["backup", str(archive), "--database-url", _url(engine)]) == 0
    said = capsys.readouterr().out
    assert "已备份" in said and "个文件" in said
    assert main(["restore", str(archive), "--database-url", empty_target]) == 0
    assert "已恢复" in capsys.readouterr().out
    assert _every_row(empty_target) == _every_row(_url(engine))

    # A second restore into the now full database is refused, and says why.
    assert main(["restore", str(archive), "--database-url", empty_target]) == 2
    assert "只能恢复到空数据库" in capsys.readouterr().err


def test_a_damaged_archive_is_refused_before_anything_is_written(
    client: TestClient, session: Session, engine: Engine, empty_target: str, tmp_path: Path
) -> None:
    shas = _some_of_everything(client, session)
    archive, _ = backup.backup(
        url=_url(engine), files_dir=files_service._storage_dir(), dest=tmp_path / "a.tar.gz"
    )
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == f"files/{shas[0][:2]}/{shas[0]}":
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(member, io.BytesIO(data))

    files_dir = tmp_path / "restored-files"
    with pytest.raises(backup.BackupRefused, match="校验和不符"):
        backup.restore(url=empty_target, files_dir=files_dir, src=damaged)
    target = sa.create_engine(empty_target, poolclass=NullPool)
    with target.connect() as conn:
        assert sa.inspect(conn).get_table_names() == []
    target.dispose()
    assert list(files_dir.iterdir()) == []


def test_restore_refuses_what_is_not_a_backup_of_this_kind(
    engine: Engine, empty_target: str, tmp_path: Path
) -> None:
    archive, _ = backup.backup(url=_url(engine), files_dir=tmp_path / "none", dest=tmp_path)
    other = "postgresql" if engine.dialect.name == "sqlite" else "sqlite"
    forged = tmp_path / "forged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(forged, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == backup.MANIFEST:
                data = data.replace(
                    f'"database": "{engine.dialect.name}"'.encode(),
                    f'"database": "{other}"'.encode(),
                )
                member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(backup.BackupRefused, match=f"这是 {other} 的备份"):
        backup.restore(url=empty_target, files_dir=tmp_path / "f", src=forged)

    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    with pytest.raises(backup.BackupRefused, match="备份文件无法读取"):
        backup.restore(url=empty_target, files_dir=tmp_path / "f", src=junk)
    with pytest.raises(backup.BackupRefused, match="备份文件不存在"):
        backup.restore(url=empty_target, files_dir=tmp_path / "f", src=tmp_path / "missing")
    with pytest.raises(backup.BackupRefused, match="备份目录不存在"):
        backup.backup(url=_url(engine), files_dir=tmp_path, dest=tmp_path / "no" / "x.tar.gz")


def test_the_postgresql_client_must_be_as_new_as_the_server() -> None:
    if shutil.which("pg_dump") is None and not Path("/usr/lib/postgresql").exists():
        pytest.skip("no PostgreSQL client programs on this machine (postgresql-client-15)")
    assert backup.pg_program("pg_dump", 15)
    with pytest.raises(backup.BackupRefused, match="postgresql-client-99"):
        backup.pg_program("pg_dump", 99)
    with pytest.raises(backup.BackupRefused, match="找不到 pg_nothing"):
        backup.pg_program("pg_nothing", 15)
    assert backup._major("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)") == 15
    assert backup._major("pg_restore (PostgreSQL) 16.4") == 16


def test_an_sqlite_backup_is_one_snapshot_while_writes_go_on(tmp_path: Path) -> None:
    """The online backup API copies while a writer keeps committing (as the server does):
    the writer is never refused, and the archive's counts are what its copy holds."""
    live = tmp_path / "live.db"
    conn = sqlite3.connect(live)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO t (body) VALUES (?)", (("x" * 200,) for _ in range(50_000)))
    conn.commit()
    conn.close()

    stop = threading.Event()
    written = []

    def writer() -> None:
        w = sqlite3.connect(live, timeout=10)
        while not stop.is_set():
            w.execute("INSERT INTO t (body) VALUES ('during')")
            w.commit()
            written.append(1)
        w.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while not written:
            pass
        archive, _ = backup.backup(
            url=f"sqlite:///{live}", files_dir=tmp_path / "nofiles", dest=tmp_path
        )
        during = len(written)
    finally:
        stop.set()
        thread.join()
    assert during > 0
    restored = backup.restore(
        url=f"sqlite:///{tmp_path}/back.db", files_dir=tmp_path / "f", src=archive
    )
    back = sqlite3.connect(tmp_path / "back.db")
    assert back.execute("SELECT count(*) FROM t").fetchone()[0] == restored.tables["t"]
    assert restored.tables["t"] >= 50_000
    back.close()
    assert os.stat(archive).st_mode & 0o077 == 0  # the archive is readable by its owner only
