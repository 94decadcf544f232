"""Coverage's page of households not visited: monitored first, then by village and
reference, the same rows whichever page size reads them."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role, User
from backend.households.models import MonitoringStatus
from tests import factories as f
from tests.visits.conftest import backdate, visit_body


def test_the_not_visited_pages_run_monitored_first_and_join_up(
    client: TestClient, session: Session, helper: User
) -> None:
    made = []
    for i, area in enumerate([f.YANJIAPING, f.LENGSHUIGOU] * 4):
        h = backdate(session, f.household(session, area, helper=helper))
        if i % 2 == 0:
            h.monitoring_status = MonitoringStatus.monitored
            session.add(h)
            session.commit()
        made.append(h)
    for h in (made[0], made[1]):  # one monitored, one not: visited
        r = client.post("/api/v1/visits", json=visit_body(h), headers=f.auth(helper))
        assert r.status_code == 201, r.text
    officer = f.user(session, Role.county_officer, f.NINGSHAN)

    def page(offset: int, limit: int) -> dict:
        r = client.get(
            "/api/v1/visits/coverage",
            params={"offset": offset, "limit": limit},
            headers=f.auth(officer),
        )
        assert r.status_code == 200, r.text
        return r.json()

    whole = page(0, 50)
    assert whole["not_visited_total"] == 6
    rows = [(n["monitoring_status"], n["area_code"], n["reference"]) for n in whole["not_visited"]]
    expected = sorted((h.monitoring_status.value, h.area_code, h.reference) for h in made[2:])
    expected.sort(key=lambda r: (r[0] != "monitored", r[1], r[2]))
    assert rows == expected
    assert [r[0] for r in rows[:3]] == ["monitored"] * 3
    joined = [n["household_id"] for o in (0, 2, 4) for n in page(o, 2)["not_visited"]]
    assert joined == [n["household_id"] for n in whole["not_visited"]]
    assert [n["household_id"] for n in page(3, 2)["not_visited"]] == joined[3:5]
    assert page(6, 2)["not_visited"] == []
    assert sum(v["due"] for v in whole["villages"]) == 8
    assert sum(v["visited"] for v in whole["villages"]) == 2
    assert whole["helpers"][0]["due"] == 8 and whole["helpers"][0]["visited"] == 2
