from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import Role
from tests import factories as f


def test_month_view_names_holidays(client: TestClient, session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    days = client.get("/api/v1/calendar?year=2026&month=10", headers=f.auth(cadre)).json()
    first = next(d for d in days if d["day"] == "2026-10-01")
    assert first["is_workday"] is False and first["holiday"] == "National Day"
    assert next(d for d in days if d["day"] == "2026-10-10")["is_workday"] is True


def test_only_a_county_officer_in_scope_corrects_the_calendar(
    client: TestClient, session: Session
) -> None:
    county = f.user(session, Role.county_officer, f.NINGSHAN)
    township = f.user(session, Role.township_officer, f.JIANGKOU)
    body = {"area_code": f.NINGSHAN, "is_workday": False, "note": "县庆"}
    assert (
        client.put("/api/v1/calendar/2026-11-02", json=body, headers=f.auth(township)).status_code
        == 403
    )
    other = {"area_code": "620422", "is_workday": False}
    assert (
        client.put("/api/v1/calendar/2026-11-02", json=other, headers=f.auth(county)).status_code
        == 403
    )
    assert (
        client.put(
            "/api/v1/calendar/2026-11-02", json={**body, "is_workday": "no"}, headers=f.auth(county)
        ).status_code
        == 422
    )
    ok = client.put("/api/v1/calendar/2026-11-02", json=body, headers=f.auth(county))
    assert ok.status_code == 200 and ok.json()["local"] is True
    days = client.get("/api/v1/calendar?year=2026&month=11", headers=f.auth(township)).json()
    assert next(d for d in days if d["day"] == "2026-11-02")["is_workday"] is False


def test_coverage_says_when_next_years_holidays_are_unknown(
    client: TestClient, session: Session
) -> None:
    from datetime import UTC, datetime

    from backend.core import clock

    headers = f.auth(f.user(session, Role.village_cadre, f.LENGSHUIGOU))  # made at real time
    clock.freeze(datetime(2025, 6, 1, tzinfo=UTC))
    early = client.get("/api/v1/calendar/coverage", headers=headers)
    assert early.json()["covers_next_year"] is True, early.text
    clock.freeze(datetime(2026, 11, 22, tzinfo=UTC))
    late = client.get("/api/v1/calendar/coverage", headers=headers).json()
    assert late["covers_next_year"] is False and late["last_year"] == 2026
    assert "县级" in late["message"]
