"""Households over HTTP: registering, reading, changing, and every refusal."""

import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.core import clock
from backend.households.models import Household, Member
from tests import factories as f


def _member(relation: str = "head", **kw):  # type: ignore[no-untyped-def]
    born = kw.pop("born", date(1968, 4, 2))
    out = {"name": kw.pop("name", "王建国"), "relation": relation}
    if kw.pop("with_id", True):
        out["id_number"] = f.id_number(born, male=kw.pop("male", True))
    out.update(kw)
    return out


def _body(**kw):  # type: ignore[no-untyped-def]
    body = {
        "area_code": f.LENGSHUIGOU,
        "category": "lifted",
        "address": "3组12号",
        "phone": "13912345678",
        "members": [_member(), _member("spouse", name="李秀英", born=date(1970, 1, 9), male=False)],
        "incomes": [
            {
                "year": 2024,
                "wage": 12000,
                "business": 3000,
                "transfer": 2000,
                "business_cost": 1000,
                "household_size": 2,
            }
        ],
    }
    body.update(kw)
    return body


@pytest.fixture
def cadre(session: Session):  # type: ignore[no-untyped-def]
    return f.user(session, Role.village_cadre, f.LENGSHUIGOU)


def test_cadre_registers_a_household_and_reads_it_back(client: TestClient, cadre) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/households", json=_body(), headers=f.auth(cadre))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["reference"].startswith(f.LENGSHUIGOU + "-")
    assert created["head_name"] == "王建国"
    assert created["member_count"] == 2
    assert created["area_name"] == "冷水沟村委会"
    assert created["incomes"][0]["net_income"] == 16000
    assert created["incomes"][0]["per_capita_net_income"] == 8000
    # ID numbers and the phone are masked in answers, a village cadre's too (a full ID
    # number is asked for and audited: tests/security/test_personal_data.py).
    assert "********" in created["members"][0]["id_number"]
    assert created["phone"] == "139****5678"
    again = client.get(f"/api/v1/households/{created['id']}", headers=f.auth(cadre))
    assert again.status_code == 200
    assert again.json()["members"] == created["members"]


def test_answers_name_every_code_in_chinese(client: TestClient, session: Session, cadre) -> None:  # type: ignore[no-untyped-def]
    """Screens show the server's words (category_name, relation_name, …), never a copy."""
    created = client.post("/api/v1/households", json=_body(), headers=f.auth(cadre)).json()
    assert (created["category_name"], created["monitoring_status_name"]) == ("脱贫户", "未纳入监测")
    assert created["monitoring_type_name"] is None and created["risk_names"] == []
    head = created["members"][0]
    assert (head["relation_name"], head["health_name"], head["schooling_name"]) == (
        "户主",
        "健康",
        "不在校",
    )
    enrolled = client.post(
        f"/api/v1/households/{created['id']}/enroll",
        json={
            "monitoring_type": "marginal",
            "risk_types": ["illness", "schooling"],
            "reason": "更正",
        },
        headers=f.auth(f.user(session, Role.county_officer, f.NINGSHAN)),
    )
    assert enrolled.status_code == 200, enrolled.text
    listed = client.get("/api/v1/households", headers=f.auth(cadre)).json()["data"]
    row = next(h for h in listed if h["id"] == created["id"])
    assert row["monitoring_status_name"] == "监测中"
    assert row["monitoring_type_name"] == "边缘易致贫户"
    assert row["risk_names"] == ["因病", "因学"]


def test_id_numbers_are_stored_encrypted(client: TestClient, cadre, session: Session) -> None:  # type: ignore[no-untyped-def]
    body = _body()
    number = body["members"][0]["id_number"]
    client.post("/api/v1/households", json=body, headers=f.auth(cadre))
    stored = session.exec(select(Member).where(Member.name == "王建国")).one()
    assert number not in (stored.id_number_cipher or "")
    assert stored.id_number_hash and number not in stored.id_number_hash


def test_helper_and_inspector_see_masked_id_numbers(client: TestClient, session: Session) -> None:
    helper = f.user(session, Role.helper, f.NINGSHAN)
    inspector = f.user(session, Role.inspector, f.NINGSHAN)
    h = f.household(session, helper=helper)
    for who in (helper, inspector):
        body = client.get(f"/api/v1/households/{h.id}", headers=f.auth(who)).json()
        assert all("********" in m["id_number"] for m in body["members"])


