"""A real server for the API tests: `shouwang serve` (uvicorn) on a spare 127.0.0.1 port over
its own SQLite file holding the demo county, with a county officer and a village cadre made
by the factories."""

from collections.abc import Iterator
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


@pytest.fixture(scope="package")
def served() -> Iterator[Served]:
    from backend.accounts.models import Role
    from backend.core import db

    with clusters.workdir("shouwang-api-") as work:
        url = f"sqlite:///{work}/api.db"
        env = clusters.app_env(
            env="test",
            data_dir=str(work),
            database_url=url,
            worker_in_process="false",
            **OPEN_LIMITS,
        )
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
        port = clusters.spare_port()
        args = [str(clusters.BIN / "shouwang"), "serve", "--host", "127.0.0.1"]
        with clusters.server([*args, "--port", str(port)], env, port, work / "server.log"):
            base = f"http://127.0.0.1:{port}"
            clusters.wait_until_ready(f"{base}/api/v1/health")
            yield Served(base, work, url, users)
