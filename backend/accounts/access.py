"""Who may do what, written once: every role set, and the helper rule (a 帮扶责任人 sees only
what is assigned to them). Domains import these; none keeps a copy of its own."""

import uuid
from typing import Any

from sqlalchemy.sql import ColumnElement

from backend.accounts.models import ApiScope, Role, User
from backend.core.scope import contains, within

# --- role sets ---------------------------------------------------------------------------

# Who may read an ID number (and a phone number) whole; everyone else gets 620422********1234.
SEES_FULL_ID_NUMBER = frozenset({Role.county_officer, Role.township_officer, Role.village_cadre})
# Who may create and change household records.
EDITS_HOUSEHOLDS = frozenset(
    {Role.admin, Role.county_officer, Role.township_officer, Role.village_cadre}
)
# Who manages accounts (inside their own scope).
MANAGES_USERS = frozenset({Role.admin, Role.county_officer})
# Who may be named as a household's 帮扶责任人.
HELPER_ROLES = frozenset(
    {Role.helper, Role.village_cadre, Role.grid_worker, Role.township_officer, Role.county_officer}
)
# Who goes out and visits households.
VISITORS = frozenset(
    {Role.helper, Role.village_cadre, Role.grid_worker, Role.township_officer, Role.county_officer}
)
# Of those, who visits every household they see (township and county officers visit only
# the households assigned to them).
VISITS_ALL_THEY_SEE = frozenset({Role.helper, Role.village_cadre, Role.grid_worker})
# Who watches visit coverage (遍访) over an area.
WATCHES_COVERAGE = frozenset(
    {
        Role.admin,
        Role.county_officer,
        Role.township_officer,
        Role.village_cadre,
        Role.grid_worker,
        Role.inspector,
    }
)
# Who reads the statistics of an area (the dashboard): everyone who watches an area; a
# helper watches only their own households.
READS_STATS = frozenset(set(Role) - {Role.helper})
# Who works a self-report at each level: the village and up, the township and up, the county.
VILLAGE_UP = frozenset({Role.village_cadre, Role.township_officer, Role.county_officer, Role.admin})
TOWNSHIP_UP = frozenset({Role.township_officer, Role.county_officer, Role.admin})
COUNTY = frozenset({Role.county_officer, Role.admin})
# Who may be sent to verify a report on the spot (and act only on what they were sent to).
VERIFIERS = frozenset({Role.village_cadre, Role.helper, Role.grid_worker})
FIELD_WORKERS = frozenset({Role.helper, Role.grid_worker})
# Who issues problem lists and reviews rectification; who may claim a problem.
ISSUERS = frozenset({Role.inspector, Role.county_officer, Role.township_officer})
REVIEWERS = ISSUERS
CLAIMERS = frozenset(set(Role) - {Role.admin})
# 排查: who runs the checks over their area, who changes a check's parameters (for a county
# or above), who dismisses a finding, who opens a report from one (the report is assigned
# to them, so a person who verifies), who sets monitoring lines (with a province's scope).
RUNS_CHECKS = frozenset({Role.admin, Role.county_officer, Role.township_officer})
SETS_CHECK_PARAMETERS = COUNTY
DISMISSES_FINDINGS = frozenset({Role.county_officer, Role.township_officer})
REPORTS_FROM_FINDINGS = frozenset({Role.village_cadre, Role.township_officer, Role.county_officer})
SETS_MONITORING_LINES = COUNTY
# Whose 待办 lists the open findings of their area: whoever can do something with one.
ACTS_ON_FINDINGS = DISMISSES_FINDINGS | REPORTS_FROM_FINDINGS | ISSUERS
# Who brings a county's households in from a sheet (past registration dates and monitoring
# decisions: the county's), and who exports an area's records (those who watch an area; a
# helper has the phone's list of their own households instead).
IMPORTS_HOUSEHOLDS = COUNTY
EXPORTS = WATCHES_COVERAGE
# 部门预警: who works the triage queue (a report on the household's behalf, or dismissal).
TRIAGES_WARNINGS = frozenset({Role.township_officer, Role.county_officer})
# Who creates, rotates and revokes API clients (inside their own scope), and the roles a
# client may act in.
MANAGES_API_CLIENTS = MANAGES_USERS
CLIENT_ROLES = frozenset(
    {Role.county_officer, Role.township_officer, Role.village_cadre, Role.inspector}
)


# --- API clients: the scope each operation needs -----------------------------------------

