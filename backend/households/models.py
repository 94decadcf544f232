"""Households, their members, yearly incomes, monitoring state and assistance plans."""

import builtins
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from backend.core import security, versions
from backend.core.enums import NamedEnum
from backend.core.models import (
    CreatedRow,
    EditedRow,
    Row,
    area_field,
    enum_field,
    json_field,
    time_field,
)
from backend.core.versions import version_field


class Category(NamedEnum):
    lifted = "lifted", "脱贫户"
    ordinary = "ordinary", "一般农户"


class MonitoringStatus(NamedEnum):
    not_monitored = "not_monitored", "未纳入监测"
    monitored = "monitored", "监测中"
    risk_cleared = "risk_cleared", "风险已消除"


class MonitoringType(NamedEnum):
    unstable_lifted = "unstable_lifted", "脱贫不稳定户"
    marginal = "marginal", "边缘易致贫户"
    sudden_hardship = "sudden_hardship", "突发严重困难户"


class RiskType(NamedEnum):
    illness = "illness", "因病"
    schooling = "schooling", "因学"
    disability = "disability", "因残"
    disaster = "disaster", "因灾"
    accident = "accident", "因意外事故"
    unstable_employment = "unstable_employment", "因务工就业不稳"
    failed_business = "failed_business", "因产业项目失败"
    housing = "housing", "住房安全"
    drinking_water = "drinking_water", "饮水安全"
    other = "other", "其他"


# 两不愁三保障 plus drinking water, in the order they are shown: True means secure.
BASIC_NEED_NAMES = {
    "food": "不愁吃",
    "clothing": "不愁穿",
    "education": "义务教育有保障",
    "medical": "基本医疗有保障",
    "housing": "住房安全有保障",
    "drinking_water": "饮水安全有保障",
}
BASIC_NEEDS = tuple(BASIC_NEED_NAMES)


class Sex(StrEnum):
    male = "male"
    female = "female"


class Relation(NamedEnum):
    head = "head", "户主"
    spouse = "spouse", "配偶"
    child = "child", "子女"
    child_in_law = "child_in_law", "儿媳/女婿"
    grandchild = "grandchild", "孙子女"
    parent = "parent", "父母"
    grandparent = "grandparent", "祖父母"
    sibling = "sibling", "兄弟姐妹"
    other = "other", "其他"


class Health(NamedEnum):
    healthy = "healthy", "健康"
    chronic = "chronic", "长期慢性病"
    serious_illness = "serious_illness", "大病"
    disabled = "disabled", "残疾"


class Schooling(NamedEnum):
    not_in_school = "not_in_school", "不在校"
    preschool = "preschool", "学前"
    primary = "primary", "小学"
    junior_secondary = "junior_secondary", "初中"
    senior_secondary = "senior_secondary", "高中"
    vocational = "vocational", "中职/高职"
    higher = "higher", "大学"


IN_SCHOOL = frozenset(set(Schooling) - {Schooling.not_in_school})


class Labour(NamedEnum):
    full = "full", "普通劳动力"
    partial = "partial", "弱劳动力或半劳动力"
    none = "none", "丧失劳动力"


class Employment(NamedEnum):
    not_employed = "not_employed", "未就业"
    farming = "farming", "务农"
    local_work = "local_work", "县内务工"
    migrant_work = "migrant_work", "外出务工"
    self_employed = "self_employed", "自主创业"
    public_welfare_job = "public_welfare_job", "公益岗位"


class MeasureKind(NamedEnum):
    industry = "industry", "产业帮扶"
    employment = "employment", "就业帮扶"
    dibao = "dibao", "低保"
    tekun = "tekun", "特困供养"
    medical = "medical", "医疗保障"
    education = "education", "教育帮扶"
    microcredit = "microcredit", "小额信贷"
    public_welfare_job = "public_welfare_job", "公益岗位"
    housing = "housing", "住房保障"
    drinking_water = "drinking_water", "饮水保障"
    insurance = "insurance", "保险"
    other = "other", "其他"


class MeasureStatus(NamedEnum):
    planned = "planned", "计划中"
    in_progress = "in_progress", "落实中"
    done = "done", "已落实"
    stopped = "stopped", "已停止"


# What a person reads for each value: the API answers these as `*_name` fields, so no screen
# keeps a copy of its own.
CATEGORY_NAMES = Category.names()
STATUS_NAMES = MonitoringStatus.names()
TYPE_NAMES = MonitoringType.names()
RISK_NAMES = RiskType.names()
RELATION_NAMES = Relation.names()
HEALTH_NAMES = Health.names()
SCHOOLING_NAMES = Schooling.names()
MEASURE_NAMES = MeasureKind.names()
LABOUR_NAMES = Labour.names()
EMPLOYMENT_NAMES = Employment.names()
MEASURE_STATUS_NAMES = MeasureStatus.names()


