"""What the households API reads and writes (never the table classes themselves)."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from backend.core import clock
from backend.core.periods import PeriodText
from backend.core.schemas import (
    WHOLE,
    AreaCode,
    Day,
    Input,
    MobilePhone,
    Name,
    Output,
    Yuan,
    name_field,
)
from backend.core.security import birth_date_of, id_number_problem, normalize_id_number, sex_of
from backend.households.models import (
    CATEGORY_NAMES,
    HEALTH_NAMES,
    MEASURE_NAMES,
    RELATION_NAMES,
    RISK_NAMES,
    SCHOOLING_NAMES,
    STATUS_NAMES,
    TYPE_NAMES,
    Category,
    Employment,
    Health,
    Labour,
    LineKind,
    MeasureKind,
    MeasureStatus,
    MonitoringStatus,
    MonitoringType,
    Relation,
    RiskType,
    Schooling,
    Sex,
)

MAX_AGE = 120


def check_id_number(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    value = normalize_id_number(value)
    problem = id_number_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class BasicNeeds(Input):
    """True: secure. 两不愁三保障 and drinking water."""

    food: bool = Field(default=True, strict=True)
    clothing: bool = Field(default=True, strict=True)
    education: bool = Field(default=True, strict=True)
    medical: bool = Field(default=True, strict=True)
    housing: bool = Field(default=True, strict=True)
    drinking_water: bool = Field(default=True, strict=True)


class MemberFields(Input):
    health: Health = Health.healthy
    schooling: Schooling = Schooling.not_in_school
    labour: Labour = Labour.full
    employment: Employment = Employment.not_employed


class MemberCreate(MemberFields):
    name: Name
    relation: Relation
    # Declared before birth_date and sex, so those validators can see it.
    id_number: str | None = None
    birth_date: Day | None = Field(default=None, validate_default=True)
    sex: Sex | None = Field(default=None, validate_default=True)

    _id = field_validator("id_number")(staticmethod(check_id_number))

    @field_validator("birth_date")
    @classmethod
    def _birth(cls, value: Day | None, info: ValidationInfo) -> date:
        id_number = info.data.get("id_number")
        if id_number:
            derived = birth_date_of(id_number)
            if value is not None and value != derived:
                raise ValueError("与身份证号中的出生日期不一致")
            value = derived
        if value is None:
            raise ValueError("没有身份证号时必须填写出生日期")
        today = clock.today()
        if value > today:
            raise ValueError("不能是将来的日期")
        if today.year - value.year > MAX_AGE:
            raise ValueError(f"年龄不能超过 {MAX_AGE} 岁")
        return value

    @field_validator("sex")
    @classmethod
    def _sex(cls, value: Sex | None, info: ValidationInfo) -> Sex:
        id_number = info.data.get("id_number")
        if id_number:
            derived = Sex(sex_of(id_number))
            if value is not None and value != derived:
                raise ValueError("与身份证号中的性别不一致")
            return derived
        if value is None:
            raise ValueError("没有身份证号时必须填写性别")
        return value


class MemberUpdate(Input):
    name: Name | None = None
    relation: Relation | None = None
    health: Health | None = None
    schooling: Schooling | None = None
    labour: Labour | None = None
    employment: Employment | None = None
    active: bool | None = Field(default=None, strict=True)
    left_on: Day | None = None
    died_on: Day | None = None


class IncomePartsInput(Input):
    """A household's income by part (models.IncomeParts), as a form sends it."""

    wage: Yuan = 0
    business: Yuan = 0
    property: Yuan = 0
    transfer: Yuan = 0
    business_cost: Yuan = 0


class IncomeInput(IncomePartsInput):
    household_size: Annotated[int, Field(strict=True, ge=1, le=30), WHOLE]


class IncomeCreate(IncomeInput):
    year: Annotated[int, Field(strict=True, ge=2014, le=2100), WHOLE]

    @field_validator("year")
    @classmethod
    def _not_future(cls, value: int) -> int:
        if value > clock.today().year:
            raise ValueError("不能登记将来年度的收入")
        return value


class HouseholdFilters(BaseModel):
    """What the household list can be narrowed by (query parameters)."""

    area: Annotated[str | None, Field(pattern=r"^\d{2,12}$")] = None
    category: Category | None = None
    monitoring_status: MonitoringStatus | None = None
    monitoring_type: MonitoringType | None = None
    risk_type: RiskType | None = None
    helper_id: uuid.UUID | None = None
    # 纳入监测 / 风险消除 in a year or month (the dashboard's figures drill down to these).
    enrolled_in: PeriodText | None = None
    cleared_in: PeriodText | None = None
    q: Annotated[str | None, Field(max_length=40, description="姓名、身份证号或户编号")] = None


