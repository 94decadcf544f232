"""The Idempotency-Key header on creating POSTs: a request sent again with the same key by the
same caller gets the first answer (status and body) and creates nothing more.

How (draft-ietf-httpapi-idempotency-key-header): the endpoint's dependency `Idempotent`
inserts the key into the request's own transaction before the handler runs, so the key is
committed with what the request creates, or rolled back with it (a request that failed left
no key behind, and may be sent again). A second request with the key finds it:
- answered, same method, path and body: the first answer is replayed (`Idempotent-Replayed:
  true`), nothing runs;
- answered, other content: 422 naming the header;
- still in flight: on PostgreSQL its insert waits on the key's unique index until the first
  commits, then waits up to WAIT_SECONDS for the first answer to be recorded and replays it;
  past that, 409 `idempotency_key_in_use` with Retry-After.
The answer is recorded by `IdempotencyRecorder` (middleware) once the handler has answered,
encrypted with the data key (it may hold a whole ID number, or a client's secret shown once).
Keys are kept per caller (the token's user or API client) for KEEP; the worker purges older
ones nightly, and an expired key found on read is treated as unused.

Without the header nothing changes. A caller without a token (a farmer's self-report) is not
keyed: their outbox already sends each report under its own UUID, which the server upserts."""

import contextlib
import hashlib
import json
import time
from datetime import datetime, timedelta
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import Column, Text, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.core import clock, security
from backend.core.db import UTCDateTime, new_session
from backend.core.deps import SessionDep
from backend.core.errors import Conflict, Invalid, register_labels

KEEP = timedelta(hours=24)
WAIT_SECONDS = 5.0
HEADER = "Idempotency-Key"
_STATE_KEY = "idempotency"
# An answer larger than this is not kept (a replay then gets 409 asking to check first).
MAX_ANSWER_BYTES = 1_000_000

register_labels({HEADER: "幂等键"})