class Household(EditedRow, table=True):
    __tablename__ = "household"
    __table_args__ = (
        # The statistics count a county's households per village, kind and enrolment year
        # from this index alone, never reading the 100,000 rows themselves.
        Index(
            "ix_household_stats",
            "area_code",
            "category",
            "monitoring_status",
            "monitoring_type",
            "enrolled_on",
            "risk_cleared_on",
        ),
        # Coverage reads the area's households from this index alone: the counts per
        # village and helper (with the months they were last visited), and the not-visited
        # page in (village, reference) order.
        Index(
            "ix_household_visits",
            "area_code",
            "reference",
            "monitoring_status",
            "category",
            "helper_id",
            "id",
            "last_visited_month",
            "helper_visit_month",
            "helper_visit_by",
        ),
        # Coverage's count per village (due, visited, monitored) from this narrow index
        # alone, in village order: on PostgreSQL the county's 100,000 households read from
        # 7.5 MB instead of the 80 MB table (ix_household_visits, 44 MB, cost more than the
        # table to the planner), 110 -> 40 ms for the statement.
        Index(
            "ix_household_village_visits",
            "area_code",
            "monitoring_status",
            "last_visited_month",
            "id",
        ),
        # The monitored households of an area from this index alone: the statistics' risk
        # types per village join the 7 % under monitoring to household_risk by id, rather
        # than read every household of the county for its status.
        Index("ix_household_monitored", "monitoring_status", "area_code", "id"),
    )

    # Quoted by people ("户编号"); never the members' names or ID numbers.
    reference: str = Field(unique=True, index=True, max_length=24)
    area_code: str = area_field()
    address: str = Field(default="", max_length=120)
    phone: str | None = Field(default=None, max_length=11)
    category: Category = enum_field(index=True)
    monitoring_status: MonitoringStatus = enum_field(MonitoringStatus.not_monitored, index=True)
    monitoring_type: MonitoringType | None = enum_field(None, index=True)
    enrolled_on: date | None = None
    risk_cleared_on: date | None = None
    plan_due_on: date | None = None
    basic_needs: dict[str, Any] = json_field(lambda: dict.fromkeys(BASIC_NEEDS, True))
    helper_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)
    # 建档日期: when the household was really registered (an imported one carries its own).
    # No date about it — an enrolment, a visit, a ledger month — may lie before it.
    registered_on: date
    # Up by one with every change to the household or its members, incomes and plan: the
    # ETag its endpoints answer and check If-Match against (core/versions.py).
    version: int = version_field()
    # Kept by the visits as they are stored (backend/visits/recording.py), so coverage
    # counts a month from the households alone instead of probing the visits of each:
    # the latest month of any visit (corrections aside), and the latest month a visitor
    # who was the household's helper at the time visited, with who. Facts, never guesses:
    # coverage trusts them only where they decide (visits/coverage.py).
    last_visited_month: str | None = Field(default=None, max_length=7)
    helper_visit_month: str | None = Field(default=None, max_length=7)
    helper_visit_by: uuid.UUID | None = Field(default=None)


class HouseholdRisk(SQLModel, table=True):
    """One row per risk type a household is monitored for (filterable, unlike a JSON list)."""

    __tablename__ = "household_risk"

    household_id: uuid.UUID = Field(
        foreign_key="household.id", primary_key=True, ondelete="CASCADE"
    )
    risk_type: RiskType = enum_field(primary_key=True, index=True)


