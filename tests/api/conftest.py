"""Real servers for the API tests: `shouwang serve` (uvicorn) on a spare 127.0.0.1 port over
its own SQLite file holding the demo county, with a county officer, a village cadre and an
administrator made by the factories; seeded once, each server on a copy."""

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session

from tests import clusters, factories


@dataclass
class Served:
    url: str  # http://127.0.0.1:port
    workdir: Path
    database_url: str
    users: dict[str, str]  # role name -> username; the password is factories.PASSWORD

    def token(self, username: str) -> str:
        answer = httpx.post(
            f"{self.url}/api/v1/auth/token",
            data={"username": username, "password": factories.PASSWORD},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]


# The throttles a person meets are declared (429) but would stop a fuzzer after a few
# requests; the server under test lets every request through to the code behind them.
OPEN_LIMITS = {
    "report_limit_per_phone": "100000/minute",
    "report_limit_per_address": "100000/minute",
    "lookup_limit_per_address": "100000/minute",
    "lookup_limit_per_code": "100000/minute",
    "client_rate_limit": "100000/minute",
    "client_token_limit": "100000/minute",
    "login_slowdown_after": "100000",
}


@dataclass
class Seeded:
    """The demo county with the test's users, migrated and seeded once: a data directory
    (`template/`) that each server starts from a copy of."""

    workdir: Path
    users: dict[str, str]

    @property
    def template(self) -> Path:
        return self.workdir / "template"


@pytest.fixture(scope="package")
def seeded() -> Iterator[Seeded]:
    from backend.accounts.models import Role
    from backend.core import db

    with clusters.workdir("shouwang-api-") as work:
        template = work / "template"
        template.mkdir()
        url = f"sqlite:///{template}/api.db"
        env = _env(template, url)
        clusters.shouwang(["migrate"], env)
        clusters.shouwang(["seed-demo"], env)
        engine = db.make_engine(url)
        try:
            with Session(engine) as session:
                users = {
                    "county_officer": factories.user(
                        session, Role.county_officer, factories.NINGSHAN
                    ).username,
                    "village_cadre": factories.user(
                        session, Role.village_cadre, factories.LENGSHUIGOU
                    ).username,
                    "admin": factories.user(session, Role.admin, None).username,
                }
        finally:
            engine.dispose()
        yield Seeded(work, users)


def _env(data_dir: Path, url: str) -> dict[str, str]:
    return clusters.app_env(
        env="test",
        data_dir=str(data_dir),
        database_url=url,
        worker_in_process="false",
        # A full run as one caller outlasts a token's hour (a client's quarter of an hour).
        access_token_minutes="600",
        client_token_minutes="600",
        **OPEN_LIMITS,
    )


@contextmanager
def serve(seeded: Seeded, name: str) -> Iterator[Served]:
    """`shouwang serve` over a copy of the seeded data directory of its own (`name`), so
    what one run writes is never what the next one reads: a run's answers depend on the
    demo and on the run alone. The document is generated once before the server is handed
    over (the first call builds it: seconds on a busy machine, past a client's timeout)."""
    work = seeded.workdir / name
    shutil.copytree(seeded.template, work, ignore=shutil.ignore_patterns("api.db*"))
    source = sqlite3.connect(seeded.template / "api.db")
    copy = sqlite3.connect(work / "api.db")
    try:
        source.backup(copy)  # consistent whatever the WAL holds
    finally:
        copy.close()
        source.close()
    url = f"sqlite:///{work}/api.db"
    port = clusters.spare_port()
    args = [str(clusters.BIN / "shouwang"), "serve", "--host", "127.0.0.1"]
    log = work / "server.log"
    with clusters.server([*args, "--port", str(port)], _env(work, url), port, log):
        base = f"http://127.0.0.1:{port}"
        clusters.wait_until_ready(f"{base}/api/v1/health")
        httpx.get(f"{base}/api/v1/openapi.json", timeout=120).raise_for_status()
        yield Served(base, work, url, seeded.users)


@pytest.fixture(scope="package")
def served(seeded: Seeded) -> Iterator[Served]:
    with serve(seeded, "shared") as server:
        yield server