def test_birth_date_and_sex_come_from_the_id_number(client: TestClient, cadre) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/households", json=_body(), headers=f.auth(cadre))
    head = next(m for m in response.json()["members"] if m["relation"] == "head")
    assert head["birth_date"] == "1968-04-02"
    assert head["sex"] == "male"


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"surprise": 1}, "surprise", 422),
        ({"category": "rich"}, "category", 422),
        ({"area_code": "999999999999"}, "area_code", 422),
        ({"area_code": "610923102"}, "area_code", 422),  # a township, not a village
        ({"phone": "1234"}, "phone", 422),
        ({"members": []}, "members", 422),
        ({"members": [_member("spouse")]}, "members", 422),  # no head
        ({"incomes": [{"year": 2024, "wage": -5, "household_size": 2}]}, "incomes.0.wage", 422),
        ({"incomes": [{"year": 2024, "wage": True, "household_size": 2}]}, "incomes.0.wage", 422),
        ({"incomes": [{"year": 2024, "wage": "100", "household_size": 2}]}, "incomes.0.wage", 422),
        ({"incomes": [{"year": 2099, "household_size": 2}]}, "incomes.0.year", 422),
        ({"members": [_member(id_number="610923196804021234")]}, "members.0.id_number", 422),
        (
            {"members": [_member(with_id=False, sex="male", birth_date="2999-01-01")]},
            "members.0.birth_date",
            422,
        ),
        (
            {"members": [_member(with_id=False, sex="male", birth_date="1890-01-01")]},
            "members.0.birth_date",
            422,
        ),
        ({"members": [_member(with_id=False, sex="male")]}, "members.0.birth_date", 422),
        ({"members": [_member(health="weak")]}, "members.0.health", 422),
    ],
)
def test_bad_input_is_refused_with_the_field_named_and_nothing_written(
    client: TestClient,
    cadre,
    session: Session,
    change,
    field,
    status,  # type: ignore[no-untyped-def]
) -> None:
    response = client.post("/api/v1/households", json=_body(**change), headers=f.auth(cadre))
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == "invalid"
    assert field in body["message"]
    assert any(d["field"] == field for d in body["detail"])
    assert session.exec(select(Household)).all() == []


def test_messages_say_in_chinese_what_is_wrong(client: TestClient, cadre) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/households", json=_body(phone="1234"), headers=f.auth(cadre))
    assert response.json()["message"] == "手机号(phone):应为 11 位手机号码"
    response = client.post("/api/v1/households", json=_body(category="rich"), headers=f.auth(cadre))
    assert response.json()["message"].startswith("类别(category):不是可选的值")
    response = client.post("/api/v1/households", json=_body(surprise=1), headers=f.auth(cadre))
    assert response.json()["message"] == "surprise:不认识这个字段"


def test_birth_date_in_the_id_number_in_the_future_is_refused(client: TestClient, cadre) -> None:  # type: ignore[no-untyped-def]
    future = clock.today() + timedelta(days=30)
    member = _member(id_number=f.id_number(future))
    response = client.post(
        "/api/v1/households", json=_body(members=[member]), headers=f.auth(cadre)
    )
    assert response.status_code == 422
    assert "出生日期" in response.json()["message"]


def test_one_person_cannot_be_in_two_households(
    client: TestClient, cadre, session: Session
) -> None:  # type: ignore[no-untyped-def]
    sent = _body()
    first = client.post("/api/v1/households", json=sent, headers=f.auth(cadre)).json()
    duplicate = sent["members"][0]["id_number"]
    body = _body(members=[_member(id_number=duplicate, name="王建国")])
    response = client.post("/api/v1/households", json=body, headers=f.auth(cadre))
    assert response.status_code == 409
    out = response.json()
    assert out["error"] == "person_in_other_household"
    assert first["reference"] in out["message"]
    assert out["detail"]["household_reference"] == first["reference"]
    assert "王建国" not in out["message"]  # never the other household's members
    assert len(session.exec(select(Household)).all()) == 1


