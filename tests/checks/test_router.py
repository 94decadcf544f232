"""The checks API: the catalogue and parameters, runs, findings and what a finding turns
into, with every refusal."""

import time
import uuid
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.rectification.models import Problem, ProblemBatch
from backend.reports.models import SelfReport
from backend.worker import runner
from tests import factories
from tests.checks.builders import change, findings, income, members, run
from tests.factories import GAOJIAZHUANG, JIANGKOU, LENGSHUIGOU, NINGSHAN, YANJIAPING, auth


def _officer(session: Session, role: Role = Role.county_officer, area: str = NINGSHAN):  # type: ignore[no-untyped-def]
    return factories.user(session, role, area)


def _poor(session: Session, area: str = LENGSHUIGOU, **kw):  # type: ignore[no-untyped-def]
    h = factories.household(session, area, **kw)
    income(session, h, 2025, wage=10_000)  # 5000 a head, under 7000
    return h


def _wait(client: TestClient, run_id: str, headers: dict[str, str]) -> dict:
    """The worker is not a thread of the tests' app: run its due jobs here, then read."""
    runner.run_due_jobs(worker="test")
    for _ in range(20):
        body = client.get(f"/api/v1/checks/runs/{run_id}", headers=headers).json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError("the run did not finish")


# --- catalogue and parameters -----------------------------------------------------------


def test_catalogue_lists_every_check_with_its_rule_and_parameters(
    client: TestClient, session: Session
) -> None:
    officer = _officer(session)
    body = client.get("/api/v1/checks", headers=auth(officer)).json()
    codes = [c["code"] for c in body["data"]]
    assert body["area_code"] == NINGSHAN
    assert {"below_line", "copied_visit_notes", "low_uptake", "ledger_mismatch"} <= set(codes)
    enrol = next(c for c in body["data"] if c["code"] == "missed_enrollment")
    assert enrol["title"] == "应纳未纳" and enrol["rule"]
    share = next(p for p in enrol["parameters"] if p["name"] == "spending_share_percent")
    assert share["default"] == 50 and share["value"] == 50


def test_catalogue_says_who_may_run_and_change_parameters(
    client: TestClient, session: Session
) -> None:
    def can(user) -> list[str]:  # type: ignore[no-untyped-def]
        return client.get("/api/v1/checks", headers=auth(user)).json()["can"]

    county = client.get("/api/v1/checks", headers=auth(_officer(session))).json()
    assert county["can"] == ["run", "set_parameters"] and county["area_name"] == "宁陕县"
    assert can(_officer(session, Role.township_officer, JIANGKOU)) == ["run"]
    assert can(_officer(session, Role.helper, LENGSHUIGOU)) == []


def test_catalogue_outside_scope_is_refused(client: TestClient, session: Session) -> None:
    officer = _officer(session)
    r = client.get("/api/v1/checks?area=620422", headers=auth(officer))
    assert r.status_code == 403


def test_county_officer_changes_a_parameter_and_the_run_uses_it(
    client: TestClient, session: Session
) -> None:
    officer = _officer(session)
    h = factories.household(session)
    from tests.checks.builders import ledger

    ledger(session, h, "2026-01", wage=10_000, medical_spending=4000)  # 40%: under 50
    r = client.put(
        f"/api/v1/checks/missed_enrollment/parameters?area={NINGSHAN}",
        json={"values": {"spending_share_percent": 30}},
        headers=auth(officer),
    )
    assert r.status_code == 200, r.text
    enrol = next(c for c in r.json()["data"] if c["code"] == "missed_enrollment")
    assert (
        next(p["value"] for p in enrol["parameters"] if p["name"] == "spending_share_percent") == 30
    )
    run(session)
    assert [f.household_id for f in findings(session, "missed_enrollment")] == [h.id]
    session.rollback()
    audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "check_parameter")).all()
    assert [a.action for a in audit] == ["set_parameters"]


def test_parameter_refusals(client: TestClient, session: Session) -> None:
    officer = _officer(session)
    township = _officer(session, Role.township_officer, JIANGKOU)
    url = "/api/v1/checks/missed_enrollment/parameters"
    ok = {"values": {"spending_share_percent": 30}}
    cases = [
        (township, f"{url}?area={JIANGKOU}", ok, 403),
        (officer, f"{url}?area=620422", ok, 403),
        (officer, f"{url}?area={LENGSHUIGOU}", ok, 422),
        (officer, f"{url}?area={NINGSHAN}", {"values": {"nonsense": 3}}, 422),
        (officer, f"{url}?area={NINGSHAN}", {"values": {"spending_share_percent": 0}}, 422),
        (officer, f"{url}?area={NINGSHAN}", {"values": {"spending_share_percent": "30"}}, 422),
        (officer, f"{url}?area={NINGSHAN}", {"values": {}}, 422),
        (officer, f"/api/v1/checks/no_such/parameters?area={NINGSHAN}", ok, 404),
    ]
    for user, path, body, status in cases:
        r = client.put(path, json=body, headers=auth(user))
        assert r.status_code == status, (path, body, r.text)
    bad = client.put(
        f"{url}?area={NINGSHAN}",
        json={"values": {"spending_share_percent": 0}},
        headers=auth(officer),
    )
    assert "values.spending_share_percent" in bad.json()["message"]