class Member(CreatedRow, table=True):
    __tablename__ = "member"
    __table_args__ = (
        # One person is an active member of one household at a time.
        Index(
            "uq_member_active_person",
            "id_number_hash",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
        # A name search reads this index, not the table (a name matched inside, LIKE
        # '%…%', cannot seek); no index on `active` alone: true for nearly every member,
        # it drew SQLite's planner away from household_id (bench/RESULTS.md).
        Index("ix_member_name_household", "name", "household_id"),
    )

    household_id: uuid.UUID = Field(foreign_key="household.id", index=True)
    area_code: str = area_field()
    name: str = Field(max_length=40)
    id_number_cipher: str | None = Field(default=None, max_length=200)
    id_number_hash: str | None = Field(default=None, index=True, max_length=64)
    sex: Sex = enum_field()
    birth_date: date
    relation: Relation = enum_field()
    health: Health = enum_field(Health.healthy)
    schooling: Schooling = enum_field(Schooling.not_in_school)
    labour: Labour = enum_field(Labour.full)
    employment: Employment = enum_field(Employment.not_employed)
    active: bool = True
    left_on: date | None = None
    # A death recorded (民政, a visit): the member should then no longer be active.
    died_on: date | None = None
    # What the ID number itself says, judged when it is written (`id_number_verdict`), so the
    # data checks compare columns instead of decrypting every member. valid: the number's
    # form, date and check digit (a birth date still to come is judged against the day of
    # the check); None: no number, or one written by a path that did not judge it.
    id_number_valid: bool | None = None
    id_sex: str | None = Field(default=None, max_length=6)
    id_birth_date: date | None = None


def id_number_verdict(id_number: str | None) -> dict[str, Any]:
    """Member's id_number_valid, id_sex and id_birth_date for `id_number` (stored beside
    its cipher by every path that writes one; `shouwang rotate-data-key` leaves them)."""
    if not id_number:
        return {"id_number_valid": None, "id_sex": None, "id_birth_date": None}
    if security.id_number_problem(id_number, date.max) is not None:
        return {"id_number_valid": False, "id_sex": None, "id_birth_date": None}
    return {
        "id_number_valid": True,
        "id_sex": security.sex_of(id_number),
        "id_birth_date": security.birth_date_of(id_number),
    }


def net_income_of(parts: Any) -> Any:
    """The four income parts less the business cost, the one formula: of a row or a model
    (an int), or of a table's columns (an SQL expression, e.g. `net_income_of(LedgerEntry)`)."""
    return parts.wage + parts.business + parts.property + parts.transfer - parts.business_cost


class IncomeParts(SQLModel):
    """A household's income by part, in integer yuan: what a year's declared income and a
    month's ledger entry (visits) both record."""

    wage: int = 0
    business: int = 0
    property: int = 0
    transfer: int = 0
    business_cost: int = 0

    # `property` is a column here (财产性收入), so the decorator is named in full.
    @builtins.property
    def net_income(self) -> int:
        """The four income parts less the business cost."""
        return net_income_of(self)


class IncomeRecord(IncomeParts, EditedRow, table=True):
    """A household's declared income for one year."""

    __tablename__ = "income_record"
    __table_args__ = (UniqueConstraint("household_id", "year"),)

    household_id: uuid.UUID = Field(foreign_key="household.id", index=True)
    year: int
    household_size: int

    @builtins.property
    def per_capita_net_income(self) -> int:
        return self.net_income // self.household_size if self.household_size else 0


class AssistancePlan(EditedRow, table=True):
    """一户一策: one plan per monitored household."""

    __tablename__ = "assistance_plan"

    household_id: uuid.UUID = Field(foreign_key="household.id", unique=True, index=True)
    summary: str = Field(default="", max_length=1000)
    due_on: date | None = None


class Measure(CreatedRow, table=True):
    __tablename__ = "measure"

    plan_id: uuid.UUID = Field(foreign_key="assistance_plan.id", index=True)
    kind: MeasureKind = enum_field()
    description: str = Field(max_length=500)
    start_on: date
    status: MeasureStatus = enum_field(MeasureStatus.planned)
    amount: int = 0
    carried_out_by: str = Field(default="", max_length=80)
    # Who a 低保 (or 特困) measure covers: member ids as strings; empty means the household.
    member_ids: list[str] = json_field(list)


class LineKind(NamedEnum):
    fixed = "fixed", "固定金额"
    dibao_multiple = "dibao_multiple", "低保标准的倍数"


class MonitoringLine(Row, table=True):
    """监测收入标准: yuan per person per year, per province and year. `amount` is always the
    figure in force; when set as a multiple of the local 低保 line, the line and the
    multiple it came from are kept beside it."""

    __tablename__ = "monitoring_line"
    __table_args__ = (UniqueConstraint("province_code", "year"),)

    province_code: str = Field(foreign_key="area.code", index=True, max_length=2)
    year: int
    amount: int
    # The basis document's title (依据文件) and its 文号.
    basis: str = Field(default="", max_length=200)
    document_number: str = Field(default="", max_length=80)
    kind: LineKind = enum_field(LineKind.fixed)
    dibao_line: int | None = None
    multiple_percent: int | None = None
    # Who set it (an account id, kept without a foreign key: lines are reference data that
    # outlive accounts, and the audit log names the person).
    updated_by: uuid.UUID | None = None
    updated_at: datetime | None = time_field()


def _plan_household(session: Any, measure: "Measure") -> uuid.UUID | None:
    plan = session.get(AssistancePlan, measure.plan_id)
    return plan.household_id if plan is not None else None


versions.track(
    Household,
    {
        HouseholdRisk: "household_id",
        Member: "household_id",
        IncomeRecord: "household_id",
        AssistancePlan: "household_id",
        Measure: _plan_household,
    },
)
