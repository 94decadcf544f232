"""Service rules other domains call: open_on_behalf (a cadre sees a new risk on a visit)."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.core.errors import Invalid
from backend.households.models import RiskType
from backend.reports import service
from backend.reports.models import ReportStatus, SelfReport
from tests import factories as f
from tests.reports.conftest import count, get, rows, submit


def test_open_on_behalf_opens_a_verifying_report_assigned_to_the_cadre(
    session: Session,
) -> None:
    helper = f.user(session, Role.helper, f.NINGSHAN, full_name="李春生")
    household = f.household(session, helper=helper)
    report = service.open_on_behalf(
        session=session,
        household=household,
        risk_types=[RiskType.illness],
        actor=helper,
        note="走访发现户主住院",
    )
    assert report.status == ReportStatus.verifying and report.on_behalf
    assert report.assignee_id == helper.id and report.reporter_name == "李春生"
    assert report.household_id == household.id and report.area_code == household.area_code
    assert report.village_due_on and report.step_due_on == report.village_due_on
    # Not committed: the caller's transaction decides.
    session.rollback()
    assert (
        count(session, SelfReport) == 0
        and count(session, AuditEntry, AuditEntry.entity == "self_report") == 0
    )


def test_open_on_behalf_writes_its_audit_row_and_commits_with_the_caller(
    session: Session,
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    household = f.household(session)
    report = service.open_on_behalf(
        session=session, household=household, risk_types=["schooling"], actor=cadre, note=""
    )
    session.commit()
    stored = get(session, SelfReport, report.id)
    assert stored.status == "verifying" and stored.risk_types == ["schooling"]
    audit = rows(session, select(AuditEntry).where(AuditEntry.entity_id == str(report.id)))
    assert [a.action for a in audit] == ["open_on_behalf"]


def test_open_on_behalf_joins_an_open_report_of_the_same_household(
    client: TestClient, session: Session
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    head = f.member("head", born=date(1965, 1, 1))
    household = f.household(session, members=[head])
    farmer = submit(client, id_number=head.id_number).json()
    report = service.open_on_behalf(
        session=session, household=household, risk_types=["housing"], actor=cadre, note="房屋裂缝"
    )
    session.commit()
    assert str(report.id) == farmer["id"]
    stored = get(session, SelfReport, farmer["id"])
    assert stored.risk_types == ["illness", "housing"] and "房屋裂缝" in stored.note
    assert stored.status == "submitted"  # the farmer's own report keeps its place
    again = service.open_on_behalf(
        session=session, household=household, risk_types=["housing"], actor=cadre, note=""
    )
    session.commit()
    assert again.id == report.id and count(session, SelfReport) == 1


def test_open_on_behalf_needs_a_risk(session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    household = f.household(session)
    with pytest.raises(Invalid):
        service.open_on_behalf(
            session=session, household=household, risk_types=[], actor=cadre, note=""
        )


def test_a_report_opened_on_behalf_goes_through_the_same_workflow(
    client: TestClient, session: Session
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    household = f.household(session)
    report = service.open_on_behalf(
        session=session, household=household, risk_types=["illness"], actor=cadre, note=""
    )
    session.commit()
    r = client.post(
        f"/api/v1/self-reports/{report.id}/verify",
        json={"risk_confirmed": True, "findings": "属实"},
        headers=f.auth(cadre),
    )
    assert r.status_code == 200 and r.json()["status"] == "township_review"