# --- runs -------------------------------------------------------------------------------


def test_a_run_answers_202_and_reports_its_counts(client: TestClient, session: Session) -> None:
    officer = _officer(session)
    _poor(session)
    r = client.post("/api/v1/checks/runs", json={"area_code": NINGSHAN}, headers=auth(officer))
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("queued", "running", "done")
    body = _wait(client, r.json()["id"], auth(officer))
    assert body["status"] == "done", body
    assert body["counts"]["below_line"] == 1
    assert body["opened"] >= 1 and body["resolved"] == 0
    assert body["duration_ms"] is not None


def test_township_officer_runs_only_their_own_area(client: TestClient, session: Session) -> None:
    township = _officer(session, Role.township_officer, JIANGKOU)
    ok = client.post("/api/v1/checks/runs", json={"area_code": JIANGKOU}, headers=auth(township))
    assert ok.status_code == 202
    _wait(client, ok.json()["id"], auth(township))
    wide = client.post("/api/v1/checks/runs", json={"area_code": NINGSHAN}, headers=auth(township))
    assert wide.status_code == 403


def test_run_refusals(client: TestClient, session: Session) -> None:
    cadre = _officer(session, Role.village_cadre, LENGSHUIGOU)
    inspector = _officer(session, Role.inspector, NINGSHAN)
    officer = _officer(session)
    for user in (cadre, inspector):
        r = client.post("/api/v1/checks/runs", json={"area_code": LENGSHUIGOU}, headers=auth(user))
        assert r.status_code == 403
    assert (
        client.post(
            "/api/v1/checks/runs", json={"area_code": "610923999999"}, headers=auth(officer)
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/checks/runs", json={"area_code": "x"}, headers=auth(officer)
        ).status_code
        == 422
    )


def test_a_run_of_another_county_is_not_found(client: TestClient, session: Session) -> None:
    officer = _officer(session)
    other = _officer(session, area="620422")
    r = client.post("/api/v1/checks/runs", json={"area_code": NINGSHAN}, headers=auth(officer))
    _wait(client, r.json()["id"], auth(officer))
    assert (
        client.get(f"/api/v1/checks/runs/{r.json()['id']}", headers=auth(other)).status_code == 404
    )


# --- findings ---------------------------------------------------------------------------


def test_findings_are_listed_by_filter_and_scope(client: TestClient, session: Session) -> None:
    helper = _officer(session, Role.helper, LENGSHUIGOU)
    mine, theirs = _poor(session, helper=helper), _poor(session)
    officer = _officer(session)
    run(session)
    page = client.get("/api/v1/findings?check=below_line&status=open", headers=auth(officer)).json()
    assert page["count"] == 2
    assert {f["household_id"] for f in page["data"]} == {str(mine.id), str(theirs.id)}
    first = page["data"][0]
    assert first["check_title"] == "收入低于监测标准" and first["severity_name"] == "严重"
    # Whom it is about, in words: the household's head and its village.
    assert first["subject_kind"] == "household" and first["household_head"]
    assert first["subject_name"] == first["household_head"]
    assert first["area_name"] and first["household_reference"]
    assert (
        client.get(
            "/api/v1/findings?severity=general&check=below_line", headers=auth(officer)
        ).json()["count"]
        == 0
    )
    critical = client.get("/api/v1/findings?severity=critical", headers=auth(officer)).json()
    assert {f["check_code"] for f in critical["data"]} == {"below_line"}
    bad = client.get("/api/v1/findings?severity=grave", headers=auth(officer))
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "severity"
    one = client.get(f"/api/v1/findings?household_id={mine.id}", headers=auth(officer)).json()
    assert {f["household_id"] for f in one["data"]} == {str(mine.id)}
    # A helper sees the findings of the households assigned to them only.
    own = client.get("/api/v1/findings?check=below_line", headers=auth(helper)).json()
    assert [f["household_id"] for f in own["data"]] == [str(mine.id)]
    # Another county sees nothing of these, and cannot open one.
    other = _officer(session, area="620422")
    assert client.get("/api/v1/findings", headers=auth(other)).json()["count"] == 0
    fid = page["data"][0]["id"]
    assert client.get(f"/api/v1/findings/{fid}", headers=auth(other)).status_code == 404
    assert client.get("/api/v1/findings?check=nope", headers=auth(officer)).status_code == 404
    assert client.get("/api/v1/findings?status=nope", headers=auth(officer)).status_code == 422


