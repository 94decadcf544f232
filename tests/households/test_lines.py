"""Setting a province's monitoring line: a fixed amount or a multiple of the 低保 line, with
its basis and 文号, by the administrator or a province-level officer only."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, delete

from backend.accounts.models import Role
from backend.households.models import MonitoringLine
from tests import factories
from tests.factories import NINGSHAN, auth

URL = "/api/v1/monitoring-lines/62/2021"
FIXED = {
    "amount": 7300,
    "basis": "关于调整2021年防返贫监测收入标准的通知",
    "document_number": "甘乡振发〔2021〕12号",
}


@pytest.fixture(autouse=True)
def _forget_test_years(session: Session) -> Iterator[None]:
    """Monitoring lines outlive a test (reference data): remove the years these tests set."""
    yield
    session.rollback()
    session.exec(delete(MonitoringLine).where(col(MonitoringLine.year).in_([2021, 2030])))  # type: ignore[call-overload]
    session.commit()


def test_admin_sets_a_fixed_line_with_its_basis(client: TestClient, session: Session) -> None:
    admin = factories.user(session, Role.admin, None)
    r = client.put(URL, json=FIXED, headers=auth(admin))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "province_code": "62",
        "year": 2021,
        "amount": 7300,
        "basis": FIXED["basis"],
        "document_number": "甘乡振发〔2021〕12号",
        "kind": "fixed",
        "dibao_line": None,
        "multiple_percent": None,
    }
    listed = client.get("/api/v1/monitoring-lines?province=62", headers=auth(admin)).json()
    assert any(x["year"] == 2021 and x["amount"] == 7300 for x in listed)


def test_province_officer_sets_a_multiple_of_the_dibao_line(
    client: TestClient, session: Session
) -> None:
    province = factories.user(session, Role.county_officer, "62")
    body = {
        "kind": "dibao_multiple",
        "dibao_line": 5000,
        "multiple": "1.5",
        "basis": "省乡村振兴局关于监测收入标准的通知",
        "document_number": "甘乡振发〔2030〕1号",
    }
    r = client.put("/api/v1/monitoring-lines/62/2030", json=body, headers=auth(province))
    assert r.status_code == 200, r.text
    assert r.json()["amount"] == 7500 and r.json()["multiple_percent"] == 150
    # Setting it again as a fixed amount replaces it (one line per province and year).
    r = client.put("/api/v1/monitoring-lines/62/2030", json=FIXED, headers=auth(province))
    assert r.json()["amount"] == 7300 and r.json()["dibao_line"] is None


def test_who_may_not_set_a_line(client: TestClient, session: Session) -> None:
    for role, area in (
        (Role.county_officer, NINGSHAN),
        (Role.county_officer, "61"),
        (Role.township_officer, "62"),
        (Role.inspector, "62"),
    ):
        user = factories.user(session, role, area)
        assert client.put(URL, json=FIXED, headers=auth(user)).status_code == 403, (role, area)


def test_line_validation(client: TestClient, session: Session) -> None:
    admin = factories.user(session, Role.admin, None)
    bad = [
        ("/api/v1/monitoring-lines/62/2021", {**FIXED, "amount": None}),
        ("/api/v1/monitoring-lines/62/2021", {**FIXED, "dibao_line": 5000}),
        ("/api/v1/monitoring-lines/62/2021", {**FIXED, "document_number": ""}),
        ("/api/v1/monitoring-lines/62/2021", {k: v for k, v in FIXED.items() if k != "basis"}),
        ("/api/v1/monitoring-lines/62/2021", {**FIXED, "amount": 0}),
        (
            "/api/v1/monitoring-lines/62/2021",
            {
                "kind": "dibao_multiple",
                "dibao_line": 5000,
                "basis": "依据",
                "document_number": "文号1",
            },
        ),
        (
            "/api/v1/monitoring-lines/62/2021",
            {**FIXED, "kind": "dibao_multiple", "dibao_line": 5000, "multiple": "1.5"},
        ),
        (
            "/api/v1/monitoring-lines/62/2021",
            {
                "kind": "dibao_multiple",
                "dibao_line": 5000,
                "multiple": "1.555",
                "basis": "依据",
                "document_number": "文号1",
            },
        ),
        ("/api/v1/monitoring-lines/620422/2021", FIXED),
        ("/api/v1/monitoring-lines/99/2021", FIXED),
        ("/api/v1/monitoring-lines/62/1999", FIXED),
    ]
    for url, body in bad:
        r = client.put(url, json=body, headers=auth(admin))
        assert r.status_code == 422, (url, body, r.text)
