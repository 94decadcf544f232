"""HTTP for bringing households in (a sheet upload, answered with its row-by-row account) and
taking records out (CSV or XLSX, streamed)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse

from backend.accounts.deps import CurrentUser
from backend.core.deps import AreaQuery, PagingDep, SessionDep
from backend.core.downloads import XLSX, attachment
from backend.core.errors import Error, error_responses
from backend.households.schemas import ImportAccount
from backend.transfer import exports, service
from backend.transfer.models import HouseholdImport
from backend.transfer.schemas import (
    ExportFormat,
    ExportKind,
    ImportBrief,
    ImportFilters,
    ImportJob,
    ImportsPublic,
)

router = APIRouter(prefix="/api/v1", tags=["transfer"])


@router.post(
    "/imports/households",
    response_model=ImportAccount,
    operation_id="import_households",
    responses={
        202: {"model": ImportJob, "description": "文件较大,已交后台导入;进度见 GET /imports/{id}"},
        **error_responses(403, 422, 507),
        413: {"model": Error, "description": "文件太大或行数太多"},
    },
)
def import_households(
    session: SessionDep,
    user: CurrentUser,
    file: UploadFile,
    dry_run: Annotated[bool, Query(description="只检查,不写入")] = False,
    area: AreaQuery = None,
    background: Annotated[
        bool, Query(description=f"交后台导入(超过 {service.BACKGROUND_ROWS} 行时总是如此)")
    ] = False,
) -> Any:
    """Import households with their members and history from XLSX or CSV (one row per member):
    a small file answers its account at once (200); a large one, or `background=true`, is
    imported by the worker and answered 202 with the import to follow."""
    result = service.import_upload(
        session=session,
        user=user,
        file=file.file,
        filename=file.filename or "",
        dry_run=dry_run,
        area=area,
        background=background,
    )
    if isinstance(result, HouseholdImport):
        return JSONResponse(
            ImportJob.model_validate(result).model_dump(mode="json"),
            status_code=202,
            headers={"Location": f"/api/v1/imports/{result.id}"},
        )
    return result


@router.get(
    "/imports",
    response_model=ImportsPublic,
    operation_id="list_household_imports",
    responses=error_responses(403, 422),
)
def list_household_imports(
    session: SessionDep,
    user: CurrentUser,
    paging: PagingDep,
    filters: Annotated[ImportFilters, Query()],
) -> ImportsPublic:
    """The household imports of the caller's area, newest first: status, rows done of the
    total, and the households and members created, updated and refused (county roles)."""
    rows, count = service.list_imports(
        session=session, user=user, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return ImportsPublic(data=[ImportBrief.model_validate(r) for r in rows], count=count)


@router.get(
    "/imports/{import_id:uuid}",
    response_model=ImportJob,
    operation_id="get_household_import",
    responses=error_responses(404),
)
def get_household_import(session: SessionDep, user: CurrentUser, import_id: uuid.UUID) -> ImportJob:
    """A background import: its status, rows done of the total, and its account when done."""
    row = service.get_import(session=session, user=user, import_id=import_id)
    return ImportJob.model_validate(row)


@router.get(
    "/exports/{kind}",
    operation_id="export_records",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {exports.CSV: {}, XLSX: {}},
            "description": "CSV(UTF-8,带 BOM)或 XLSX 文件",
        }
    },
)
def export_records(
    user: CurrentUser,
    kind: ExportKind,
    format: Annotated[ExportFormat, Query(description="csv 或 xlsx")] = ExportFormat.csv,
    area: AreaQuery = None,
    status: Annotated[
        str | None,
        Query(max_length=32, description="状态(农户、成员:监测状态;报告、问题、发现:各自的状态)"),
    ] = None,
    full_ids: Annotated[
        bool, Query(description="完整身份证号和手机号(限村、乡、县干部,导出记入审计)")
    ] = False,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="年度(走访、收支登记、报告、问题)")
    ] = None,
) -> StreamingResponse:
    """Export an area's households, members, visits, ledger, reports, problems or findings."""
    filters = exports.ExportFilters(area=area, status=status, year=year, full_ids=full_ids)
    exports.check(user=user, kind=kind, filters=filters)
    name = exports.filename(kind, format, area or user.scope)
    return StreamingResponse(
        exports.stream(user=user, kind=kind, fmt=format, filters=filters),
        media_type=exports.CSV if format == ExportFormat.csv else XLSX,
        headers=attachment(name),
    )
