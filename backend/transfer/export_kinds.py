"""What each kind of export reads and how its rows read: one query per kind over the caller's
area (and the helper rule where a household is the subject), the look-ups a partition of
rows needs, and the cells of each row with its headers (exports.py checks the request and
streams the file). Exports read other domains' tables, read-only, as the statistics do."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from backend.accounts import access
from backend.accounts import service as accounts_service
from backend.accounts.models import User
from backend.checks.catalogue import CHECKS
from backend.checks.models import FINDING_STATUS_NAMES, Finding
from backend.core import clock, security
from backend.core.scope import within
from backend.households.models import (
    CATEGORY_NAMES,
    HEALTH_NAMES,
    LABOUR_NAMES,
    RELATION_NAMES,
    RISK_NAMES,
    SCHOOLING_NAMES,
    STATUS_NAMES,
    TYPE_NAMES,
    Household,
    HouseholdRisk,
    Member,
    Relation,
)
from backend.rectification.models import CATEGORY_NAMES as PROBLEM_CATEGORY_NAMES
from backend.rectification.models import SEVERITY_NAMES, SOURCE_NAMES, Problem, ProblemBatch
from backend.rectification.models import STATUS_NAMES as PROBLEM_STATUS_NAMES
from backend.reports.models import KIND_NAMES as REPORT_KIND_NAMES
from backend.reports.models import STATUS_NAMES as REPORT_STATUS_NAMES
from backend.reports.models import SelfReport
from backend.transfer.schemas import ExportKind
from backend.visits.models import KIND_NAMES as VISIT_KIND_NAMES
from backend.visits.models import LedgerEntry, Visit

SEX_NAMES = {"male": "男", "female": "女"}


@dataclass(frozen=True)
class ExportFilters:
    """The filters every kind takes (area), and the two each kind reads its own way: `status`
    (the household's monitoring status, the report's, the problem's, the finding's) and
    `year` (of the visit, the ledger month, the report's submission, the problem's deadline)."""

    area: str | None = None
    status: str | None = None
    year: int | None = None
    # Whole ID and phone numbers, asked for by a role that may read them (the export's audit
    # row says so); masked otherwise, as every answer shows them.
    full_ids: bool = False


@dataclass
class Reader:
    """What each row's formatting needs: whether numbers come whole, and the look-ups made
    once per partition."""

    whole: bool
    names: dict[str, str]  # area code → name (every area of the scope, read once)

    def id_number(self, cipher: str | None) -> str:
        if not cipher:
            return ""
        value = security.decrypt_id_number(cipher)
        return value if self.whole else security.mask_id_number(value)

    def phone(self, value: str | None) -> str:
        if not value:
            return ""
        return value if self.whole else security.mask_phone(value)


@dataclass(frozen=True)
class Spec:
    title: str
    headers: Sequence[str]
    query: Callable[[User, ExportFilters], Select]  # type: ignore[type-arg]
    # A partition of result rows → the cells of each, with look-ups for the partition.
    rows: Callable[[Session, Reader, Sequence[Any]], Iterable[list[Any]]]
    statuses: dict[Any, str] | None = None


def _date(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def _time(value: Any) -> str:
    if value is None:
        return ""
    return value.astimezone(clock.CHINA).strftime("%Y-%m-%d %H:%M")


def _area_filter(column: Any, f: ExportFilters) -> list[Any]:
    return [within(column, f.area)] if f.area else []


def _filtered(
    stmt: Select,  # type: ignore[type-arg]
    f: ExportFilters,
    *,
    status: Any = None,
    year: Any = None,
) -> Select:  # type: ignore[type-arg]
    """The `status` and `year` filters as this kind reads them (`status` the column compared,
    `year` the expression); check() has refused the filters a kind does not take."""
    if f.status and status is not None:
        stmt = stmt.where(status == f.status)
    if f.year and year is not None:
        stmt = stmt.where(year == f.year)
    return stmt


# --- households and members ------------------------------------------------------------


def _households_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = select(Household).where(
        *access.conditions(user, area_code=Household.area_code, assignee=Household.helper_id),
        *_area_filter(Household.area_code, f),
    )
    stmt = _filtered(stmt, f, status=Household.monitoring_status)
    return stmt.order_by(col(Household.area_code), col(Household.reference))


def _heads_sizes_risks(
    session: Session, ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, int], dict[uuid.UUID, list[str]]]:
    heads: dict[uuid.UUID, str] = {}
    sizes: dict[uuid.UUID, int] = {}
    for hid, name, relation in session.execute(
        select(Member.household_id, Member.name, Member.relation).where(
            col(Member.household_id).in_(ids), col(Member.active).is_(True)
        )
    ):
        sizes[hid] = sizes.get(hid, 0) + 1
        if relation == Relation.head:
            heads[hid] = name
    risks: dict[uuid.UUID, list[str]] = {}
    for hid, risk in session.execute(
        select(HouseholdRisk.household_id, HouseholdRisk.risk_type)
        .where(col(HouseholdRisk.household_id).in_(ids))
        .order_by(col(HouseholdRisk.risk_type))
    ):
        risks.setdefault(hid, []).append(RISK_NAMES.get(risk, risk))
    return heads, sizes, risks


def _monitoring_cells(r: Reader, h: Household, risks: dict[uuid.UUID, list[str]]) -> list[Any]:
    """The household's monitoring and contact columns, the same in both exports (监测对象类别
    through 联系电话)."""
    return [
        TYPE_NAMES.get(h.monitoring_type, "") if h.monitoring_type else "",
        "、".join(risks.get(h.id, [])),
        _date(h.enrolled_on),
        _date(h.risk_cleared_on),
        _date(h.registered_on),
        r.phone(h.phone),
    ]


HOUSEHOLD_HEADERS = (
    "户编号",
    "所属村",
    "村代码",
    "户主姓名",
    "人数",
    "户类型",
    "监测状态",
    "监测对象类别",
    "风险类型",
    "纳入监测时间",
    "风险消除时间",
    "建档时间",
    "联系电话",
    "家庭住址",
)


def _household_rows(session: Session, r: Reader, part: Sequence[Any]) -> Iterable[list[Any]]:
    households = [row[0] for row in part]
    heads, sizes, risks = _heads_sizes_risks(session, [h.id for h in households])
    for h in households:
        yield [
            h.reference,
            r.names.get(h.area_code, ""),
            h.area_code,
            heads.get(h.id, ""),
            sizes.get(h.id, 0),
            CATEGORY_NAMES.get(h.category, h.category),
            STATUS_NAMES.get(h.monitoring_status, h.monitoring_status),
            *_monitoring_cells(r, h, risks),
            h.address,
        ]


def _members_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = (
        select(Member, Household)
        .join(Household, col(Household.id) == col(Member.household_id))
        .where(
            *access.conditions(user, area_code=Household.area_code, assignee=Household.helper_id),
            *_area_filter(Household.area_code, f),
            col(Member.active).is_(True),
        )
    )
    stmt = _filtered(stmt, f, status=Household.monitoring_status)
    return stmt.order_by(col(Household.area_code), col(Household.reference), col(Member.id))


# The import's headers (households/import_columns.py), so a members export reads back in.
MEMBER_HEADERS = (
    "户编号",
    "户主姓名",
    "姓名",
    "证件号码",
    "与户主关系",
    "性别",
    "出生日期",
    "健康状况",
    "在校生情况",
    "劳动技能",
    "所属村",
    "村代码",
    "户类型",
    "监测对象类别",
    "风险类型",
    "纳入监测时间",
    "风险消除时间",
    "建档时间",
    "联系电话",
)


def _member_rows(session: Session, r: Reader, part: Sequence[Any]) -> Iterable[list[Any]]:
    ids = list({h.id for _m, h in part})
    heads, _sizes, risks = _heads_sizes_risks(session, ids)
    for m, h in part:
        yield [
            h.reference,
            heads.get(h.id, ""),
            m.name,
            r.id_number(m.id_number_cipher),
            RELATION_NAMES.get(m.relation, m.relation),
            SEX_NAMES.get(m.sex, m.sex),
            _date(m.birth_date),
            HEALTH_NAMES.get(m.health, m.health),
            SCHOOLING_NAMES.get(m.schooling, m.schooling),
            LABOUR_NAMES.get(m.labour, m.labour),
            r.names.get(h.area_code, ""),
            h.area_code,
            CATEGORY_NAMES.get(h.category, h.category),
            *_monitoring_cells(r, h, risks),
        ]


# --- visits and ledger -------------------------------------------------------------------


def _with_reference(model: Any, user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    """A household's record beside its 户编号, seen as the caller sees the household (the
    helper rule on the household's helper)."""
    return (
        select(model, Household.reference)
        .join(Household, col(Household.id) == col(model.household_id))
        .where(
            *access.conditions(user, area_code=model.area_code, assignee=Household.helper_id),
            *_area_filter(model.area_code, f),
        )
    )


