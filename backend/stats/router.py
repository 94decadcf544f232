"""HTTP for the statistics: the overview and the trend of an area, as JSON or XLSX."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from backend.accounts.deps import CurrentUser
from backend.core.deps import AreaQuery, SessionDep
from backend.core.downloads import XLSX, download
from backend.stats import service, sheets
from backend.stats.schemas import Overview, Trend

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])

FormatParam = Annotated[Literal["json", "xlsx"], Query(description="json 或 xlsx")]
XLSX_RESPONSE = {200: {"content": {XLSX: {}}, "description": "JSON,或 format=xlsx 时的表格"}}


@router.get(
    "/overview", response_model=Overview, operation_id="stats_overview", responses=XLSX_RESPONSE
)
def overview(
    session: SessionDep, user: CurrentUser, area: AreaQuery = None, format: FormatParam = "json"
) -> Overview | Response:
    """Where an area stands, with the same figures for each child area."""
    data = service.overview(session=session, user=user, area=area)
    if format == "xlsx":
        return download(sheets.overview_xlsx(data), XLSX, f"统计概览{data.area.area_code}.xlsx")
    return data


@router.get("/trend", response_model=Trend, operation_id="stats_trend", responses=XLSX_RESPONSE)
def trend(
    session: SessionDep,
    user: CurrentUser,
    area: AreaQuery = None,
    months: Annotated[int, Query(ge=1, le=36, description="月数")] = 12,
    format: FormatParam = "json",
) -> Trend | Response:
    """Month by month: monitored, enrolled, cleared, reports and visits, per child area."""
    data = service.trend(session=session, user=user, area=area, months=months)
    if format == "xlsx":
        return download(sheets.trend_xlsx(data), XLSX, f"逐月趋势{data.area.area_code}.xlsx")
    return data
