"""The access matrix, generated from the app's routes: every endpoint has a written rule
here, so a new endpoint without one fails this file. Each rule says who may call it:

- PUBLIC: no login (the farmer's form and look-up, areas for the form, login, health);
- STAFF: any logged-in role, the answer limited to the caller's area scope;
- roles(...): only these roles, refused with 403 before anything is read;
- WORKFLOW: any logged-in role reaches it; the role, scope and state rules are the domain's
  (its workflow table, tested in tests/<domain>/), refused with 403/409 there.

Then, for every endpoint × every role: without a token 401 (unless public); a role a
roles(...) rule leaves out gets 403; with an id that is not in the caller's scope (here: one
that exists nowhere) every role gets 404 or 403 — never the record, never a 5xx. Scope with
real records, in scope and out, is tests/security/test_scope.py (households, members,
incomes, plans, files) and the reports' case below."""

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.accounts.access import (
    CLIENT_ANY,
    CLIENT_SCOPES,
    IMPORTS_HOUSEHOLDS,
    MANAGES_API_CLIENTS,
    MANAGES_USERS,
    READS_STATS,
    SEES_FULL_ID_NUMBER,
    TRIAGES_WARNINGS,
    VISITORS,
    WATCHES_COVERAGE,
)
from backend.accounts.models import Role
from backend.main import create_app
from tests import factories as f
from tests.security.routes import Operation, operations
from tests.security.test_scope import INSIDERS, OUTSIDERS

PUBLIC, STAFF, WORKFLOW = "public", "staff", "workflow"
# Only an API client may call it (its webhooks, the warnings it sends): every role gets 403.
CLIENTS_ONLY: frozenset[Role] = frozenset()
AUDIT_READERS = frozenset({Role.admin, Role.county_officer, Role.township_officer, Role.inspector})
CALENDAR_EDITORS = frozenset({Role.county_officer, Role.admin})

