"""The exports of a household's records: households, members (in the import's own columns,
so the file reads back in), visits and ledger entries, each under the helper rule on the
household's helper. Read-only over the households' and visits' tables, a partition at a
time (exports.py streams them)."""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col, select

from backend.accounts import access
from backend.accounts import service as accounts_service
from backend.accounts.models import User
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
from backend.transfer.export_spec import (
    ExportFilters,
    Reader,
    Spec,
    area_filter,
    date_cell,
    filtered,
    time_cell,
)
from backend.visits.models import KIND_NAMES as VISIT_KIND_NAMES
from backend.visits.models import LedgerEntry, Visit

SEX_NAMES = {"male": "男", "female": "女"}


def _households_query(user: User, f: ExportFilters) -> Select:  # type: ignore[type-arg]
    stmt = select(Household).where(
        *access.conditions(user, area_code=Household.area_code, assignee=Household.helper_id),
        *area_filter(Household.area_code, f),
    )
    stmt = filtered(stmt, f, status=Household.monitoring_status)
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
        date_cell(h.enrolled_on),
        date_cell(h.risk_cleared_on),
        date_cell(h.registered_on),
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
            *area_filter(Household.area_code, f),
            col(Member.active).is_(True),
        )
    )
    stmt = filtered(stmt, f, status=Household.monitoring_status)
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
            date_cell(m.birth_date),
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
            *area_filter(model.area_code, f),
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
            time_cell(v.visited_at),
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
    stmt = filtered(_with_reference(LedgerEntry, user, f), f, year=LedgerEntry.year)
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
            time_cell(e.as_of),
            "是" if e.superseded_at else "否",
        ]


HOUSEHOLDS = Spec("农户", HOUSEHOLD_HEADERS, _households_query, _household_rows, STATUS_NAMES)
MEMBERS = Spec("家庭成员", MEMBER_HEADERS, _members_query, _member_rows, STATUS_NAMES)
VISITS = Spec("走访记录", VISIT_HEADERS, _visits_query, _visit_rows)
LEDGER = Spec("收支登记", LEDGER_HEADERS, _ledger_query, _ledger_rows)
