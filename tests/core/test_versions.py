"""ETag / If-Match on households and problems: a write on a stale copy is refused with 412
and writes nothing; a fresh one goes through and changes the ETag; no If-Match, no check."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.accounts.models import Role, User
from backend.core.versions import matches
from backend.households.models import Household, Member
from backend.rectification.models import Problem, ProblemStatus
from tests import factories as f
from tests.rectification.conftest import BATCH, problem_body


@pytest.fixture
def cadre(session: Session) -> User:
    return f.user(session, Role.village_cadre, f.LENGSHUIGOU)


@pytest.fixture
def household(session: Session) -> Household:
    h = f.household(session)
    session.commit()
    return h


def _url(h: Household) -> str:
    return f"/api/v1/households/{h.id}"


def test_a_household_answers_its_etag_and_a_fresh_write_changes_it(
    client: TestClient, session: Session, cadre: User, household: Household
) -> None:
    read = client.get(_url(household), headers=f.auth(cadre))
    assert read.status_code == 200 and read.headers["ETag"] == '"v1"'
    changed = client.patch(
        _url(household),
        json={"address": "5组1号"},
        headers={**f.auth(cadre), "If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["ETag"] == '"v2"'
    assert client.get(_url(household), headers=f.auth(cadre)).headers["ETag"] == '"v2"'
    session.rollback()
    session.expire_all()
    assert session.get(Household, household.id).address == "5组1号"  # type: ignore[union-attr]


def test_a_stale_write_is_refused_with_412_and_writes_nothing(
    client: TestClient, session: Session, cadre: User, household: Household
) -> None:
    stale = client.get(_url(household), headers=f.auth(cadre)).headers["ETag"]
    # Someone else changes it first.
    assert (
        client.patch(
            _url(household), json={"address": "别人改的"}, headers=f.auth(cadre)
        ).status_code
        == 200
    )
    refused = client.patch(
        _url(household), json={"address": "我改的"}, headers={**f.auth(cadre), "If-Match": stale}
    )
    assert refused.status_code == 412
    body = refused.json()
    assert body["error"] == "precondition_failed"
    assert "其他人修改" in body["message"]
    assert refused.headers["ETag"] == '"v2"' == body["detail"]["current_etag"]
    session.rollback()
    session.expire_all()
    assert session.get(Household, household.id).address == "别人改的"  # type: ignore[union-attr]
    # The same for a member added through the household on the stale copy.
    member = {"name": "王小明", "relation": "child", "id_number": f.id_number()}
    late = client.post(
        f"{_url(household)}/members", json=member, headers={**f.auth(cadre), "If-Match": stale}
    )
    assert late.status_code == 412
    session.rollback()
    session.expire_all()
    assert len(session.exec(select(Member).where(Member.household_id == household.id)).all()) == 2


def test_without_if_match_a_write_is_not_checked(
    client: TestClient, cadre: User, household: Household
) -> None:
    for address in ("一", "二"):
        r = client.patch(_url(household), json={"address": address}, headers=f.auth(cadre))
        assert r.status_code == 200
    assert r.headers["ETag"] == '"v3"'


def test_a_change_to_a_member_income_or_plan_changes_the_household_etag(
    client: TestClient, cadre: User, household: Household
) -> None:
    tag = client.get(_url(household), headers=f.auth(cadre)).headers["ETag"]
    member = {"name": "王小明", "relation": "child", "id_number": f.id_number()}
    added = client.post(
        f"{_url(household)}/members", json=member, headers={**f.auth(cadre), "If-Match": tag}
    )
    assert added.status_code == 201, added.text
    assert added.headers["ETag"] == '"v2"'
    income = client.put(
        f"{_url(household)}/incomes/2024",
        json={"wage": 100, "household_size": 3},
        headers={**f.auth(cadre), "If-Match": '"v2"'},
    )
    assert income.status_code == 200, income.text
    assert income.headers["ETag"] == '"v3"'


@pytest.mark.parametrize(
    ("if_match", "status"),
    [
        ('W/"v1"', 412),  # weak tags never match in If-Match (RFC 9110 §13.1.1)
        ("*", 200),  # any current representation
        ('"v7", "v1"', 200),  # one of a list
        ('"v7", W/"v1"', 412),
        ('"v1"', 200),
        ("v1", 412),  # unquoted is not the tag
    ],
)
def test_if_match_is_compared_as_rfc_9110_says(
    client: TestClient, cadre: User, household: Household, if_match: str, status: int
) -> None:
    r = client.patch(
        _url(household), json={"address": "x"}, headers={**f.auth(cadre), "If-Match": if_match}
    )
    assert r.status_code == status, r.text


def test_matches() -> None:
    assert matches(" * ", '"v1"')
    assert matches('"v2","v1"', '"v1"')
    assert not matches('W/"v1"', '"v1"')
    assert not matches("", '"v1"')


def test_a_household_out_of_reach_is_404_before_any_precondition(
    client: TestClient, session: Session, household: Household
) -> None:
    other = f.user(session, Role.village_cadre, f.YANJIAPING)
    r = client.patch(
        _url(household), json={"address": "x"}, headers={**f.auth(other), "If-Match": '"v9"'}
    )
    assert r.status_code == 404


# --- problems ----------------------------------------------------------------------------


@pytest.fixture
def problem(client: TestClient, session: Session) -> tuple[dict, User, User]:
    township = f.user(session, Role.township_officer, "620422100")
    cadre = f.user(session, Role.village_cadre, f.GAOJIAZHUANG)
    batch = client.post("/api/v1/problem-batches", json=BATCH, headers=f.auth(township)).json()
    made = client.post(
        f"/api/v1/problem-batches/{batch['id']}/problems",
        json=problem_body(),
        headers=f.auth(township),
    )
    assert made.status_code == 201, made.text
    return made.json(), township, cadre


def test_a_problem_action_on_a_stale_copy_is_412_and_a_fresh_one_moves_the_etag(
    client: TestClient, session: Session, problem: tuple[dict, User, User]
) -> None:
    body, township, cadre = problem
    url = f"/api/v1/problems/{body['id']}"
    tag = client.get(url, headers=f.auth(cadre)).headers["ETag"]
    assert tag == '"v1"'
    # The issuer corrects the title meanwhile.
    fixed = client.patch(
        url, json={"title": "台账资料不规范"}, headers={**f.auth(township), "If-Match": tag}
    )
    assert fixed.status_code == 200 and fixed.headers["ETag"] == '"v2"'
    stale = client.post(
        f"{url}/claim", json={"steps": ["清理台账"]}, headers={**f.auth(cadre), "If-Match": tag}
    )
    assert stale.status_code == 412 and stale.json()["error"] == "precondition_failed"
    session.rollback()
    session.expire_all()
    assert session.get(Problem, uuid.UUID(body["id"])).status == ProblemStatus.issued  # type: ignore[union-attr]
    claimed = client.post(
        f"{url}/claim", json={"steps": ["清理台账"]}, headers={**f.auth(cadre), "If-Match": '"v2"'}
    )
    assert claimed.status_code == 200, claimed.text
    # A new version: not a count of changes (a use case may flush more than once).
    tag = claimed.headers["ETag"]
    assert tag not in ('"v1"', '"v2"')
    noted = client.post(
        f"{url}/notes", json={"text": "已清理"}, headers={**f.auth(cadre), "If-Match": tag}
    )
    assert noted.status_code == 201, noted.text
    assert noted.headers["ETag"] != tag
    assert client.get(url, headers=f.auth(cadre)).headers["ETag"] == noted.headers["ETag"]


def test_a_refused_action_leaves_the_etag_as_it_was(
    client: TestClient, problem: tuple[dict, User, User]
) -> None:
    body, township, _ = problem
    url = f"/api/v1/problems/{body['id']}"
    # Nothing to close yet: 409, nothing written, the version unchanged.
    refused = client.post(
        f"{url}/submit-for-closure", headers={**f.auth(township), "If-Match": '"v1"'}
    )
    assert refused.status_code in (403, 409), refused.text
    assert client.get(url, headers=f.auth(township)).headers["ETag"] == '"v1"'


def test_a_change_made_anywhere_moves_the_version(session: Session, household: Household) -> None:
    """Not only through the household endpoints: any flush that changes the household or a
    row of it (here a member, changed as another domain's service would) raises it in SQL."""
    member = session.exec(select(Member).where(Member.household_id == household.id)).first()
    assert member is not None
    member.name = "王改名"
    session.commit()
    session.expire_all()
    assert session.get(Household, household.id).version == 2  # type: ignore[union-attr]
    # A flush that changes nothing leaves it.
    session.get(Household, household.id).address = session.get(Household, household.id).address  # type: ignore[union-attr]
    session.commit()
    session.expire_all()
    assert session.get(Household, household.id).version == 2  # type: ignore[union-attr]
