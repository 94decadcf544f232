"""Area scope on every id-taking endpoint, for every role: a household of 冷水沟村 is
invisible (404, like a missing id) to anyone whose scope or assignment does not cover it,
and reachable by those whose scope does."""

import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.files import service as files_service
from backend.households import service as households_service
from backend.households.models import Household
from backend.households.schemas import MeasureCreate
from tests import factories as f

# Who is outside 冷水沟村 (610923102217): each role, placed somewhere else.
OUTSIDERS = [
    (Role.county_officer, "620422"),  # 会宁县
    (Role.township_officer, "610923101"),  # 四亩地镇, same county, other township
    (Role.village_cadre, f.YANJIAPING),  # 严家坪村, same county
    (Role.grid_worker, f.YANJIAPING),
    (Role.helper, f.NINGSHAN),  # inside the county, but not assigned to the household
    (Role.inspector, "341182"),  # 明光市
]
INSIDERS = [
    (Role.county_officer, f.NINGSHAN),
    (Role.township_officer, f.JIANGKOU),
    (Role.village_cadre, f.LENGSHUIGOU),
    (Role.grid_worker, f.LENGSHUIGOU),
    (Role.inspector, f.NINGSHAN),
    (Role.admin, None),
]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def target(session: Session) -> dict[str, str]:
    """A monitored household of 冷水沟村 with a plan, a measure and a photo."""
    from backend.households import workflow

    h = f.household(session, f.LENGSHUIGOU)
    workflow.enroll(
        session=session, household=h, monitoring_type="marginal", risk_types=["illness"], actor=None
    )
    members = households_service.members_of(session=session, household_id=h.id)
    plan = households_service.plan_of(session=session, household_id=h.id)
    from backend.households.models import Measure

    measure = Measure(
        plan_id=plan.id,
        **MeasureCreate(kind="medical", description="大病救助", start_on="2025-01-01").model_dump(),
    )
    session.add(measure)
    photo = files_service.store(
        session=session, data=_png(), area_code=f.LENGSHUIGOU, uploaded_by=None, household_id=h.id
    )
    session.commit()
    return {
        "h": str(h.id),
        "m": str(members[0].id),
        "measure": str(measure.id),
        "file": str(photo.id),
    }


def _requests(t: dict[str, str]) -> list[tuple[str, str, dict | None]]:
    h = t["h"]
    return [
        ("GET", f"/api/v1/households/{h}", None),
        ("PATCH", f"/api/v1/households/{h}", {"address": "被改了"}),
        (
            "POST",
            f"/api/v1/households/{h}/members",
            {"name": "张三", "relation": "child", "sex": "male", "birth_date": "2015-01-01"},
        ),
        ("PATCH", f"/api/v1/households/{h}/members/{t['m']}", {"health": "chronic"}),
        ("PUT", f"/api/v1/households/{h}/incomes/2025", {"wage": 1, "household_size": 2}),
        ("PUT", f"/api/v1/households/{h}/plan", {"summary": "改"}),
        (
            "POST",
            f"/api/v1/households/{h}/plan/measures",
            {"kind": "other", "description": "x", "start_on": "2025-01-01"},
        ),
        ("PATCH", f"/api/v1/households/{h}/plan/measures/{t['measure']}", {"status": "done"}),
        (
            "POST",
            f"/api/v1/households/{h}/enroll",
            {"monitoring_type": "marginal", "risk_types": ["illness"], "reason": "x"},
        ),
        ("POST", f"/api/v1/households/{h}/clear-risk", {"reason": "x"}),
        (
            "POST",
            f"/api/v1/households/{h}/revert",
            {"monitoring_type": "marginal", "risk_types": ["illness"], "reason": "x"},
        ),
        ("GET", f"/api/v1/files/{t['file']}", None),
        ("GET", f"/api/v1/files/{t['file']}/meta", None),
    ]


@pytest.mark.parametrize(("role", "area"), OUTSIDERS, ids=[r.value for r, _ in OUTSIDERS])
def test_outsiders_get_404_on_every_id_endpoint(
    client: TestClient, session: Session, target: dict[str, str], role: Role, area: str
) -> None:
    headers = f.auth(f.user(session, role, area))
    for method, url, body in _requests(target):
        response = client.request(method, url, json=body, headers=headers)
        assert response.status_code == 404, (method, url, response.status_code)
        assert response.json()["error"] == "not_found"
    # …and the same for an id that does not exist at all: nothing tells them apart.
    missing = client.get(f"/api/v1/households/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert (
        missing.json()["message"]
        == client.get(f"/api/v1/households/{target['h']}", headers=headers).json()["message"]
    )
    # The list does not reveal it either.
    listed = client.get("/api/v1/households", headers=headers).json()
    assert target["h"] not in {h["id"] for h in listed["data"]}
    # Nothing was changed (read afresh: not the fixture's cached object, not an old snapshot).
    session.rollback()
    session.expire_all()
    stored = session.exec(select(Household).where(Household.id == uuid.UUID(target["h"]))).one()
    assert stored.address == "" and stored.monitoring_status == "monitored"
    assert len(households_service.members_of(session=session, household_id=stored.id)) == 2


@pytest.mark.parametrize(("role", "area"), INSIDERS, ids=[r.value for r, _ in INSIDERS])
def test_insiders_reach_every_id_endpoint(
    client: TestClient, session: Session, target: dict[str, str], role: Role, area: str | None
) -> None:
    headers = f.auth(f.user(session, role, area))
    for method, url, _ in _requests(target):
        if method != "GET":
            continue
        assert client.request(method, url, headers=headers).status_code == 200, url
    listed = client.get("/api/v1/households", headers=headers).json()
    assert target["h"] in {h["id"] for h in listed["data"]}


def test_assigned_helper_reaches_the_household_but_may_not_edit_it(
    client: TestClient, session: Session, target: dict[str, str]
) -> None:
    helper = f.user(session, Role.helper, f.NINGSHAN)
    household = households_service.get_visible(
        session=session, user=f.user(session, Role.admin, None), household_id=uuid.UUID(target["h"])
    )
    household.helper_id = helper.id
    session.add(household)
    session.commit()
    headers = f.auth(helper)
    for method, url, body in _requests(target):
        response = client.request(method, url, json=body, headers=headers)
        expected = 200 if method == "GET" else 403
        assert response.status_code == expected, (method, url, response.text)


def test_editors_in_scope_may_change_it(
    client: TestClient, session: Session, target: dict[str, str]
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    response = client.patch(
        f"/api/v1/households/{target['h']}", json={"address": "2组"}, headers=f.auth(cadre)
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url", ["/api/v1/households", "/api/v1/audit", "/api/v1/users", "/api/v1/auth/me"]
)
def test_no_token_no_data(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 401
    assert response.json()["message"] == "请先登录"
    assert client.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
