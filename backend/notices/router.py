"""HTTP for one's own notice settings."""

from fastapi import APIRouter

from backend.accounts.deps import CurrentUser
from backend.core.deps import SessionDep
from backend.notices import service
from backend.notices.schemas import NoticeSettingsInput, NoticeSettingsPublic

router = APIRouter(prefix="/api/v1", tags=["notices"])


@router.get(
    "/me/notices", response_model=NoticeSettingsPublic, operation_id="get_my_notice_settings"
)
def get_settings(session: SessionDep, user: CurrentUser) -> NoticeSettingsPublic:
    """Whether the caller gets texts about their 待办."""
    return service.settings_of(session=session, user=user)


@router.put(
    "/me/notices", response_model=NoticeSettingsPublic, operation_id="set_my_notice_settings"
)
def set_settings(
    session: SessionDep, user: CurrentUser, data: NoticeSettingsInput
) -> NoticeSettingsPublic:
    """Turn the caller's 待办 texts on or off."""
    return service.set_sms(session=session, user=user, sms=data.sms)