def _visits_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = _with_reference(Visit, user, f)
    if f.year:
        stmt = stmt.where(col(Visit.month).startswith(f"{f.year}-"))
    return stmt.order_by(col(Visit.visited_at), col(Visit.id))


VISIT_HEADERS = (
    "走访时间",
    "月份",
    "户编号",
    "所属村",
    "村代码",
    "走访方式",
    "走访人",
    "接听人",
    "帮扶情况",
    "走访记录",
    "新发现风险",
    "农户认可",
    "认可人",
    "更正的走访",
)


def _user_names(session: Session, ids: set[Any]) -> dict[Any, str]:
    return {
        uid: name
        for uid, (name, _) in accounts_service.names_and_units(session=session, ids=ids).items()
    }


def _visit_rows(session: Session, r: Reader, part: Sequence[Any]) -> Iterable[list[Any]]:
    users = _user_names(session, {v.visitor_id for v, _ in part})
    for v, reference in part:
        yield [
            _time(v.visited_at),
            v.month,
            reference,
            r.names.get(v.area_code, ""),
            v.area_code,
            VISIT_KIND_NAMES.get(v.kind, v.kind),
            users.get(v.visitor_id, ""),
            v.reached or "",
            v.help_given,
            v.notes,
            "、".join(RISK_NAMES.get(x, x) for x in v.new_risks),  # type: ignore[call-overload]
            "是" if v.family_agrees else "否",
            v.agreed_by or "",
            str(v.corrects_id) if v.corrects_id else "",
        ]


