"""Self-reports (一键报贫) and the village's proposals that take the same chain (纳入、风险消除、
回退), their timeline, texts sent about them, and deadline policies."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlmodel import Field, SQLModel

from backend.core.enums import NamedEnum
from backend.core.models import (
    Row,
    area_field,
    created_at_field,
    enum_field,
    json_field,
    time_field,
)


class ReportStatus(NamedEnum):
    submitted = "submitted", "已受理"
    verifying = "verifying", "入户核实中"
    township_review = "township_review", "乡镇审核中"
    county_approval = "county_approval", "县级审定中"
    enrolled = "enrolled", "已纳入监测帮扶"
    cleared = "cleared", "已审定风险消除"
    rejected = "rejected", "不予纳入"
    referred = "referred", "已转介其他帮扶"
    merged = "merged", "已合并办理"
    withdrawn = "withdrawn", "已撤回"


STATUS_NAMES = ReportStatus.names()

# A report in one of these is still being handled; a second one from the same person joins it.
OPEN = frozenset(
    {
        ReportStatus.submitted,
        ReportStatus.verifying,
        ReportStatus.township_review,
        ReportStatus.county_approval,
    }
)
DECIDED = frozenset(
    {ReportStatus.enrolled, ReportStatus.cleared, ReportStatus.rejected, ReportStatus.referred}
)
# A county decision that changed the household: the village posts its 公告 after it.
APPROVED = frozenset({ReportStatus.enrolled, ReportStatus.cleared})


class ReportKind(NamedEnum):
    """What a case asks for. A farmer's report and the village's proposals go through one
    chain: verified (the proposal by the visit it names) → 民主评议, 公示 → township → county
    → 公告."""

    self_report = "self_report", "一键报贫"
    enrolment_proposal = "enrolment_proposal", "纳入监测申请"
    clearance_proposal = "clearance_proposal", "风险消除申请"
    revert_proposal = "revert_proposal", "回退申请"


KIND_NAMES = ReportKind.names()
PROPOSALS = frozenset(set(ReportKind) - {ReportKind.self_report})


class SelfReport(Row, table=True):
    __tablename__ = "self_report"

    # Made on the phone when the farmer sends it, so a resend is recognised.
    receipt_code: str = Field(unique=True, index=True, max_length=12)
    area_code: str = area_field()
    status: ReportStatus = enum_field(ReportStatus.submitted, index=True)
    kind: ReportKind = enum_field(ReportKind.self_report, index=True)
    # A proposal names the visit that verified it (入户核实 by the village).
    proposal_visit_id: uuid.UUID | None = Field(default=None, foreign_key="visit.id")

    # The person whose household is at risk.
    name: str = Field(max_length=40)
    phone: str | None = Field(default=None, index=True, max_length=11)
    id_number_cipher: str | None = Field(default=None, max_length=200)
    id_number_hash: str | None = Field(default=None, index=True, max_length=64)
    # 代报: someone else (a neighbour, a relative, a cadre) reported for them.
    on_behalf: bool = False
    reporter_name: str | None = Field(default=None, max_length=40)
    reporter_phone: str | None = Field(default=None, index=True, max_length=11)
    risk_types: list[str] = json_field(list)
    note: str = Field(default="", max_length=2000)
    photo_ids: list[str] = json_field(list)
    household_id: uuid.UUID | None = Field(default=None, foreign_key="household.id", index=True)
    # Digest of what the phone sent, to tell a harmless resend from a reused id.
    payload_digest: str = Field(default="", max_length=64)

    assignee_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)
    # 入户核实 findings.
    risk_confirmed: bool | None = None
    income_estimate: int | None = None
    findings: str = Field(default="", max_length=2000)
    finding_photo_ids: list[str] = json_field(list)
    verified_at: datetime | None = time_field()
    verified_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")

    # 民主评议 and 村内公示.
    community_review_on: date | None = None
    community_review_minutes: str = Field(default="", max_length=2000)
    community_review_file_id: uuid.UUID | None = Field(default=None, foreign_key="stored_file.id")
    public_notice_start: date | None = None
    public_notice_days: int | None = None
    public_notice_objections: str = Field(default="", max_length=2000)

    # 绿色通道: enrolled first, civic steps recorded by the backfill deadline.
    fast_track: bool = False

    # Deadlines, fixed when the report arrives (working days, by the area's policy).
    village_due_on: date
    decision_due_on: date
    backfill_due_on: date | None = None
    # The deadline of the step the report is in now; None when nothing is pending.
    step_due_on: date | None = Field(default=None, index=True)

    decision_reason: str = Field(default="", max_length=500)
    referred_to: str = Field(default="", max_length=120)
    decided_at: datetime | None = time_field()
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    # What the county's decision was judged on: the income figure (per person per year), its
    # basis (`ledger`: 6 months annualised; `yearly`: the declared year) and the line.
    decision_income: int | None = None
    decision_income_basis: str | None = Field(default=None, max_length=16)
    decision_line_year: int | None = None
    decision_line_amount: int | None = None
    # 公告: posted in the village after the county's decision.
    announced_on: date | None = None
    announcement_days: int | None = None
    merged_into_id: uuid.UUID | None = Field(default=None, foreign_key="self_report.id", index=True)

    submitted_at: datetime = created_at_field()
    updated_at: datetime | None = time_field()


class ReportEvent(Row, table=True):
    """One step of a report's history, shown to staff and (its status changes) to the farmer."""

    __tablename__ = "report_event"

    report_id: uuid.UUID = Field(foreign_key="self_report.id", index=True)
    at: datetime = created_at_field()
    action: str = Field(max_length=40)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    actor_name: str = Field(default="", max_length=80)
    note: str = Field(default="", max_length=500)
    data: dict[str, Any] = json_field()


class ReportNotice(Row, table=True):
    """A text sent (or that failed to send) to the farmer about their report."""

    __tablename__ = "report_notice"

    report_id: uuid.UUID = Field(foreign_key="self_report.id", index=True)
    kind: str = Field(max_length=32)
    channel: str = Field(max_length=16)
    sent: bool
    error: str = Field(default="", max_length=300)
    at: datetime = created_at_field()


class ReportDeadline(SQLModel, table=True):
    """Working-day deadlines of a province (2-digit code) or a county (6-digit code)."""

    __tablename__ = "report_deadline"

    area_code: str = Field(primary_key=True, foreign_key="area.code", max_length=12)
    village_check_days: int
    total_days: int
    public_notice_days: int = 5
    backfill_days: int = 10
    basis: str = Field(default="", max_length=200)
    updated_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    updated_at: datetime = created_at_field()