class HouseholdCreate(Input):
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "area_code": "610923102217",
        "address": "4组14号",
        "category": "ordinary",
        "members": [
            {"name": "赵建国", "relation": "head", "birth_date": "1968-04-02", "sex": "male"}
        ],
    }

    area_code: AreaCode
    address: Annotated[str, Field(max_length=120)] = ""
    phone: MobilePhone | None = None
    category: Category
    helper_id: uuid.UUID | None = None
    basic_needs: BasicNeeds = Field(default_factory=BasicNeeds)
    members: Annotated[list[MemberCreate], Field(min_length=1, max_length=30)]
    incomes: Annotated[list[IncomeCreate], Field(default_factory=list, max_length=20)]
    registered_on: Day | None = Field(
        default=None,
        description="建档日期;不填为今天。早于今天的只在县级导入已有农户时填写",
    )

    @field_validator("members")
    @classmethod
    def _one_head(cls, members: list[MemberCreate]) -> list[MemberCreate]:
        heads = sum(1 for m in members if m.relation == Relation.head)
        if heads != 1:
            raise ValueError("家庭成员中必须有且只有一位户主")
        return members


class HouseholdUpdate(Input):
    address: Annotated[str, Field(max_length=120)] | None = None
    phone: MobilePhone | None = None
    category: Category | None = None
    helper_id: uuid.UUID | None = None
    basic_needs: BasicNeeds | None = None


