"""Who may move a self-report, from which state: the table of rules (each transition's
states, roles and kinds), the buttons a user may press now (`allowed_actions`), and the check
that refuses a transition — 403 for the role, 409 naming the state (workflow.py makes the
transitions)."""

from dataclasses import dataclass

from backend.accounts.access import COUNTY, FIELD_WORKERS, TOWNSHIP_UP, VERIFIERS, VILLAGE_UP
from backend.accounts.models import Role, User
from backend.core.errors import Conflict, Forbidden
from backend.reports import deadlines
from backend.reports.models import (
    APPROVED,
    KIND_NAMES,
    OPEN,
    STATUS_NAMES,
    ReportKind,
    ReportStatus,
    SelfReport,
)

S = ReportStatus
# Where a fast-tracked report owes its civic steps, and where they may be recorded.
CIVIC_STATES = frozenset({S.verifying, S.township_review})
# A village cadre may close a report (withdraw, merge) only while it is still the
# village's; once the township has it, closing it is the township's or the county's call,
# so a report the village let run late cannot be made to disappear there.
VILLAGE_STATES = frozenset({S.submitted, S.verifying})


K = ReportKind
ALL_KINDS = frozenset(ReportKind)
SELF_REPORT = frozenset({K.self_report})
# The cases whose approval puts the household under monitoring.
MONITORS = frozenset({K.self_report, K.enrolment_proposal, K.revert_proposal})


@dataclass(frozen=True)
class Rule:
    from_states: frozenset[ReportStatus]
    roles: frozenset[Role]
    name: str  # 中文, for refusals
    kinds: frozenset[ReportKind] = ALL_KINDS


RULES: dict[str, Rule] = {
    "assign": Rule(frozenset({S.submitted, S.verifying}), VILLAGE_UP, "安排入户核实", SELF_REPORT),
    "verify": Rule(frozenset({S.verifying}), VILLAGE_UP | VERIFIERS, "记录核实结果", SELF_REPORT),
    "community_review": Rule(CIVIC_STATES | {S.enrolled}, VILLAGE_UP, "记录民主评议"),
    "public_notice": Rule(CIVIC_STATES | {S.enrolled}, VILLAGE_UP, "记录村内公示"),
    "forward": Rule(frozenset({S.township_review}), TOWNSHIP_UP, "乡镇审核通过,报县审定"),
    "enroll": Rule(frozenset({S.county_approval}), COUNTY, "审定纳入监测", MONITORS),
    "clear": Rule(
        frozenset({S.county_approval}), COUNTY, "审定风险消除", frozenset({K.clearance_proposal})
    ),
    "fast_track": Rule(frozenset(OPEN), COUNTY, "绿色通道先行纳入", SELF_REPORT),
    "reject": Rule(frozenset({S.township_review, S.county_approval}), TOWNSHIP_UP, "不予通过"),
    "refer": Rule(
        frozenset({S.township_review, S.county_approval}), TOWNSHIP_UP, "转介其他帮扶", SELF_REPORT
    ),
    "withdraw": Rule(frozenset(OPEN), VILLAGE_UP, "撤回"),
    "merge": Rule(frozenset(OPEN), VILLAGE_UP, "合并到同户报告", SELF_REPORT),
    "announce": Rule(APPROVED, VILLAGE_UP, "记录公告"),
}


def role_ok(action: str, report: SelfReport, user: User) -> bool:
    rule = RULES[action]
    if user.role not in rule.roles:
        return False
    if user.role in FIELD_WORKERS:
        # Field workers act only on what they were sent to verify.
        return report.assignee_id == user.id
    if action in ("reject", "refer") and report.status == S.county_approval:
        return user.role in COUNTY  # once with the county, only the county decides
    if action in ("withdraw", "merge") and report.status not in VILLAGE_STATES:
        return user.role in TOWNSHIP_UP
    if action in ("community_review", "public_notice") and report.status == S.enrolled:
        return deadlines.backfill_pending(report)
    if action == "announce":
        # Once, and not while a fast-tracked enrolment still owes its 评议 or 公示.
        return report.announced_on is None and not deadlines.backfill_pending(report)
    return True


def state_ok(action: str, report: SelfReport) -> bool:
    rule = RULES[action]
    return report.kind in rule.kinds and report.status in rule.from_states


def allowed_actions(report: SelfReport, user: User) -> list[str]:
    """The transitions `user` may make on `report` now (the screen shows these buttons)."""
    return [a for a in RULES if state_ok(a, report) and role_ok(a, report, user)]


def check(action: str, report: SelfReport, user: User) -> None:
    """403 for the wrong role, then 409 naming the state for the wrong state."""
    rule = RULES[action]
    if user.role not in rule.roles or (
        user.role in FIELD_WORKERS and report.assignee_id != user.id
    ):
        raise Forbidden(f"您的角色不能{rule.name}", code="role_forbidden")
    if report.kind not in rule.kinds:
        raise Conflict(
            f"{KIND_NAMES[report.kind]}不能{rule.name}",
            code="wrong_kind",
            detail={"kind": str(report.kind), "action": action},
        )
    if not state_ok(action, report):
        raise Conflict(
            f"报告当前为「{STATUS_NAMES[report.status]}」,不能{rule.name}",
            code="wrong_state",
            detail={
                "status": str(report.status),
                "action": action,
                "allowed_from": sorted(s.value for s in rule.from_states),
            },
        )
    if not role_ok(action, report, user):
        if action == "announce":
            if report.announced_on is not None:
                raise Conflict("公告已记录", code="already_announced")
            raise Conflict("绿色通道纳入的,先补录民主评议和公示,再记录公告", code="backfill_first")
        if report.status == S.enrolled:
            raise Conflict("绿色通道之外,纳入后不再补录评议和公示", code="no_backfill_pending")
        if action in ("withdraw", "merge"):
            raise Forbidden(
                f"报告已到{STATUS_NAMES[report.status]}阶段,村里不能{rule.name},请联系乡镇",
                code="role_forbidden",
            )
        raise Forbidden(f"报告已报县里审定,乡镇不能{rule.name}", code="role_forbidden")
