"""Throw-away PostgreSQL clusters and servers for the tests that stand real processes up
(the replica, the nginx deployment): the machine's own PostgreSQL binaries run as the
`postgres` OS user on spare 127.0.0.1 ports, in temporary directories removed afterwards.
The machine's server at 5432 is never touched."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def pg_bin() -> Path:
    """The newest installed server's programs (Debian: /usr/lib/postgresql/N/bin)."""
    base = Path("/usr/lib/postgresql")
    versions = (
        sorted(
            (p for p in base.iterdir() if (p / "bin" / "initdb").exists()),
            key=lambda p: int(p.name) if p.name.isdigit() else 0,
        )
        if base.is_dir()
        else []
    )
    if not versions:
        pytest.skip("no PostgreSQL server programs installed (Debian: postgresql-15)")
    return versions[-1] / "bin"


def spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Server programs refuse root: as root, run them as the postgres OS user.
AS_POSTGRES = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@contextmanager
def in_thread(app: Any) -> Iterator[str]:
    """This process's app on a real uvicorn in a thread (so monkeypatches and the test's
    database apply), on a spare port; yields the base URL and stops the server after."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=spare_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def as_postgres(args: list[str], **kw) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    """Run a server program as the postgres OS user (initdb refuses root)."""
    args = [*AS_POSTGRES, *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


class Cluster:
    """One PostgreSQL cluster in `directory`, listening on 127.0.0.1:`port` only."""

    def __init__(self, directory: Path, name: str = "data") -> None:
        self.directory = directory
        self.port = spare_port()
        self.bin = pg_bin()
        self.data = directory / name

    def url(self, database: str = "postgres", user: str = "postgres", password: str = "") -> str:
        secret = f":{password}" if password else ""
        return f"postgresql+psycopg://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def initdb(self, *settings: str) -> "Cluster":
        # Trust on loopback only: a throw-away cluster for one test run, listening nowhere else.
        as_postgres(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
        self.configure(*settings)
        return self

    def configure(self, *settings: str) -> None:
        lines = [
            f"port = {self.port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.directory}'",
            "fsync = off",  # a test cluster: durability is not what is tested
            *settings,
        ]
        conf = self.data / "postgresql.conf"
        as_postgres(["sh", "-c", f"cat >> '{conf}'"], input="\n".join(lines) + "\n")

    def start(self) -> "Cluster":
        as_postgres(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.directory / f"{self.data.name}.log"),
                "-w",
                "-t",
                "180",
                "start",
            ]
        )
        return self

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *AS_POSTGRES,
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                check=False,
            )

    def basebackup_of(self, primary: "Cluster", *settings: str) -> "Cluster":
        """This cluster becomes a streaming replica of `primary` (-R writes standby.signal
        and primary_conninfo), then gets its own port."""
        as_postgres(
            [
                str(self.bin / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                "postgres",
                "-D",
                str(self.data),
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
            ]
        )
        self.configure(*settings)
        return self

    def log(self) -> str:
        path = self.directory / f"{self.data.name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def sql(self, statement: str, database: str = "postgres") -> str:
        out = as_postgres(
            [
                str(self.bin / "psql"),
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-c",
                statement,
            ]
        )
        return out.stdout.strip()


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A temporary directory the postgres user may write in, removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def prepare(url: str, users: list[tuple[str, str, str]], password: str) -> None:
    """Migrate the database at `url`, load the demo areas and add (username, role, area)
    accounts, in this process: three `shouwang` commands would each pay Python's start."""
    from sqlmodel import Session

    from backend.accounts.models import Role, User
    from backend.areas import service as areas_service
    from backend.cli import migrate
    from backend.core import db, security
    from backend.demo import AREAS_CSV

    migrate(url)
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            areas_service.import_csv(session=session, file=AREAS_CSV)
            hashed = security.hash_password(password)
            for username, role, area in users:
                session.add(
                    User(
                        username=username,
                        full_name=username,
                        role=Role(role),
                        area_code=area,
                        password_hash=hashed,
                    )
                )
            session.commit()
    finally:
        engine.dispose()


def shouwang(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(BIN / "shouwang"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode != 0:
        raise AssertionError(f"shouwang {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def app_env(**settings: str) -> dict[str, str]:
    """The environment of a server process: this one's, less any SHOUWANG_ the suite set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUWANG_")}
    env.update({f"SHOUWANG_{k.upper()}": v for k, v in settings.items()})
    return env


@contextmanager
def server(args: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[None]:
    """A process (uvicorn, nginx -g 'daemon off;') started in its own group, waited for on
    127.0.0.1:port, and ended with its children afterwards."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )
    try:
        # Generous: on a machine shared by many test runs Python alone takes a while to start.
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"{args[0]} exited {proc.returncode}:\n{log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{args[0]} not listening:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def background(args: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    """A process that listens on no port (the worker), ended with its children afterwards."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=ROOT)  # fmt: skip
    try:
        yield
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_until_ready(url: str, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=2, verify=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} never answered 200")
        time.sleep(0.3)


PYTHON = sys.executable
