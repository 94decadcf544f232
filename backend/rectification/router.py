"""HTTP for 整改销号: problem lists, problems, their workflow, spreadsheets, report, boards."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, UploadFile
from fastapi.responses import HTMLResponse, Response

from backend.accounts.deps import CurrentUser
from backend.core.deps import PagingDep, SessionDep
from backend.core.downloads import DOCX, XLSX, download
from backend.core.errors import Invalid
from backend.core.idempotency import Idempotent
from backend.core.settings import get_settings
from backend.rectification import batches, boards, copies, ledger, report, service, sheets, workflow
from backend.rectification.deps import (
    GuardedProblem,
    LockedBatch,
    TaggedProblem,
    VisibleBatch,
    VisibleProblem,
)
from backend.rectification.schemas import (
    BatchCreate,
    BatchesPublic,
    BatchPublic,
    BatchUpdate,
    BoardsPublic,
    ClaimInput,
    CloseInput,
    CopyInput,
    CopyResult,
    EvidenceCreate,
    ImportResult,
    NoteCreate,
    OngoingInput,
    ProblemCreate,
    ProblemFilters,
    ProblemPublic,
    ProblemsPublic,
    ProblemUpdate,
    ReturnInput,
    StepCreate,
)

router = APIRouter(prefix="/api/v1", tags=["rectification"])


# --- problem lists (batches) ---------------------------------------------------------------


@router.post(
    "/problem-batches",
    response_model=BatchPublic,
    status_code=201,
    operation_id="create_problem_batch",
)
def create_batch(
    session: SessionDep, user: CurrentUser, _: Idempotent, data: BatchCreate
) -> BatchPublic:
    """Issue a problem list (one inspection's, cross-check's, assessment's or self-check's)."""
    batch = batches.create_batch(session=session, data=data, actor=user)
    return batches.batch_public(session=session, user=user, batches=[batch])[0]


@router.get("/problem-batches", response_model=BatchesPublic, operation_id="list_problem_batches")
def list_batches(session: SessionDep, user: CurrentUser, paging: PagingDep) -> BatchesPublic:
    """Problem lists in the caller's reach, newest first, with counts by state."""
    rows, count = batches.list_batches(
        session=session, user=user, offset=paging.offset, limit=paging.limit
    )
    return BatchesPublic(
        data=batches.batch_public(session=session, user=user, batches=rows), count=count
    )


@router.get(
    "/problem-batches/{batch_id}", response_model=BatchPublic, operation_id="get_problem_batch"
)
def get_batch(session: SessionDep, user: CurrentUser, batch: VisibleBatch) -> BatchPublic:
    """One problem list with its counts."""
    return batches.batch_public(session=session, user=user, batches=[batch])[0]


@router.patch(
    "/problem-batches/{batch_id}", response_model=BatchPublic, operation_id="update_problem_batch"
)
def update_batch(
    session: SessionDep, user: CurrentUser, batch: LockedBatch, data: BatchUpdate
) -> BatchPublic:
    """Correct the list's header (notice, document number, addressee) or its next steps."""
    batches.update_batch(session=session, batch=batch, data=data, actor=user)
    return batches.batch_public(session=session, user=user, batches=[batch])[0]


@router.post(
    "/problem-batches/{batch_id}/problems",
    response_model=ProblemPublic,
    status_code=201,
    operation_id="create_problem",
)
def create_problem(
    session: SessionDep, user: CurrentUser, _: Idempotent, batch: VisibleBatch, data: ProblemCreate
) -> ProblemPublic:
    """Add a problem to the list (issued, waiting to be claimed)."""
    problem = service.add_problem(session=session, batch=batch, data=data, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problem-batches/{batch_id}/import",
    response_model=ImportResult,
    operation_id="import_problems",
)
def import_problems(
    session: SessionDep,
    user: CurrentUser,
    batch: VisibleBatch,
    file: UploadFile,
    mode: Annotated[Literal["all_or_nothing", "partial"], Form()] = "all_or_nothing",
) -> ImportResult:
    """Import problems from XLSX (序号, 问题描述, 类别, 地区, 责任单位, 责任人, 整改时限, any order)."""
    data = file.file.read(get_settings().upload_max_bytes + 1)
    if len(data) > get_settings().upload_max_bytes:
        raise Invalid("file", "文件太大")
    return sheets.import_problems(
        session=session, batch=batch, data=data, partial=mode == "partial", actor=user
    )