RULES: dict[str, str | frozenset[Role]] = {
    # public
    "health": PUBLIC,
    "search_areas": PUBLIC,
    "get_area": PUBLIC,
    "list_area_children": PUBLIC,
    "get_area_path": PUBLIC,
    "login": PUBLIC,
    "submit_self_report": PUBLIC,
    "lookup_self_report": PUBLIC,
    "village_poster": PUBLIC,
    # accounts
    "whoami": STAFF,
    "list_users": STAFF,
    "create_user": MANAGES_USERS,
    "client_token": PUBLIC,
    "create_api_client": MANAGES_API_CLIENTS,
    "list_api_clients": MANAGES_API_CLIENTS,
    "get_api_client": MANAGES_API_CLIENTS,
    "rotate_api_client_secret": MANAGES_API_CLIENTS,
    "revoke_api_client": MANAGES_API_CLIENTS,
    # webhooks (an API client's own)
    "create_webhook_subscription": CLIENTS_ONLY,
    "list_webhook_subscriptions": CLIENTS_ONLY,
    "delete_webhook_subscription": CLIENTS_ONLY,
    "list_webhook_deliveries": CLIENTS_ONLY,
    "get_webhook_delivery": CLIENTS_ONLY,
    "replay_webhook_delivery": CLIENTS_ONLY,
    # department warnings: sent and read back by a client, triaged by the township
    "create_warning": CLIENTS_ONLY,
    "list_sent_warnings": CLIENTS_ONLY,
    "get_sent_warning": CLIENTS_ONLY,
    "list_warnings": TRIAGES_WARNINGS,
    "get_warning": TRIAGES_WARNINGS,
    "report_from_warning": TRIAGES_WARNINGS,
    "dismiss_warning": TRIAGES_WARNINGS,
    # households
    "list_households": STAFF,
    "create_household": WORKFLOW,
    "get_household": STAFF,
    "update_household": WORKFLOW,
    "add_member": WORKFLOW,
    "update_member": WORKFLOW,
    "put_income": WORKFLOW,
    "put_plan": WORKFLOW,
    "add_measure": WORKFLOW,
    "update_measure": WORKFLOW,
    "enroll": WORKFLOW,
    "clear_risk": WORKFLOW,
    "revert": WORKFLOW,
    "list_monitoring_lines": STAFF,
    "household_ledger": STAFF,
    # audit, files, calendar
    "list_audit": AUDIT_READERS,
    "upload_file": WORKFLOW,
    "download_file": STAFF,
    "get_file": STAFF,
    "get_calendar_month": STAFF,
    "set_calendar_day": CALENDAR_EDITORS,
    "get_calendar_coverage": STAFF,
    # self-reports
    "list_self_reports": STAFF,
    "self_report_numbers": STAFF,
    "get_self_report": STAFF,
    "reveal_self_report_contact": WORKFLOW,
    # personal data: the roles that may see full ID numbers (accounts/access.py)
    "reveal_member_id_number": SEES_FULL_ID_NUMBER,
    "reveal_self_report_id_number": SEES_FULL_ID_NUMBER,
    "export_household_personal_data": SEES_FULL_ID_NUMBER,
    "assign_self_report": WORKFLOW,
    "verify_self_report": WORKFLOW,
    "record_community_review": WORKFLOW,
    "record_public_notice": WORKFLOW,
    "forward_self_report": WORKFLOW,
    "enroll_self_report": WORKFLOW,
    "fast_track_self_report": WORKFLOW,
    "reject_self_report": WORKFLOW,
    "refer_self_report": WORKFLOW,
    "withdraw_self_report": WORKFLOW,
    "merge_self_report": WORKFLOW,
    "list_deadlines": STAFF,
    "get_deadline": STAFF,
    "set_deadline": WORKFLOW,
    # visits
    "record_visit": WORKFLOW,
    "list_visits": STAFF,
    "record_visits_batch": WORKFLOW,
    "my_households": VISITORS,
    "visit_coverage": WATCHES_COVERAGE,
    "get_visit": STAFF,
    # rectification
    "create_problem_batch": WORKFLOW,
    "list_problem_batches": STAFF,
    "get_problem_batch": STAFF,
    "update_problem_batch": WORKFLOW,
    "create_problem": WORKFLOW,
    "import_problems": WORKFLOW,
    "export_problem_ledger": STAFF,
    "rectification_report": STAFF,
    "list_problems": STAFF,
    "problem_boards": STAFF,
    "get_problem": STAFF,
    "update_problem": WORKFLOW,
    "claim_problem": WORKFLOW,
    "add_rectification_step": WORKFLOW,
    "add_progress_note": WORKFLOW,
    "add_evidence": WORKFLOW,
    "remove_evidence": WORKFLOW,
    "submit_for_closure": WORKFLOW,
    "close_problem": WORKFLOW,
    "return_problem": WORKFLOW,
    "mark_problem_ongoing": WORKFLOW,
    "copy_problem": WORKFLOW,
    # monitoring decisions through the chain (proposals, 公告, notices)
    "set_monitoring_line": WORKFLOW,
    "propose": WORKFLOW,
    "clear_risk_self_report": WORKFLOW,
    "announce_self_report": WORKFLOW,
    "self_report_notice": STAFF,
    # the desk
    "stats_overview": READS_STATS,
    "stats_trend": READS_STATS,
    "my_todo": STAFF,
    "get_my_notice_settings": STAFF,
    "set_my_notice_settings": STAFF,
    # 排查
    "list_checks": STAFF,
    "set_check_parameters": WORKFLOW,
    "start_check_run": WORKFLOW,
    "get_check_run": STAFF,
    "list_findings": STAFF,
    "findings_summary": STAFF,
    "get_finding": STAFF,
    "dismiss_finding": WORKFLOW,
    "report_from_finding": WORKFLOW,
    "problem_from_finding": WORKFLOW,
    # import and export (the multipart body and the kind in the path answer 422 before the
    # role rule here; tests/transfer expects each role's refusal)
    "import_households": WORKFLOW,
    # the uploader's background import: anyone else (and the county over it) gets 404
    "get_household_import": STAFF,
    # the list of an area's imports: the county's, as importing is
    "list_household_imports": IMPORTS_HOUSEHOLDS,
    "export_records": WORKFLOW,
}

ROLE_AREAS = {
    Role.admin: None,
    Role.county_officer: f.NINGSHAN,
    Role.township_officer: f.JIANGKOU,
    Role.village_cadre: f.LENGSHUIGOU,
    Role.grid_worker: f.LENGSHUIGOU,
    Role.helper: f.LENGSHUIGOU,
    Role.inspector: f.NINGSHAN,
}
OPERATIONS = operations(create_app())


@pytest.fixture(autouse=True)
def _fresh_limits():  # type: ignore[no-untyped-def]
    from backend.reports import throttle

    throttle.reset()
    yield
    throttle.reset()


def test_every_endpoint_has_a_rule_and_every_rule_an_endpoint() -> None:
    ids = {op.operation_id for op in OPERATIONS}
    assert sorted(ids - RULES.keys()) == [], "write the access rule of each new endpoint here"
    assert sorted(RULES.keys() - ids) == [], "remove the rules of endpoints that are gone"
    assert set(ROLE_AREAS) == set(Role), "a new role needs its place in the matrix"


def test_public_exactly_where_the_rule_says_so() -> None:
    public = sorted(op.operation_id for op in OPERATIONS if op.public)
    assert public == sorted(k for k, rule in RULES.items() if rule == PUBLIC)