S = ApiScope
# operation_id -> the scope an API client needs to call it. An operation missing here is
# refused to every client (403), whatever its scopes: accounts, the audit log, the calendar
# and the to-do list are for people. CLIENT_ANY: any client, without a scope.
CLIENT_ANY = frozenset({"whoami"})
CLIENT_SCOPES: dict[str, ApiScope] = {
    **dict.fromkeys(
        ("list_households", "get_household", "list_monitoring_lines", "household_ledger"),
        S.households_read,
    ),
    **dict.fromkeys(
        (
            "create_household",
            "update_household",
            "add_member",
            "update_member",
            "put_income",
            "put_plan",
            "add_measure",
            "update_measure",
            "enroll",
            "clear_risk",
            "revert",
            "propose",
        ),
        S.households_write,
    ),
    **dict.fromkeys(
        (
            "list_self_reports",
            "self_report_numbers",
            "get_self_report",
            "self_report_notice",
            "list_deadlines",
            "get_deadline",
        ),
        S.reports_read,
    ),
    **dict.fromkeys(
        (
            "assign_self_report",
            "verify_self_report",
            "record_community_review",
            "record_public_notice",
            "forward_self_report",
            "enroll_self_report",
            "fast_track_self_report",
            "reject_self_report",
            "refer_self_report",
            "withdraw_self_report",
            "merge_self_report",
            "clear_risk_self_report",
            "announce_self_report",
        ),
        S.reports_write,
    ),
    **dict.fromkeys(("list_visits", "get_visit", "visit_coverage"), S.visits_read),
    **dict.fromkeys(("record_visit", "record_visits_batch"), S.visits_write),
    **dict.fromkeys(
        (
            "list_problems",
            "get_problem",
            "list_problem_batches",
            "get_problem_batch",
            "problem_boards",
            "export_problem_ledger",
            "rectification_report",
        ),
        S.problems_read,
    ),
    **dict.fromkeys(
        (
            "create_problem_batch",
            "update_problem_batch",
            "create_problem",
            "import_problems",
            "update_problem",
            "claim_problem",
            "add_rectification_step",
            "add_progress_note",
            "add_evidence",
            "remove_evidence",
            "submit_for_closure",
            "close_problem",
            "return_problem",
            "mark_problem_ongoing",
            "copy_problem",
        ),
        S.problems_write,
    ),
    **dict.fromkeys(
        ("list_checks", "get_check_run", "list_findings", "get_finding"), S.checks_read
    ),
    **dict.fromkeys(("stats_overview", "stats_trend"), S.stats_read),
    **dict.fromkeys(("download_file", "get_file"), S.files_read),
    "upload_file": S.files_write,
    **dict.fromkeys(
        (
            "create_webhook_subscription",
            "list_webhook_subscriptions",
            "delete_webhook_subscription",
            "list_webhook_deliveries",
            "get_webhook_delivery",
            "replay_webhook_delivery",
        ),
        S.webhooks_manage,
    ),
    **dict.fromkeys(("create_warning", "list_sent_warnings", "get_sent_warning"), S.warnings_write),
    # Transfer: bringing a county's households in, and taking an area's records out (every
    # kind of export; ID numbers whole only for the roles that see them so, as for a person).
    "import_households": S.households_import,
    "get_household_import": S.households_import,
    "list_household_imports": S.households_import,
    "export_records": S.exports_read,
}


def client_may_call(operation_id: str | None, scopes: frozenset[str]) -> bool:
    """Whether an API client holding `scopes` may call the operation."""
    if operation_id in CLIENT_ANY:
        return True
    needed = CLIENT_SCOPES.get(operation_id or "")
    return needed is not None and needed in scopes


# --- the helper rule ---------------------------------------------------------------------


def bound_to_assignments(user: User) -> bool:
    """A helper sees only the households (and their records) assigned to them."""
    return user.role == Role.helper


def conditions(user: User, *, area_code: Any, assignee: Any) -> list[ColumnElement[bool]]:
    """What every query of `user` over a table carries: the area scope, and for a helper
    the row's assignee column (a household's helper, a report's assignee) being them."""
    cond = [within(area_code, user.scope)]
    if bound_to_assignments(user):
        cond.append(assignee == user.id)
    return cond


def sees(user: User, *, area_code: str | None, assignee_id: uuid.UUID | None) -> bool:
    """The same rule for one row already loaded."""
    if not contains(user.scope, area_code):
        return False
    return not bound_to_assignments(user) or assignee_id == user.id
