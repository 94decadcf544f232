"""Files loaded with their access check, for routers: 404 when missing or out of reach."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import CurrentUser
from backend.core.deps import SessionDep
from backend.files import service
from backend.files.models import StoredFile

FileId = Annotated[uuid.UUID, Path(description="文件的编号(UUID)")]


def _visible(session: SessionDep, user: CurrentUser, file_id: FileId) -> StoredFile:
    return service.get_visible(session=session, scope=user.scope, file_id=file_id, user=user)


VisibleFile = Annotated[StoredFile, Depends(_visible)]
