"""Mass assignment: a body that sets what the server decides — the record's area, its
status, its id, who made it, a receipt code, a role — is refused with 422 naming the field,
and nothing is written. (Every body model forbids unknown fields: core/schemas.Input.)"""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.reports import throttle
from backend.reports.models import SelfReport
from tests import factories as f
from tests.reports.conftest import report_body


@pytest.fixture(autouse=True)
def _fresh_limits():  # type: ignore[no-untyped-def]
    throttle.reset()
    yield
    throttle.reset()


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    session.rollback()
    return session.exec(select(func.count()).select_from(model)).one()


def test_a_household_update_cannot_move_it_or_change_its_status(
    client: TestClient, session: Session
) -> None:
    h = f.household(session, f.LENGSHUIGOU)
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    before = _count(session, AuditEntry)
    for field, value in [
        ("area_code", f.YANJIAPING),
        ("monitoring_status", "risk_cleared"),
        ("id", "00000000-0000-0000-0000-000000000001"),
        ("registered_at", "2020-01-01T00:00:00Z"),
        ("helper_id", str(cadre.id)),
    ]:
        response = client.patch(
            f"/api/v1/households/{h.id}",
            json={"address": "2组", field: value},
            headers=f.auth(cadre),
        )
        if response.status_code == 200:
            # A field the update may set (helper_id): it must be one the screen offers.
            assert field == "helper_id", response.text
            continue
        assert response.status_code == 422, (field, response.text)
        assert (
            response.json()["message"].endswith(f"{field}):不认识这个字段")
            or response.json()["message"] == f"{field}:不认识这个字段"
        )
    session.expire_all()
    stored = session.get(type(h), h.id)
    assert stored is not None and stored.area_code == f.LENGSHUIGOU
    assert stored.monitoring_status != "risk_cleared"
    assert _count(session, AuditEntry) - before <= 1  # at most the helper_id change


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "enrolled"),
        ("receipt_code", "AAAA1111"),
        ("household_id", "00000000-0000-0000-0000-000000000001"),
        ("assignee_id", "00000000-0000-0000-0000-000000000001"),
        ("fast_track", True),
        ("decision_reason", "x"),
    ],
)
def test_the_farmers_form_cannot_set_what_the_workflow_decides(
    client: TestClient, session: Session, field: str, value: object
) -> None:
    response = client.post("/api/v1/self-reports", json=report_body(**{field: value}))
    assert response.status_code == 422
    assert response.json()["detail"][0] == {"field": field, "message": "不认识这个字段"}
    assert _count(session, SelfReport) == 0


def test_an_account_cannot_be_given_a_password_hash_or_made_active_by_its_body(
    client: TestClient, session: Session
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    body = {
        "username": "newone",
        "full_name": "新人",
        "role": "helper",
        "area_code": f.LENGSHUIGOU,
        "password": "long-enough-1",
    }
    for field, value in [
        ("password_hash", "x"),
        ("id", "00000000-0000-0000-0000-000000000001"),
        ("failed_logins", 0),
    ]:
        response = client.post("/api/v1/users", json={**body, field: value}, headers=f.auth(county))
        assert response.status_code == 422, field
        assert response.json()["detail"][0]["field"] == field
