"""The exports of the cases an area works on: self-reports (under the helper rule on the
report's assignee), rectification problems and 排查 findings. Read-only over their domains'
tables, a partition at a time (exports.py streams them)."""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from backend.accounts import access
from backend.accounts.models import User
from backend.checks.catalogue import CHECKS
from backend.checks.models import FINDING_STATUS_NAMES, Finding
from backend.core.scope import within
from backend.households.models import RISK_NAMES, Household
from backend.rectification.models import CATEGORY_NAMES as PROBLEM_CATEGORY_NAMES
from backend.rectification.models import SEVERITY_NAMES, SOURCE_NAMES, Problem, ProblemBatch
from backend.rectification.models import STATUS_NAMES as PROBLEM_STATUS_NAMES
from backend.reports.models import KIND_NAMES as REPORT_KIND_NAMES
from backend.reports.models import STATUS_NAMES as REPORT_STATUS_NAMES
from backend.reports.models import SelfReport
from backend.transfer.export_spec import (
    ExportFilters,
    Reader,
    Spec,
    area_filter,
    date_cell,
    filtered,
    time_cell,
)


def _reports_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = select(SelfReport).where(
        *access.conditions(user, area_code=SelfReport.area_code, assignee=SelfReport.assignee_id),
        *area_filter(SelfReport.area_code, f),
    )
    stmt = filtered(
        stmt, f, status=SelfReport.status, year=func.extract("year", SelfReport.submitted_at)
    )
    return stmt.order_by(col(SelfReport.submitted_at), col(SelfReport.id))


REPORT_HEADERS = (
    "受理编号",
    "提交时间",
    "所属村",
    "村代码",
    "类型",
    "状态",
    "姓名",
    "证件号码",
    "手机号",
    "代报",
    "代报人",
    "风险类型",
    "情况说明",
    "核实情况",
    "办结时间",
    "办理意见",
)


def _report_rows(_s: Session, r: Reader, part: Sequence[Any]) -> Iterable[list[Any]]:
    for (s,) in part:
        yield [
            s.receipt_code,
            time_cell(s.submitted_at),
            r.names.get(s.area_code, ""),
            s.area_code,
            REPORT_KIND_NAMES.get(s.kind, s.kind),
            REPORT_STATUS_NAMES.get(s.status, s.status),
            s.name,
            r.id_number(s.id_number_cipher),
            r.phone(s.phone),
            "是" if s.on_behalf else "否",
            s.reporter_name or "",
            "、".join(RISK_NAMES.get(x, x) for x in s.risk_types),  # type: ignore[call-overload]
            s.note,
            s.findings,
            time_cell(s.decided_at),
            s.decision_reason,
        ]


def _problems_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = (
        select(Problem, ProblemBatch.title, ProblemBatch.source)
        .join(ProblemBatch, col(ProblemBatch.id) == col(Problem.batch_id))
        .where(within(Problem.area_code, user.scope), *area_filter(Problem.area_code, f))
    )
    stmt = filtered(stmt, f, status=Problem.status, year=func.extract("year", Problem.deadline))
    return stmt.order_by(col(Problem.deadline), col(Problem.number), col(Problem.id))


PROBLEM_HEADERS = (
    "问题清单",
    "来源",
    "序号",
    "问题标题",
    "问题描述",
    "类别",
    "严重程度",
    "地区",
    "地区代码",
    "责任单位",
    "责任人",
    "整改时限",
    "状态",
    "退回次数",
    "长期坚持",
    "销号时间",
)


def _problem_rows(_s: Session, r: Reader, part: Sequence[Any]) -> Iterable[list[Any]]:
    for p, batch_title, source in part:
        yield [
            batch_title,
            SOURCE_NAMES.get(source, source),
            p.number,
            p.title,
            p.description,
            PROBLEM_CATEGORY_NAMES.get(p.category, p.category),
            SEVERITY_NAMES.get(p.severity, p.severity),
            r.names.get(p.area_code, ""),
            p.area_code,
            p.responsible_unit,
            p.responsible_person,
            date_cell(p.deadline),
            PROBLEM_STATUS_NAMES.get(p.status, p.status),
            p.return_count,
            "是" if p.ongoing else "否",
            time_cell(p.closed_at),
        ]


def _findings_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = (
        select(Finding, Household.reference)
        .outerjoin(Household, col(Household.id) == col(Finding.household_id))
        .where(within(Finding.area_code, user.scope), *area_filter(Finding.area_code, f))
    )
    if access.bound_to_assignments(user):
        stmt = stmt.where(Household.helper_id == user.id)
    stmt = filtered(stmt, f, status=Finding.status)
    return stmt.order_by(col(Finding.first_seen_at), col(Finding.id))


FINDING_HEADERS = (
    "核查规则",
    "规则名称",
    "户编号",
    "地区",
    "地区代码",
    "状态",
    "严重程度",
    "摘要",
    "首次发现",
    "最近发现",
    "消除时间",
    "忽略原因",
)


def _finding_rows(_s: Session, r: Reader, part: Sequence[Any]) -> Iterable[list[Any]]:
    for fd, reference in part:
        check = CHECKS.get(fd.check_code)
        yield [
            fd.check_code,
            check.title if check else "",
            reference or "",
            r.names.get(fd.area_code, ""),
            fd.area_code,
            FINDING_STATUS_NAMES.get(fd.status, fd.status),
            fd.severity,
            fd.summary,
            time_cell(fd.first_seen_at),
            time_cell(fd.last_seen_at),
            time_cell(fd.resolved_at),
            fd.dismiss_reason,
        ]


REPORTS = Spec("一键报贫报告", REPORT_HEADERS, _reports_query, _report_rows, REPORT_STATUS_NAMES)
PROBLEMS = Spec("整改问题", PROBLEM_HEADERS, _problems_query, _problem_rows, PROBLEM_STATUS_NAMES)
FINDINGS = Spec("排查发现", FINDING_HEADERS, _findings_query, _finding_rows, FINDING_STATUS_NAMES)
