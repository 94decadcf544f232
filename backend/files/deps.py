"""Files loaded with their access check, for routers: 404 when missing or out of reach."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from backend.accounts.deps import loader
from backend.files import service
from backend.files.models import StoredFile

FileId = Annotated[uuid.UUID, Path(description="文件的编号(UUID)")]

VisibleFile = Annotated[StoredFile, Depends(loader(service.get_visible, "file_id", FileId))]
