"""Visits at a month's edges: the month is China's, not UTC's. A visit at 00:10 China time on
the 1st (still the previous day in UTC) belongs to the new month, one at 23:50 on the last
day to the old, and every figure built on the month agrees: the visit's and the ledger's
month, the phone's state, coverage, the visit list."""

from datetime import datetime

from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.models import User
from backend.core import clock
from backend.households.models import Household
from tests import factories as f
from tests.dates import china
from tests.visits.conftest import backdate, visit_body


def _record(client: TestClient, helper: User, household: Household, at: datetime) -> dict:
    body = visit_body(household, visited_at=at.isoformat(), ledger={"wage": 1500})
    response = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    assert response.status_code == 201, response.text
    return response.json()


def _states(client: TestClient, helper: User) -> dict[str, str]:
    mine = client.get("/api/v1/visits/my-households", headers=f.auth(helper)).json()
    return {c["id"]: c["state"] for c in mine["data"]}


def _coverage(client: TestClient, cadre: User, month: str | None = None) -> dict:
    params = {"month": month} if month else {}
    response = client.get("/api/v1/visits/coverage", params=params, headers=f.auth(cadre))
    assert response.status_code == 200, response.text
    return response.json()


def test_ten_past_midnight_on_the_first_is_the_new_month_and_ten_to_midnight_the_old(
    client: TestClient, session: Session, helper: User, cadre: User, home: Household
) -> None:
    late_in_july = home
    old, new = (backdate(session, f.household(session, helper=helper)) for _ in "ab")
    clock.freeze(china(2026, 9, 1, 0, 20))  # 2026-08-31 16:20 UTC
    _record(client, helper, late_in_july, china(2026, 7, 31, 23, 50))
    before = _record(client, helper, old, china(2026, 8, 31, 23, 50))
    after = _record(client, helper, new, china(2026, 9, 1, 0, 10))  # 08-31 16:10 UTC

    assert (before["month"], before["ledger"]["month"]) == ("2026-08", "2026-08")
    assert (after["month"], after["ledger"]["month"]) == ("2026-09", "2026-09")
    # The phone: visited this month; visited last month (due); not since July (overdue).
    assert _states(client, helper) == {
        str(new.id): "visited",
        str(old.id): "due",
        str(late_in_july.id): "overdue",
    }
    september = _coverage(client, cadre)
    assert september["month"] == "2026-09"
    assert (september["helpers"][0]["visited"], september["helpers"][0]["not_visited"]) == (1, 2)
    assert {n["household_id"] for n in september["not_visited"]} == {
        str(old.id),
        str(late_in_july.id),
    }
    august = _coverage(client, cadre, "2026-08")
    assert august["helpers"][0]["visited"] == 1
    assert {n["household_id"] for n in august["not_visited"]} == {
        str(new.id),
        str(late_in_july.id),
    }
    listed = client.get("/api/v1/visits", params={"month": "2026-09"}, headers=f.auth(cadre)).json()
    assert [v["id"] for v in listed["data"]] == [after["id"]]
    ledger = client.get(
        f"/api/v1/households/{old.id}/ledger", params={"year": 2026}, headers=f.auth(cadre)
    ).json()
    assert ledger["months_recorded"] == ["2026-08"]


def test_ten_to_midnight_on_the_last_day_is_still_this_month(
    client: TestClient, session: Session, helper: User, cadre: User, home: Household
) -> None:
    clock.freeze(china(2026, 8, 31, 23, 55))  # 15:55 UTC
    visit = _record(client, helper, home, china(2026, 8, 31, 23, 50))
    assert visit["month"] == "2026-08"
    assert _states(client, helper) == {str(home.id): "visited"}
    coverage = _coverage(client, cadre)
    assert coverage["month"] == "2026-08" and coverage["helpers"][0]["visited"] == 1


def test_february_of_a_leap_year_has_its_29th(
    client: TestClient, session: Session, helper: User, cadre: User, home: Household
) -> None:
    other = backdate(session, f.household(session, helper=helper))
    clock.freeze(china(2028, 3, 1, 0, 20))  # 2028-02-29 16:20 UTC
    last_day = _record(client, helper, home, china(2028, 2, 29, 23, 50))
    first_day = _record(client, helper, other, china(2028, 3, 1, 0, 10))  # 02-29 in UTC
    assert (last_day["month"], first_day["month"]) == ("2028-02", "2028-03")
    february = _coverage(client, cadre, "2028-02")
    assert february["helpers"][0]["visited"] == 1
    assert [n["household_id"] for n in february["not_visited"]] == [str(other.id)]
    days = client.get(
        "/api/v1/calendar", params={"year": 2028, "month": 2}, headers=f.auth(cadre)
    ).json()
    assert len(days) == 29 and days[-1]["day"] == "2028-02-29"
    assert days[-1]["is_workday"] is True  # a Tuesday
