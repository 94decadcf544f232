"""Monitoring decisions taken on the household directly: only a county's audited correction,
never before the household was registered, never back-dated; the income they were judged on
(the monthly ledger, else the yearly record) and the line they used, said and stored."""

import uuid
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.core import clock
from backend.households import workflow
from backend.households.models import Household, IncomeRecord
from backend.visits.models import LedgerEntry
from tests import factories as f

pytestmark = pytest.mark.pinned_day  # see tests/conftest.py _clock


def _lines(session: Session) -> dict[int, int]:
    """Province 61's lines of last year and this year: set at 7000 unless already set (lines
    are reference data the suite keeps, e.g. the demo's), and the amounts in force."""
    year = clock.today().year
    return {
        y: workflow.add_line(
            session=session, province_code="61", year=y, amount=7000, basis="测试"
        ).amount
        for y in (year - 1, year)
    }


ENROLL = {"monitoring_type": "marginal", "risk_types": ["illness"], "reason": "补录"}


def _months_back(n: int) -> str:
    today = clock.today()
    index = today.year * 12 + today.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _ledger(session: Session, h: Household, months: int, wage: int, recorder) -> None:  # type: ignore[no-untyped-def]
    """`months` current ledger entries, for the months just before this one."""
    for n in range(1, months + 1):
        month = _months_back(n)
        session.add(
            LedgerEntry(
                id=uuid.uuid4(),
                household_id=h.id,
                area_code=h.area_code,
                month=month,
                year=int(month[:4]),
                household_size=2,
                as_of=clock.now(),
                recorded_by=recorder.id,
                wage=wage,
            )
        )
    session.commit()


def test_a_village_cadre_alone_can_no_longer_enroll_clear_or_revert(
    client: TestClient, session: Session
) -> None:
    """The inspectors' case: created, enrolled back-dated and cleared the same day by one
    village cadre. Each direct step now answers 403 and points at the chain."""
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    h = f.household(session)
    headers = f.auth(cadre)
    backdated = {**ENROLL, "enrolled_on": "2025-01-10"}
    for path, body in (
        ("enroll", backdated),
        ("clear-risk", {"reason": "x"}),
        ("revert", {"monitoring_type": "marginal", "risk_types": ["illness"], "reason": "x"}),
    ):
        answer = client.post(f"/api/v1/households/{h.id}/{path}", json=body, headers=headers)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"] == "use_the_chain"
    session.refresh(h)
    assert h.monitoring_status == "not_monitored"


def test_registration_date_in_the_past_only_from_the_county(
    client: TestClient, session: Session
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    body = {
        "area_code": f.LENGSHUIGOU,
        "category": "lifted",
        "members": [{"name": "王建国", "relation": "head", "id_number": f.id_number()}],
        "registered_on": "2020-05-01",
    }
    refused = client.post("/api/v1/households", json=body, headers=f.auth(cadre))
    assert refused.status_code == 403 and "县级" in refused.json()["message"]
    future = {**body, "registered_on": (clock.today() + timedelta(days=1)).isoformat()}
    answer = client.post("/api/v1/households", json=future, headers=f.auth(county))
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == "registered_on"
    made = client.post("/api/v1/households", json=body, headers=f.auth(county))
    assert made.status_code == 201, made.text
    assert made.json()["registered_on"] == "2020-05-01"
    today = client.post(
        "/api/v1/households",
        json={
            **body,
            "registered_on": None,
            "members": [{**body["members"][0], "id_number": f.id_number(date(1980, 1, 1))}],
        },
        headers=f.auth(cadre),
    )
    assert today.status_code == 201 and today.json()["registered_on"] == clock.today().isoformat()


def test_a_correction_never_dates_before_registration_nor_back_dates_a_clearance(
    client: TestClient, session: Session
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    headers = f.auth(county)
    h = f.household(session, registered_on=clock.today() - timedelta(days=30))
    early = {**ENROLL, "enrolled_on": (clock.today() - timedelta(days=31)).isoformat()}
    answer = client.post(f"/api/v1/households/{h.id}/enroll", json=early, headers=headers)
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == "enrolled_on"
    assert "建档日期" in answer.json()["message"]
    ok = {**ENROLL, "enrolled_on": (clock.today() - timedelta(days=30)).isoformat()}
    assert (
        client.post(f"/api/v1/households/{h.id}/enroll", json=ok, headers=headers).status_code
        == 200
    )
    back = {"reason": "x", "cleared_on": (clock.today() - timedelta(days=1)).isoformat()}
    answer = client.post(f"/api/v1/households/{h.id}/clear-risk", json=back, headers=headers)
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == "cleared_on"
    no_reason = {k: v for k, v in ENROLL.items() if k != "reason"}
    other = f.household(session, registered_on=clock.today())
    answer = client.post(f"/api/v1/households/{other.id}/enroll", json=no_reason, headers=headers)
    assert answer.status_code == 422


def test_income_is_judged_on_six_ledger_months_else_on_the_yearly_record(
    session: Session,
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    year = clock.today().year
    lines = _lines(session)
    h = f.household(session, registered_on=clock.today() - timedelta(days=900))
    session.add(IncomeRecord(household_id=h.id, year=year - 1, household_size=2, wage=30000))
    session.commit()

    # Five months of ledger: not enough, the yearly record decides and the answer says so.
    _ledger(session, h, 5, 100, county)
    basis = workflow.income_basis(session=session, household=h, on=clock.today())
    assert basis.basis == "yearly" and basis.per_capita_net_income == 15000
    assert (
        "只记了 5 个月" in basis.description and f"按 {year - 1} 年度收入登记" in basis.description
    )
    assert basis.line_amount == lines[year - 1]

    # A sixth month: the ledger decides. 6 × 1000 yuan doubled for a year, over 2 people.
    session.exec(select(LedgerEntry)).all()
    for e in session.exec(select(LedgerEntry)).all():
        session.delete(e)
    session.commit()
    _ledger(session, h, 6, 1000, county)
    basis = workflow.income_basis(session=session, household=h, on=clock.today())
    assert basis.basis == "ledger" and basis.per_capita_net_income == 6000
    assert basis.months == [_months_back(n) for n in range(6, 0, -1)]
    refusals = workflow.clear_risk_refusals(session=session, household=h, on=clock.today())
    below = next(r for r in refusals if r.rule == "income_below_line")
    assert basis.line_amount == lines[int(_months_back(1)[:4])]
    assert "按收支登记" in below.message
    assert f"低于监测收入标准 {basis.line_amount} 元" in below.message


def test_a_decision_stores_the_line_and_the_income_it_used(
    client: TestClient, session: Session
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    lines = _lines(session)
    h = f.household(session, registered_on=clock.today() - timedelta(days=400))
    _ledger(session, h, 6, 4000, county)
    answer = client.post(f"/api/v1/households/{h.id}/enroll", json=ENROLL, headers=f.auth(county))
    assert answer.status_code == 200, answer.text
    row = session.exec(
        select(AuditEntry).where(AuditEntry.entity_id == str(h.id), AuditEntry.action == "enroll")
    ).one()
    used = row.changes["income_basis"][1]
    assert (used["basis"], used["per_capita_net_income"], used["line_amount"]) == (
        "ledger",
        24000,
        lines[int(_months_back(1)[:4])],
    )
    assert row.changes["reason"][1].startswith("县级直接更正")
