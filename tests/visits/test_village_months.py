"""Visits per village and month (the statistics' trend reads them) are kept as visits are
stored, one by one or in batches, corrections included and replays not: each equals the
visit list's count for that village and month, and a recount from the visits agrees."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from backend.accounts.models import Role, User
from backend.core import clock
from backend.households.models import Household
from backend.visits import village_months
from backend.visits.models import Visit, VisitVillageMonth
from backend.visits.schemas import month_of
from tests import factories as f
from tests.visits.conftest import backdate, visit_body

pytestmark = pytest.mark.pinned_day  # see tests/conftest.py _clock


def _kept(session: Session) -> dict[tuple[str, str], int]:
    session.rollback()  # a fresh snapshot: see what the app committed since
    return {(r.area_code, r.month): r.visits for r in session.exec(select(VisitVillageMonth)).all()}


def _counted(session: Session) -> dict[tuple[str, str], int]:
    session.rollback()
    rows = session.exec(
        select(Visit.area_code, Visit.month, func.count()).group_by(Visit.area_code, Visit.month)
    ).all()
    return {(a, m): n for a, m, n in rows}


def _at(days: int) -> str:
    return (clock.now() - timedelta(days=days, minutes=5)).isoformat()


def test_each_village_month_equals_the_visit_list_as_visits_are_stored(
    client: TestClient, session: Session, helper: User, cadre: User
) -> None:
    homes: list[Household] = [
        backdate(session, f.household(session, area, helper=helper))
        for area in (f.LENGSHUIGOU, f.LENGSHUIGOU, f.YANJIAPING)
    ]
    # One by one, this month and last, and a replay that must not count twice.
    first = visit_body(homes[0])
    for body in (first, first, visit_body(homes[2], visited_at=_at(40))):
        r = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
        assert r.status_code in (200, 201), r.text
    # A batch over both villages and two months, with a correction and a replay in it.
    items: list[dict[str, Any]] = [
        visit_body(homes[i % 3], visited_at=_at(40 * (i % 2))) for i in range(7)
    ]
    items += [visit_body(homes[0], corrects_id=first["id"], notes="户主外出务工"), items[0]]
    r = client.post("/api/v1/visits/batch", json={"items": items}, headers=f.auth(helper))
    assert r.status_code == 200, r.text
    assert sorted(i["status"] for i in r.json()["results"]) == [200] + [201] * 8

    kept = _kept(session)
    assert kept == _counted(session)
    assert len(kept) == 4 and sum(kept.values()) == 10  # 2 one by one, 7 + 1 in the batch
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    for (area, month), n in kept.items():
        listed = client.get(
            "/api/v1/visits",
            params={"area": area, "month": month, "limit": 1},
            headers=f.auth(officer),
        )
        assert listed.status_code == 200, listed.text
        assert listed.json()["count"] == n
    # A recount from the visits (the bench generator's way) lands on the same rows.
    village_months.recount(session=session)
    session.commit()
    assert _kept(session) == kept


def test_the_trend_reads_them_for_an_area_and_its_months(
    client: TestClient, session: Session, helper: User
) -> None:
    home = backdate(session, f.household(session, helper=helper))
    for days in (0, 0, 40):
        body = visit_body(home, visited_at=_at(days))
        assert client.post("/api/v1/visits", json=body, headers=f.auth(helper)).status_code == 201
    this = month_of(clock.today())
    rows = village_months.monthly_counts(session=session, prefix=f.NINGSHAN, months=[this])
    assert [tuple(r) for r in rows] == [(f.LENGSHUIGOU, this, 2)]
    assert village_months.monthly_counts(session=session, prefix=f.YANJIAPING, months=[this]) == []
