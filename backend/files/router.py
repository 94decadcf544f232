"""HTTP for attachments: upload in one's own area, download only within scope."""

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, UploadFile
from fastapi.responses import Response

from backend.accounts.deps import CurrentUser
from backend.core.deps import SessionDep
from backend.core.idempotency import Idempotent
from backend.core.schemas import Output
from backend.core.settings import get_settings
from backend.files import service
from backend.files.deps import VisibleFile

router = APIRouter(prefix="/api/v1/files", tags=["files"])


class FilePublic(Output):
    id: uuid.UUID
    content_type: str
    size: int
    area_code: str
    household_id: uuid.UUID | None
    original_name: str
    taken_at: str | None
    caption: str
    taken_on: date | None
    created_at: datetime


@router.post("", response_model=FilePublic, status_code=201, operation_id="upload_file")
def upload(
    session: SessionDep,
    user: CurrentUser,
    _: Idempotent,
    file: UploadFile,
    area_code: Annotated[str | None, Form(pattern=r"^\d{2,12}$")] = None,
    household_id: Annotated[uuid.UUID | None, Form()] = None,
    caption: Annotated[str, Form(max_length=200)] = "",
) -> FilePublic:
    """Upload a photo (JPEG, PNG, WebP) or PDF: for a household (household_id) or for an
    area in the caller's scope (area_code), with a caption saying what it shows."""
    row = service.upload(
        session=session,
        user=user,
        # One byte past the limit is enough to refuse it as too large.
        data=file.file.read(get_settings().upload_max_bytes + 1),
        area_code=area_code,
        household_id=household_id,
        original_name=file.filename or "",
        caption=caption,
    )
    return FilePublic.model_validate(row)


@router.get(
    "/{file_id}",
    operation_id="download_file",
    response_class=Response,
    responses={
        200: {
            "content": {t: {} for t in (*service.IMAGE_TYPES.values(), service.PDF)},
            "description": "文件内容：照片（JPEG、PNG、WebP）或 PDF",
        }
    },
)
def download(row: VisibleFile) -> Response:
    """The file's bytes, for callers whose area (or assignment) covers it."""
    return Response(
        service.read(row),
        media_type=row.content_type,
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/{file_id}/meta", response_model=FilePublic, operation_id="get_file")
def meta(row: VisibleFile) -> FilePublic:
    """What is known about a file."""
    return FilePublic.model_validate(row)
