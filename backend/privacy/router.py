"""HTTP for personal data: full ID numbers on an audited request, a household's export."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from backend.accounts.deps import CurrentUser
from backend.accounts.models import User
from backend.core.deps import SessionDep
from backend.households.deps import VisibleHousehold
from backend.privacy import service
from backend.privacy.schemas import IdNumberShown, PersonalDataExport
from backend.reports.deps import VisibleReport

router = APIRouter(prefix="/api/v1", tags=["privacy"])


def _full_id_viewer(user: CurrentUser) -> User:
    """The role checked before the record is loaded: 403 for a role that may never see a
    full number, whichever id it names."""
    service.require_full_id_role(user)
    return user


FullIdViewer = Annotated[User, Depends(_full_id_viewer)]

FORBIDDEN = {403: {"description": "角色不能查看完整身份证号"}}


@router.post(
    "/households/{household_id}/members/{member_id}/id-number",
    response_model=IdNumberShown,
    operation_id="reveal_member_id_number",
    responses=FORBIDDEN,
)
def reveal_member_id_number(
    session: SessionDep, user: FullIdViewer, household: VisibleHousehold, member_id: uuid.UUID
) -> IdNumberShown:
    """A member's full ID number (village cadres, township and county officers; audited)."""
    return service.reveal_member_id_number(
        session=session, household=household, member_id=member_id, user=user
    )


@router.post(
    "/self-reports/{report_id}/id-number",
    response_model=IdNumberShown,
    operation_id="reveal_self_report_id_number",
    responses=FORBIDDEN,
)
def reveal_self_report_id_number(
    session: SessionDep, user: FullIdViewer, report: VisibleReport
) -> IdNumberShown:
    """The full ID number a report was sent with (the same roles; audited)."""
    return service.reveal_report_id_number(session=session, report=report, user=user)


@router.post(
    "/households/{household_id}/personal-data",
    response_model=PersonalDataExport,
    operation_id="export_household_personal_data",
    responses=FORBIDDEN,
)
def export_household_personal_data(
    session: SessionDep, user: FullIdViewer, household: VisibleHousehold
) -> JSONResponse:
    """Everything held about a household, as a JSON file for the household (audited)."""
    export = service.export_household(session=session, household=household, user=user)
    name = f"shouwang-personal-data-{household.reference}.json"
    return JSONResponse(
        export.model_dump(mode="json"),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
