"""红黑榜 on a fixture with known counts: who is overdue, who was returned, who closed on
time at the first review — per township and per county."""

from datetime import UTC, datetime

import pytest

from backend.core import clock
from tests import factories as f
from tests.rectification.conftest import HUISHI, NANSHILIPU, Api, People


def _at(day: str) -> None:
    clock.freeze(datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC))


@pytest.fixture
def fixture(api: Api, people: People) -> dict:
    """Deadline Friday 2023-09-15 for all; the boards are read on Wednesday 2023-09-20.

    高家庄村委会 / 高宏伟: P1 open past deadline (overdue), P2 closed on time first review,
        P3 returned once then closed on time.
    南十里铺村委会 / 南振东: P4 never claimed (overdue), P5 open past deadline (overdue),
        P6 and P7 closed on time first review.
    会师镇乡村振兴工作站 / 张桂兰: P8 handed in late (2023-09-19), closed: overdue, not honored.
    """
    _at("2023-08-10")
    batch = api.batch(people.inspector)

    def issue(area: str, unit: str, person: str) -> str:
        return api.problem(
            people.inspector,
            batch["id"],
            area_code=area,
            responsible_unit=unit,
            responsible_person=person,
            deadline="2023-09-15",
        )["id"]

    gao = [issue(f.GAOJIAZHUANG, "高家庄村委会", "高宏伟") for _ in range(3)]
    nan = [issue(NANSHILIPU, "南十里铺村委会", "南振东") for _ in range(4)]
    town = issue(HUISHI, "会师镇乡村振兴工作站", "张桂兰")

    api.claim(people.cadre, gao[0])
    for pid in gao[1:]:
        api.to_submitted(people.cadre, pid)
    api.post(people.township, f"/problems/{gao[1]}/close", {})
    api.post(people.township, f"/problems/{gao[2]}/return", {"reason": "照片不清楚"})
    step = api.get(people.cadre, f"/problems/{gao[2]}").json()["steps"][0]["id"]
    api.post(
        people.cadre,
        f"/problems/{gao[2]}/steps/{step}/evidence",
        {"kind": "text", "text": "补充说明"},
    )
    api.post(people.cadre, f"/problems/{gao[2]}/submit-for-closure")
    api.post(people.township, f"/problems/{gao[2]}/close", {})

    api.claim(people.other_cadre, nan[1])
    for pid in nan[2:]:
        api.to_submitted(people.other_cadre, pid)
        api.post(people.township, f"/problems/{pid}/close", {})

    api.claim(people.township, town)
    _at("2023-09-19")
    problem = api.get(people.township, f"/problems/{town}").json()
    api.evidence_all(people.township, problem)
    api.post(people.township, f"/problems/{town}/submit-for-closure")
    api.post(people.inspector, f"/problems/{town}/close", {})
    _at("2023-09-20")
    return {"batch": batch}


def _rows(entries: list[dict], *keys: str) -> list[tuple]:  # type: ignore[type-arg]
    return [(e["name"], *(e[k] for k in keys)) for e in entries]


def test_township_boards_rank_units_people_and_villages(
    api: Api, people: People, fixture: dict
) -> None:
    r = api.get(people.township, "/problems/boards", area=HUISHI)
    assert r.status_code == 200, r.text
    boards = r.json()
    assert boards["area_name"] == "会师镇" and boards["as_of"] == "2023-09-20"
    warning, honor = boards["warning_board"], boards["honor_board"]
    assert _rows(warning["units"], "overdue", "returned", "total") == [
        ("南十里铺村委会", 2, 0, 4),
        ("高家庄村委会", 1, 1, 3),
        ("会师镇乡村振兴工作站", 1, 0, 1),
    ]
    assert _rows(warning["people"], "overdue", "returned") == [
        ("南振东", 2, 0),
        ("高宏伟", 1, 1),
        ("张桂兰", 1, 0),
    ]
    assert _rows(honor["units"], "closed_on_time_first_review") == [
        ("南十里铺村委会", 2),
        ("高家庄村委会", 1),
    ]
    assert _rows(honor["people"], "closed_on_time_first_review") == [("南振东", 2), ("高宏伟", 1)]
    # Villages of the township; the township's own problem belongs to no village.
    assert _rows(warning["areas"], "overdue", "returned") == [
        ("南十里铺村民委员会", 2, 0),
        ("高家庄村民委员会", 1, 1),
    ]


def test_county_board_ranks_townships_and_strangers_see_nothing(
    api: Api, people: People, fixture: dict
) -> None:
    county = api.get(people.inspector, "/problems/boards", area="620422").json()
    assert _rows(county["warning_board"]["areas"], "overdue", "returned", "total") == [
        ("会师镇", 4, 1, 8)
    ]
    assert _rows(county["honor_board"]["areas"], "closed_on_time_first_review") == [("会师镇", 3)]
    # Another county's officer: the area is outside their scope, answered like a missing one.
    assert api.get(people.outsider, "/problems/boards", area="620422").status_code == 404
    # A village cadre's own board holds only their village.
    mine = api.get(people.cadre, "/problems/boards").json()
    assert _rows(mine["warning_board"]["units"], "overdue") == [("高家庄村委会", 1)]
    assert api.get(people.cadre, "/problems/boards", area=HUISHI).status_code == 404
