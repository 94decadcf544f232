"""HTTP for the area tree. Area names and codes are public facts; no login needed to read."""

from typing import Annotated

from fastapi import APIRouter, Query

from backend.areas import service
from backend.areas.deps import KnownArea
from backend.areas.schemas import AreaPublic, AreasPublic
from backend.core.deps import SessionDep

router = APIRouter(prefix="/api/v1/areas", tags=["areas"])


@router.get("", response_model=AreasPublic, operation_id="search_areas")
def search_areas(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=20, description="名称中的字")] = None,
    under: Annotated[str, Query(pattern=r"^\d{0,12}$", description="只在这个地区以下")] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> AreasPublic:
    """Search areas by name (or list the top level when no name is given)."""
    if not q:
        rows = (
            service.roots(session=session)
            if not under
            else service.children(session=session, code=under)
        )
        return AreasPublic(data=rows, count=len(rows))
    rows, count = service.search(session=session, q=q, under=under, limit=limit)
    return AreasPublic(data=rows, count=count)


@router.get("/{code}", response_model=AreaPublic, operation_id="get_area")
def get_area(area: KnownArea) -> AreaPublic:
    """One area by its statistical code."""
    return AreaPublic.model_validate(area)


@router.get("/{code}/children", response_model=AreasPublic, operation_id="list_area_children")
def list_children(session: SessionDep, area: KnownArea) -> AreasPublic:
    """The areas directly under this one."""
    rows = service.children(session=session, code=area.code)
    return AreasPublic(data=rows, count=len(rows))


@router.get("/{code}/path", response_model=AreasPublic, operation_id="get_area_path")
def get_path(session: SessionDep, code: str) -> AreasPublic:
    """The chain from the province down to this area."""
    rows = service.path(session=session, code=code)
    return AreasPublic(data=rows, count=len(rows))
