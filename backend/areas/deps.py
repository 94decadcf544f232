"""An area loaded by its code, for routers: 404 when there is no such area."""

from typing import Annotated

from fastapi import Depends

from backend.areas import service
from backend.areas.models import Area
from backend.core.deps import SessionDep


def _known(session: SessionDep, code: str) -> Area:
    return service.get_or_404(session=session, code=code)


KnownArea = Annotated[Area, Depends(_known)]