def _send(client: TestClient, op: Operation, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    kw = {"json": {}} if op.method in ("POST", "PUT", "PATCH") else {}
    return client.request(op.method, op.url(), headers=headers, **kw)


@pytest.mark.parametrize("op", [o for o in OPERATIONS if not o.public], ids=lambda o: o.key)
def test_without_a_token_401(client: TestClient, op: Operation) -> None:
    response = _send(client, op, {})
    assert response.status_code == 401, response.text
    bad = _send(client, op, {"Authorization": "Bearer x.y.z"})
    assert bad.status_code == 401


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_every_role_on_every_endpoint(client: TestClient, session: Session, role: Role) -> None:
    headers = f.auth(f.user(session, role, ROLE_AREAS[role]))
    seen = {}
    for op in OPERATIONS:
        rule = RULES[op.operation_id]
        status = _send(client, op, headers).status_code
        seen[op.key] = status
        assert status < 500, (op.key, status)
        if isinstance(rule, frozenset) and role not in rule:
            assert status == 403, (op.key, role, status)
            continue
        assert status != 401, (op.key, role)
        if rule == STAFF and "{" not in op.path:
            assert status != 403, (op.key, role)
        if "{" in op.path and "{code}" not in op.path and "{area_code}" not in op.path:
            # An id that is not in the caller's scope (it exists nowhere): never the record.
            assert status in (403, 404, 422), (op.key, role, status)


REPORT_ACTIONS = [
    ("GET", ""),
    ("POST", "/contact"),
    ("POST", "/assign"),
    ("POST", "/verify"),
    ("POST", "/community-review"),
    ("POST", "/public-notice"),
    ("POST", "/forward"),
    ("POST", "/reject"),
    ("POST", "/refer"),
    ("POST", "/withdraw"),
]


@pytest.mark.parametrize(("role", "area"), OUTSIDERS, ids=[r.value for r, _ in OUTSIDERS])
def test_a_report_outside_the_scope_is_404_on_every_endpoint(
    client: TestClient, session: Session, role: Role, area: str
) -> None:
    from tests.reports.conftest import submit

    rid = submit(client).json()["id"]
    headers = f.auth(f.user(session, role, area))
    for method, tail in REPORT_ACTIONS:
        body = {} if method == "POST" else None
        response = client.request(
            method, f"/api/v1/self-reports/{rid}{tail}", json=body, headers=headers
        )
        assert response.status_code == 404, (tail, response.status_code)
    listed = client.get("/api/v1/self-reports", headers=headers).json()
    assert rid not in {r["id"] for r in listed["data"]}


@pytest.mark.parametrize(("role", "area"), INSIDERS, ids=[r.value for r, _ in INSIDERS])
def test_a_report_inside_the_scope_is_reachable(
    client: TestClient, session: Session, role: Role, area: str | None
) -> None:
    from tests.reports.conftest import submit

    rid = submit(client).json()["id"]
    headers = f.auth(f.user(session, role, area))
    assert client.get(f"/api/v1/self-reports/{rid}", headers=headers).status_code == 200
    missing = client.get(f"/api/v1/self-reports/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404


# --- API clients -------------------------------------------------------------------------


def test_every_client_scope_names_an_endpoint() -> None:
    ids = {op.operation_id for op in OPERATIONS}
    assert sorted((CLIENT_SCOPES.keys() | CLIENT_ANY) - ids) == []
    public = {op.operation_id for op in OPERATIONS if op.public}
    assert sorted(CLIENT_SCOPES.keys() & public) == [], "a public endpoint needs no scope"


def test_a_client_without_the_scope_gets_403_everywhere(
    client: TestClient, session: Session
) -> None:
    """A client holding one scope is refused every operation that needs another (or that no
    client may call), before anything is read: 403 even for an id that exists nowhere."""
    headers = f.api_client_auth(client, session, ["stats:read"])
    for op in OPERATIONS:
        if op.public or op.operation_id in CLIENT_ANY:
            continue
        status = _send(client, op, headers).status_code
        if CLIENT_SCOPES.get(op.operation_id) == "stats:read":
            assert status != 403, op.key
        else:
            assert status == 403, (op.key, status)


def test_a_client_with_every_scope_is_never_refused_for_its_scope(
    client: TestClient, session: Session
) -> None:
    from backend.accounts.models import ApiScope

    headers = f.api_client_auth(client, session, [s.value for s in ApiScope])
    for op in OPERATIONS:
        if op.public or op.operation_id not in CLIENT_SCOPES:
            continue
        response = _send(client, op, headers)
        assert response.status_code < 500, op.key
        if response.status_code == 403:
            assert response.json()["error"] != "insufficient_scope", op.key