def test_a_member_who_left_can_join_another_household(client: TestClient, cadre) -> None:  # type: ignore[no-untyped-def]
    sent = _body()
    first = client.post("/api/v1/households", json=sent, headers=f.auth(cadre)).json()
    spouse = next(m for m in first["members"] if m["relation"] == "spouse")
    spouse_number = next(m for m in sent["members"] if m["relation"] == "spouse")["id_number"]
    left = client.patch(
        f"/api/v1/households/{first['id']}/members/{spouse['id']}",
        json={"active": False},
        headers=f.auth(cadre),
    )
    assert left.status_code == 200
    body = _body(members=[_member(id_number=spouse_number, name="李秀英", male=False)])
    assert client.post("/api/v1/households", json=body, headers=f.auth(cadre)).status_code == 201
    # …and cannot be re-activated in the first one now.
    back = client.patch(
        f"/api/v1/households/{first['id']}/members/{spouse['id']}",
        json={"active": True},
        headers=f.auth(cadre),
    )
    assert back.status_code == 409


def test_helper_must_be_inside_the_households_area(
    client: TestClient, cadre, session: Session
) -> None:  # type: ignore[no-untyped-def]
    far = f.user(session, Role.helper, "620422")
    near = f.user(session, Role.helper, f.NINGSHAN)
    response = client.post(
        "/api/v1/households", json=_body(helper_id=str(far.id)), headers=f.auth(cadre)
    )
    assert response.status_code == 422
    assert "helper_id" in response.json()["message"]
    ok = client.post(
        "/api/v1/households", json=_body(helper_id=str(near.id)), headers=f.auth(cadre)
    )
    assert ok.status_code == 201
    assert ok.json()["helper"]["id"] == str(near.id)


def test_list_filters_and_paginates(client: TestClient, session: Session) -> None:
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    helper = f.user(session, Role.helper, f.NINGSHAN)
    a = f.household(session, f.LENGSHUIGOU, helper=helper)
    f.household(session, f.YANJIAPING, category="ordinary")
    f.household(session, f.SHANNAN)  # another county: never listed
    headers = f.auth(officer)
    everything = client.get("/api/v1/households", headers=headers).json()
    assert everything["count"] == 2
    assert (
        client.get(f"/api/v1/households?area={f.LENGSHUIGOU}", headers=headers).json()["count"] == 1
    )
    assert client.get("/api/v1/households?category=ordinary", headers=headers).json()["count"] == 1
    assert client.get(f"/api/v1/households?helper_id={helper.id}", headers=headers).json()["data"][
        0
    ]["id"] == str(a.id)
    page = client.get("/api/v1/households?limit=1&offset=1", headers=headers).json()
    assert page["count"] == 2 and len(page["data"]) == 1
    assert client.get("/api/v1/households?limit=0", headers=headers).status_code == 422


def test_search_by_name_and_by_id_number(client: TestClient, session: Session) -> None:
    officer = f.user(session, Role.township_officer, f.JIANGKOU)
    number = f.id_number(date(1980, 1, 1))
    h = f.household(session, members=[f.member(name="何德福", id_number=number)])
    f.household(session)
    headers = f.auth(officer)
    by_name = client.get("/api/v1/households", params={"q": "德福"}, headers=headers).json()
    assert [x["id"] for x in by_name["data"]] == [str(h.id)]
    by_id = client.get("/api/v1/households", params={"q": number}, headers=headers).json()
    assert [x["id"] for x in by_id["data"]] == [str(h.id)]


def test_enroll_then_clear_risk_is_refused_while_guard_rules_hold(
    client: TestClient, session: Session
) -> None:
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    members = [
        f.member("head", born=date(1975, 1, 1)),
        f.member("child", born=date(2012, 3, 3), schooling="junior_secondary", labour="none"),
    ]
    h = f.household(session, members=members)
    headers = f.auth(officer)
    enrolled = client.post(
        f"/api/v1/households/{h.id}/enroll",
        json={"monitoring_type": "marginal", "risk_types": ["schooling"], "reason": "更正"},
        headers=headers,
    )
    assert enrolled.status_code == 200, enrolled.text
    body = enrolled.json()
    assert body["monitoring_status"] == "monitored"
    assert body["risk_types"] == ["schooling"]
    assert body["plan"] is not None and body["plan_due_on"]
    again = client.post(
        f"/api/v1/households/{h.id}/enroll",
        json={"monitoring_type": "marginal", "risk_types": ["schooling"], "reason": "更正"},
        headers=headers,
    )
    assert again.status_code == 409 and again.json()["error"] == "already_monitored"
    refused = client.post(
        f"/api/v1/households/{h.id}/clear-risk", json={"reason": "已稳定"}, headers=headers
    )
    assert refused.status_code == 409
    rules = {d["rule"] for d in refused.json()["detail"]}
    assert {
        "monitored_too_short",
        "no_income_record",
        "no_measure_carried_out",
        "cause_persists_schooling",
    } <= rules
    assert (
        client.get(f"/api/v1/households/{h.id}", headers=headers).json()["monitoring_status"]
        == "monitored"
    )


