"""Many concurrent writers over real HTTP: every request answered, none lost, no 5xx.

More simultaneous writes than the server has worker threads (40) once deadlocked SQLite:
the lock holder waited for a thread while every thread waited for the lock."""

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.main import create_app
from tests import clusters
from tests import factories as f


def test_a_burst_of_writes_beyond_the_thread_pool(app_engine, session: Session) -> None:  # type: ignore[no-untyped-def]
    # A county officer: a village cadre's clear-risk is refused before the use case starts.
    cadre = f.user(session, Role.county_officer, f.NINGSHAN)
    households = [f.household(session) for _ in range(3)]
    session.commit()
    headers = f.auth(cadre)

    def write(i: int) -> int:
        h = households[i % 3]
        with httpx.Client(base_url=base, timeout=60) as c:
            if i % 2:
                # Refused inside the use case, with the write lock already taken.
                url = f"/api/v1/households/{h.id}/clear-risk"
                return c.post(url, json={"reason": "x"}, headers=headers).status_code
            url = f"/api/v1/households/{h.id}/incomes/{2015 + i % 10}"
            return c.put(url, json={"wage": i, "household_size": 2}, headers=headers).status_code

    with clusters.in_thread(create_app()) as base, ThreadPoolExecutor(max_workers=90) as pool:
        statuses = list(pool.map(write, range(150)))
    assert statuses.count(200) == 75 and statuses.count(409) == 75, sorted(set(statuses))
    session.rollback()
    audited = session.exec(select(AuditEntry).where(AuditEntry.action == "income")).all()
    assert len(audited) == 75
