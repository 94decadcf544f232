"""What the rectification API reads and writes (never the table classes themselves)."""

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from backend.core.schemas import WHOLE, AreaCode, Day, Input, Output, StrictBool, name_field
from backend.rectification.models import (
    SEVERITY_NAMES,
    EvidenceKind,
    ProblemCategory,
    ProblemSource,
    ProblemStatus,
    ReviewDecision,
    Severity,
)

Short = Annotated[str, StringConstraints(max_length=120)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=4000)]
StepText = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Reason = Annotated[str, StringConstraints(max_length=2000)]
NoticeTitle = Annotated[str, StringConstraints(max_length=200)]
DocumentNumber = Annotated[str, StringConstraints(max_length=80)]
Person = Annotated[str, StringConstraints(max_length=40)]


# --- batches ------------------------------------------------------------------------------

# 发文字号 as GB/T 9704 writes it: 机关代字, the year in 六角括号 〔〕, the number without
# leading zeros, 号. Brackets typed the usual wrong ways ([ ] ( ) 【 】) are put right.
_BRACKETS = str.maketrans("[]()\uff08\uff09\u3010\u3011\uff3b\uff3d", "〔〕" * 5)
_REPORT_NUMBER = re.compile(r"^[\u4e00-\u9fffA-Za-z]{1,20}〔\d{4}〕[1-9]\d{0,4}号$")


def _report_number(value: str) -> str:
    value = "".join(value.split()).translate(_BRACKETS)
    if value and not _REPORT_NUMBER.match(value):
        raise ValueError(
            "发文字号应写成“机关代字〔年份〕序号号”,如:会乡振发〔2026〕12号(序号前不加 0)"
        )
    return value


ReportNumber = Annotated[str, StringConstraints(max_length=40), AfterValidator(_report_number)]

# 签发人: the signer's name, or the names of several (a joint 上行文), each 2 to 10 Chinese
# characters (a 少数民族 name may have its ·); a "签发人:" typed before them is dropped.
_SIGNER_PREFIX = re.compile(r"^签发人[:\uff1a]?")
_SIGNER_NAME = re.compile(r"^[\u4e00-\u9fff][\u4e00-\u9fff\u00b7]{1,9}$")
_SIGNER_SEPARATORS = re.compile(r"[\s、,;\uff0c\uff1b]+")


def _signer(value: str) -> str:
    names = [n for n in _SIGNER_SEPARATORS.split(_SIGNER_PREFIX.sub("", value.strip())) if n]
    if len(names) > 4 or not all(_SIGNER_NAME.match(n) for n in names):
        raise ValueError("签发人应填签发公文的负责人姓名(汉字),如:张明;多人用顿号隔开,最多 4 人")
    return "、".join(names)


Signer = Annotated[str, StringConstraints(max_length=40), AfterValidator(_signer)]
IssuerMark = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
CopyTo = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
PrintingOffice = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]


class BatchFields(Input):
    title: Title
    issuing_body: Short = ""
    notice_title: NoticeTitle = ""
    document_number: DocumentNumber = ""
    report_to: Short = ""
    reporting_unit: Short = ""
    next_steps: LongText = ""
    issuer_mark: IssuerMark = ""
    report_number: ReportNumber = ""
    copy_to: CopyTo = ""
    printing_office: PrintingOffice = ""
    signer: Signer = ""


class BatchCreate(BatchFields):
    source: ProblemSource
    area_code: AreaCode
    issued_on: Day
    deadline: Day

    @model_validator(mode="after")
    def _deadline_after_issue(self) -> "BatchCreate":
        if self.deadline < self.issued_on:
            raise ValueError("整改时限不能早于下发日期")
        return self


class BatchUpdate(Input):
    title: Title | None = None
    issuing_body: Short | None = None
    notice_title: NoticeTitle | None = None
    document_number: DocumentNumber | None = None
    report_to: Short | None = None
    reporting_unit: Short | None = None
    next_steps: LongText | None = None
    issuer_mark: IssuerMark | None = None
    report_number: ReportNumber | None = None
    copy_to: CopyTo | None = None
    printing_office: PrintingOffice | None = None
    signer: Signer | None = None
    deadline: Day | None = None


class BatchCounts(Output):
    total: int = 0
    issued: int = 0
    claimed: int = 0
    in_progress: int = 0
    submitted_for_closure: int = 0
    returned: int = 0
    closed: int = 0
    ongoing: int = 0
    overdue: int = 0
    # 长期坚持 problems whose next review date has passed.
    review_due: int = 0


class BatchPublic(Output):
    id: uuid.UUID
    area_code: str
    area_name: str | None = None
    source: ProblemSource
    source_name: str
    title: str
    issuing_body: str
    notice_title: str
    document_number: str
    issued_on: Day
    deadline: Day
    report_to: str
    reporting_unit: str
    next_steps: str
    issuer_mark: str
    report_number: str
    copy_to: str
    printing_office: str
    signer: str
    created_at: datetime
    counts: BatchCounts


class BatchesPublic(Output):
    data: list[BatchPublic]
    count: int


# --- problems -----------------------------------------------------------------------------


class ProblemCreate(Input):
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "title": "帮扶措施没有落实到户",
        "category": "other",
        "area_code": "610923102217",
    }

    title: Title
    description: LongText = ""
    category: ProblemCategory
    severity: Severity = Severity.general
    # Left out, the problem lies in the list's own area.
    area_code: AreaCode | None = None
    responsible_unit: Short = ""
    responsible_person: Person = ""
    deadline: Day | None = None
    number: Annotated[int, Field(strict=True, ge=1, le=100_000), WHOLE] | None = None
    household_ids: Annotated[list[uuid.UUID], Field(max_length=200)] = Field(default_factory=list)


