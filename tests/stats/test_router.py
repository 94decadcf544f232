"""The statistics equal what the lists count when filtered the same way, on a small bench
county; they drill down by area, export as XLSX, and refuse whom and what they should."""

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.accounts.models import Role, User
from backend.core import clock
from backend.demo import county
from tests import factories as f

pytestmark = pytest.mark.pinned_day  # see tests/conftest.py _clock

COUNTY = "620422"


@pytest.fixture
def built(app_engine: Engine) -> county.Summary:
    return county.build(engine=app_engine, households=300, seed=7)


def _as(session: Session, username: str) -> dict[str, str]:
    return f.auth(session.exec(select(User).where(User.username == username)).one())


class Lists:
    """How many rows a list answers for a filter (the count, not a page)."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def count(self, path: str, **params: Any) -> int:
        r = self.client.get(path, params={"limit": 1, **params}, headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()["count"]

    def households(self, area: str, **params: Any) -> int:
        return self.count("/api/v1/households", area=area, **params)

    def reports(self, area: str, **params: Any) -> int:
        return self.count("/api/v1/self-reports", area=area, **params)

    def problems(self, area: str, **params: Any) -> int:
        return self.count("/api/v1/problems", area=area, **params)


def _check_against_lists(row: dict[str, Any], lists: Lists, client: TestClient, year: int) -> None:
    area = row["area_code"]
    h = lists.households
    assert row["households"] == h(area)
    for category, n in {"lifted": None, "ordinary": None}.items():
        assert row["by_category"].get(category, 0) == h(area, category=category), n
    assert row["monitored"] == h(area, monitoring_status="monitored")
    assert row["risk_cleared"] == h(area, monitoring_status="risk_cleared")
    for kind in ("unstable_lifted", "marginal", "sudden_hardship"):
        assert row["by_monitoring_type"].get(kind, 0) == h(
            area, monitoring_status="monitored", monitoring_type=kind
        )
    for risk in ("illness", "schooling", "disability", "unstable_employment", "other"):
        assert row["by_risk_type"].get(risk, 0) == h(
            area, monitoring_status="monitored", risk_type=risk
        )
    assert row["enrolled_this_year"] == h(area, enrolled_in=str(year))
    assert row["cleared_this_year"] == h(area, cleared_in=str(year))
    for stage in ("received", "verified", "decided"):
        assert row["reports"][stage] == lists.reports(area, submitted_in=str(year), stage=stage)
    assert row["overdue_reports"] == lists.reports(area, overdue="true")
    coverage = client.get(
        "/api/v1/visits/coverage", params={"area": area, "limit": 1}, headers=lists.headers
    ).json()
    assert row["coverage"]["due"] == sum(v["due"] for v in coverage["villages"])
    assert row["coverage"]["visited"] == sum(v["visited"] for v in coverage["villages"])
    closed = lists.problems(area, status="closed")
    assert row["problems"]["closed"] == closed
    assert row["problems"]["open"] == lists.problems(area) - closed
    assert row["problems"]["overdue"] == lists.problems(area, overdue="true")


def test_every_figure_equals_its_list_down_to_a_village(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    officer = _as(session, "bench_county")
    lists = Lists(client, officer)
    year = clock.today().year
    top = client.get("/api/v1/stats/overview", headers=officer)
    assert top.status_code == 200, top.text
    data = top.json()
    assert data["area"]["area_code"] == COUNTY and data["area"]["level"] == "county"
    assert [a["code"] for a in data["path"]] == [COUNTY]
    # The fixture is not empty where the figures are compared.
    county_row = data["area"]
    assert county_row["households"] == 300 and county_row["monitored"] > 0
    assert county_row["reports"]["received"] > 0 and county_row["coverage"]["due"] == 300
    assert county_row["problems"]["open"] + county_row["problems"]["closed"] > 0
    _check_against_lists(county_row, lists, client, year)
    townships = [c for c in data["children"] if c["households"]]
    assert townships and all(c["level"] == "township" for c in data["children"])
    assert sum(c["households"] for c in data["children"]) == county_row["households"]
    for row in townships:
        _check_against_lists(row, lists, client, year)
    # One level down: the township's villages, each against the lists.
    town = townships[0]["area_code"]
    down = client.get("/api/v1/stats/overview", params={"area": town}, headers=officer).json()
    assert [a["code"] for a in down["path"]] == [COUNTY, town]
    assert down["area"] == {**townships[0], "marks": down["area"]["marks"]}
    villages = [v for v in down["children"] if v["households"]]
    assert villages and all(v["level"] == "village" for v in villages)
    for row in villages:
        _check_against_lists(row, lists, client, year)
    # Uptake is per village against the county's average per village.
    average = county_row["farmer_reports"] / county_row["villages"]
    assert average and data["county_average_per_village"] == round(average, 2)
    for v in villages:
        assert v["uptake"] == round(v["farmer_reports"] / average, 2)


def test_the_trend_equals_the_lists_month_by_month(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    officer = _as(session, "bench_county")
    lists = Lists(client, officer)
    r = client.get("/api/v1/stats/trend", params={"months": 4}, headers=officer)
    assert r.status_code == 200, r.text
    data = r.json()
    months = data["area"]["months"]
    assert len(months) == 4 and months[-1]["month"] == f"{clock.today():%Y-%m}"
    assert [m["month"] for m in months] == sorted(m["month"] for m in months)
    assert sum(m["visits"] for m in months) > 0
    for row in [data["area"], *data["children"]]:
        area = row["area_code"]
        for m in row["months"]:
            month = m["month"]
            assert m["enrolled"] == lists.households(area, enrolled_in=month)
            assert m["cleared"] == lists.households(area, cleared_in=month)
            assert m["reports"] == lists.reports(area, submitted_in=month, stage="received")
            assert m["visits"] == lists.count("/api/v1/visits", area=area, month=month)
    # The children add up to the area, month by month.
    for i, m in enumerate(months):
        for key in ("monitored", "enrolled", "cleared", "reports", "visits"):
            assert m[key] == sum(c["months"][i][key] for c in data["children"])


def test_both_answers_export_as_xlsx(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    officer = _as(session, "bench_county")
    data = client.get("/api/v1/stats/overview", headers=officer).json()
    r = client.get("/api/v1/stats/overview", params={"format": "xlsx"}, headers=officer)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    head = rows[0]
    assert head[:3] == ("地区", "地区代码", "户数(户)")
    assert len(rows) == 1 + 1 + len(data["children"])
    assert rows[1][1] == COUNTY and rows[1][2] == data["area"]["households"]
    monitored = head.index("监测中(户)")
    assert [row[monitored] for row in rows[1:]] == [
        x["monitored"] for x in [data["area"], *data["children"]]
    ]
    trend = client.get(
        "/api/v1/stats/trend", params={"format": "xlsx", "months": 3}, headers=officer
    )
    assert trend.status_code == 200
    rows = list(load_workbook(io.BytesIO(trend.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("地区", "地区代码", "月份")
    assert len(rows) == 1 + 3 * (1 + len(data["children"]))


def test_a_township_officer_reads_their_township_and_nothing_above(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    town_user = session.exec(select(User).where(User.role == Role.township_officer)).first()
    assert town_user is not None
    headers = f.auth(town_user)
    own = client.get("/api/v1/stats/overview", headers=headers)
    assert own.status_code == 200
    assert own.json()["area"]["area_code"] == town_user.area_code
    # The way back starts at their own area, not the county they cannot open.
    assert [a["code"] for a in own.json()["path"]] == [town_user.area_code]
    for path in ("/api/v1/stats/overview", "/api/v1/stats/trend"):
        above = client.get(path, params={"area": COUNTY}, headers=headers)
        assert above.status_code == 404 and above.json()["error"] == "not_found"


def test_refusals(built: county.Summary, session: Session, client: TestClient) -> None:
    helper = _as(session, "bench_helper200")
    for path in ("/api/v1/stats/overview", "/api/v1/stats/trend"):
        r = client.get(path, headers=helper)
        assert r.status_code == 403 and r.json()["error"] == "role_forbidden"
        assert client.get(path).status_code == 401
    officer = _as(session, "bench_county")
    # An area that does not exist answers as one outside the scope does.
    assert (
        client.get("/api/v1/stats/overview?area=620422999999", headers=officer).status_code == 404
    )
    assert client.get("/api/v1/stats/overview?area=341182", headers=officer).status_code == 404
    for bad in ("area=62x", "format=pdf"):
        assert client.get(f"/api/v1/stats/overview?{bad}", headers=officer).status_code == 422
    for bad in ("months=0", "months=37"):
        assert client.get(f"/api/v1/stats/trend?{bad}", headers=officer).status_code == 422
    inspector = _as(session, "bench_inspector")
    assert client.get("/api/v1/stats/overview", headers=inspector).status_code == 200


def test_list_filters_refuse_a_period_that_is_not_one(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    officer = _as(session, "bench_county")
    for path, name in (
        ("/api/v1/households", "enrolled_in"),
        ("/api/v1/households", "cleared_in"),
        ("/api/v1/self-reports", "submitted_in"),
    ):
        for bad in ("2026-13", "26", "2026-5"):
            assert client.get(path, params={name: bad}, headers=officer).status_code == 422
    assert client.get("/api/v1/self-reports?stage=lost", headers=officer).status_code == 422
