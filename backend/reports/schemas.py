"""What the self-report API reads and writes (never the table classes themselves)."""

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from backend.core import clock
from backend.core.periods import PeriodText
from backend.core.schemas import WHOLE, AreaCode, Day, Input, Name, Output, StrictBool, name_field
from backend.households.models import RISK_NAMES, Category, MonitoringType, RiskType, Sex
from backend.households.schemas import MAX_AGE, check_id_number
from backend.reports.models import KIND_NAMES, PROPOSALS, STATUS_NAMES, ReportKind, ReportStatus

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(max_length=500)]
# What check_mobile accepts, for clients: spaces and dashes between the digits are dropped.
MOBILE_PATTERN = r"^\s*[ -]*1[ -]*[3-9]([ -]*[0-9]){9}[ -]*\s*$"


def check_mobile(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().replace(" ", "").replace("-", "")
    if not _MOBILE.match(value):
        raise ValueError("应为 11 位大陆手机号码(1 开头)")
    return value


class SelfReportCreate(Input):
    """What the farmer's phone sends. `id` is made on the phone so a resend is recognised."""

    EXAMPLE: ClassVar[dict[str, Any]] = {
        "area_code": "610923102217",
        "name": "王秀英",
        "phone": "13912345678",
        "risk_types": ["illness"],
        "note": "老伴住院,自付四万多元",
    }

    id: uuid.UUID | None = None
    area_code: AreaCode = Field(description="村(社区)的 12 位代码")
    name: Name
    phone: str = Field(json_schema_extra={"pattern": MOBILE_PATTERN})
    id_number: str | None = None
    risk_types: Annotated[list[RiskType], Field(min_length=1, max_length=10)]
    note: Note = ""
    on_behalf: StrictBool = False
    reporter_name: Name | None = None
    reporter_phone: str | None = Field(
        default=None,
        json_schema_extra={
            "anyOf": [{"type": "string", "pattern": MOBILE_PATTERN}, {"type": "null"}]
        },
    )

    _phones = field_validator("phone", "reporter_phone")(staticmethod(check_mobile))
    _id = field_validator("id_number")(staticmethod(check_id_number))

    @model_validator(mode="after")
    def _reporter(self) -> "SelfReportCreate":
        if self.on_behalf and not (self.reporter_name and self.reporter_phone):
            raise ValueError("代报时必须填写代报人的姓名和手机号")
        if not self.on_behalf:
            self.reporter_name = self.reporter_phone = None
        return self


class SelfReportReceipt(Output):
    id: uuid.UUID
    receipt_code: str
    status: ReportStatus
    # What the farmer is told at once: the village checks by this date, this many working
    # days after the report arrived.
    village_due_on: Day
    village_check_days: int


class SelfReportStepPublic(Output):
    status: ReportStatus
    status_name: str
    on: Day


class SelfReportLookup(Output):
    """What the farmer sees: where it stands, what happens next and by when, the decision."""

    receipt_code: str
    status: ReportStatus
    status_name: str
    step: str
    next_step: str
    due_on: Day | None
    overdue: bool
    decision: ReportStatus | None
    reason: str | None
    referred_to: str | None
    steps: list[SelfReportStepPublic]


class SelfReportUserRef(Output):
    id: uuid.UUID
    full_name: str
    role: str


class SelfReportSummary(Output):
    id: uuid.UUID
    receipt_code: str
    area_code: str
    area_name: str | None
    status: ReportStatus
    status_name: str
    kind: ReportKind
    name: str
    phone: str | None
    on_behalf: bool
    risk_types: list[RiskType]
    submitted_at: datetime
    assignee: SelfReportUserRef | None
    step_due_on: Day | None
    overdue: bool
    overdue_days: int
    fast_track: bool
    household_id: uuid.UUID | None
    # Withdrawn after its step's deadline had passed: closed, but it was late.
    closed_overdue: bool = False

    risk_names = name_field(RISK_NAMES, "risk_types", list[str])
    kind_name = name_field(KIND_NAMES, "kind", str)


class ReportStage(StrEnum):
    """The one-tap funnel: received (not merged), verified on the spot, decided."""

    received = "received"
    verified = "verified"
    decided = "decided"


class SelfReportFilters(BaseModel):
    """The report list's filters, read from the query string."""

    status: ReportStatus | None = None
    kind: ReportKind | None = None
    area: Annotated[str | None, Field(pattern=r"^\d{2,12}$")] = None
    overdue: bool | None = None
    open_only: bool = Field(default=False, alias="open")
    assignee_id: uuid.UUID | None = None
    # The dashboard's funnel drills down to these: reports received in a year or month, and
    # how far they got (merged duplicates are not counted at any stage).
    submitted_in: PeriodText | None = None
    stage: ReportStage | None = None
    q: Annotated[str | None, Field(max_length=40, description="受理编号、姓名或手机号")] = None


class SelfReportsPublic(Output):
    data: list[SelfReportSummary]
    count: int
    overdue_count: int


class EventPublic(Output):
    at: datetime
    action: str
    from_status: str | None
    to_status: str | None
    actor_name: str
    note: str

    to_status_name = name_field(STATUS_NAMES, "to_status", str | None)


class SelfReportContact(Output):
    """The full numbers to call, for the one handling the report (audited)."""

    phone: str | None
    reporter_name: str | None
    reporter_phone: str | None


class SelfReportPublic(SelfReportSummary):
    id_number: str | None
    # Whether the caller may ask for the full phone numbers (POST …/contact).
    may_call: bool = False
    reporter_name: str | None
    reporter_phone: str | None
    note: str
    photo_ids: list[uuid.UUID]
    risk_confirmed: bool | None
    income_estimate: int | None
    findings: str
    finding_photo_ids: list[uuid.UUID]
    verified_at: datetime | None
    community_review_on: Day | None
    community_review_minutes: str
    community_review_file_id: uuid.UUID | None
    public_notice_start: Day | None
    public_notice_days: int | None
    public_notice_objections: str
    village_due_on: Day
    decision_due_on: Day
    backfill_due_on: Day | None
    # Set when a deadline runs into a year the national holiday table does not cover: what
    # the count of working days rested on there (the county's entries, or weekends only).
    deadline_basis: str | None
    decision_reason: str
    referred_to: str
    decided_at: datetime | None
    merged_into_id: uuid.UUID | None
    proposal_visit_id: uuid.UUID | None
    # What the county's decision was judged on (per person per year) and the line it used.
    decision_income: int | None
    decision_income_basis: str | None
    decision_line_year: int | None
    decision_line_amount: int | None
    announced_on: Day | None
    announcement_days: int | None
    events: list[EventPublic]
    # Which transitions the viewer may make now (the screen shows only these buttons).
    actions: list[str]


# --- staff actions ----------------------------------------------------------------------


class AssignInput(Input):
    assignee_id: uuid.UUID


class VerifyInput(Input):
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "risk_confirmed": True,
        "income_estimate": 5200,
        "findings": "入户核实:住院自付 4 万元,家中无其他收入来源",
    }

    risk_confirmed: StrictBool
    income_estimate: Annotated[int, Field(strict=True, ge=0, le=1_000_000), WHOLE] | None = Field(
        default=None, description="人均年纯收入估算(元)"
    )
    findings: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    photo_ids: Annotated[list[uuid.UUID], Field(default_factory=list, max_length=6)]


