"""Dependency aliases every router uses."""

from typing import Annotated

from fastapi import Depends, Query
from sqlmodel import Session

from backend.core.db import session_scope
from backend.core.settings import get_settings

# "function" scope: the session closes as the endpoint returns, before the response is
# sent, so no connection (or SQLite's write lock) waits on a slow client.
SessionDep = Annotated[Session, Depends(session_scope, scope="function")]


# Past any list a county has; a larger offset would overflow the databases' 64-bit integers
# (SQLite's driver raises OverflowError) instead of answering an empty page.
OFFSET_MAX = 1_000_000_000


class Paging:
    def __init__(
        self,
        offset: Annotated[int, Query(ge=0, le=OFFSET_MAX, description="从第几条开始")] = 0,
        limit: Annotated[int, Query(ge=1, le=200, description="每页条数")] = 50,
    ) -> None:
        self.offset = offset
        self.limit = min(limit, get_settings().page_size_max)


PagingDep = Annotated[Paging, Depends()]


# The area a list or a figure is narrowed to (a county, a township or a village); None: the
# caller's whole scope. A code outside the scope is refused by the service, not here.
AreaQuery = Annotated[
    str | None, Query(pattern=r"^\d{2,12}$", description="地区代码(默认本人辖区)")
]
