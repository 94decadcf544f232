"""HTTP for attachments: upload in one's own area, download only within scope."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import Response

from backend.accounts.deps import CurrentUser, Scope
from backend.core.deps import SessionDep
from backend.core.errors import Forbidden, Invalid
from backend.core.schemas import Output
from backend.core.scope import contains
from backend.core.settings import get_settings
from backend.files import service
from backend.households import service as households_service

router = APIRouter(prefix="/api/v1/files", tags=["files"])


class FilePublic(Output):
    id: uuid.UUID
    content_type: str
    size: int
    area_code: str
    household_id: uuid.UUID | None
    original_name: str
    taken_at: str | None
    created_at: datetime


@router.post("", response_model=FilePublic, status_code=201, operation_id="upload_file")
def upload(
    session: SessionDep,
    user: CurrentUser,
    scope: Scope,
    file: UploadFile,
    area_code: Annotated[str | None, Form(pattern=r"^\d{2,12}$")] = None,
    household_id: Annotated[uuid.UUID | None, Form()] = None,
) -> FilePublic:
    """Upload a photo (JPEG, PNG, WebP) or PDF: for a household (household_id) or for an
    area in the caller's scope (area_code)."""
    if household_id is not None:
        household = households_service.get_visible(
            session=session, user=user, household_id=household_id
        )
        area_code = household.area_code
    elif area_code is None:
        raise Invalid("area_code", "请指明文件所属的户或地区")
    elif not contains(scope, area_code):
        raise Forbidden("只能为本辖区上传文件", code="outside_scope")
    data = file.file.read(get_settings().upload_max_bytes + 1)
    if not data:
        raise Invalid("file", "文件是空的")
    row = service.store(
        session=session,
        data=data,
        area_code=area_code,
        uploaded_by=user.id,
        household_id=household_id,
        original_name=file.filename or "",
    )
    session.commit()
    return FilePublic.model_validate(row)


@router.get("/{file_id}", operation_id="download_file", response_class=Response)
def download(session: SessionDep, user: CurrentUser, file_id: uuid.UUID) -> Response:
    """The file's bytes, for callers whose area (or assignment) covers it."""
    row = service.get_visible(session=session, scope=user.scope, file_id=file_id, user=user)
    return Response(
        service.read(row),
        media_type=row.content_type,
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/{file_id}/meta", response_model=FilePublic, operation_id="get_file")
def meta(session: SessionDep, user: CurrentUser, file_id: uuid.UUID) -> FilePublic:
    """What is known about a file."""
    row = service.get_visible(session=session, scope=user.scope, file_id=file_id, user=user)
    return FilePublic.model_validate(row)