class CommunityReviewInput(Input):
    held_on: Day
    minutes: Annotated[str, StringConstraints(max_length=2000)] = ""
    file_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _record(self) -> "CommunityReviewInput":
        if not self.minutes and self.file_id is None:
            raise ValueError("请填写评议记录或上传会议记录附件")
        return self


class PublicNoticeInput(Input):
    start_on: Day
    days: Annotated[int, Field(strict=True, ge=1, le=60), WHOLE] = 5
    objections: Annotated[str, StringConstraints(max_length=2000)] = ""


class ForwardInput(Input):
    note: Note = ""


class SelfReportEnrollInput(Input):
    monitoring_type: MonitoringType
    risk_types: Annotated[list[RiskType], Field(default_factory=list, max_length=10)]
    category: Category = Category.ordinary
    household_id: uuid.UUID | None = Field(
        default=None, description="已登记的户;不填则按身份证号查找,找不到就新建"
    )
    plan_due_on: Day | None = None
    head_birth_date: Day | None = None
    head_sex: Sex | None = None
    note: Note = ""
    decided_on: Day | None = Field(default=None, description="审定日期;只能是今天")

    @field_validator("head_birth_date")
    @classmethod
    def _born(cls, value: Day | None) -> Day | None:
        # The new head member is validated again when the household is made; refused here
        # first, so the refusal names this field (and is a 422, not a failure inside the use case).
        today = clock.today()
        if value is not None and value > today:
            raise ValueError("不能是将来的日期")
        if value is not None and today.year - value.year > MAX_AGE:
            raise ValueError(f"年龄不能超过 {MAX_AGE} 岁")
        return value


