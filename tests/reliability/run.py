"""`make test-reliability`: a real server under load and faults, then every write checked in
the database. python -m tests.reliability.run [--database sqlite|postgres] [--reports N]
[--visits N] [--clients N] prints what it proved and exits 1 if anything failed."""

import argparse
import asyncio
import io
import json
import os
import random
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import bindparam, create_engine, text

from tests.clusters import app_env, prepare
from tests.factories import GAOJIAZHUANG, LENGSHUIGOU, SHANNAN, YANJIAPING, id_number
from tests.reliability.faults import Gateway, Proxy, small_disk
from tests.reliability.load import Load, Tally
from tests.reliability.servers import Process, Server

PG = "postgresql://postgres@127.0.0.1:5432"
PASSWORD = "Reliable-2026!"
VILLAGES = [LENGSHUIGOU, YANJIAPING, SHANNAN, GAOJIAZHUANG]
LEASE = 5  # seconds a worker holds a job: a killed worker's text is taken again after it


@dataclass
class Outcome:
    database: str
    workers: int
    clients: int
    tally: Tally
    faults: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    stored: int = 0
    lost: int = 0
    notices: int = 0

    def report(self) -> str:
        t = self.tally
        five = sum(n for s, n in t.status.items() if s >= 500 and s != 503)
        lines = [
            f"reliability on {self.database} ({self.workers} uvicorn worker"
            f"{'s' if self.workers > 1 else ''}), {self.clients} clients",
            f"  writes sent: {t.sent['report']} self-reports + {t.sent['visit']} visits"
            f" = {sum(t.sent.values())} ({t.requests} requests)",
            f"  acknowledged: {len(t.acknowledged)}; stored: {self.stored}, each once",
            f"  replays: {t.replays}, answered with the first result: {t.replays_same}",
            f"  conflicts: {t.conflicts}, answered 409: {t.conflicts_409}",
            f"  requests without an answer (sent again): {t.unanswered};"
            f" 503 with Retry-After (sent again): {t.unavailable}",
            f"  5xx other than 503: {five}",
            f"  receipts texted once each: {self.notices}",
            "  faults:",
            *(f"    - {f}" for f in self.faults),
            f"  records lost: {self.lost}",
        ]
        if self.problems or t.failures:
            lines += ["  FAILED:", *(f"    ! {p}" for p in [*self.problems, *t.failures])]
        return "\n".join(lines)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.tally.failures and self.lost == 0


