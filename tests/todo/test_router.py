"""待办: each role is shown the step it works, the same reports and problems the lists give
for that step, overdue first; a field worker only what they were sent to verify."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from backend.accounts.models import Role, User
from backend.checks import service as checks_service
from backend.checks.models import Finding, FindingStatus
from backend.core import clock
from backend.demo import county
from backend.reports.models import ReportStatus, SelfReport
from tests import factories as f
from tests.accounts.test_clients import bearer, make_client
from tests.warnings.test_router import head_id, warning

pytestmark = pytest.mark.pinned_day  # see tests/conftest.py _clock


@pytest.fixture
def built(app_engine: Engine) -> county.Summary:
    return county.build(engine=app_engine, households=300, seed=7)


def _one(session: Session, **where: Any) -> User:
    stmt = select(User).where(*[getattr(User, k) == v for k, v in where.items()])
    user = session.exec(stmt.order_by(col(User.username))).first()
    assert user is not None
    return user


def _ids(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> set[str]:
    page = client.get(path, params={"limit": 200, **params}, headers=headers).json()
    assert page["count"] <= 200
    return {row["id"] for row in page["data"]}


def _todo(client: TestClient, user: User) -> dict[str, Any]:
    r = client.get("/api/v1/todo", headers=f.auth(user))
    assert r.status_code == 200, r.text
    return r.json()


def _of(todo: dict[str, Any], kind: str) -> set[str]:
    return {i["id"] for i in todo["data"] if i["kind"] == kind}


def test_each_level_sees_the_step_it_works(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    officer = _one(session, username="bench_county")
    todo = _todo(client, officer)
    headers = f.auth(officer)
    decide = _ids(client, headers, "/api/v1/self-reports", status="county_approval")
    assert decide and _of(todo, "decide_report") == decide
    handed_in = _ids(client, headers, "/api/v1/problems", status="submitted_for_closure")
    assert _of(todo, "review_problem") == handed_in
    # The county does not work the township's or the village's step.
    assert not _of(todo, "review_report") and not _of(todo, "assign_report")
    assert todo["counts"].get("reports", 0) == len(decide)
    assert (
        todo["count"]
        == len(todo["data"])
        == todo["counts"].get("reports", 0) + todo["counts"].get("problems", 0)
    )

    report = session.exec(
        select(SelfReport).where(SelfReport.status == ReportStatus.township_review)
    ).first()
    assert report is not None
    town = _one(session, role=Role.township_officer, area_code=report.area_code[:9])
    review = _ids(
        client, f.auth(town), "/api/v1/self-reports", status="township_review", area=town.area_code
    )
    assert report.id and str(report.id) in review
    assert _of(_todo(client, town), "review_report") == review

    cadre = _one(session, role=Role.village_cadre, area_code=report.area_code)
    cadre_todo = _todo(client, cadre)
    ch = f.auth(cadre)
    assert _of(cadre_todo, "assign_report") == _ids(
        client, ch, "/api/v1/self-reports", status="submitted"
    )
    assert _of(cadre_todo, "verify_report") == _ids(
        client, ch, "/api/v1/self-reports", status="verifying"
    )


def test_most_urgent_first(built: county.Summary, session: Session, client: TestClient) -> None:
    todo = _todo(client, _one(session, username="bench_county"))
    keys = [(not i["overdue"], i["due_on"] is None, i["due_on"] or "9999") for i in todo["data"]]
    assert keys == sorted(keys)
    assert any(i["overdue"] for i in todo["data"])
    assert todo["overdue_counts"]
    first = todo["data"][0]
    assert (
        first["route"]
        == f"{'report' if first['section'] == 'reports' else 'problem'}/{first['id']}"
    )
    assert first["kind_name"] and first["area_name"]


def test_a_field_worker_sees_only_what_they_were_sent_to_verify(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    report = session.exec(
        select(SelfReport).where(
            SelfReport.status == ReportStatus.verifying, col(SelfReport.assignee_id).is_not(None)
        )
    ).first()
    assert report is not None and report.assignee_id is not None
    worker = session.get(User, report.assignee_id)
    assert worker is not None
    todo = _todo(client, worker)
    mine = set(
        session.exec(
            select(SelfReport.id).where(
                SelfReport.assignee_id == worker.id, SelfReport.status == ReportStatus.verifying
            )
        )
    )
    assert _of(todo, "verify_report") == {str(i) for i in mine}
    assert {i["kind"] for i in todo["data"]} <= {
        "verify_report",
        "claim_problem",
        "rectify_problem",
    }


def test_a_public_notice_ending_soon_is_on_the_village_desk(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    report = session.exec(
        select(SelfReport).where(SelfReport.status == ReportStatus.verifying)
    ).first()
    assert report is not None
    today = clock.today()
    report.public_notice_start = today - timedelta(days=4)
    report.public_notice_days = 5  # ends tomorrow
    session.add(report)
    session.commit()
    cadre = _one(session, role=Role.village_cadre, area_code=report.area_code)
    items = [i for i in _todo(client, cadre)["data"] if i["kind"] == "notice_ending"]
    assert [i["id"] for i in items] == [str(report.id)]
    assert items[0]["due_on"] == f"{today + timedelta(days=1):%Y-%m-%d}"
    # Ended yesterday: no longer waiting on anyone.
    report.public_notice_start = today - timedelta(days=6)
    session.add(report)
    session.commit()
    assert not _of(_todo(client, cadre), "notice_ending")


def test_no_login_no_todo(client: TestClient) -> None:
    assert client.get("/api/v1/todo").status_code == 401


def _findings_count(client: TestClient, user: User, route: str) -> int:
    query = route.removeprefix("findings/")
    r = client.get(f"/api/v1/findings?{query}&limit=1", headers=f.auth(user))
    assert r.status_code == 200, r.text
    return r.json()["count"]


def test_open_findings_by_check_equal_the_findings_list(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    assert checks_service.run_now(session=session, area_code="620422").status == "done"
    officer = _one(session, username="bench_county")
    groups = _todo(client, officer)["findings"]
    assert len(groups) >= 3
    for g in groups:
        assert g["route"] == f"findings/area=620422&status=open&check={g['check_code']}"
        assert g["count"] == _findings_count(client, officer, g["route"]) > 0
        assert g["check_title"] and g["area_code"] == "620422"
    # The most severe first, then the most numerous.
    rank = {"critical": 0, "serious": 1, "general": 2}
    keys = [(rank[g["severity"]], -g["count"]) for g in groups]
    assert keys == sorted(keys)
    todo = _todo(client, officer)
    all_open = client.get(
        "/api/v1/findings", params={"status": "open", "limit": 1}, headers=f.auth(officer)
    ).json()["count"]
    assert todo["counts"]["findings"] == sum(g["count"] for g in groups) == all_open

    # A village cadre: their village's findings only, each count the list's.
    finding = session.exec(
        select(Finding).where(
            Finding.status == FindingStatus.open, func.length(Finding.area_code) == 12
        )
    ).first()
    assert finding is not None
    cadre = _one(session, role=Role.village_cadre, area_code=finding.area_code)
    village_groups = _todo(client, cadre)["findings"]
    assert finding.check_code in {g["check_code"] for g in village_groups}
    for g in village_groups:
        assert g["area_code"] == finding.area_code
        assert g["count"] == _findings_count(client, cadre, g["route"])
    in_village = session.exec(
        select(func.count())
        .select_from(Finding)
        .where(Finding.status == FindingStatus.open, Finding.area_code == finding.area_code)
    ).one()
    assert sum(g["count"] for g in village_groups) == in_village

    # A township officer: the township's, fewer than the county's.
    town = _one(session, role=Role.township_officer, area_code=finding.area_code[:9])
    town_groups = _todo(client, town)["findings"]
    assert all(g["area_code"] == town.area_code for g in town_groups)
    for g in town_groups:
        assert g["count"] == _findings_count(client, town, g["route"])
    assert sum(g["count"] for g in town_groups) <= todo["counts"]["findings"]


def test_findings_are_not_on_the_desk_of_who_cannot_act_on_them(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    assert checks_service.run_now(session=session, area_code="620422").status == "done"
    for role in (Role.helper, Role.grid_worker):
        todo = _todo(client, _one(session, role=role))
        assert todo["findings"] == [] and "findings" not in todo["counts"]


def _warnings_count(client: TestClient, user: User, list_url: str) -> int:
    r = client.get(f"{list_url}&limit=1", headers=f.auth(user))
    assert r.status_code == 200, r.text
    return r.json()["count"]


def test_warnings_to_triage_by_source_equal_the_warnings_list(
    client: TestClient, session: Session
) -> None:
    sender = bearer(client, make_client(client, session, scopes=["warnings:write"]))

    def send(area: str, **kw: Any) -> str:
        _, person = head_id(session, area)
        r = client.post("/api/v1/warnings", json=warning(person, **kw), headers=sender)
        assert r.status_code == 201, r.text
        return r.json()["id"]

    first_day = clock.today()
    send(f.LENGSHUIGOU, source="education")
    send(f.YANJIAPING, source="civil_affairs")  # another township's
    clock.freeze(clock.now() + timedelta(days=2))
    send(f.LENGSHUIGOU)
    send(f.LENGSHUIGOU)
    dismissed = send(f.LENGSHUIGOU, source="human_resources")
    # About nobody on record: kept unmatched, not the triage queue's.
    r = client.post("/api/v1/warnings", json=warning(f.id_number()), headers=sender)
    assert r.json()["status"] == "unmatched"

    town = f.user(session, Role.township_officer, f.JIANGKOU)
    r = client.post(
        f"/api/v1/warnings/{dismissed}/dismiss", json={"reason": "已就业"}, headers=f.auth(town)
    )
    assert r.status_code == 200, r.text

    todo = _todo(client, town)
    groups = {g["source"]: g for g in todo["warnings"]}
    assert [g["source"] for g in todo["warnings"]] == ["education", "medical_insurance"]
    assert groups["medical_insurance"]["source_name"] == "医保"
    assert groups["medical_insurance"]["count"] == 2 and groups["education"]["count"] == 1
    assert groups["education"]["oldest_received_on"] == first_day.isoformat()
    assert (
        groups["medical_insurance"]["oldest_received_on"]
        == (first_day + timedelta(days=2)).isoformat()
    )
    for g in todo["warnings"]:
        assert g["area_code"] == f.JIANGKOU
        assert g["route"] == f"warnings/status=pending&source={g['source']}"
        assert g["list_url"] == (
            f"/api/v1/warnings?area_code={f.JIANGKOU}&status=pending&source={g['source']}"
        )
        assert g["count"] == _warnings_count(client, town, g["list_url"])
    pending = _warnings_count(client, town, "/api/v1/warnings?status=pending")
    assert todo["counts"]["warnings"] == 3 == pending
    # The warnings are not items: the list and its count are the reports' and problems'.
    assert todo["count"] == len(todo["data"])

    # The other township sees its own only; the county both.
    other = _todo(client, f.user(session, Role.township_officer, "610923101"))
    assert [(g["source"], g["count"]) for g in other["warnings"]] == [("civil_affairs", 1)]
    county_officer = f.user(session, Role.county_officer, f.NINGSHAN)
    assert (
        _todo(client, county_officer)["counts"]["warnings"]
        == 4
        == _warnings_count(client, county_officer, "/api/v1/warnings?status=pending")
    )


def test_warnings_are_not_on_the_desk_of_who_may_not_triage(
    client: TestClient, session: Session
) -> None:
    sender = bearer(client, make_client(client, session, scopes=["warnings:write"]))
    _, person = head_id(session, f.LENGSHUIGOU)
    assert client.post("/api/v1/warnings", json=warning(person), headers=sender).status_code == 201
    for role in (Role.village_cadre, Role.helper, Role.grid_worker):
        user = f.user(session, role, f.LENGSHUIGOU)
        assert client.get("/api/v1/warnings", headers=f.auth(user)).status_code == 403
        todo = _todo(client, user)
        assert todo["warnings"] == [] and "warnings" not in todo["counts"]
    inspector = f.user(session, Role.inspector, f.NINGSHAN)
    assert _todo(client, inspector)["warnings"] == []
