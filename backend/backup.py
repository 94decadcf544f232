"""Backup and restore: the database and the uploaded files in one archive, with a manifest.

An archive is a .tar.gz holding `manifest.json` (per-table row counts, the Alembic revision
and a SHA-256 of every other member), the database (`database.sqlite`, a copy made with
SQLite's online backup API; or `database.pgdump`, `pg_dump -Fc`) and `files/…`, the upload
store as it lies on disk. Both databases are copied from one consistent snapshot while the
server keeps serving; restore checks every checksum before it writes anything, refuses a
database that is not empty, and counts every table again afterwards."""

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from backend.core import clock
from backend.core.errors import Conflict

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite"
PG_MEMBER = "database.pgdump"
FILES = "files"
# What the upload store holds: files/<2 hex>/<64 hex> (backend/files/service.py path_of).
_FILE_NAME = re.compile(r"^files/[0-9a-f]{2}/[0-9a-f]{64}$")
_CHUNK = 1 << 20


class BackupRefused(Conflict):
    """A backup or restore that cannot go on; the message tells the operator why."""

    code = "backup_refused"


@dataclass
class Manifest:
    database: str
    created_at: str
    alembic: list[str]
    tables: dict[str, int]
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    server_version: str = ""
    format: int = FORMAT

    @property
    def files(self) -> int:
        return sum(1 for name in self.members if name.startswith(FILES + "/"))

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def to_json(self) -> bytes:
        data = {
            "format": self.format,
            "app": "shouwang",
            "database": self.database,
            "server_version": self.server_version,
            "created_at": self.created_at,
            "alembic": self.alembic,
            "tables": self.tables,
            "files": self.files,
            "members": self.members,
        }
        return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "Manifest":
        try:
            data = json.loads(raw)
            return cls(
                database=data["database"],
                created_at=data["created_at"],
                alembic=list(data["alembic"]),
                tables={str(k): int(v) for k, v in data["tables"].items()},
                members=dict(data["members"]),
                server_version=data.get("server_version", ""),
                format=int(data["format"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupRefused("备份清单(manifest.json)无法读取:不是守望的备份文件") from exc


def _url(url: str) -> URL:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _kind(url: URL) -> str:
    return "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupRefused("SQLite 数据库必须是一个文件")
    return Path(url.database)


def _counts(conn: Connection) -> tuple[dict[str, int], list[str]]:
    names = sorted(sa.inspect(conn).get_table_names())
    counts = {
        name: conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one() for name in names
    }
    heads: list[str] = []
    if "alembic_version" in names:
        heads = sorted(
            conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
        )
    return counts, heads


class _Hashing:
    """A file object that hashes what tarfile reads through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self.raw.read(n)
        self.sha.update(chunk)
        self.size += len(chunk)
        return chunk


def _add(tar: tarfile.TarFile, manifest: Manifest, path: Path, name: str) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    with path.open("rb") as raw:
        hashing = _Hashing(raw)
        tar.addfile(info, hashing)  # type: ignore[arg-type]
    if hashing.size != info.size:
        raise BackupRefused(f"{name} 在备份过程中被改动,请重试")
    manifest.members[name] = {"sha256": hashing.sha.hexdigest(), "size": hashing.size}


# --- the PostgreSQL client programs ---------------------------------------------------------


def _major(version_text: str) -> int:
    # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)": the first number after the name.
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", version_text)
    if not found:
        raise BackupRefused(f"无法识别版本号:{version_text.strip()}")
    return int(found.group(1))


def pg_program(name: str, server_major: int) -> str:
    """The client program (`pg_dump`, `pg_restore`) of the server's major version or newer:
    an older pg_dump refuses a newer server, and pg_restore cannot read a newer dump."""
    own = Path(f"/usr/lib/postgresql/{server_major}/bin/{name}")
    program = str(own) if own.exists() else shutil.which(name)
    if program is None:
        raise BackupRefused(
            f"找不到 {name}:请安装 PostgreSQL {server_major} 的客户端"
            f"(Debian:apt-get install postgresql-client-{server_major})"
        )
    out = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)
    major = _major(out.stdout)
    if major < server_major:
        raise BackupRefused(
            f"{program} 是 PostgreSQL {major} 的版本,而数据库服务器是 {server_major}:"
            f"请安装 postgresql-client-{server_major}"
        )
    return program


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A conninfo string for -d, and the environment carrying the password (never argv,
    where `ps` would show it)."""
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": url.database,
    }
    params.update({k: v for k, v in url.query.items() if isinstance(v, str)})
    conninfo = make_conninfo(**{k: v for k, v in params.items() if v is not None})
    env = dict(os.environ)  # an operator's PGPASSWORD, PGSSLMODE or ~/.pgpass still count
    if url.password:
        env["PGPASSWORD"] = url.password
    return conninfo, env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupRefused(f"{what}失败:{done.stderr.strip()[-2000:]}")


# --- backup ---------------------------------------------------------------------------------


def _backup_sqlite(url: URL, work: Path, manifest: Manifest) -> Path:
    source = _sqlite_path(url)
    if not source.exists():
        raise BackupRefused(f"数据库文件不存在:{source}")
    copy = work / SQLITE_MEMBER
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(copy)
    try:
        # One step (pages=-1): the copy is one read snapshot; in WAL mode writers go on.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupRefused(f"数据库自检失败:{check}")
    finally:
        src.close()
        dst.close()
    engine = sa.create_engine(f"sqlite:///{copy}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            manifest.tables, manifest.alembic = _counts(conn)
            manifest.server_version = sqlite3.sqlite_version
    finally:
        engine.dispose()
    return copy


def _backup_postgresql(url: URL, work: Path, manifest: Manifest) -> Path:
    dump = work / PG_MEMBER
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # Count in the very snapshot pg_dump copies, so the manifest matches the dump
                # however many writes arrive meanwhile.
                # The role's timeouts (deploy/postgresql/role.sql) are for requests: counting
                # a large table, or waiting while pg_dump copies, may take longer.
                conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
                conn.exec_driver_sql("SET LOCAL idle_in_transaction_session_timeout = 0")
                snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                manifest.tables, manifest.alembic = _counts(conn)
                version = conn.exec_driver_sql("SHOW server_version_num").scalar_one()
                manifest.server_version = str(version)
                program = pg_program("pg_dump", int(version) // 10000)
                conninfo, env = _libpq(url)
                _run(
                    [program, "-Fc", f"--snapshot={snapshot}", "-f", str(dump), "-d", conninfo],
                    env,
                    "pg_dump ",
                )
    finally:
        engine.dispose()
    return dump


def default_name() -> str:
    return f"shouwang-{clock.now():%Y%m%dT%H%M%SZ}.tar.gz"


def backup(*, url: str, files_dir: Path, dest: Path) -> tuple[Path, Manifest]:
    """Write an archive of the database at `url` and the upload store `files_dir` to `dest`
    (a file, or a directory to put a dated one in). Safe while the server is serving."""
    parsed = _url(url)
    target = dest / default_name() if dest.is_dir() else dest
    if not target.parent.is_dir():
        raise BackupRefused(f"备份目录不存在:{target.parent}")
    manifest = Manifest(
        database=_kind(parsed), created_at=clock.now().isoformat(), alembic=[], tables={}
    )
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".shouwang-backup-") as tmp:
        work = Path(tmp)
        if manifest.database == "sqlite":
            database = _backup_sqlite(parsed, work, manifest)
        else:
            database = _backup_postgresql(parsed, work, manifest)
        partial = work / "archive.tar.gz"
        # Photos and dumps are compressed already: the fastest level is as small, and quick.
        with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
            _add(tar, manifest, database, database.name)
            if files_dir.is_dir():
                for path in sorted(files_dir.rglob("*")):
                    name = f"{FILES}/{path.relative_to(files_dir).as_posix()}"
                    # Half-written uploads (*.tmp) are not files yet (files/service.py).
                    if path.is_file() and _FILE_NAME.match(name):
                        _add(tar, manifest, path, name)
            raw = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(raw)
            info.mtime = int(clock.now().timestamp())
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(raw))
        partial.chmod(0o600)  # ID numbers are encrypted, but names and phones are not
        partial.replace(target)  # never half an archive under the real name
    return target, manifest


# --- restore --------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _unpack(src: Path, work: Path) -> Manifest:
    """Every member extracted and checked against the manifest, or a refusal."""
    try:
        with tarfile.open(src, "r:*") as tar:
            names = set()
            for member in tar:
                if not member.isfile():
                    continue
                name = member.name
                if name not in (MANIFEST, SQLITE_MEMBER, PG_MEMBER) and not _FILE_NAME.match(name):
                    raise BackupRefused(f"备份文件里有不认识的内容:{name}")
                tar.extract(member, work, filter="data")
                names.add(name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupRefused(f"备份文件无法读取:{exc}") from exc
    if MANIFEST not in names:
        raise BackupRefused("备份文件里没有清单(manifest.json)")
    manifest = Manifest.from_json((work / MANIFEST).read_bytes())
    if manifest.format != FORMAT:
        raise BackupRefused(f"备份格式 {manifest.format} 不是这一版本能读的({FORMAT})")
    names.discard(MANIFEST)
    missing = sorted(set(manifest.members) - names)
    extra = sorted(names - set(manifest.members))
    if missing or extra:
        raise BackupRefused(f"备份文件不完整:缺少 {missing[:5]},多出 {extra[:5]}")
    for name, meta in manifest.members.items():
        if _sha256(work / name) != meta["sha256"]:
            raise BackupRefused(f"校验和不符,备份已损坏:{name}")
    return manifest


def _refuse_unless_empty(conn: Connection, where: str) -> None:
    tables = sa.inspect(conn).get_table_names()
    if tables:
        raise BackupRefused(
            f"目标数据库不是空的({where} 已有 {len(tables)} 张表):只能恢复到空数据库"
        )


def _restore_sqlite(url: URL, work: Path) -> None:
    target = _sqlite_path(url)
    if target.exists():
        engine = sa.create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                _refuse_unless_empty(conn, str(target))
        finally:
            engine.dispose()
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(work / SQLITE_MEMBER)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _check_postgresql_empty(url: URL) -> int:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            _refuse_unless_empty(conn, url.database or "")
            return int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    finally:
        engine.dispose()


def _restore_postgresql(url: URL, work: Path, server_major: int) -> None:
    program = pg_program("pg_restore", server_major)
    conninfo, env = _libpq(url)
    # One transaction: a failure leaves the database empty, never half restored. Owners and
    # grants are the restoring role's; deploy/postgresql/role.sql grants the app role again.
    _run(
        [
            program,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "-d",
            conninfo,
            str(work / PG_MEMBER),
        ],
        env,
        "pg_restore ",
    )


def _install_files(manifest: Manifest, work: Path, files_dir: Path) -> None:
    for name in sorted(manifest.members):
        if not name.startswith(FILES + "/"):
            continue
        target = files_dir / name[len(FILES) + 1 :]
        if target.exists() and _sha256(target) == manifest.members[name]["sha256"]:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".restore.tmp")
        shutil.copyfile(work / name, tmp)
        tmp.replace(target)


def restore(*, url: str, files_dir: Path, src: Path) -> Manifest:
    """Restore the archive `src` into the empty database at `url` and the upload store
    `files_dir`. Checks the whole archive first; afterwards every table's count."""
    parsed = _url(url)
    kind = _kind(parsed)
    if not src.is_file():
        raise BackupRefused(f"备份文件不存在:{src}")
    server_major = 0
    if kind == "postgresql":
        server_major = _check_postgresql_empty(parsed)
    files_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=files_dir.parent, prefix=".shouwang-restore-") as tmp:
        work = Path(tmp)
        manifest = _unpack(src, work)
        if manifest.database != kind:
            raise BackupRefused(
                f"这是 {manifest.database} 的备份,不能恢复到 {kind} 数据库"
                "(换数据库请用导出导入,而不是备份)"
            )
        if kind == "sqlite":
            _restore_sqlite(parsed, work)
        else:
            _restore_postgresql(parsed, work, server_major)
        engine = sa.create_engine(parsed, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                counts, _ = _counts(conn)
        finally:
            engine.dispose()
        if counts != manifest.tables:
            wrong = sorted(
                name
                for name in set(counts) | set(manifest.tables)
                if counts.get(name) != manifest.tables.get(name)
            )
            raise BackupRefused(f"恢复后的行数与清单不符:{wrong[:10]}")
        _install_files(manifest, work, files_dir)
    return manifest
