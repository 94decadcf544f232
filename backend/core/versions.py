"""Row versions and the ETag / If-Match headers built on them: a write made on a stale copy
of a household or a problem answers 412 instead of silently undoing someone else's change.

A versioned table has an integer `version` column. It goes up by one in every flush that
changes the row or one of the rows that belong to it (a household's members, incomes and
plan; a problem's steps, evidence, notes and reviews), wherever the change comes from: a
household endpoint, a self-report's enrolment, the worker. The increment is written as
`version = version + 1` in SQL, so two writers never land on the same number.

The ETag is the version, quoted and strong (`"v7"`): If-Match compares strongly (RFC 9110
§13.1.1), so a weak tag (`W/"v7"`) never matches, `*` matches any existing row, and a list
matches when one of its tags does. A request without If-Match is not checked (the PWA's
older pages and clients that do not care keep working)."""

import uuid
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core.errors import AppError

T = TypeVar("T")

_STATE_KEY = "etag"


def version_field() -> Any:
    """The `version` column of a versioned table (1 for a new row)."""
    return Field(default=1, sa_column_kwargs={"server_default": "1"})


# table class → itself; child table class → (parent class, how to find the parent's id)
_VERSIONED: set[type] = set()
_CHILDREN: dict[type, tuple[type, Callable[[Session, Any], uuid.UUID | None]]] = {}


def track(
    parent: type, children: dict[type, str | Callable[[Session, Any], uuid.UUID | None]]
) -> None:
    """Version `parent`, bumped also when a row of a child table changes. A child is given by
    the name of its column holding the parent's id, or a function (session, row) → that id."""
    _VERSIONED.add(parent)
    for child, find in children.items():
        if isinstance(find, str):
            column = find

            def find(_session: Session, row: Any, column: str = column) -> uuid.UUID | None:
                return getattr(row, column)

        _CHILDREN[child] = (parent, find)


_CREATED = "shouwang_versioned_created"


@event.listens_for(OrmSession, "before_flush")
def _bump_versions(session: OrmSession, _context: Any, _instances: Any) -> None:
    touched: set[tuple[type, uuid.UUID]] = set()
    # Rows created in this transaction stay at version 1 until it commits (a household and
    # its members are flushed apart, but are one creation).
    created: set[tuple[type, uuid.UUID]] = session.info.setdefault(_CREATED, set())
    with session.no_autoflush:
        for row in chain(session.dirty, session.deleted, session.new):
            kind = type(row)
            if kind in _VERSIONED and row in session.new:
                created.add((kind, row.id))
            elif kind in _VERSIONED:
                if row in session.deleted or session.is_modified(row, include_collections=False):
                    touched.add((kind, row.id))
            elif kind in _CHILDREN:
                if row in session.dirty and not session.is_modified(row, include_collections=False):
                    continue
                parent, find = _CHILDREN[kind]
                parent_id = find(session, row)  # type: ignore[arg-type]
                if parent_id is not None:
                    touched.add((parent, parent_id))
        for kind, row_id in touched - created:
            row = session.get(kind, row_id)
            if row is None or row in session.new or row in session.deleted:
                continue
            # In SQL, not in Python: concurrent writers without a row lock still count up.
            row.version = kind.version + 1  # type: ignore[attr-defined]


@event.listens_for(OrmSession, "after_commit")
@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_created(session: OrmSession, *_: Any) -> None:
    session.info.pop(_CREATED, None)


# --- HTTP ---------------------------------------------------------------------------------


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"


def etag(row: Any) -> str:
    return f'"v{row.version}"'


def matches(if_match: str, current: str) -> bool:
    """RFC 9110 §13.1.1: `*`, or one of a comma-separated list compared strongly."""
    if if_match.strip() == "*":
        return True
    for tag in if_match.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            continue  # a weak tag never matches in If-Match
        if tag == current:
            return True
    return False


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1000,
        description='只在记录仍是这个版本时修改(GET 答复的 ETag,如 "v3");版本已变则 412',
    ),
]


def check(row: Any, if_match: str | None) -> None:
    """412 when the caller's copy is stale; nothing when they sent no If-Match."""
    if if_match is not None and not matches(if_match, etag(row)):
        raise PreconditionFailed(
            "这条记录已被其他人修改,请刷新后再改",
            detail={"current_etag": etag(row)},
            headers={"ETag": etag(row)},
        )


def tagged(load: Callable[..., T]) -> Callable[..., Iterator[T]]:
    """Wrap a loader dependency: the row's ETag goes on the answer (its version after the
    request's change, read once the handler has returned)."""

    def dependency(request: Request, row: Annotated[T, Depends(load)]) -> Iterator[T]:
        yield row
        request.state.etag = etag(row)

    return dependency


def guarded(load: Callable[..., T]) -> Callable[..., Iterator[T]]:
    """Wrap a locking loader dependency: If-Match is checked against the locked row (412 when
    stale), and the answer carries the row's new ETag."""

    def dependency(
        request: Request, row: Annotated[T, Depends(load)], if_match: IfMatch = None
    ) -> Iterator[T]:
        check(row, if_match)
        yield row
        request.state.etag = etag(row)

    return dependency


class ETagHeader:
    """Pure ASGI middleware: puts the ETag a `tagged`/`guarded` dependency left in the
    request's state on a successful answer (a dependency cannot set a header after the
    handler has run)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_etag(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                tag = scope.get("state", {}).get(_STATE_KEY)
                if tag is not None:
                    headers = list(message.get("headers", []))
                    headers.append((b"etag", tag.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_etag)
