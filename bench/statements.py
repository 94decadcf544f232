"""Household-list statements, in process (`make bench ONLY=statements`): does a page cost the
same at 1,000 and 20,000 households? Counts what no load generator sees:
- SQL statements per list request at page size 10 and 100 (equal means no N+1);
- median latency of a 50-row page, and of a search by ID number, at 20k vs 1k households.
Works in a scratch database of its own (SQLite, or BENCH_DATABASE_URL's server).
"""

import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

SCRATCH = Path(tempfile.mkdtemp(prefix="shouwang-statements-"))

import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="Using `httpx`")
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402
from sqlmodel import Session  # noqa: E402

from backend.accounts.models import Role, User  # noqa: E402
from backend.areas import service as areas_service  # noqa: E402
from backend.cli import migrate  # noqa: E402
from backend.core import db, security  # noqa: E402
from backend.demo import AREAS_CSV, make_id_number  # noqa: E402
from backend.households.models import Household, Member  # noqa: E402
from backend.main import create_app  # noqa: E402

VILLAGES = ["610923102217", "610923101203", "610923102200", "610923101200"]


def populate(engine, start: int, stop: int, rng) -> str:  # type: ignore[no-untyped-def]
    """Add households start..stop (two members each); return one member's ID number."""
    households, members, probe = [], [], ""
    for i in range(start, stop):
        hid = uuid.uuid4()
        village = VILLAGES[i % len(VILLAGES)]
        households.append(
            {
                "id": hid,
                "reference": f"{village}-{i:06d}",
                "area_code": village,
                "address": "",
                "category": "lifted",
                "monitoring_status": "not_monitored",
                "basic_needs": {},
                "registered_on": date(2016, 1, 1),
                "created_at": db_now(),
            }
        )
        for k, relation in enumerate(("head", "spouse")):
            # Unique by construction: a different birth date for every person.
            born = date(1940, 1, 1) + timedelta(days=2 * i + k)
            number = make_id_number(rng, "610923", born, relation == "head")
            probe = probe or number
            members.append(
                {
                    "id": uuid.uuid4(),
                    "household_id": hid,
                    "area_code": village,
                    "name": f"王{i}",
                    "id_number_cipher": security.encrypt_id_number(number),
                    "id_number_hash": security.id_number_hash(number),
                    "sex": "male",
                    "birth_date": born,
                    "relation": relation,
                    "health": "healthy",
                    "schooling": "not_in_school",
                    "labour": "full",
                    "employment": "farming",
                    "active": True,
                    "created_at": db_now(),
                }
            )
    with engine.begin() as conn:
        conn.execute(insert(Household), households)
        conn.execute(insert(Member), members)
    return probe


def db_now():  # type: ignore[no-untyped-def]
    from backend.core import clock

    return clock.now()


def timed(client: TestClient, url: str, headers: dict[str, str], n: int = 40) -> float:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        samples.append(time.perf_counter() - t0)
        assert r.status_code == 200, r.text
    return statistics.median(samples)


def main(pg_url: str | None = None) -> list[str]:
    """The figures as lines for RESULTS.md. On PostgreSQL, pg_url's server gets a scratch
    database `<name>_statements` (dropped and made again each time)."""
    import random

    url = f"sqlite:///{SCRATCH}/bench.db"
    if pg_url:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        from backend.cli import database_url

        parsed = make_url(database_url(pg_url))
        name = f"{parsed.database}_statements"
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = parsed.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    engine = db.make_engine(url)
    db.set_engine(engine)
    with Session(engine) as session:
        areas_service.import_csv(session=session, file=AREAS_CSV)
        officer = User(
            username=f"bench{uuid.uuid4().hex[:6]}",
            full_name="基准",
            role=Role.county_officer,
            area_code="610923",
            password_hash="x",
        )
        session.add(officer)
        session.commit()
        officer_id = officer.id
    token, _ = security.create_access_token(subject=officer_id)
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(1)
    client = TestClient(create_app())

    statements: list[str] = []
    # GET requests read through a separate engine on SQLite: count on both.
    for counted in {engine, db.get_read_engine()}:
        event.listen(counted, "before_cursor_execute", lambda *a: statements.append(a[2]))

    probe_small = populate(engine, 0, 1000, rng)
    per_page = {}
    for size in (10, 100):
        statements.clear()
        client.get(f"/api/v1/households?limit={size}", headers=headers)
        per_page[size] = len(statements)
    small_list = timed(client, "/api/v1/households?limit=50&offset=500", headers)
    small_search = timed(client, f"/api/v1/households?q={probe_small}", headers)

    populate(engine, 1000, 20000, rng)
    big_list = timed(client, "/api/v1/households?limit=50&offset=500", headers)
    big_search = timed(client, f"/api/v1/households?q={probe_small}", headers)

    engine.dispose()
    lines = [
        f"statements per GET /households (in process, {engine.dialect.name}): page of 10 →"
        f" {per_page[10]}, page of 100 → {per_page[100]} (ratio {per_page[100] / per_page[10]:.2f};"
        " 1.00 means no N+1)",
        f"50-row page in process: {small_list * 1000:.1f} ms at 1k households,"
        f" {big_list * 1000:.1f} ms at 20k (ratio {big_list / small_list:.2f})",
        f"ID-number search in process: {small_search * 1000:.1f} ms at 1k,"
        f" {big_search * 1000:.1f} ms at 20k (ratio {big_search / small_search:.2f})",
    ]
    for line in lines:
        print("  " + line)
    return lines
