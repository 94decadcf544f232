"""The farmer's full phone number: masked in every answer, shown on request to the one whose
turn it is to handle the report, and each such view audited. Everyone else: masked, 403."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.accounts.models import Role, User
from backend.audit.models import AuditEntry
from backend.reports.models import ReportStatus, SelfReport
from tests import factories as f
from tests.reports.conftest import rows, submit

PHONE, NEIGHBOUR = "13912345678", "13800000000"


def _report(client: TestClient) -> str:
    body = {"on_behalf": True, "reporter_name": "李邻居", "reporter_phone": NEIGHBOUR}
    response = submit(client, phone=PHONE, **body)
    assert response.status_code == 201
    return response.json()["id"]


def _set(session: Session, rid: str, **values: object) -> None:
    report = session.get(SelfReport, uuid.UUID(rid))
    assert report is not None
    for key, value in values.items():
        setattr(report, key, value)
    session.add(report)
    session.commit()


def _views(session: Session) -> list[AuditEntry]:
    session.rollback()
    return rows(session, select(AuditEntry).where(AuditEntry.action == "view_phone"))


STEPS = [
    (ReportStatus.submitted, Role.village_cadre, f.LENGSHUIGOU),
    (ReportStatus.verifying, Role.village_cadre, f.LENGSHUIGOU),
    (ReportStatus.township_review, Role.township_officer, f.JIANGKOU),
    (ReportStatus.county_approval, Role.county_officer, f.NINGSHAN),
]
EVERYONE = [
    (Role.village_cadre, f.LENGSHUIGOU),
    (Role.grid_worker, f.LENGSHUIGOU),
    (Role.helper, f.LENGSHUIGOU),
    (Role.township_officer, f.JIANGKOU),
    (Role.county_officer, f.NINGSHAN),
    (Role.inspector, f.NINGSHAN),
    (Role.admin, None),
]


@pytest.mark.parametrize(("status", "role", "area"), STEPS, ids=[s.value for s, _, _ in STEPS])
def test_the_one_handling_the_step_sees_the_full_numbers_and_the_view_is_audited(
    client: TestClient, session: Session, status: ReportStatus, role: Role, area: str
) -> None:
    rid = _report(client)
    _set(session, rid, status=status)
    handler = f.user(session, role, area)
    detail = client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(handler)).json()
    assert detail["phone"] == "139****5678" and detail["may_call"] is True
    assert detail["reporter_phone"] == "138****0000"
    response = client.post(f"/api/v1/self-reports/{rid}/contact", headers=f.auth(handler))
    assert response.status_code == 200
    assert response.json() == {
        "phone": PHONE,
        "reporter_name": "李邻居",
        "reporter_phone": NEIGHBOUR,
    }
    [view] = _views(session)
    assert view.actor_id == handler.id and view.entity_id == rid
    assert view.changes == {"phone": [None, "139****5678"], "reporter_phone": [None, "138****0000"]}
    # Everyone else who can see the report: masked, and refused the numbers.
    for other_role, other_area in EVERYONE:
        if other_role == role:
            continue
        other = f.user(session, other_role, other_area)
        response = client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(other))
        if other_role == Role.helper:  # not assigned to it: the report is not theirs to see
            assert response.status_code == 404
            contact = client.post(f"/api/v1/self-reports/{rid}/contact", headers=f.auth(other))
            assert contact.status_code == 404
            continue
        detail = response.json()
        assert detail["phone"] == "139****5678" and detail["may_call"] is False, other_role
        refused = client.post(f"/api/v1/self-reports/{rid}/contact", headers=f.auth(other))
        assert refused.status_code == 403, other_role
        assert refused.json()["error"] == "not_handling_report"
    assert len(_views(session)) == 1


def test_the_helper_it_is_assigned_to_may_call(client: TestClient, session: Session) -> None:
    rid = _report(client)
    helper: User = f.user(session, Role.helper, f.LENGSHUIGOU)
    _set(session, rid, status=ReportStatus.verifying, assignee_id=helper.id)
    response = client.post(f"/api/v1/self-reports/{rid}/contact", headers=f.auth(helper))
    assert response.status_code == 200 and response.json()["phone"] == PHONE


@pytest.mark.parametrize("status", [ReportStatus.rejected, ReportStatus.enrolled])
def test_nobody_calls_about_a_decided_report(
    client: TestClient, session: Session, status: ReportStatus
) -> None:
    rid = _report(client)
    _set(session, rid, status=status)
    for role, area in EVERYONE:
        user = f.user(session, role, area)
        response = client.post(f"/api/v1/self-reports/{rid}/contact", headers=f.auth(user))
        assert response.status_code == (404 if role == Role.helper else 403), role
    assert _views(session) == []


def test_outside_the_scope_the_report_does_not_exist(client: TestClient, session: Session) -> None:
    rid = _report(client)
    cadre = f.user(session, Role.village_cadre, f.YANJIAPING)
    response = client.post(f"/api/v1/self-reports/{rid}/contact", headers=f.auth(cadre))
    assert response.status_code == 404
