"""Every write endpoint refuses unknown fields and wrong types with 422, names the field in
Chinese, and writes nothing; an unexpected failure shows no stack trace."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.households import workflow
from backend.main import create_app
from tests import factories as f


@pytest.fixture
def ids(session: Session) -> dict[str, str]:
    h = f.household(session)
    workflow.enroll(
        session=session, household=h, monitoring_type="marginal", risk_types=["illness"], actor=None
    )
    from backend.households import service

    member = service.members_of(session=session, household_id=h.id)[0]
    return {"h": str(h.id), "m": str(member.id)}


def _writes(ids: dict[str, str]) -> list[tuple[str, str, dict, str]]:
    """(method, url, a valid-looking body, a numeric or boolean field of it)."""
    h = ids["h"]
    return [
        ("PATCH", f"/api/v1/households/{h}", {"address": "x"}, ""),
        (
            "POST",
            f"/api/v1/households/{h}/members",
            {"name": "甲", "relation": "child", "sex": "male", "birth_date": "2015-01-01"},
            "",
        ),
        ("PATCH", f"/api/v1/households/{h}/members/{ids['m']}", {"active": False}, "active"),
        ("PUT", f"/api/v1/households/{h}/incomes/2025", {"wage": 100, "household_size": 2}, "wage"),
        ("PUT", f"/api/v1/households/{h}/plan", {"summary": "x"}, ""),
        (
            "POST",
            f"/api/v1/households/{h}/plan/measures",
            {"kind": "other", "description": "x", "start_on": "2025-01-01", "amount": 5},
            "amount",
        ),
        ("POST", f"/api/v1/households/{h}/clear-risk", {"reason": "x"}, ""),
        (
            "POST",
            f"/api/v1/households/{h}/revert",
            {"monitoring_type": "marginal", "risk_types": ["illness"], "reason": "x"},
            "",
        ),
        (
            "POST",
            "/api/v1/users",
            {
                "username": "abc",
                "full_name": "x",
                "role": "helper",
                "area_code": f.LENGSHUIGOU,
                "password": "long-enough-1",
            },
            "",
        ),
        (
            "PUT",
            "/api/v1/calendar/2026-11-02",
            {"area_code": f.NINGSHAN, "is_workday": False},
            "is_workday",
        ),
    ]


def _count(session: Session) -> int:
    session.rollback()  # a fresh snapshot: see what the API wrote since
    return session.exec(select(func.count()).select_from(AuditEntry)).one()


def test_unknown_fields_are_refused_everywhere(
    client: TestClient, session: Session, ids: dict[str, str]
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    before = _count(session)
    for method, url, body, _ in _writes(ids):
        response = client.request(
            method, url, json={**body, "extra_field": 1}, headers=f.auth(county)
        )
        assert response.status_code == 422, (url, response.text)
        assert response.json()["message"] == "extra_field:不认识这个字段", url
    assert _count(session) == before


def test_wrong_types_are_refused_everywhere(
    client: TestClient, session: Session, ids: dict[str, str]
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    before = _count(session)
    for method, url, body, field in _writes(ids):
        if not field:
            continue
        wrong = "yes" if isinstance(body[field], bool) else True
        response = client.request(method, url, json={**body, field: wrong}, headers=f.auth(county))
        assert response.status_code == 422, (url, response.text)
        assert f"({field})" in response.json()["message"] or response.json()["message"].startswith(
            field
        ), url
    assert _count(session) == before


def test_malformed_json_is_422_in_chinese(
    client: TestClient, session: Session, ids: dict[str, str]
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    response = client.patch(
        f"/api/v1/households/{ids['h']}",
        content=b"{not json",
        headers={**f.auth(county), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["message"]


def test_an_unexpected_error_shows_no_stack_trace(app_engine) -> None:  # type: ignore[no-untyped-def]
    app = create_app()

    def boom() -> None:
        raise RuntimeError("secret internals 610923196804021234")

    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "服务器出错了,请稍后再试",
        "detail": None,
    }
    assert "Traceback" not in response.text and "secret" not in response.text