class ClearanceDecisionInput(Input):
    note: Note = ""
    decided_on: Day | None = Field(default=None, description="审定日期;只能是今天")


class AnnounceInput(Input):
    announced_on: Day
    days: Annotated[int, Field(strict=True, ge=1, le=60), WHOLE] = 5


class ProposalCreate(Input):
    """The village proposes enrolment, clearance or 回退 with the visit that verified it."""

    kind: ReportKind
    visit_id: uuid.UUID = Field(description="核实这项申请的入户走访")
    reason: Reason = Field(description="申请理由:走访看到的情况")
    risk_types: Annotated[list[RiskType], Field(default_factory=list, max_length=10)]

    @model_validator(mode="after")
    def _kind(self) -> "ProposalCreate":
        if self.kind not in PROPOSALS:
            raise ValueError("申请类型应为纳入监测、风险消除或回退")
        if self.kind != ReportKind.clearance_proposal and not self.risk_types:
            raise ValueError("纳入监测和回退申请需选择风险类型")
        return self


class RejectInput(Input):
    reason: Reason = Field(description="农户能看懂的不予纳入理由")


class ReferInput(Input):
    referred_to: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
    ]
    reason: Reason


class WithdrawInput(Input):
    reason: Reason


class MergeInput(Input):
    into_id: uuid.UUID
    reason: Reason = Field(description="为什么是同一户的报告")


class DeadlinePolicyInput(Input):
    village_check_days: Annotated[int, Field(strict=True, ge=1, le=60), WHOLE]
    total_days: Annotated[int, Field(strict=True, ge=1, le=120), WHOLE]
    public_notice_days: Annotated[int, Field(strict=True, ge=1, le=30), WHOLE] = 5
    backfill_days: Annotated[int, Field(strict=True, ge=1, le=60), WHOLE] = 10
    basis: Annotated[str, StringConstraints(max_length=200)] = ""

    @model_validator(mode="after")
    def _order(self) -> "DeadlinePolicyInput":
        if self.total_days < self.village_check_days:
            raise ValueError("办理总时限不能短于入户核实时限")
        return self


class DeadlinePolicyPublic(Output):
    area_code: str
    village_check_days: int
    total_days: int
    public_notice_days: int
    backfill_days: int
    basis: str
    default: bool = False


class AreaNumbers(Output):
    area_code: str
    area_name: str
    level: str
    received: int
    # Of those received: sent by farmers (or neighbours) themselves, and opened by cadres
    # on a household's behalf.
    from_farmers: int
    opened_by_staff: int
    in_progress: int
    overdue: int
    enrolled: int
    rejected: int
    withdrawn: int
    # Withdrawn after the deadline of the step they were in: lateness that was closed.
    withdrawn_overdue: int
    median_days_to_decision: float | None
    # Villages only: farmers' own reports against the county's average per village.
    uptake: float | None = None
    silent: bool = False


class ReportNumbers(Output):
    county_code: str | None
    county_average_per_village: float | None
    villages: list[AreaNumbers]
    townships: list[AreaNumbers]