@router.get(
    "/problem-batches/{batch_id}/ledger",
    operation_id="export_problem_ledger",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "整改台账（XLSX）"}},
)
def export_ledger(session: SessionDep, user: CurrentUser, batch: VisibleBatch) -> Response:
    """整改台账 as XLSX: every problem with steps, evidence count, status and dates."""
    return download(
        ledger.ledger_xlsx(session=session, batch=batch, user=user), XLSX, "整改台账.xlsx"
    )


@router.get(
    "/problem-batches/{batch_id}/report",
    operation_id="rectification_report",
    response_class=Response,
    responses={
        200: {
            "content": {"text/html": {}, DOCX: {}},
            "description": "可打印的网页，或 format=docx 时的 Word 文档",
        }
    },
)
def rectification_report(
    session: SessionDep,
    user: CurrentUser,
    batch: VisibleBatch,
    format: Annotated[Literal["html", "docx"], Query(description="html 或 docx")] = "html",
) -> Response:
    """整改情况报告 from live data, shaped like the reports townships send up."""
    data = report.build(session=session, batch=batch, user=user)
    if format == "docx":
        return download(report.docx(data), DOCX, "整改情况报告.docx")
    return HTMLResponse(report.html(data))


# --- problems ------------------------------------------------------------------------------


@router.get("/problems", response_model=ProblemsPublic, operation_id="list_problems")
def list_problems(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    filters: Annotated[ProblemFilters, Query()],
) -> ProblemsPublic:
    """Problems in the caller's area, with overdue marks (working days past the deadline)."""
    rows, count, judge = service.list_problems(
        session=session, user=user, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return ProblemsPublic(
        data=service.summaries(session=session, problems=rows, judge=judge), count=count
    )


@router.get("/problems/boards", response_model=BoardsPublic, operation_id="problem_boards")
def problem_boards(
    session: SessionDep,
    user: CurrentUser,
    area: Annotated[str | None, Query(pattern=r"^\d{2,12}$", description="县或乡镇代码")] = None,
) -> BoardsPublic:
    """红黑榜 for a county or township: units, people and areas ranked."""
    return boards.boards(session=session, user=user, area=area)


@router.get("/problems/{problem_id:uuid}", response_model=ProblemPublic, operation_id="get_problem")
def get_problem(session: SessionDep, user: CurrentUser, problem: TaggedProblem) -> ProblemPublic:
    """One problem with its steps, evidence, progress notes and reviews."""
    return service.detail(session=session, user=user, problem=problem)


@router.patch(
    "/problems/{problem_id:uuid}", response_model=ProblemPublic, operation_id="update_problem"
)
def update_problem(
    session: SessionDep, user: CurrentUser, problem: GuardedProblem, data: ProblemUpdate
) -> ProblemPublic:
    """Correct an issued problem before anyone claims it (409 afterwards)."""
    service.update_problem(session=session, problem=problem, data=data, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problems/{problem_id}/claim", response_model=ProblemPublic, operation_id="claim_problem"
)
def claim(
    session: SessionDep, user: CurrentUser, problem: GuardedProblem, data: ClaimInput
) -> ProblemPublic:
    """认领: become the responsible person, with planned steps and a deadline."""
    workflow.claim(session=session, problem=problem, data=data, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problems/{problem_id}/steps",
    response_model=ProblemPublic,
    status_code=201,
    operation_id="add_rectification_step",
)
def add_step(
    session: SessionDep, user: CurrentUser, _: Idempotent, problem: GuardedProblem, data: StepCreate
) -> ProblemPublic:
    """Add a rectification step (整改措施)."""
    workflow.add_step(session=session, problem=problem, data=data, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problems/{problem_id}/notes",
    response_model=ProblemPublic,
    status_code=201,
    operation_id="add_progress_note",
)
def add_note(
    session: SessionDep, user: CurrentUser, _: Idempotent, problem: GuardedProblem, data: NoteCreate
) -> ProblemPublic:
    """Record progress (整改进展)."""
    workflow.add_note(session=session, problem=problem, data=data, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problems/{problem_id}/steps/{step_id}/evidence",
    response_model=ProblemPublic,
    status_code=201,
    operation_id="add_evidence",
)
def add_evidence(
    session: SessionDep,
    user: CurrentUser,
    _: Idempotent,
    problem: GuardedProblem,
    step_id: uuid.UUID,
    data: EvidenceCreate,
) -> ProblemPublic:
    """Attach evidence (印证资料) to a step: an uploaded file's id, or a text record."""
    workflow.add_evidence(session=session, problem=problem, step_id=step_id, data=data, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.delete(
    "/problems/{problem_id}/evidence/{evidence_id}",
    response_model=ProblemPublic,
    operation_id="remove_evidence",
)
def remove_evidence(
    session: SessionDep, user: CurrentUser, problem: GuardedProblem, evidence_id: uuid.UUID
) -> ProblemPublic:
    """Take back evidence that was never handed in (409 once submitted)."""
    workflow.remove_evidence(session=session, problem=problem, evidence_id=evidence_id, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problems/{problem_id}/submit-for-closure",
    response_model=ProblemPublic,
    operation_id="submit_for_closure",
)
def submit_for_closure(
    session: SessionDep, user: CurrentUser, problem: GuardedProblem
) -> ProblemPublic:
    """申请销号: 409 naming every step that still lacks evidence."""
    workflow.submit_for_closure(session=session, problem=problem, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problems/{problem_id}/close", response_model=ProblemPublic, operation_id="close_problem"
)
def close(
    session: SessionDep, user: CurrentUser, problem: GuardedProblem, data: CloseInput
) -> ProblemPublic:
    """销号 after review (not by the person who rectified it: 403)."""
    workflow.close(session=session, problem=problem, data=data, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problems/{problem_id}/return", response_model=ProblemPublic, operation_id="return_problem"
)
def return_problem(
    session: SessionDep, user: CurrentUser, problem: GuardedProblem, data: ReturnInput
) -> ProblemPublic:
    """退回 with a reason; the responsible person works on it again."""
    workflow.return_(session=session, problem=problem, data=data, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problems/{problem_id}/ongoing",
    response_model=ProblemPublic,
    operation_id="mark_problem_ongoing",
)
def mark_ongoing(
    session: SessionDep, user: CurrentUser, problem: GuardedProblem, data: OngoingInput
) -> ProblemPublic:
    """长期坚持: keep a closed problem under watch until the next review date."""
    workflow.mark_ongoing(session=session, problem=problem, data=data, actor=user)
    return service.detail(session=session, user=user, problem=problem)


@router.post(
    "/problems/{problem_id}/copies",
    response_model=CopyResult,
    status_code=201,
    operation_id="copy_problem",
)
def copy_problem(
    session: SessionDep, user: CurrentUser, _: Idempotent, problem: VisibleProblem, data: CopyInput
) -> CopyResult:
    """举一反三: copy the problem to other villages of its township in one call."""
    made, skipped = copies.copy_to_villages(session=session, problem=problem, data=data, actor=user)
    return CopyResult(
        data=service.summaries(session=session, problems=made), count=len(made), skipped=skipped
    )