def _pg(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def _login(base: str, username: str) -> str:
    r = httpx.post(
        f"{base}/api/v1/auth/token", data={"username": username, "password": PASSWORD}, timeout=60
    )
    r.raise_for_status()
    return r.json()["access_token"]


def _households(base: str, token: str, village: str, n: int, first: int) -> list[str]:
    ids = []
    for i in range(n):
        born = date(1960, 1, 1) + timedelta(days=first + i)
        body = {
            "area_code": village,
            "category": "lifted",
            "members": [{"name": "王守望", "relation": "head", "id_number": id_number(born)}],
        }
        r = httpx.post(
            f"{base}/api/v1/households",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


def _photo(seed: int) -> bytes:
    from PIL import Image

    rng = random.Random(seed)
    img = Image.frombytes("RGB", (200, 200), rng.randbytes(200 * 200 * 3))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


class Run:
    def __init__(self, database: str, reports: int, visits: int, clients: int, scratch: Path):
        self.database = database
        self.reports, self.visits, self.clients = reports, visits, clients
        self.scratch = scratch
        self.data_dir = scratch / "data"
        self.gateway = Gateway()
        self.proxy: Proxy | None = None
        self.pg_name = ""
        if database == "sqlite":
            self.direct_url = f"sqlite:///{self.data_dir}/shouwang.db"
            self.app_url = self.direct_url
            self.workers = 1
        else:
            self.pg_name = f"shouwang_reliab_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            _pg(f'CREATE DATABASE "{self.pg_name}"')
            self.proxy = Proxy(5432)
            self.direct_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.pg_name}"
            self.app_url = (
                f"postgresql+psycopg://postgres@127.0.0.1:{self.proxy.port}/{self.pg_name}"
            )
            self.workers = 4
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = app_env(
            database_url=self.app_url,
            data_dir=str(self.data_dir),
            sms_gateway_url=self.gateway.url,
            sms_gateway_key="reliability",
            worker_lease_seconds=str(LEASE),
            worker_poll_seconds="0.2",
            # 10,000 reports from one address: the per-address limit is not under test here.
            report_limit_per_address="1000000/hour",
        )
        self.server = Server(env, scratch / "server.log", self.workers)
        self.worker: Process | None = None
        if database != "sqlite":
            self.worker = Process(
                [str(Path(sys.executable).parent / "shouwang"), "worker"],
                env,
                scratch / "worker.log",
            )
        self.engine = create_engine(self.direct_url)

    def close(self) -> None:
        for proc in (self.server, self.worker):
            if proc is not None:
                proc.stop()
        self.engine.dispose()
        self.gateway.close()
        if self.proxy is not None:
            self.proxy.close()
        if self.pg_name:
            _pg(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    # --- set up --------------------------------------------------------------------------

    def start(self) -> Load:
        users = [(f"rel_cadre_{i}", "village_cadre", v) for i, v in enumerate(VILLAGES)]
        prepare(self.direct_url, users, PASSWORD)
        self.server.start()
        if self.worker is not None:
            self.worker.start()
        base = self.server.base
        tokens = {v: _login(base, f"rel_cadre_{i}") for i, v in enumerate(VILLAGES)}
        homes = {v: _households(base, tokens[v], v, 8, 100 * i) for i, v in enumerate(VILLAGES)}
        return Load(
            base=base,
            villages=VILLAGES,
            households=homes,
            tokens=tokens,
            reports=self.reports,
            visits=self.visits,
            clients=self.clients,
        )

    # --- faults --------------------------------------------------------------------------

    async def _at(self, load: Load, share: float) -> None:
        while load.tally.done < share * load.total:
            await asyncio.sleep(0.05)

    async def faults(self, load: Load, outcome: Outcome) -> None:
        await self._at(load, 0.25)
        before = load.tally.unanswered
        await asyncio.to_thread(self.server.restart)
        outcome.faults.append(
            f"kill -9 of the server mid-batch ({load.tally.done} writes in), restarted"
            f" (requests cut or refused meanwhile: {load.tally.unanswered - before},"
            " each sent again)"
        )
        if self.proxy is not None:
            await self._at(load, 0.5)
            before503 = load.tally.unavailable
            self.proxy.cut()
            await asyncio.sleep(10)
            self.proxy.restore()
            went = time.monotonic()
            answers_before = load.tally.done
            while load.tally.done == answers_before:
                await asyncio.sleep(0.05)
            outcome.faults.append(
                "PostgreSQL gone for 10 s (its proxy cut): "
                f"{load.tally.unavailable - before503} answers 503 with Retry-After, writes "
                f"acknowledged again {time.monotonic() - went:.1f} s after it came back, "
                "no restart"
            )
        await self._at(load, 0.75)
        await asyncio.to_thread(self._kill_worker_mid_delivery, outcome)

    def _kill_worker_mid_delivery(self, outcome: Outcome) -> None:
        self.gateway.hold()
        if not self.gateway.wait_held(60):
            outcome.problems.append("no text reached the gateway to hold")
            return
        victim = self.worker or self.server
        victim.kill9()
        self.gateway.release()
        victim.start()
        key = self.gateway.held
        deadline = time.monotonic() + LEASE + 60
        while self.gateway.delivered[key or ""] == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        name = "the worker process" if self.worker else "the server (its worker thread)"
        if self.gateway.delivered[key or ""] != 1:
            outcome.problems.append(f"the held text {key} was not delivered after the restart")
        outcome.faults.append(
            f"kill -9 of {name} while the gateway held a text: taken again after the "
            f"{LEASE} s lease, sent {self.gateway.received[key or '']} times with one "
            "Idempotency-Key, delivered once"
        )

    def disk_full(self, outcome: Outcome) -> None:
        """Self-reports with a photo until the upload directory is full: a clear 507, the
        report not stored, no partial file; once space is back the same report goes in."""
        files = self.data_dir / "files"
        base = self.server.base
        with small_disk(files, "1m") as mounted:
            if not mounted:
                outcome.problems.append("could not mount a small tmpfs (needs root)")
                return
            refused = None
            for n in range(40):
                body = {
                    "id": str(uuid.uuid4()),
                    "area_code": VILLAGES[0],
                    "name": "存储满",
                    "phone": f"138{n:08d}",
                    "risk_types": ["disaster"],
                }
                r = httpx.post(
                    f"{base}/api/v1/self-reports",
                    data={"report": json.dumps(body)},
                    files={"photos": (f"p{n}.png", _photo(n), "image/png")},
                    timeout=60,
                )
                if r.status_code != 201:
                    refused = (body, n, r)
                    break
            if refused is None:
                outcome.problems.append("the small disk never filled")
                return
            body, n, r = refused
            answer = r.json()
            if r.status_code != 507 or answer.get("error") != "storage_full":
                outcome.problems.append(f"disk full answered {r.status_code} {r.text[:200]}")
            partial = [p.name for p in files.rglob("*") if p.is_file() and ".tmp" in p.name]
            if partial:
                outcome.problems.append(f"partial files left: {partial}")
            with self.engine.connect() as conn:
                kept = conn.execute(
                    text("SELECT count(*) FROM self_report WHERE id = :id"),
                    {"id": self._id(body["id"])},
                ).scalar_one()
            if kept:
                outcome.problems.append("a report refused for a full disk was stored")
        again = httpx.post(
            f"{base}/api/v1/self-reports",
            data={"report": json.dumps(body)},
            files={"photos": (f"p{n}.png", _photo(n), "image/png")},
            timeout=60,
        )
        if again.status_code != 201:
            outcome.problems.append(f"after space came back: {again.status_code}")
        outcome.faults.append(
            f"upload directory full (1 MB tmpfs) after {n} photos: {r.status_code} "
            f"{answer.get('error')} 「{answer.get('message')}」, report not stored, no partial "
            f"file; sent again with space back: {again.status_code}"
        )

    # --- checks --------------------------------------------------------------------------

    def _id(self, value: str) -> object:
        # SQLite stores UUIDs as 32 hex characters (SQLModel's GUID), PostgreSQL as uuid.
        return uuid.UUID(value).hex if self.database == "sqlite" else uuid.UUID(value)

    def verify(self, load: Load, outcome: Outcome) -> None:
        acked = load.tally.acknowledged
        with self.engine.connect() as conn:
            for kind, table, column, key in (
                ("report", "self_report", "note", "note"),
                ("visit", "visit", "notes", "notes"),
            ):
                mine = {w.id: w for w in acked.values() if w.kind == kind}
                rows: dict[str, str] = {}
                ids = [self._id(i) for i in mine]
                for start in range(0, len(ids), 500):
                    stmt = text(f"SELECT id, {column} FROM {table} WHERE id IN :ids").bindparams(
                        bindparam("ids", expanding=True)
                    )
                    for rid, value in conn.execute(stmt, {"ids": ids[start : start + 500]}):
                        rows[str(uuid.UUID(str(rid)))] = value
                lost = [i for i in mine if i not in rows]
                changed = [i for i, w in mine.items() if i in rows and rows[i] != w.body[key]]
                tagged = conn.execute(
                    text(f"SELECT count(*) FROM {table} WHERE {column} LIKE :tag"),
                    {"tag": f"reliability {load.tag} %"},
                ).scalar_one()
                outcome.stored += len(rows)
                outcome.lost += len(lost)
                if lost:
                    outcome.problems.append(f"{len(lost)} acknowledged {kind}s not stored")
                if changed:
                    outcome.problems.append(f"{len(changed)} {kind}s changed by a conflict")
                if tagged != len(mine):
                    outcome.problems.append(
                        f"{tagged} {kind}s of this run stored for {len(mine)} acknowledged"
                    )

    def wait_texts(self, outcome: Outcome, reports: int, seconds: float = 1800) -> None:
        """Every receipt texted: the jobs done, one sent notice per report, none twice."""
        deadline = time.monotonic() + seconds
        with self.engine.connect() as conn:
            while True:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM job WHERE status IN ('pending', 'running', 'failed')"
                    )
                ).scalar_one()
                conn.rollback()
                if not waiting or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            if waiting:
                outcome.problems.append(f"{waiting} texts still waiting after {seconds} s")
            twice = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT report_id FROM report_notice WHERE sent "
                    "GROUP BY report_id, kind HAVING count(*) > 1) AS t"
                )
            ).scalar_one()
            outcome.notices = conn.execute(
                text("SELECT count(*) FROM report_notice WHERE sent AND kind = 'receipt'")
            ).scalar_one()
        if twice:
            outcome.problems.append(f"{twice} texts recorded as sent twice")
        if outcome.notices < reports:
            outcome.problems.append(f"{outcome.notices} receipts texted for {reports} reports")
        dup = [k for k, n in self.gateway.delivered.items() if n > 1]
        if dup:
            outcome.problems.append(f"{len(dup)} texts delivered twice")


