"""HTTP for 一键报贫: the public report and look-up, staff workflow, numbers, deadlines,
village posters and the farmer's pages."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import segno
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from backend import pwa
from backend.accounts.deps import CurrentUser
from backend.accounts.models import User
from backend.core.deps import AreaQuery, PagingDep, SessionDep
from backend.core.downloads import DOCX
from backend.core.errors import Error, Invalid
from backend.core.idempotency import Idempotent
from backend.core.schemas import Day
from backend.core.settings import get_settings
from backend.households.deps import LockedHousehold
from backend.reports import (
    contact,
    deadlines,
    lookup,
    notices,
    numbers,
    poster,
    proposals,
    queries,
    service,
    throttle,
    workflow,
)
from backend.reports.deps import LockedReport, VisibleReport
from backend.reports.models import SelfReport
from backend.reports.schemas import (
    AnnounceInput,
    AssignInput,
    ClearanceDecisionInput,
    CommunityReviewInput,
    DeadlinePolicyInput,
    DeadlinePolicyPublic,
    ForwardInput,
    MergeInput,
    ProposalCreate,
    PublicNoticeInput,
    ReferInput,
    RejectInput,
    ReportNumbers,
    SelfReportContact,
    SelfReportCreate,
    SelfReportEnrollInput,
    SelfReportFilters,
    SelfReportLookup,
    SelfReportPublic,
    SelfReportReceipt,
    SelfReportsPublic,
    VerifyInput,
    WithdrawInput,
)

router = APIRouter(prefix="/api/v1", tags=["self-reports"])
pages = APIRouter(include_in_schema=False)


# --- the farmer's report -----------------------------------------------------------------


@dataclass
class ReportBody:
    data: SelfReportCreate
    photos: list[service.Photo]


def _validate(raw: Any, prefix: tuple[str, ...]) -> SelfReportCreate:
    try:
        return SelfReportCreate.model_validate(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": (*prefix, *e["loc"])} for e in exc.errors()]
        raise RequestValidationError(errors) from exc


async def _report_body(request: Request) -> ReportBody:
    """The report as JSON, or as multipart: a `report` field holding the JSON and up to
    three `photos`. One request carries report and photos, so they arrive together or not
    at all, and the phone's resend (same id) covers both."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data"):
        limit = get_settings().upload_max_bytes
        form = await request.form(max_files=10, max_fields=20, max_part_size=1024 * 1024)
        raw = form.get("report")
        if not isinstance(raw, str):
            raise Invalid("report", "缺少报告内容(report 字段,JSON)")
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise Invalid("report", "不是有效的 JSON") from exc
        photos = []
        for item in form.getlist("photos"):
            if not isinstance(item, UploadFile):
                raise Invalid("photos", "应为图片文件")
            photos.append(
                service.Photo(data=await item.read(limit + 1), filename=item.filename or "")
            )
        return ReportBody(_validate(parsed, ("body", "report")), photos)
    try:
        parsed = await request.json()
    except ValueError as exc:
        raise Invalid("请求", "不是有效的 JSON") from exc
    return ReportBody(_validate(parsed, ("body",)), [])


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


_REPORT_SCHEMA = _inline(SelfReportCreate.model_json_schema())
_SUBMIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _REPORT_SCHEMA},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["report"],
                    "properties": {
                        "report": {**_REPORT_SCHEMA, "description": "报告内容(同 JSON 请求体)"},
                        "photos": {
                            "type": "array",
                            "maxItems": 3,
                            "items": {"type": "string", "format": "binary"},
                            "description": "最多 3 张照片(JPEG、PNG、WebP)",
                        },
                    },
                },
                # The report part is JSON: a generated client sends it as such.
                "encoding": {
                    "report": {"contentType": "application/json"},
                    "photos": {"contentType": "image/jpeg, image/png, image/webp"},
                },
            },
        },
    }
}


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "-"


@router.post(
    "/self-reports",
    response_model=SelfReportReceipt,
    status_code=201,
    operation_id="submit_self_report",
    openapi_extra=_SUBMIT_BODY,
    responses={
        200: {
            "model": SelfReportReceipt,
            "description": "同一编号的报告已经收到过(重发),返回原来的受理编号",
        },
        409: {"model": Error, "description": "同一编号已用于内容不同的报告"},
        413: {"model": Error, "description": "照片太大"},
        429: {"model": Error, "description": "同一手机号或同一网络提交太多,见 Retry-After"},
    },
)
def submit_self_report(
    request: Request,
    response: Response,
    session: SessionDep,
    _: Idempotent,
    body: Annotated[ReportBody, Depends(_report_body)],
) -> SelfReportReceipt:
    """一键报贫 (no login): report a household's risk; answers the receipt code."""
    answer, created = service.submit(
        session=session, data=body.data, photos=body.photos, client_address=_client_address(request)
    )
    if not created:
        response.status_code = 200
    return answer


