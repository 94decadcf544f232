"""Acting on one finding: dismissing it (排除), turning it into a report made on the
household's behalf (代报), or into a rectification problem (系统核查)."""

import uuid
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from backend.accounts.access import DISMISSES_FINDINGS, ISSUERS, REPORTS_FROM_FINDINGS
from backend.accounts.models import User
from backend.audit import service as audit
from backend.checks.models import Finding, FindingStatus
from backend.checks.service import check_named
from backend.core import clock
from backend.core.errors import Conflict, Forbidden
from backend.core.usecase import use_case
from backend.households import service as households_service
from backend.households.models import RiskType
from backend.rectification import batches as rectification_batches
from backend.rectification import service as rectification_service
from backend.rectification.models import ProblemSource
from backend.rectification.schemas import BatchCreate, ProblemCreate
from backend.reports import service as reports_service

NOT_OPEN = "只有待处理的排查发现可以这样处理"


def _require_open(finding: Finding) -> None:
    if finding.status != FindingStatus.open:
        raise Conflict(NOT_OPEN, code="finding_not_open")


@use_case
def dismiss(*, session: Session, finding: Finding, reason: str, actor: User) -> Finding:
    """排除: the finding stays dismissed until the values that triggered it change."""
    if actor.role not in DISMISSES_FINDINGS:
        raise Forbidden("只有乡镇干部和县乡村振兴局可以排除排查发现", code="role_forbidden")
    _require_open(finding)
    finding.status = FindingStatus.dismissed
    finding.dismissed_at, finding.dismissed_by = clock.now(), actor.id
    finding.dismiss_reason = reason
    finding.dismissed_fingerprint = finding.fingerprint
    session.add(finding)
    session.flush()
    audit.record_change(
        session=session,
        row=finding,
        actor=actor,
        action="dismiss",
        changes={"status": [FindingStatus.open, finding.status], "reason": [None, reason]},
    )
    return finding


@use_case
def to_report(*, session: Session, finding: Finding, actor: User, note: str) -> Any:
    """A self-report on the household's behalf (代报), verifying and assigned to the actor."""
    if actor.role not in REPORTS_FROM_FINDINGS:
        raise Forbidden("只有村干部、乡镇干部和县乡村振兴局可以代报", code="role_forbidden")
    _require_open(finding)
    check = check_named(finding.check_code)
    if not check.reportable or finding.household_id is None:
        raise Conflict("这类排查发现是台账或工作问题,请转为整改问题", code="not_reportable")
    if finding.report_id is not None:
        raise Conflict("这条排查发现已转为代报", code="already_reported")
    household = households_service.get_visible(
        session=session, user=actor, household_id=finding.household_id
    )
    wanted = finding.values.get("risk_types") or list(check.risk_types)
    risk_types = [RiskType(r) for r in wanted if r in RiskType.__members__]
    report = reports_service.open_on_behalf(
        session=session,
        household=household,
        risk_types=risk_types or [RiskType.other],
        actor=actor,
        note=(note or f"系统排查发现:{check.title}。{finding.summary}")[:500],
    )
    _link(session=session, finding=finding, actor=actor, field="report_id", target=report.id)
    return report


def _link(
    *, session: Session, finding: Finding, actor: User, field: str, target: uuid.UUID
) -> None:
    """The finding points at the report or problem made from it (`field`), audited as
    to_report / to_problem."""
    setattr(finding, field, target)
    session.add(finding)
    audit.record_change(
        session=session,
        row=finding,
        actor=actor,
        action=f"to_{field.removesuffix('_id')}",
        changes={field: [None, target]},
    )
    session.flush()


def _batch(*, session: Session, actor: User, area_code: str, today: date) -> Any:
    """This month's 系统核查 problem list of the actor's area, made on first use."""
    title = f"系统核查发现问题({today.year}年{today.month}月)"
    found = rectification_batches.batch_titled(
        session=session, source=ProblemSource.check_rule, area_code=area_code, title=title
    )
    if found is not None:
        return found
    data = BatchCreate(
        source=ProblemSource.check_rule,
        area_code=area_code,
        title=title,
        issued_on=today,
        deadline=today + timedelta(days=365),
    )
    return rectification_batches.create_batch(session=session, data=data, actor=actor)


@use_case
def to_problem(*, session: Session, finding: Finding, actor: User, deadline_days: int) -> Any:
    """A rectification problem (source 系统核查) issued to the finding's area."""
    if actor.role not in ISSUERS:
        raise Forbidden("只有督查员、县乡村振兴局和乡镇干部可以下发问题", code="role_forbidden")
    _require_open(finding)
    if finding.problem_id is not None:
        raise Conflict("这条排查发现已转为整改问题", code="already_problem")
    check = check_named(finding.check_code)
    today = clock.today()
    area = actor.scope or finding.area_code[:6]
    batch = _batch(session=session, actor=actor, area_code=area, today=today)
    data = ProblemCreate(
        title=f"{check.title}:{finding.summary}"[:200],
        description=f"排查规则:{check.rule}\n发现:{finding.summary}",
        category=check.problem_category,
        severity=check.severity,
        area_code=finding.area_code,
        deadline=today + timedelta(days=deadline_days),
        household_ids=[finding.household_id] if finding.household_id else [],
    )
    problem = rectification_service.add_problem(
        session=session, batch=batch, data=data, actor=actor
    )
    _link(session=session, finding=finding, actor=actor, field="problem_id", target=problem.id)
    return problem
