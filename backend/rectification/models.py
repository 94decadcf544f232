"""整改销号: problem lists (batches), problems, their steps, notes, evidence and reviews."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.core import versions
from backend.core.enums import NamedEnum
from backend.core.models import (
    CreatedRow,
    EditedRow,
    area_field,
    enum_field,
    time_field,
)
from backend.core.versions import version_field


class ProblemSource(NamedEnum):
    inspection = "inspection", "督查"
    cross_check = "cross_check", "交叉检查"
    assessment = "assessment", "考核评估"
    self_check = "self_check", "自查"
    check_rule = "check_rule", "系统核查"


SOURCE_NAMES = ProblemSource.names()


class ProblemCategory(NamedEnum):
    responsibility = "responsibility", "责任落实"
    monitoring = "monitoring", "监测帮扶"
    policy = "policy", "政策落实"
    income = "income", "收入"
    basic_needs = "basic_needs", "三保障及饮水"
    living_environment = "living_environment", "人居环境"
    records = "records", "台账资料"
    village_team = "village_team", "驻村帮扶"
    other = "other", "其他"


CATEGORY_NAMES = ProblemCategory.names()


class Severity(NamedEnum):
    general = "general", "一般"
    serious = "serious", "较重"
    critical = "critical", "严重"


SEVERITY_NAMES = Severity.names()


class ProblemStatus(NamedEnum):
    issued = "issued", "已下发待认领"
    claimed = "claimed", "已认领"
    in_progress = "in_progress", "整改中"
    submitted_for_closure = "submitted_for_closure", "已申请销号"
    closed = "closed", "已销号"
    returned = "returned", "已退回"


STATUS_NAMES = ProblemStatus.names()
# A problem is "handed in" in these states: lateness is judged at the submission date, and
# its evidence is frozen.
HANDED_IN = frozenset({ProblemStatus.submitted_for_closure, ProblemStatus.closed})
# The responsible person adds steps, notes and evidence in these.
OPEN_FOR_WORK = frozenset(
    {ProblemStatus.claimed, ProblemStatus.in_progress, ProblemStatus.returned}
)


class EvidenceKind(StrEnum):
    file = "file"
    text = "text"


class ReviewDecision(StrEnum):
    close = "close"
    return_ = "return"


class ProblemBatch(EditedRow, table=True):
    """One inspection's (or self-check's) problem list, issued to an area."""

    __tablename__ = "problem_batch"

    # The area the list is issued to (a county, township or village); problems lie inside it.
    area_code: str = area_field()
    source: ProblemSource = enum_field(index=True)
    title: str = Field(max_length=200)
    issuing_body: str = Field(default="", max_length=120)
    notice_title: str = Field(default="", max_length=200)
    document_number: str = Field(default="", max_length=80)
    issued_on: date = Field(index=True)
    deadline: date
    report_to: str = Field(default="", max_length=120)
    reporting_unit: str = Field(default="", max_length=120)
    next_steps: str = Field(default="", max_length=4000)
    # The report as a 公文 (GB/T 9704): its 版头 — 发文机关标志 (left empty: the reporting
    # unit + 文件) and 发文字号 (the unit's own register number, typed: 会乡振发〔2026〕12号) —
    # and its 版记 — 抄送 and 印发机关 (left empty: the reporting unit).
    issuer_mark: str = Field(default="", max_length=40)
    report_number: str = Field(default="", max_length=40)
    copy_to: str = Field(default="", max_length=200)
    printing_office: str = Field(default="", max_length=80)
    # 签发人: set on a report sent upward (上行文), printed right of the 发文字号.
    signer: str = Field(default="", max_length=40)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)


class Problem(EditedRow, table=True):
    __tablename__ = "problem"
    __table_args__ = (UniqueConstraint("batch_id", "number"),)

    batch_id: uuid.UUID = Field(foreign_key="problem_batch.id", index=True)
    number: int
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    category: ProblemCategory = enum_field(index=True)
    severity: Severity = enum_field(Severity.general)
    area_code: str = area_field()
    responsible_unit: str = Field(default="", max_length=120, index=True)
    responsible_person: str = Field(default="", max_length=40)
    deadline: date = Field(index=True)
    status: ProblemStatus = enum_field(ProblemStatus.issued, index=True)
    # The person who claimed it: the one who rectifies, and who may not review it.
    claimed_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id", index=True)
    claimed_at: datetime | None = time_field()
    submitted_at: datetime | None = time_field()
    # The day (China time) the rectification was last handed in: judged against the deadline.
    submitted_on: date | None = None
    closed_at: datetime | None = time_field()
    closed_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    return_count: int = 0
    ongoing: bool = False
    next_review_on: date | None = None
    copied_from_id: uuid.UUID | None = Field(default=None, foreign_key="problem.id", index=True)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    # Up by one with every change to the problem, its steps, evidence, notes and reviews:
    # the ETag its endpoints answer and check If-Match against (core/versions.py).
    version: int = version_field()


class ProblemHousehold(SQLModel, table=True):
    """A household a problem concerns (optional; a problem may concern a whole village)."""

    __tablename__ = "problem_household"

    problem_id: uuid.UUID = Field(foreign_key="problem.id", primary_key=True, ondelete="CASCADE")
    household_id: uuid.UUID = Field(foreign_key="household.id", primary_key=True, index=True)


class WorkEntry(CreatedRow):
    """What the responsible person adds to a problem (a step, a note, evidence): who added it."""

    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")


class RectificationStep(WorkEntry, table=True):
    """整改措施: one planned measure; each needs at least one piece of evidence."""

    __tablename__ = "rectification_step"

    problem_id: uuid.UUID = Field(foreign_key="problem.id", index=True)
    position: int
    description: str = Field(max_length=4000)
    planned_on: date | None = None


class ProgressNote(WorkEntry, table=True):
    """What was done so far (进展), append-only; feeds 整改措施及成效 in the report."""

    __tablename__ = "progress_note"

    problem_id: uuid.UUID = Field(foreign_key="problem.id", index=True)
    text: str = Field(max_length=4000)


class Evidence(WorkEntry, table=True):
    """印证资料: a file (photo, PDF, scan) or a text record, attached to a step."""

    __tablename__ = "evidence"

    problem_id: uuid.UUID = Field(foreign_key="problem.id", index=True)
    step_id: uuid.UUID = Field(foreign_key="rectification_step.id", index=True)
    kind: EvidenceKind = enum_field()
    file_id: uuid.UUID | None = Field(default=None, foreign_key="stored_file.id")
    text: str = Field(default="", max_length=2000)
    # Set when the evidence is first handed in for closure: from then on it cannot change.
    frozen_at: datetime | None = time_field()


class ProblemReview(CreatedRow, table=True):
    """审核: one decision on a submission (close, or return with a reason)."""

    __tablename__ = "problem_review"

    problem_id: uuid.UUID = Field(foreign_key="problem.id", index=True)
    reviewer_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    decision: ReviewDecision = enum_field()
    reason: str = Field(default="", max_length=2000)


versions.track(
    Problem,
    {
        ProblemHousehold: "problem_id",
        RectificationStep: "problem_id",
        ProgressNote: "problem_id",
        Evidence: "problem_id",
        ProblemReview: "problem_id",
    },
)