@router.get(
    "/self-reports/lookup",
    response_model=SelfReportLookup,
    operation_id="lookup_self_report",
    responses={429: {"description": "查询太多(同一网络或同一受理编号),见 Retry-After"}},
)
def lookup_self_report(
    request: Request,
    session: SessionDep,
    receipt_code: Annotated[str, Query(min_length=4, max_length=12, description="受理编号")],
    phone: Annotated[str, Query(min_length=11, max_length=11, description="报告时留的手机号")],
) -> SelfReportLookup:
    """Where a report stands (no login): status, step, deadline, decision and reason."""
    throttle.admit_lookup(receipt_code=receipt_code, address=_client_address(request))
    return lookup.lookup(session=session, receipt_code=receipt_code, phone=phone)


# --- staff -------------------------------------------------------------------------------


@router.get("/self-reports", response_model=SelfReportsPublic, operation_id="list_self_reports")
def list_self_reports(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    filters: Annotated[SelfReportFilters, Query()],
) -> SelfReportsPublic:
    """Reports in the caller's reach, overdue first; each row says whether it is overdue."""
    rows, count, late = queries.list_reports(
        session=session, user=user, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return SelfReportsPublic(
        data=queries.summaries(session=session, reports=rows, viewer=user),
        count=count,
        overdue_count=late,
    )


@router.get(
    "/self-reports/numbers", response_model=ReportNumbers, operation_id="self_report_numbers"
)
def self_report_numbers(
    session: SessionDep,
    user: CurrentUser,
    area: AreaQuery = None,
    since: Day | None = None,
    until: Day | None = None,
) -> ReportNumbers:
    """Per village and township: received, in progress, overdue, enrolled, rejected, median
    days to decision, and each village's uptake against its county's average."""
    return numbers.numbers(session=session, user=user, area=area, since=since, until=until)


def _detail(session: SessionDep, report: SelfReport, user: User) -> SelfReportPublic:
    return queries.detail(
        session=session,
        report=report,
        viewer=user,
        actions=workflow.allowed_actions(report, user),
    )


@router.get(
    "/self-reports/{report_id}", response_model=SelfReportPublic, operation_id="get_self_report"
)
def get_self_report(
    session: SessionDep, user: CurrentUser, report: VisibleReport
) -> SelfReportPublic:
    """One report with its findings, civic steps, deadlines, history and the actions open
    to the caller."""
    return _detail(session, report, user)


@router.get(
    "/self-reports/{report_id}/notice",
    response_class=Response,
    operation_id="self_report_notice",
    responses={
        200: {"content": {"text/html": {}, DOCX: {}}},
        409: {"description": "公示或公告尚未记录"},
    },
)
def self_report_notice(
    request: Request,
    session: SessionDep,
    _: CurrentUser,
    report: VisibleReport,
    stage: Annotated[
        Literal["public_notice", "announcement"], Query(description="公示 或 公告")
    ] = "public_notice",
    format: Annotated[Literal["html", "docx"], Query(description="html 或 docx")] = "html",
) -> Response:
    """The village's 公示 or 公告 of the case, printable (masked name and ID number)."""
    notice = notices.build(session=session, report=report, stage=stage)
    if format == "docx":
        return Response(
            notices.docx(notice),
            media_type=DOCX,
            headers={
                "Content-Disposition": f'attachment; filename="{stage}-{report.receipt_code}.docx"'
            },
        )
    return pwa.templates.TemplateResponse(request, "report_notice.html", {"notice": notice})


@router.post(
    "/households/{household_id}/proposals",
    response_model=SelfReportPublic,
    status_code=201,
    operation_id="propose",
    tags=["self-reports", "households"],
)
def propose(
    session: SessionDep,
    user: CurrentUser,
    _: Idempotent,
    household: LockedHousehold,
    data: ProposalCreate,
) -> SelfReportPublic:
    """The village proposes enrolment, clearance or 回退, with the visit that verified it."""
    report = proposals.propose(session=session, household=household, actor=user, data=data)
    return _detail(session, report, user)


@router.post(
    "/self-reports/{report_id}/contact",
    response_model=SelfReportContact,
    operation_id="reveal_self_report_contact",
    responses={403: {"description": "不是正在办理这份报告的人员"}},
)
def reveal_self_report_contact(
    session: SessionDep, user: CurrentUser, report: VisibleReport
) -> SelfReportContact:
    """The full phone numbers, for the one handling the report (the view is audited)."""
    return contact.reveal(session=session, report=report, user=user)


def _add_action(
    path: str, change: Callable[..., Any], model: type[BaseModel], operation_id: str, doc: str
) -> None:
    def endpoint(
        session: SessionDep,
        user: CurrentUser,
        report: LockedReport,
        data: model,  # type: ignore[valid-type]
    ) -> SelfReportPublic:
        change(session=session, report=report, actor=user, data=data)
        return _detail(session, report, user)

    endpoint.__doc__ = doc
    router.add_api_route(
        f"/self-reports/{{report_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=SelfReportPublic,
        operation_id=operation_id,
        summary=doc,
        responses={
            403: {"description": "角色不能做这一步"},
            404: {"description": "没有这份报告,或不在您的辖区"},
            409: {"description": "报告当前状态不能做这一步(detail 说明状态)"},
        },
    )


for _path, _change, _model, _op, _doc in (
    ("assign", workflow.assign, AssignInput, "assign_self_report", "Send someone to verify (→ verifying)"),
    ("verify", workflow.verify, VerifyInput, "verify_self_report", "Record the home visit's findings (→ township_review)"),
    ("community-review", workflow.record_community_review, CommunityReviewInput, "record_community_review", "Record 民主评议 (date, minutes or attachment)"),
    ("public-notice", workflow.record_public_notice, PublicNoticeInput, "record_public_notice", "Record 村内公示 (start, days, objections)"),
    ("forward", workflow.forward, ForwardInput, "forward_self_report", "Township review passed (→ county_approval)"),
    ("enroll", workflow.enroll, SelfReportEnrollInput, "enroll_self_report", "County approval: enroll the household (→ enrolled)"),
    ("fast-track", workflow.fast_track, SelfReportEnrollInput, "fast_track_self_report", "绿色通道: enroll now, civic steps by the backfill deadline"),
    ("reject", workflow.reject, RejectInput, "reject_self_report", "Reject with a reason the farmer reads (→ rejected)"),
    ("refer", workflow.refer, ReferInput, "refer_self_report", "Refer to another kind of help (→ referred)"),
    ("withdraw", workflow.withdraw, WithdrawInput, "withdraw_self_report", "Withdraw at the farmer's wish (→ withdrawn)"),
    ("merge", workflow.merge, MergeInput, "merge_self_report", "Join another open report of the same household (→ merged)"),
    ("clear", workflow.clear, ClearanceDecisionInput, "clear_risk_self_report", "County approval of a clearance proposal (→ cleared)"),
    ("announce", workflow.announce, AnnounceInput, "announce_self_report", "Record the 公告 posted after the county's approval"),
):  # fmt: skip
    _add_action(_path, _change, _model, _op, _doc)


# --- deadlines ---------------------------------------------------------------------------


@router.get(
    "/report-deadlines", response_model=list[DeadlinePolicyPublic], operation_id="list_deadlines"
)
def list_deadlines(session: SessionDep, user: CurrentUser) -> list[DeadlinePolicyPublic]:
    """Deadline policies set for the caller's province or county."""
    return deadlines.list_policies(session=session, scope=user.scope)


@router.get(
    "/report-deadlines/{area_code}",
    response_model=DeadlinePolicyPublic,
    operation_id="get_deadline",
)
def get_deadline(
    session: SessionDep,
    _: CurrentUser,
    area_code: Annotated[str, Path(pattern=r"^\d{2,12}$")],
) -> DeadlinePolicyPublic:
    """The deadlines that apply to an area (its county's, its province's, or the default)."""
    return deadlines.policy_for(session=session, area_code=area_code)


@router.put(
    "/report-deadlines/{area_code}",
    response_model=DeadlinePolicyPublic,
    operation_id="set_deadline",
)
def set_deadline(
    session: SessionDep,
    user: CurrentUser,
    area_code: Annotated[str, Path(pattern=r"^\d{2}$|^\d{6}$")],
    data: DeadlinePolicyInput,
) -> DeadlinePolicyPublic:
    """Set a county's (or, as administrator, a province's) working-day deadlines."""
    return deadlines.set_policy(session=session, area_code=area_code, data=data, actor=user)


# --- village poster ----------------------------------------------------------------------


@router.get(
    "/areas/{code}/poster",
    response_class=HTMLResponse,
    operation_id="village_poster",
    tags=["self-reports", "areas"],
)
def village_poster(
    request: Request, session: SessionDep, code: Annotated[str, Path(pattern=r"^\d{12}$")]
) -> HTMLResponse:
    """A printable A4 poster for a village: QR code to the report page, how to report, and
    the village cadre's phone."""
    info = poster.for_village(session=session, code=code)
    url = f"{str(request.base_url).rstrip('/')}/report?village={code}"
    qr = segno.make(url, error="m").svg_inline(scale=10, border=2, dark="#000")
    return pwa.templates.TemplateResponse(
        request, "report_poster.html", {"info": info, "url": url, "qr": Markup(qr)}
    )


# --- the farmer's pages ------------------------------------------------------------------


# Public: the worker precaches them when it installs, so the first visit (from the village's
# QR poster) leaves the form working offline; the staff and field shells wait to be opened.
pwa.add_page(pages, "/report", "report.html", public=True)
pwa.add_page(pages, "/report/status", "report_status.html", public=True)