def _log(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines() if path.exists() else []


# Errors the faults cause on purpose: one line per request while the database is cut.
EXPECTED_ERRORS = ("database unavailable",)


def _alarming(line: str) -> bool:
    """A worker's death, a traceback or an error the faults do not explain."""
    if "Traceback" in line or "uvicorn worker" in line or "died" in line:
        return True
    return '"level": "ERROR"' in line and not any(e in line for e in EXPECTED_ERRORS)


def run(database: str, reports: int, visits: int, clients: int, disk: bool = True) -> Outcome:
    with tempfile.TemporaryDirectory(prefix=f"reliab-{database}-") as tmp:
        r = Run(database, reports, visits, clients, Path(tmp))
        outcome = Outcome(database, r.workers, clients, Tally())
        try:
            load = r.start()
            outcome.tally = load.tally

            async def main() -> None:
                faults = asyncio.create_task(r.faults(load, outcome))
                await load.run()
                await faults

            # A thread of its own: inside pytest, Playwright's sync API may already run an
            # event loop in this thread (the browser tests come first), and asyncio.run
            # refuses to start a second one there.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(asyncio.run, main()).result()
            r.verify(load, outcome)
            reports_acked = sum(1 for w in load.tally.acknowledged.values() if w.kind == "report")
            r.wait_texts(outcome, reports_acked)
            died = [line for line in _log(r.server.log) if _alarming(line)]
            if r.worker is not None:
                died += [line for line in _log(r.worker.log) if _alarming(line)]
            if died:
                outcome.problems.append(f"server log: {died[:5]}")
            if disk:
                r.disk_full(outcome)
        except BaseException:
            print(f"server log kept at {r.server.log}", file=sys.stderr)
            print(r.server.log.read_text(errors="replace")[-5000:], file=sys.stderr)
            raise
        finally:
            r.close()
        return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    ok = True
    for database in ["sqlite", "postgres"] if args.database == "both" else [args.database]:
        started = time.monotonic()
        outcome = run(database, args.reports, args.visits, args.clients)
        print(outcome.report())
        print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
        ok = ok and outcome.ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