class ProblemUpdate(Input):
    """Corrections by the issuer while nobody has claimed the problem yet."""

    title: Title | None = None
    description: LongText | None = None
    category: ProblemCategory | None = None
    severity: Severity | None = None
    area_code: AreaCode | None = None
    responsible_unit: Short | None = None
    responsible_person: Person | None = None
    deadline: Day | None = None


class ClaimInput(Input):
    steps: Annotated[list[StepText], Field(min_length=1, max_length=20)]
    deadline: Day | None = None


class StepCreate(Input):
    description: StepText
    planned_on: Day | None = None


class NoteCreate(Input):
    text: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class EvidenceCreate(Input):
    kind: EvidenceKind
    file_id: uuid.UUID | None = None
    text: Reason = ""

    @model_validator(mode="after")
    def _one_of(self) -> "EvidenceCreate":
        if self.kind == EvidenceKind.file and self.file_id is None:
            raise ValueError("文件类印证资料必须先上传文件(file_id)")
        if self.kind == EvidenceKind.text and not self.text:
            raise ValueError("文字类印证资料必须写明内容(text)")
        return self


class CloseInput(Input):
    note: Reason = ""
    ongoing: StrictBool = False
    next_review_on: Day | None = None


class ReturnInput(Input):
    reason: Reason


class OngoingInput(Input):
    next_review_on: Day
    note: Reason = ""


class CopyInput(Input):
    """举一反三: the villages to copy to, or every other village of the township."""

    area_codes: Annotated[list[AreaCode], Field(max_length=100)] = Field(default_factory=list)
    all_villages: StrictBool = False
    responsible_unit: Short | None = None


class RectificationUserRef(Output):
    id: uuid.UUID
    full_name: str
    unit: str | None = None


class EvidencePublic(Output):
    id: uuid.UUID
    step_id: uuid.UUID
    kind: EvidenceKind
    file_id: uuid.UUID | None
    file_name: str | None = None
    content_type: str | None = None
    # When the photo was taken (else uploaded): what the evidence proves about timing.
    file_date: Day | None = None
    # What the file shows, typed at upload.
    caption: str | None = None
    text: str
    frozen: bool
    created_by: RectificationUserRef | None = None
    created_at: datetime


class RectificationStepPublic(Output):
    id: uuid.UUID
    position: int
    description: str
    planned_on: Day | None
    evidence: list[EvidencePublic]


class NotePublic(Output):
    id: uuid.UUID
    text: str
    created_by: RectificationUserRef | None = None
    created_at: datetime


class ReviewPublic(Output):
    id: uuid.UUID
    decision: ReviewDecision
    reason: str
    reviewer: RectificationUserRef | None = None
    created_at: datetime


class ProblemSummary(Output):
    id: uuid.UUID
    batch_id: uuid.UUID
    batch_title: str | None = None
    number: int
    title: str
    category: ProblemCategory
    category_name: str
    severity: Severity
    area_code: str
    area_name: str | None = None
    responsible_unit: str
    responsible_person: str
    deadline: Day
    status: ProblemStatus
    status_name: str
    claimed_by: RectificationUserRef | None = None
    overdue: bool
    overdue_days: int
    return_count: int
    ongoing: bool
    next_review_on: Day | None
    # 长期坚持 and the next review date has passed (复核已逾期).
    review_due: bool = False

    severity_name = name_field(SEVERITY_NAMES, "severity")


class ProblemPublic(ProblemSummary):
    description: str
    source: ProblemSource
    household_ids: list[uuid.UUID]
    claimed_at: datetime | None
    submitted_at: datetime | None
    closed_at: datetime | None
    closed_by: RectificationUserRef | None = None
    copied_from_id: uuid.UUID | None
    steps: list[RectificationStepPublic]
    notes: list[NotePublic]
    reviews: list[ReviewPublic]
    # What the caller may do now, so the screen shows only buttons that will work.
    can: list[str]


class ProblemFilters(BaseModel):
    """The problem list's filters, read from the query string."""

    batch_id: uuid.UUID | None = None
    status: ProblemStatus | None = None
    area: Annotated[str | None, Field(pattern=r"^\d{2,12}$")] = None
    category: ProblemCategory | None = None
    source: ProblemSource | None = None
    mine: bool = False
    overdue: bool | None = None
    review_due: bool | None = None
    q: Annotated[str | None, Field(max_length=40)] = None


class ProblemsPublic(Output):
    data: list[ProblemSummary]
    count: int


class AreaRef(Output):
    code: str
    name: str | None = None


class CopyResult(Output):
    data: list[ProblemSummary]
    count: int
    # With all_villages: the villages that already had this problem, left as they were.
    skipped: list[AreaRef] = Field(default_factory=list)


# --- import -------------------------------------------------------------------------------


class RowError(Output):
    column: str
    message: str


class RowResult(Output):
    row: int
    number: int | None = None
    ok: bool
    problem_id: uuid.UUID | None = None
    errors: list[RowError] = Field(default_factory=list)


class ImportResult(Output):
    mode: Literal["all_or_nothing", "partial"]
    imported: int
    rejected: int
    rows: list[RowResult]


# --- boards -------------------------------------------------------------------------------


class BoardEntry(Output):
    name: str
    unit: str | None = None
    total: int
    overdue: int
    returned: int
    closed_on_time_first_review: int
    review_due: int = 0


class Board(Output):
    units: list[BoardEntry]
    people: list[BoardEntry]
    areas: list[BoardEntry]


class BoardsPublic(Output):
    area_code: str
    area_name: str | None
    as_of: Day
    # 长期坚持 problems in the area whose review date has passed (复核已逾期).
    review_due: int = 0
    warning_board: Board
    honor_board: Board