class EnrollInput(Input):
    monitoring_type: MonitoringType
    risk_types: Annotated[list[RiskType], Field(min_length=1, max_length=10)]
    enrolled_on: Day | None = None
    plan_due_on: Day | None = None
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ClearRiskInput(Input):
    cleared_on: Day | None = None
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class RevertInput(Input):
    monitoring_type: MonitoringType
    risk_types: Annotated[list[RiskType], Field(min_length=1, max_length=10)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class PlanInput(Input):
    summary: Annotated[str, Field(max_length=1000)] = ""
    due_on: Day | None = None


class MeasureCreate(Input):
    kind: MeasureKind
    description: Annotated[str, Field(min_length=1, max_length=500)]
    start_on: Day
    status: MeasureStatus = MeasureStatus.planned
    amount: Yuan = 0
    carried_out_by: Annotated[str, Field(max_length=80)] = ""
    # Who a 低保 or 特困 measure covers (单人保 or the whole household); empty: the household.
    member_ids: Annotated[list[uuid.UUID], Field(max_length=30)] = Field(default_factory=list)


class MeasureUpdate(Input):
    description: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    status: MeasureStatus | None = None
    amount: Yuan | None = None
    carried_out_by: Annotated[str, Field(max_length=80)] | None = None


# --- answers ---------------------------------------------------------------------------


class MemberNames(Output):
    """The Chinese names of a member's relation, health and schooling, answered beside the
    codes so that screens and third parties show the server's words."""

    relation: str
    health: str
    schooling: str

    relation_name = name_field(RELATION_NAMES, "relation")
    health_name = name_field(HEALTH_NAMES, "health")
    schooling_name = name_field(SCHOOLING_NAMES, "schooling")


class MemberPublic(MemberNames):
    id: uuid.UUID
    name: str
    id_number: str | None
    sex: Sex
    birth_date: Day
    age: int
    relation: Relation
    health: Health
    schooling: Schooling
    labour: Labour
    employment: Employment
    active: bool
    left_on: Day | None
    died_on: Day | None = None


class IncomePublic(Output):
    id: uuid.UUID
    year: int
    wage: int
    business: int
    property: int
    transfer: int
    business_cost: int
    household_size: int
    net_income: int
    per_capita_net_income: int


class MeasureName(Output):
    kind: str

    kind_name = name_field(MEASURE_NAMES, "kind")


class MeasurePublic(MeasureName):
    id: uuid.UUID
    kind: MeasureKind
    description: str
    start_on: Day
    status: MeasureStatus
    amount: int
    carried_out_by: str
    member_ids: list[str] = Field(default_factory=list)


class PlanPublic(Output):
    id: uuid.UUID
    summary: str
    due_on: Day | None
    measures: list[MeasurePublic]


class HelperRef(Output):
    id: uuid.UUID
    full_name: str
    unit: str | None = None


class HouseholdSummary(Output):
    id: uuid.UUID
    reference: str
    area_code: str
    area_name: str | None = None
    head_name: str | None
    member_count: int
    phone: str | None
    category: Category
    monitoring_status: MonitoringStatus
    monitoring_type: MonitoringType | None
    risk_types: list[RiskType]
    helper: HelperRef | None

    category_name = name_field(CATEGORY_NAMES, "category")
    monitoring_status_name = name_field(STATUS_NAMES, "monitoring_status")
    monitoring_type_name = name_field(TYPE_NAMES, "monitoring_type", str | None)
    risk_names = name_field(RISK_NAMES, "risk_types", list[str])


class HouseholdsPublic(Output):
    data: list[HouseholdSummary]
    count: int


class HouseholdPublic(HouseholdSummary):
    address: str
    enrolled_on: Day | None
    risk_cleared_on: Day | None
    plan_due_on: Day | None
    basic_needs: dict[str, bool]
    members: list[MemberPublic]
    incomes: list[IncomePublic]
    plan: PlanPublic | None
    registered_on: Day
    created_at: datetime
    updated_at: datetime | None
    # What the caller may start from the card: "edit", and the proposal the state allows
    # ("enrolment_proposal", "clearance_proposal" or "revert_proposal").
    can: list[str] = Field(default_factory=list)


class MonitoringLineInput(Input):
    """A fixed amount, or a multiple (up to two decimals) of the local 低保 line; the basis
    document and its 文号 always."""

    kind: LineKind = LineKind.fixed
    amount: Annotated[int, Field(strict=True, ge=1, le=100_000), WHOLE] | None = None
    dibao_line: Annotated[int, Field(strict=True, ge=1, le=100_000), WHOLE] | None = None
    multiple: Annotated[Decimal, Field(gt=0, le=5, decimal_places=2)] | None = None
    basis: Annotated[str, Field(min_length=2, max_length=200)]
    document_number: Annotated[str, Field(min_length=2, max_length=80)]

    @model_validator(mode="after")
    def _by_kind(self) -> "MonitoringLineInput":
        if self.kind == LineKind.fixed:
            if self.amount is None:
                raise ValueError("按固定金额设置时必须填写金额(amount)")
            if self.dibao_line is not None or self.multiple is not None:
                raise ValueError("按固定金额设置时不填低保标准和倍数")
        else:
            if self.dibao_line is None or self.multiple is None:
                raise ValueError("按低保标准倍数设置时必须填写低保标准(dibao_line)和倍数(multiple)")
            if self.amount is not None:
                raise ValueError("按倍数设置时金额由低保标准和倍数算出,不填金额")
        return self


class MonitoringLinePublic(Output):
    province_code: str
    year: int
    amount: int
    basis: str
    document_number: str = ""
    kind: str = LineKind.fixed
    dibao_line: int | None = None
    multiple_percent: int | None = None


class ClearRiskRefusal(Output):
    rule: str
    message: str


class IncomeBasis(Output):
    """The income figure a decision was judged on, and the monitoring line it was held to."""

    # `ledger`: the last 6 months of 收支登记, annualised; `yearly`: the declared year's
    # income record (used only when the ledger has fewer months); None: neither exists.
    basis: str | None
    per_capita_net_income: int | None
    months: list[str] = Field(default_factory=list)
    income_year: int | None = None
    line_year: int | None = None
    line_amount: int | None = None
    # What a person reads: which figure was used and why.
    description: str


class MemberBrief(MemberNames):
    name: str
    relation: str
    age: int
    health: str
    schooling: str
    labour: str


class MeasureBrief(MeasureName):
    kind: str
    description: str
    status: str


class IncomeBrief(Output):
    year: int
    net_income: int
    per_capita_net_income: int
    household_size: int


class HouseholdCardBase(HouseholdSummary):
    """The household's part of what the phone keeps for a household it may visit (no ID
    numbers on the phone); visits/schemas.py HouseholdCard adds the visits' part."""

    address: str
    basic_needs: dict[str, bool]
    members: list[MemberBrief]
    plan_summary: str | None
    measures: list[MeasureBrief]
    last_year_income: IncomeBrief | None


# --- import (imports.py): the row-by-row account ------------------------------------------


class RowIssue(Output):
    """One thing wrong with one row: the row's number in the sheet, the column (its Chinese
    header) and why, in Chinese."""

    row: int
    reference: str = ""
    field: str
    message: str


class RowOutcome(Output):
    row: int
    reference: str
    outcome: Literal["created", "updated", "unchanged", "refused"]


class Counts(Output):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0


class ImportAccount(Output):
    """What an import did (or, in a dry run, would do): every refused row with its reasons,
    the households and members created, updated and unchanged."""

    dry_run: bool
    area_code: str
    rows: int = 0
    households: Counts = Field(default_factory=Counts)
    members: Counts = Field(default_factory=Counts)
    incomes: Counts = Field(default_factory=Counts)
    issues: list[RowIssue] = Field(default_factory=list)
    # Each row's outcome (its household's); the API answers them, the CLI counts only.
    outcomes: list[RowOutcome] = Field(default_factory=list)
    seconds: float = 0.0