def test_clear_risk_succeeds_when_no_rule_holds_and_revert_brings_it_back(
    client: TestClient, session: Session
) -> None:
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    h = f.household(session, registered_on=clock.today() - timedelta(days=900))
    headers = f.auth(officer)
    long_ago = (clock.today() - timedelta(days=400)).isoformat()
    enrolled = client.post(
        f"/api/v1/households/{h.id}/enroll",
        json={
            "monitoring_type": "sudden_hardship",
            "risk_types": ["accident"],
            "enrolled_on": long_ago,
            "reason": "导入时漏登的纳入记录",
        },
        headers=headers,
    )
    assert enrolled.status_code == 200, enrolled.text
    year = clock.today().year - 1
    client.put(
        f"/api/v1/households/{h.id}/incomes/{year}",
        json={"wage": 30000, "household_size": 2},
        headers=headers,
    )
    measure = client.post(
        f"/api/v1/households/{h.id}/plan/measures",
        json={
            "kind": "employment",
            "description": "公益岗位",
            "start_on": long_ago,
            "status": "done",
            "amount": 6000,
        },
        headers=headers,
    )
    assert measure.status_code == 201, measure.text
    cleared = client.post(
        f"/api/v1/households/{h.id}/clear-risk", json={"reason": "务工稳定"}, headers=headers
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["monitoring_status"] == "risk_cleared"
    reverted = client.post(
        f"/api/v1/households/{h.id}/revert",
        json={
            "monitoring_type": "sudden_hardship",
            "risk_types": ["illness"],
            "reason": "户主突发大病",
        },
        headers=headers,
    )
    assert reverted.status_code == 200
    assert reverted.json()["monitoring_status"] == "monitored"
    due = (clock.today() + timedelta(days=30)).isoformat()
    assert reverted.json()["plan_due_on"] == due and reverted.json()["plan"]["due_on"] == due
    assert reverted.json()["risk_types"] == ["illness"]


def test_wrong_state_transitions_are_refused(client: TestClient, session: Session) -> None:
    officer = f.user(session, Role.county_officer, f.NINGSHAN)
    h = f.household(session)
    headers = f.auth(officer)
    assert (
        client.post(
            f"/api/v1/households/{h.id}/clear-risk", json={"reason": "x"}, headers=headers
        ).status_code
        == 409
    )
    revert = {"monitoring_type": "marginal", "risk_types": ["illness"], "reason": "x"}
    assert (
        client.post(f"/api/v1/households/{h.id}/revert", json=revert, headers=headers).status_code
        == 409
    )
    assert (
        client.put(
            f"/api/v1/households/{h.id}/plan", json={"summary": "x"}, headers=headers
        ).status_code
        == 409
    )
    assert (
        client.post(f"/api/v1/households/{h.id}/clear-risk", json={}, headers=headers).status_code
        == 422
    )


def test_roles_that_may_not_edit_are_refused(client: TestClient, session: Session) -> None:
    helper = f.user(session, Role.helper, f.NINGSHAN)
    inspector = f.user(session, Role.inspector, f.NINGSHAN)
    h = f.household(session, helper=helper)
    for who in (helper, inspector):
        response = client.patch(
            f"/api/v1/households/{h.id}", json={"address": "x"}, headers=f.auth(who)
        )
        assert response.status_code == 403
        response = client.post("/api/v1/households", json=_body(), headers=f.auth(who))
        assert response.status_code == 403
    assert client.get(f"/api/v1/households/{h.id}", headers=f.auth(helper)).json()["address"] == ""


def test_update_changes_fields_and_basic_needs(client: TestClient, cadre, session: Session) -> None:  # type: ignore[no-untyped-def]
    h = f.household(session)
    response = client.patch(
        f"/api/v1/households/{h.id}",
        json={"address": "5组1号", "basic_needs": {"housing": False}},
        headers=f.auth(cadre),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["address"] == "5组1号"
    assert body["basic_needs"]["housing"] is False and body["basic_needs"]["food"] is True


def test_income_for_a_future_year_is_refused(client: TestClient, cadre, session: Session) -> None:  # type: ignore[no-untyped-def]
    h = f.household(session)
    future = clock.today().year + 1
    response = client.put(
        f"/api/v1/households/{h.id}/incomes/{future}",
        json={"wage": 1, "household_size": 2},
        headers=f.auth(cadre),
    )
    assert response.status_code == 422
    assert response.json()["message"] == "年度(year):不能登记将来年度的收入"


def test_a_second_head_is_refused_on_update_too(
    client: TestClient, cadre, session: Session
) -> None:  # type: ignore[no-untyped-def]
    h = f.household(session)
    body = client.get(f"/api/v1/households/{h.id}", headers=f.auth(cadre)).json()
    spouse = next(m for m in body["members"] if m["relation"] == "spouse")
    url = f"/api/v1/households/{h.id}/members/{spouse['id']}"
    refused = client.patch(url, json={"relation": "head"}, headers=f.auth(cadre))
    assert refused.status_code == 409 and refused.json()["error"] == "head_exists"
    again = client.get(f"/api/v1/households/{h.id}", headers=f.auth(cadre)).json()
    assert [m["relation"] for m in again["members"]].count("head") == 1


def test_changes_lock_the_household_row_on_postgresql(
    client: TestClient, cadre, session: Session, app_engine
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    h = f.household(session)
    seen: list[str] = []

    def collect(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(app_engine, "before_cursor_execute", collect)
    try:
        client.patch(f"/api/v1/households/{h.id}", json={"address": "6组"}, headers=f.auth(cadre))
    finally:
        event.remove(app_engine, "before_cursor_execute", collect)
    assert any("UPDATE household" in s for s in seen)  # the change went through this engine
    locked = [s for s in seen if "FROM household" in s and "FOR UPDATE" in s]
    # PostgreSQL locks the row for the use case; SQLite has no row locks and instead
    # serializes every writer under one lock, so the statement carries none.
    assert len(locked) == (1 if app_engine.dialect.name == "postgresql" else 0)


@pytest.mark.parametrize(
    ("role", "status", "can"),
    [
        (Role.village_cadre, "not_monitored", ["edit", "enrolment_proposal"]),
        (Role.village_cadre, "monitored", ["edit", "clearance_proposal"]),
        (Role.township_officer, "risk_cleared", ["edit", "revert_proposal"]),
        (Role.county_officer, "monitored", ["edit", "clearance_proposal"]),
        (Role.grid_worker, "monitored", []),
        (Role.inspector, "monitored", []),
    ],
)
def test_the_card_says_what_the_caller_may_start_from_it(
    client: TestClient, session: Session, role: Role, status: str, can: list[str]
) -> None:
    h = f.household(session)
    h.monitoring_status = status
    session.add(h)
    session.commit()
    area = {Role.township_officer: f.LENGSHUIGOU[:9], Role.county_officer: f.LENGSHUIGOU[:6]}
    who = f.user(session, role, area.get(role, f.LENGSHUIGOU))
    r = client.get(f"/api/v1/households/{h.id}", headers=f.auth(who))
    assert r.status_code == 200 and r.json()["can"] == can


def test_members_are_stored_with_the_verdict_on_their_id_number(
    client: TestClient, cadre, session: Session
) -> None:  # type: ignore[no-untyped-def]
    """The data checks compare these columns instead of decrypting every member."""
    body = _body(
        members=[
            _member(),
            _member("spouse", name="李秀英", born=date(1970, 1, 9), male=False),
            _member("child", name="王小梅", with_id=False, sex="female", birth_date="2010-05-06"),
        ]
    )
    created = client.post("/api/v1/households", json=body, headers=f.auth(cadre))
    assert created.status_code == 201, created.text
    session.rollback()
    household_id = uuid.UUID(created.json()["id"])
    stored = session.exec(select(Member).where(Member.household_id == household_id))
    verdicts = {m.name: (m.id_number_valid, m.id_sex, m.id_birth_date) for m in stored}
    assert verdicts == {
        "王建国": (True, "male", date(1968, 4, 2)),
        "李秀英": (True, "female", date(1970, 1, 9)),
        "王小梅": (None, None, None),
    }