class IdempotencyKey(SQLModel, table=True):
    """One Idempotency-Key a caller used, and the first answer it got."""

    __tablename__ = "idempotency_key"

    caller: str = Field(primary_key=True, max_length=60)
    key: str = Field(primary_key=True, max_length=255)
    # sha256 of method, path and body: the same key with other content is refused.
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    content_type: str | None = Field(default=None, max_length=100)
    # The answer's body, encrypted with the data key (security.encrypt_secret).
    answer_cipher: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(
        default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


class Replayed(Exception):
    """Raised by the dependency to answer with the first answer (main.py renders it with
    `replay_response`) before the handler runs."""

    def __init__(self, status: int, body: bytes, content_type: str | None) -> None:
        super().__init__("replayed")
        self.status = status
        self.body = body
        self.content_type = content_type


def _caller(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    claims = security.decode_claims(token.strip())
    if not claims:
        return None
    if claims.get("client_id"):
        return f"client:{claims['client_id']}"
    return f"user:{claims['sub']}"


async def _fingerprint(request: Request) -> str:
    """sha256 of what the request asks: method, path, query and body (a form's fields and
    files, read where FastAPI left them: its body stream is already consumed)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        for name, value in form.multi_items():
            digest.update(name.encode() + b"\0")
            if isinstance(value, UploadFile):
                data = await value.read()
                await value.seek(0)
                digest.update(f"{value.filename}\0".encode() + hashlib.sha256(data).digest())
            else:
                digest.update(str(value).encode() + b"\0")
    else:
        body = await request.body()
        # The same JSON sent with other spacing or key order is the same request.
        with contextlib.suppress(ValueError):
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        digest.update(body)
    return digest.hexdigest()


async def _requested(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="幂等键(如一个 UUID):同一调用者 24 小时内用同一键重发,得到第一次的答复,不会重复创建",
        ),
    ] = None,
) -> tuple[str, str, str] | None:
    if key is None:
        return None
    caller = _caller(request)
    if caller is None:
        return None
    return caller, key, await _fingerprint(request)


def _answer_of(row: IdempotencyKey, fingerprint: str) -> Replayed | None:
    if row.request_hash != fingerprint:
        raise Invalid(HEADER, "这个幂等键已用于另一个请求,内容不同;新的请求请换一个键")
    if row.status_code is None or row.answer_cipher is None:
        return None
    body = security.decrypt_secret(row.answer_cipher).encode()
    return Replayed(row.status_code, body, row.content_type)


async def _claim(
    request: Request,
    session: SessionDep,
    requested: Annotated[tuple[str, str, str] | None, Depends(_requested)],
) -> None:
    # Most creating requests carry no key: they pass without a thread hand-off.
    if requested is not None:
        await anyio.to_thread.run_sync(_claim_key, request, session, requested)


def _claim_key(request: Request, session: Session, requested: tuple[str, str, str]) -> None:
    caller, key, fingerprint = requested
    expired_before = clock.now() - KEEP
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = session.get(IdempotencyKey, (caller, key))
        if row is not None and row.created_at < expired_before:
            session.delete(row)
            session.flush()
            row = None
        if row is None:
            session.add(IdempotencyKey(caller=caller, key=key, request_hash=fingerprint))
            try:
                # On PostgreSQL this waits while another transaction holds the same key.
                session.flush()
            except IntegrityError:
                session.rollback()
                continue
            request.state.idempotency = (caller, key)
            return
        replay = _answer_of(row, fingerprint)
        if replay is not None:
            raise replay
        if time.monotonic() > deadline:
            raise Conflict(
                "使用同一幂等键的请求正在处理,请稍后再查",
                code="idempotency_key_in_use",
                headers={"Retry-After": "1"},
            )
        # In flight, or committed and its answer about to be recorded: look again.
        session.rollback()
        time.sleep(0.05)


# Put on a creating endpoint (before the path's loader, so a replay answers before anything
# else is checked): `_: Idempotent`.
Idempotent = Annotated[None, Depends(_claim, scope="function")]


def record(*, caller: str, key: str, status: int, body: bytes, content_type: str | None) -> None:
    """Keep the first answer to a claimed key (a failed request's key is dropped instead, if
    its transaction committed it at all)."""
    with new_session() as session:
        match = (IdempotencyKey.caller == caller) & (IdempotencyKey.key == key)
        if 200 <= status < 300 and len(body) <= MAX_ANSWER_BYTES:
            session.exec(  # type: ignore[call-overload]
                update(IdempotencyKey)
                .where(match, IdempotencyKey.status_code.is_(None))  # type: ignore[union-attr]
                .values(
                    status_code=status,
                    content_type=content_type,
                    answer_cipher=security.encrypt_secret(body.decode("utf-8", "replace")),
                )
            )
        elif not 200 <= status < 300:
            session.exec(delete(IdempotencyKey).where(match))  # type: ignore[call-overload]
        session.commit()


def purge(*, session: Session) -> int:
    """Forget keys older than KEEP (the worker's nightly job; the worker commits)."""
    result = session.exec(  # type: ignore[call-overload]
        delete(IdempotencyKey).where(IdempotencyKey.created_at < clock.now() - KEEP)
    )
    return result.rowcount or 0


def keys_of(*, session: Session, caller: str) -> list[IdempotencyKey]:
    return list(session.exec(select(IdempotencyKey).where(IdempotencyKey.caller == caller)))


class IdempotencyRecorder:
    """Pure ASGI middleware: the answer to a request whose key `Idempotent` claimed is kept
    once it has been sent (a dependency never sees the answer)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        answer: dict[str, Any] = {"status": 500, "body": [], "type": None}

        async def keep(message: Message) -> None:
            # Only a request whose key was claimed is buffered (the claim is made before
            # the answer starts); any other answer passes straight through.
            if scope.get("state", {}).get(_STATE_KEY) is not None:
                if message["type"] == "http.response.start":
                    answer["status"] = message["status"]
                    for name, value in message.get("headers", []):
                        if name.lower() == b"content-type":
                            answer["type"] = value.decode("latin-1")
                elif message["type"] == "http.response.body":
                    answer["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, keep)
        finally:
            claimed = scope.get("state", {}).get(_STATE_KEY)
            if claimed is not None:
                caller, key = claimed
                await anyio.to_thread.run_sync(
                    lambda: record(
                        caller=caller,
                        key=key,
                        status=answer["status"],
                        body=b"".join(answer["body"]),
                        content_type=answer["type"],
                    )
                )


def replay_response(exc: Replayed) -> Response:
    return Response(
        exc.body,
        status_code=exc.status,
        media_type=exc.content_type,
        headers={"Idempotent-Replayed": "true"},
    )
