"""Every change leaves an audit row: who, when, from which client, before → after, masked."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role
from tests import factories as f


def test_changes_are_audited_with_id_numbers_masked(client: TestClient, session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU, full_name="何德福")
    number = f.id_number()
    body = {
        "area_code": f.LENGSHUIGOU,
        "category": "lifted",
        "members": [{"name": "王建国", "relation": "head", "id_number": number}],
    }
    h = client.post(
        "/api/v1/households", json=body, headers={**f.auth(cadre), "User-Agent": "field-app/1.0"}
    ).json()
    client.patch(
        f"/api/v1/households/{h['id']}",
        json={"address": "3组", "phone": "13912345678"},
        headers=f.auth(cadre),
    )
    officer = f.user(session, Role.township_officer, f.JIANGKOU)
    rows = client.get(
        f"/api/v1/audit?entity=household&entity_id={h['id']}", headers=f.auth(officer)
    ).json()
    assert rows["count"] == 2
    update, create = rows["data"]
    assert create["action"] == "create" and create["actor_name"] == "何德福"
    assert "field-app/1.0" in create["client"]
    assert create["changes"]["members"][1] == [
        {"name": "王建国", "id_number": number[:6] + "********" + number[-4:]}
    ]
    assert update["changes"]["address"] == ["", "3组"]
    assert update["changes"]["phone"] == [None, "139****5678"]
    # The whole number appears nowhere in the log.
    assert number not in client.get("/api/v1/audit", headers=f.auth(officer)).text


def test_audit_is_scoped_and_role_checked(client: TestClient, session: Session) -> None:
    f.household(session, f.LENGSHUIGOU)
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    client.post(
        "/api/v1/households",
        json={
            "area_code": f.LENGSHUIGOU,
            "category": "ordinary",
            "members": [
                {"name": "甲", "relation": "head", "sex": "male", "birth_date": "1960-01-01"}
            ],
        },
        headers=f.auth(cadre),
    )
    other_county = f.user(session, Role.county_officer, "620422")
    assert client.get("/api/v1/audit", headers=f.auth(other_county)).json()["count"] == 0
    own_county = f.user(session, Role.county_officer, f.NINGSHAN)
    rows = client.get("/api/v1/audit", headers=f.auth(own_county)).json()
    # The factory's household (written by the system) and the cadre's.
    assert rows["count"] == 2
    assert {r["actor_name"] for r in rows["data"]} == {"系统", "测试用户"}
    helper = f.user(session, Role.helper, f.NINGSHAN)
    assert client.get("/api/v1/audit", headers=f.auth(helper)).status_code == 403


def test_a_member_added_later_is_audited_masked(client: TestClient, session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    h = f.household(session)
    number = f.id_number()
    body = {"name": "王小明", "relation": "child", "id_number": number}
    assert (
        client.post(
            f"/api/v1/households/{h.id}/members", json=body, headers=f.auth(cadre)
        ).status_code
        == 201
    )
    inspector = f.user(session, Role.inspector, f.NINGSHAN)
    log = client.get("/api/v1/audit?entity=household", headers=f.auth(inspector))
    assert number not in log.text
    assert number[:6] + "********" + number[-4:] in log.text
