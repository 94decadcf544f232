"""Coverage's page of households not visited: monitored first, then by village and
reference, the same rows whichever page size reads them."""

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role, User
from backend.core import clock
from backend.households.models import Household, MonitoringStatus
from backend.visits import signs
from tests import dates
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


def test_coverage_counts_what_the_visits_list_holds_in_every_month(
    client: TestClient, session: Session, helper: User, cadre: User
) -> None:
    """Coverage counts from the households' visit months; in this month, a month a later
    visit hides, and a month nobody visited, its figures are the visits list's: a visit by
    someone else, a helper replaced after visiting, a correction and a batch included."""
    homes = [
        backdate(session, f.household(session, f.LENGSHUIGOU, helper=helper)) for _ in range(5)
    ]
    successor = f.user(session, Role.helper, f.NINGSHAN, full_name="王小红")
    last, now = dates.in_month(-1), dates.this_month(3)

    def post(who: User, h: Household, at: datetime, **kw: Any) -> dict[str, Any]:
        body = visit_body(h, visited_at=at.isoformat(), ledger=None, **kw)
        r = client.post("/api/v1/visits", json=body, headers=f.auth(who))
        assert r.status_code == 201, r.text
        return body

    post(helper, homes[0], last)  # last month and this month, by the helper
    post(helper, homes[0], now[0])
    post(helper, homes[1], last)  # this month by the cadre only
    post(cadre, homes[1], now[1])
    post(helper, homes[2], now[0])  # visited by the helper, then handed to another
    first = post(helper, homes[3], now[0])  # this month, and corrected
    post(helper, homes[3], now[1], corrects_id=first["id"])
    batch = [visit_body(homes[4], visited_at=now[2].isoformat(), ledger=None)]
    r = client.post("/api/v1/visits/batch", json={"items": batch}, headers=f.auth(helper))
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    homes[2].helper_id = successor.id
    session.add(homes[2])
    session.commit()
    officer = f.user(session, Role.county_officer, f.NINGSHAN)

    def listed(month: str, **filters: str) -> dict[str, set[str]]:
        """The month's visits (corrections aside) in the visits list: household → visitors."""
        r = client.get(
            "/api/v1/visits",
            params={"month": month, "limit": 200, **filters},
            headers=f.auth(officer),
        )
        assert r.status_code == 200, r.text
        out: dict[str, set[str]] = {}
        for v in r.json()["data"]:
            if v["corrects_id"] is None:
                out.setdefault(v["household_id"], set()).add(v["visitor_id"])
        return out

    helpers = {str(h.id): str(h.helper_id) for h in homes}
    for at in (now[0], last, dates.in_month(-2)):
        month = f"{at.astimezone(clock.CHINA):%Y-%m}"
        visits = listed(month)
        cover = client.get(
            "/api/v1/visits/coverage", params={"month": month}, headers=f.auth(officer)
        ).json()
        assert sum(v["visited"] for v in cover["villages"]) == len(visits)
        assert sum(v["due"] for v in cover["villages"]) == 5
        assert cover["not_visited_total"] == 5 - len(visits)
        assert {n["household_id"] for n in cover["not_visited"]} == {
            k for k in helpers if k not in visits
        }
        by_helper = {h["helper_id"]: h["visited"] for h in cover["helpers"]}
        for helper_id in set(helpers.values()):
            own = sum(1 for k, v in visits.items() if helpers[k] == helper_id and helper_id in v)
            assert by_helper.get(helper_id, 0) == own, (month, helper_id)


def test_pasted_notes_are_capped_with_a_count_of_the_rest_and_villages_to_drill_into(
    client: TestClient,
    session: Session,
    helper: User,
    cadre: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A county's pasted notes listed every text with every writer (52,000 names at
    100,000 households): the answer keeps the texts shared by the most households, a few
    writers of each with how many there were, how many texts in all, and per village the
    households that wrote one, whose own coverage lists its texts."""
    monkeypatch.setattr(signs, "PASTED_SHOWN", 2)
    monkeypatch.setattr(signs, "PASTED_NAMES_SHOWN", 1)
    here = [backdate(session, f.household(session, f.LENGSHUIGOU, helper=helper)) for _ in range(4)]
    there = backdate(session, f.household(session, f.YANJIAPING, helper=helper))
    a = "该户两不愁三保障均有保障,家庭收入稳定,无返贫风险。"
    b = "本户老人腿脚不便,已联系村医每周上门,下次带降压药过来"
    c = "家中子女外出务工,收入来源稳定,住房安全饮水安全有保障"
    written = [
        *((helper, h, a) for h in here[:3]),
        (cadre, here[3], a),  # a: four households, two writers
        *((helper, h, b) for h in (here[0], here[1], there)),  # b: three, one in 严家坪村
        *((helper, h, c) for h in here[:3]),  # c: three
        (helper, here[3], "这一户的情况是自己写的,和别人不一样,孩子刚上初中"),
    ]
    for who, h, notes in written:
        body = visit_body(h, notes=notes, ledger=None)
        assert client.post("/api/v1/visits", json=body, headers=f.auth(who)).status_code == 201
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    cover = client.get("/api/v1/visits/coverage", headers=f.auth(officer)).json()
    assert cover["pasted_notes_total"] == 3
    assert len(cover["pasted_notes"]) == 2
    first, second = cover["pasted_notes"]
    assert first["excerpt"] == a and first["households"] == 4
    assert first["visitor_count"] == 2 and len(first["visitor_names"]) == 1
    assert first["visitor_names"][0] in {"李春生", "何德福"}
    assert second["excerpt"] in {b, c} and second["households"] == 3
    assert second["visitor_names"] == ["李春生"] and second["visitor_count"] == 1
    villages = {v["area_code"]: (v["households"], v["texts"]) for v in cover["pasted_by_village"]}
    assert villages == {f.LENGSHUIGOU: (4 + 2 + 3, 3), f.YANJIAPING: (1, 1)}
    assert cover["pasted_by_village"][0]["area_code"] == f.LENGSHUIGOU
    # In 严家坪村 alone b was written for one household: nothing pasted there.
    village = client.get(
        "/api/v1/visits/coverage", params={"area": f.YANJIAPING}, headers=f.auth(officer)
    ).json()
    assert village["pasted_notes"] == [] and village["pasted_notes_total"] == 0
    assert village["pasted_by_village"] == []