def _ledger_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = _filtered(_with_reference(LedgerEntry, user, f), f, year=LedgerEntry.year)
    return stmt.order_by(col(LedgerEntry.month), col(LedgerEntry.id))


LEDGER_HEADERS = (
    "月份",
    "户编号",
    "所属村",
    "村代码",
    "工资性收入",
    "经营性收入",
    "财产性收入",
    "转移性收入",
    "生产经营性支出",
    "纯收入",
    "医疗支出",
    "教育支出",
    "其他支出",
    "家庭人数",
    "收入照抄上年",
    "登记时间",
    "已被更正",
)


def _ledger_rows(_s: Session, r: Reader, part: Sequence[Any]) -> Iterable[list[Any]]:
    for e, reference in part:
        yield [
            e.month,
            reference,
            r.names.get(e.area_code, ""),
            e.area_code,
            e.wage,
            e.business,
            e.property,
            e.transfer,
            e.business_cost,
            e.net_income,
            e.medical_spending,
            e.schooling_spending,
            e.other_spending,
            e.household_size,
            "是" if e.copied_from_last_year else "否",
            _time(e.as_of),
            "是" if e.superseded_at else "否",
        ]


# --- reports, problems, findings ---------------------------------------------------------


def _reports_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = select(SelfReport).where(
        *access.conditions(user, area_code=SelfReport.area_code, assignee=SelfReport.assignee_id),
        *_area_filter(SelfReport.area_code, f),
    )
    stmt = _filtered(
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
            _time(s.submitted_at),
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
            _time(s.decided_at),
            s.decision_reason,
        ]


def _problems_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = (
        select(Problem, ProblemBatch.title, ProblemBatch.source)
        .join(ProblemBatch, col(ProblemBatch.id) == col(Problem.batch_id))
        .where(within(Problem.area_code, user.scope), *_area_filter(Problem.area_code, f))
    )
    stmt = _filtered(stmt, f, status=Problem.status, year=func.extract("year", Problem.deadline))
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
            _date(p.deadline),
            PROBLEM_STATUS_NAMES.get(p.status, p.status),
            p.return_count,
            "是" if p.ongoing else "否",
            _time(p.closed_at),
        ]


def _findings_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = (
        select(Finding, Household.reference)
        .outerjoin(Household, col(Household.id) == col(Finding.household_id))
        .where(within(Finding.area_code, user.scope), *_area_filter(Finding.area_code, f))
    )
    if access.bound_to_assignments(user):
        stmt = stmt.where(Household.helper_id == user.id)
    stmt = _filtered(stmt, f, status=Finding.status)
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
            _time(fd.first_seen_at),
            _time(fd.last_seen_at),
            _time(fd.resolved_at),
            fd.dismiss_reason,
        ]


SPECS: dict[ExportKind, Spec] = {
    ExportKind.households: Spec(
        "农户", HOUSEHOLD_HEADERS, _households_query, _household_rows, STATUS_NAMES
    ),
    ExportKind.members: Spec(
        "家庭成员", MEMBER_HEADERS, _members_query, _member_rows, STATUS_NAMES
    ),
    ExportKind.visits: Spec("走访记录", VISIT_HEADERS, _visits_query, _visit_rows),
    ExportKind.ledger: Spec("收支登记", LEDGER_HEADERS, _ledger_query, _ledger_rows),
    ExportKind.reports: Spec(
        "一键报贫报告", REPORT_HEADERS, _reports_query, _report_rows, REPORT_STATUS_NAMES
    ),
    ExportKind.problems: Spec(
        "整改问题", PROBLEM_HEADERS, _problems_query, _problem_rows, PROBLEM_STATUS_NAMES
    ),
    ExportKind.findings: Spec(
        "排查发现", FINDING_HEADERS, _findings_query, _finding_rows, FINDING_STATUS_NAMES
    ),
}
