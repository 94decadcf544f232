"""HTTP for bringing households in (a sheet upload, answered with its row-by-row account) and
taking records out (CSV or XLSX, streamed)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, UploadFile
from fastapi.responses import StreamingResponse

from backend.accounts.deps import CurrentUser
from backend.core.deps import SessionDep
from backend.households.schemas import ImportAccount
from backend.transfer import exports, service
from backend.transfer.schemas import ExportFormat, ExportKind

router = APIRouter(prefix="/api/v1", tags=["transfer"])

AreaParam = Annotated[
    str | None, Query(pattern=r"^\d{2,12}$", description="地区代码(默认本人辖区)")
]


@router.post("/imports/households", response_model=ImportAccount, operation_id="import_households")
def import_households(
    session: SessionDep,
    user: CurrentUser,
    file: UploadFile,
    dry_run: Annotated[bool, Query(description="只检查,不写入")] = False,
    area: AreaParam = None,
) -> ImportAccount:
    """Import households with their members and history from XLSX or CSV (one row per member)."""
    return service.import_upload(
        session=session,
        user=user,
        file=file.file,
        filename=file.filename or "",
        dry_run=dry_run,
        area=area,
    )


@router.get(
    "/exports/{kind}",
    operation_id="export_records",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {exports.CSV: {}, exports.XLSX: {}},
            "description": "CSV(UTF-8,带 BOM)或 XLSX 文件",
        }
    },
)
def export_records(
    user: CurrentUser,
    kind: ExportKind,
    format: Annotated[ExportFormat, Query(description="csv 或 xlsx")] = ExportFormat.csv,
    area: AreaParam = None,
    status: Annotated[
        str | None,
        Query(max_length=32, description="状态(农户、成员:监测状态;报告、问题、发现:各自的状态)"),
    ] = None,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="年度(走访、收支登记、报告、问题)")
    ] = None,
) -> StreamingResponse:
    """Export an area's households, members, visits, ledger, reports, problems or findings."""
    filters = exports.ExportFilters(area=area, status=status, year=year)
    exports.check(user=user, kind=kind, filters=filters)
    name = exports.filename(kind, format, area or user.scope)
    return StreamingResponse(
        exports.stream(user=user, kind=kind, fmt=format, filters=filters),
        media_type=exports.CSV if format == ExportFormat.csv else exports.XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