def test_the_summary_counts_per_check_and_per_village(client: TestClient, session: Session) -> None:
    helper = _officer(session, Role.helper, LENGSHUIGOU)
    _poor(session, helper=helper)
    _poor(session)
    _poor(session, YANJIAPING)
    officer = _officer(session)
    run(session)

    def summary(user, **filters):  # type: ignore[no-untyped-def]
        r = client.get("/api/v1/findings/summary", params=filters, headers=auth(user))
        assert r.status_code == 200, r.text
        body = r.json()
        villages = {v["area_code"]: v["count"] for v in body["by_village"]}
        return body["by_check"], villages, body["by_village"]

    by_check, villages, rows = summary(officer, status="open")
    assert len(by_check) == 16 and by_check["below_line"] == 3
    assert set(villages) == {LENGSHUIGOU, YANJIAPING} and all(v["area_name"] for v in rows)
    # A check chosen still shows every check's count; a village chosen, every village's.
    by_check, villages, _ = summary(officer, status="open", check="below_line", area=LENGSHUIGOU)
    assert by_check["below_line"] == 2 and set(villages) == {LENGSHUIGOU, YANJIAPING}
    assert villages[YANJIAPING] == 1
    by_check, _, _ = summary(officer, status="dismissed")
    assert sum(by_check.values()) == 0
    by_check, _, _ = summary(officer, severity="general", check="below_line")
    assert by_check["below_line"] == 0
    # A helper counts the findings of their own households only.
    by_check, villages, _ = summary(helper, check="below_line")
    assert by_check["below_line"] == 1 and villages == {LENGSHUIGOU: 1}
    other = _officer(session, area="620422")
    by_check, villages, _ = summary(other)
    assert sum(by_check.values()) == 0 and villages == {}
    nope = client.get("/api/v1/findings/summary?check=nope", headers=auth(officer))
    assert nope.status_code == 404


def test_the_dashboard_counts_open_findings_by_check(client: TestClient, session: Session) -> None:
    _poor(session)
    _poor(session, YANJIAPING)
    officer = _officer(session)
    run(session)
    body = client.get("/api/v1/stats/overview", headers=auth(officer)).json()
    assert body["area"]["findings"]["below_line"] == 2
    assert body["names"]["check"]["below_line"] == "收入低于监测标准"
    towns = {c["area_code"]: c["findings"].get("below_line", 0) for c in body["children"]}
    assert towns[JIANGKOU] == 1 and sum(towns.values()) == 2


def test_a_finding_resolves_itself_when_the_data_is_fixed(session: Session) -> None:
    h = _poor(session)
    run(session)
    (found,) = findings(session, "below_line")
    income(session, h, 2025, wage=20_000)
    done = run(session)
    assert findings(session, "below_line") == []
    (resolved,) = findings(session, "below_line", status="resolved")
    assert resolved.id == found.id and resolved.resolved_at is not None
    assert done.resolved >= 1
    income(session, h, 2025, wage=10_000)
    run(session)
    (again,) = findings(session, "below_line")
    assert again.id == found.id  # one per subject and check, reopened


def test_dismissed_stays_dismissed_until_the_data_changes(
    client: TestClient, session: Session
) -> None:
    h = _poor(session)
    township = _officer(session, Role.township_officer, JIANGKOU)
    run(session)
    (found,) = findings(session, "below_line")
    r = client.post(
        f"/api/v1/findings/{found.id}/dismiss",
        json={"reason": "已核实:该户收入含未登记的务工收入"},
        headers=auth(township),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dismissed"
    run(session)
    assert findings(session, "below_line", status="dismissed")[0].id == found.id
    income(session, h, 2025, wage=9_000)  # the values behind it change
    run(session)
    (reopened,) = findings(session, "below_line")
    assert reopened.id == found.id
    session.rollback()
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.entity == "finding", AuditEntry.action == "dismiss")
    ).all()
    assert len(audit) == 1 and audit[0].changes["reason"][1].startswith("已核实")


