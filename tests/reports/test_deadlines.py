"""Deadlines in working days across 国庆 and 春节 with their 调休 days, per province/county."""

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role
from backend.core import clock
from backend.reports.models import SelfReport
from tests import factories as f
from tests.reports.conftest import get, submit


def _submit_on(client: TestClient, session: Session, day: date, **kw) -> SelfReport:  # type: ignore[no-untyped-def]
    clock.freeze(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC))  # 10:00 in China
    r = submit(client, **kw)
    assert r.status_code == 201, r.text
    return get(session, SelfReport, r.json()["id"])


def test_gansu_default_across_national_day_counts_the_make_up_saturday(
    client: TestClient, session: Session
) -> None:
    # Friday 2024-09-27: Sunday 09-29 is a 调休 working day, 10-01..07 are holidays,
    # Saturday 10-12 is a working day again.
    report = _submit_on(client, session, date(2024, 9, 27))
    assert report.village_due_on == date(2024, 10, 10)
    assert report.decision_due_on == date(2024, 10, 23)
    assert report.step_due_on == report.village_due_on


def test_spring_festival_and_a_county_with_anhui_deadlines(
    client: TestClient, session: Session
) -> None:
    county = f.user(session, Role.county_officer, "341182")
    r = client.put(
        "/api/v1/report-deadlines/341182",
        json={"village_check_days": 2, "total_days": 20, "basis": "安徽省 2022"},
        headers=f.auth(county),
    )
    assert r.status_code == 200, r.text
    # 春节 2025: 01-28..02-04 off; Sunday 01-26 and Saturday 02-08 are working days.
    anhui = _submit_on(client, session, date(2025, 1, 24), area_code=f.SHANNAN)
    assert anhui.village_due_on == date(2025, 1, 27)
    assert anhui.decision_due_on == date(2025, 2, 27)
    gansu_rule = _submit_on(client, session, date(2025, 1, 24), phone="13900000001")
    assert gansu_rule.village_due_on == date(2025, 2, 7)


def test_a_county_correction_to_the_calendar_moves_the_deadline(
    client: TestClient, session: Session
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    # A local holiday on Monday 2024-09-30 pushes the village check a day later.
    r = client.put(
        "/api/v1/calendar/2024-09-30",
        json={"area_code": f.NINGSHAN, "is_workday": False, "note": "县里放假"},
        headers=f.auth(county),
    )
    assert r.status_code == 200, r.text
    report = _submit_on(client, session, date(2024, 9, 27))
    assert report.village_due_on == date(2024, 10, 11)


def test_deadline_policy_refusals(client: TestClient, session: Session) -> None:
    town = f.user(session, Role.township_officer, f.JIANGKOU)
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    body = {"village_check_days": 2, "total_days": 20}
    assert (
        client.put("/api/v1/report-deadlines/610923", json=body, headers=f.auth(town)).status_code
        == 403
    )
    other = client.put("/api/v1/report-deadlines/341182", json=body, headers=f.auth(county))
    assert other.status_code == 404
    short = {"village_check_days": 10, "total_days": 5}
    assert (
        client.put(
            "/api/v1/report-deadlines/610923", json=short, headers=f.auth(county)
        ).status_code
        == 422
    )
    got = client.get("/api/v1/report-deadlines/610923102217", headers=f.auth(town)).json()
    assert (got["village_check_days"], got["total_days"], got["default"]) == (5, 15, True)


def test_a_deadline_into_a_year_the_national_table_lacks_uses_the_countys_days_and_says_so(
    client: TestClient, session: Session
) -> None:
    # chinesecalendar 1.11 knows holidays up to 2026: 2027's 元旦 is the county's to enter.
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    weekends_only = _submit_on(client, session, date(2026, 12, 28))  # a Monday
    # 12-29, 12-30, 12-31, 01-01 (unknown, so a Friday like any other), 01-04.
    assert weekends_only.village_due_on == date(2027, 1, 4)
    detail = client.get(f"/api/v1/self-reports/{weekends_only.id}", headers=f.auth(county))
    assert "2027 年的法定节假日不在国家日历中,本县也未录入" in detail.json()["deadline_basis"]

    r = client.put(
        "/api/v1/calendar/2027-01-01",
        json={"area_code": f.NINGSHAN, "is_workday": False, "note": "元旦"},
        headers=f.auth(county),
    )
    assert r.status_code == 200, r.text
    entered = _submit_on(client, session, date(2026, 12, 28), phone="13900000002")
    assert entered.village_due_on == date(2027, 1, 5)
    assert entered.decision_due_on == date(2027, 1, 19)
    detail = client.get(f"/api/v1/self-reports/{entered.id}", headers=f.auth(county)).json()
    assert detail["deadline_basis"] == (
        "2027 年的法定节假日不在国家日历中:按本县录入的 1 天调整和周末计算"
    )
    # A report whose deadlines stay inside the table's years says nothing of it.
    inside = _submit_on(client, session, date(2026, 6, 1), phone="13900000003")
    detail = client.get(f"/api/v1/self-reports/{inside.id}", headers=f.auth(county)).json()
    assert detail["deadline_basis"] is None


def test_a_countys_policy_is_kept_and_a_change_applies_to_the_next_report_at_once(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The policy is read once and kept (every report and workflow step asks for it); a
    change through this process applies at once, one made by another process (a second
    worker) within POLICY_SECONDS."""
    from backend.reports import deadlines
    from backend.reports.models import ReportDeadline

    before = _submit_on(client, session, date(2024, 9, 27), area_code=f.SHANNAN)
    assert before.village_due_on == date(2024, 10, 10)  # the default, 5 working days
    county = f.user(session, Role.county_officer, "341182")
    r = client.put(
        "/api/v1/report-deadlines/341182",
        json={"village_check_days": 2, "total_days": 20},
        headers=f.auth(county),
    )
    assert r.status_code == 200, r.text
    after = _submit_on(client, session, date(2024, 9, 27), area_code=f.SHANNAN, phone="13900000002")
    assert after.village_due_on == date(2024, 9, 30)
    # Another process changes it behind this one's back: kept until the minute is over.
    row = session.get(ReportDeadline, "341182")
    assert row is not None
    row.village_check_days = 3
    session.add(row)
    session.commit()
    kept = _submit_on(client, session, date(2024, 9, 27), area_code=f.SHANNAN, phone="13900000003")
    assert kept.village_due_on == date(2024, 9, 30)
    monkeypatch.setattr(deadlines, "POLICY_SECONDS", 0.0)
    deadlines._policies.clear()  # the minute is over
    seen = _submit_on(client, session, date(2024, 9, 27), area_code=f.SHANNAN, phone="13900000004")
    assert seen.village_due_on == date(2024, 10, 8)
