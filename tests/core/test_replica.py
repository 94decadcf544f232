"""GET requests read from a PostgreSQL streaming replica when SHOUWANG_READ_DATABASE_URL
is set; writes go to the primary and arrive on the replica.

Builds its own primary and replica (initdb, pg_basebackup -R) with the machine's PostgreSQL
programs on spare ports, runs `shouwang serve` against them and removes it all afterwards."""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clusters import Cluster, app_env, prepare, server, spare_port, workdir

pytestmark = pytest.mark.cluster

PASSWORD = "replica-Test-2026"
VILLAGE = "610923102217"  # 宁陕县江口镇冷水沟村


class Replicated:
    def __init__(self, primary: Cluster, replica: Cluster, api: str) -> None:
        self.primary = primary
        self.replica = replica
        self.api = api
        self.http = httpx.Client(base_url=api, timeout=30)

    def login(self) -> dict[str, str]:
        answer = self.http.post(
            "/api/v1/auth/token", data={"username": "county", "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def report(self, name: str) -> None:
        body = {
            "area_code": VILLAGE,
            "name": name,
            "phone": "13912345678",
            "risk_types": ["illness"],
            "note": "住院",
        }
        answer = self.http.post("/api/v1/self-reports", json=body)
        assert answer.status_code == 201, answer.text

    def listed(self, headers: dict[str, str]) -> list[str]:
        answer = self.http.get("/api/v1/self-reports", headers=headers)
        assert answer.status_code == 200, answer.text
        return sorted(item["name"] for item in answer.json()["data"])

    def on_primary(self) -> int:
        return int(self.primary.sql("SELECT count(*) FROM self_report", "shouwang"))


@pytest.fixture(scope="module")
def replicated() -> Iterator[Replicated]:
    with workdir("shouwang-replica-") as base:
        primary = Cluster(base, "primary")
        replica = Cluster(base, "replica")
        try:
            primary.initdb("wal_level = replica", "max_wal_senders = 4").start()
            primary.sql("CREATE DATABASE shouwang")
            replica.basebackup_of(primary, "hot_standby = on", "hot_standby_feedback = on")
            replica.start()
            env = app_env(
                env="test",
                database_url=primary.url("shouwang"),
                read_database_url=replica.url("shouwang"),
                data_dir=str(base / "app"),
            )
            prepare(primary.url("shouwang"), [("county", "county_officer", "610923")], PASSWORD)
            port = spare_port()
            with server(
                [str(Path(".venv/bin/shouwang").resolve()), "serve", "--port", str(port)],
                env,
                port,
                base / "serve.log",
            ):
                replicated = Replicated(primary, replica, f"http://127.0.0.1:{port}")
                yield replicated
                replicated.http.close()
        finally:
            replica.stop()
            primary.stop()


def _until(check, seconds: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the replica never caught up")
        time.sleep(0.1)


def test_a_write_on_the_primary_arrives_on_the_replica_that_answers_the_reads(
    replicated: Replicated,
) -> None:
    r = replicated
    assert r.replica.sql("SELECT pg_is_in_recovery()") == "t"
    headers = r.login()
    r.report("王秀英")
    _until(lambda: r.listed(headers) == ["王秀英"])

    # With the replica's replay paused, the primary has the second report and the list
    # does not: the list is read from the replica.
    r.replica.sql("SELECT pg_wal_replay_pause()")
    try:
        r.report("李桂兰")
        assert r.on_primary() == 2
        time.sleep(0.5)
        assert r.listed(headers) == ["王秀英"]
    finally:
        r.replica.sql("SELECT pg_wal_replay_resume()")
    _until(lambda: r.listed(headers) == ["李桂兰", "王秀英"])


def test_lists_and_dashboards_answer_from_the_replica_alone(replicated: Replicated) -> None:
    r = replicated
    headers = r.login()
    r.report("张玉梅")
    _until(lambda: "张玉梅" in r.listed(headers))
    # The primary gone: every read below is answered by the read-only standby, which also
    # shows that none of them writes (a standby refuses any write).
    r.primary.stop()
    for path in (
        "/api/v1/self-reports",
        "/api/v1/households",
        "/api/v1/visits/coverage?area=610923",
        "/api/v1/problems/boards",
        "/api/v1/problems",
        "/api/v1/auth/me",
    ):
        answer = r.http.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
    assert "张玉梅" in r.listed(headers)