def test_dismiss_refusals(client: TestClient, session: Session) -> None:
    _poor(session)
    cadre = _officer(session, Role.village_cadre, LENGSHUIGOU)
    township = _officer(session, Role.township_officer, JIANGKOU)
    run(session)
    (found,) = findings(session, "below_line")
    url = f"/api/v1/findings/{found.id}/dismiss"
    assert client.post(url, json={"reason": "不需要"}, headers=auth(cadre)).status_code == 403
    assert client.post(url, json={}, headers=auth(township)).status_code == 422
    assert (
        client.post(url, json={"reason": "已核实无误"}, headers=auth(township)).status_code == 200
    )
    again = client.post(url, json={"reason": "已核实无误"}, headers=auth(township))
    assert again.status_code == 409 and again.json()["error"] == "finding_not_open"


def test_finding_to_report_on_the_households_behalf(client: TestClient, session: Session) -> None:
    h = factories.household(
        session,
        members=[factories.member("head", health="serious_illness"), factories.member("spouse")],
    )
    from tests.checks.builders import ledger

    ledger(session, h, "2026-02", wage=2000, medical_spending=25_000)
    cadre = _officer(session, Role.village_cadre, LENGSHUIGOU)
    run(session)
    (found,) = findings(session, "missed_enrollment")
    r = client.post(f"/api/v1/findings/{found.id}/report", json={}, headers=auth(cadre))
    assert r.status_code == 201, r.text
    session.rollback()
    report = session.get(SelfReport, uuid.UUID(r.json()["report_id"]))
    assert report is not None and report.on_behalf and report.household_id == h.id
    assert report.risk_types == ["illness"] and report.assignee_id == cadre.id
    again = client.post(f"/api/v1/findings/{found.id}/report", json={}, headers=auth(cadre))
    assert again.status_code == 409 and again.json()["error"] == "already_reported"


def test_report_refusals(client: TestClient, session: Session) -> None:
    h = _poor(session)
    helper = _officer(session, Role.helper, LENGSHUIGOU)
    cadre = _officer(session, Role.village_cadre, LENGSHUIGOU)
    change(session, members(session, h)[0], died_on=date(2026, 1, 2))
    run(session)
    (poor,) = findings(session, "below_line")
    (dead,) = findings(session, "dead_member_counted")
    assert (
        client.post(f"/api/v1/findings/{poor.id}/report", json={}, headers=auth(helper)).status_code
        == 404
    )
    helper_in_scope = _officer(session, Role.helper, LENGSHUIGOU)
    change(session, h, helper_id=helper_in_scope.id)
    assert (
        client.post(
            f"/api/v1/findings/{poor.id}/report", json={}, headers=auth(helper_in_scope)
        ).status_code
        == 403
    )
    fault = client.post(f"/api/v1/findings/{dead.id}/report", json={}, headers=auth(cadre))
    assert fault.status_code == 409 and fault.json()["error"] == "not_reportable"


def test_finding_to_problem_with_source_check_rule(client: TestClient, session: Session) -> None:
    h = _poor(session)
    officer = _officer(session)
    run(session)
    (found,) = findings(session, "below_line")
    r = client.post(
        f"/api/v1/findings/{found.id}/problem", json={"deadline_days": 15}, headers=auth(officer)
    )
    assert r.status_code == 201, r.text
    session.rollback()
    problem = session.get(Problem, uuid.UUID(r.json()["problem_id"]))
    assert problem is not None and problem.area_code == h.area_code
    assert problem.category == "income" and problem.title.startswith("收入低于监测标准")
    batch = session.get(ProblemBatch, problem.batch_id)
    assert batch is not None and batch.source == "check_rule" and batch.area_code == NINGSHAN
    again = client.post(f"/api/v1/findings/{found.id}/problem", json={}, headers=auth(officer))
    assert again.status_code == 409 and again.json()["error"] == "already_problem"


def test_problem_refusals(client: TestClient, session: Session) -> None:
    _poor(session)
    cadre = _officer(session, Role.village_cadre, LENGSHUIGOU)
    officer = _officer(session)
    run(session)
    (found,) = findings(session, "below_line")
    url = f"/api/v1/findings/{found.id}/problem"
    assert client.post(url, json={}, headers=auth(cadre)).status_code == 403
    assert client.post(url, json={"deadline_days": 0}, headers=auth(officer)).status_code == 422


def test_open_counts_name_every_check(session: Session) -> None:
    from backend.checks import service

    _poor(session)
    _poor(session, GAOJIAZHUANG)
    run(session, "610923")
    counts = service.open_counts(session=session, area_code=NINGSHAN)
    assert counts["below_line"] == 1 and counts["weak_plan"] == 0
    assert len(counts) == 16
