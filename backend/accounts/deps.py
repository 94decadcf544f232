"""Who is calling: the current user, their area scope, role requirements, and the rows a
router loads for them."""

import inspect
import time
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Path, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlowPassword, OAuthFlows
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import event
from sqlmodel import Session

from backend.accounts import clients
from backend.accounts.models import ApiClient, ApiScope, Role, User
from backend.core import db, security
from backend.core.db import get_read_engine
from backend.core.deps import SessionDep
from backend.core.errors import Forbidden, Unauthorized

T = TypeVar("T")

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
# The document names both ways to a token: a person's password, and an API client's
# credentials with the scopes an administrator grants (a generator or a reader of
# /openapi.json finds the client flow and its scopes there, not only in the prose).
oauth2.model.flows = OAuthFlows(
    password=OAuthFlowPassword(tokenUrl="/api/v1/auth/token"),
    clientCredentials=OAuthFlowClientCredentials(
        tokenUrl="/api/v1/auth/client-token",
        scopes={scope.value: scope.label for scope in ApiScope},
    ),
)


# The person a token names, kept for a few seconds: a phone syncing or an officer paging a
# list sends the same token many times a minute, and loading the account each time was a
# session, a statement and a thread hand-off per request (bench/RESULTS.md). Any change to an
# account committed in this process clears it at once (_forget_changed_users); another
# process (PostgreSQL runs several) follows within USER_SECONDS. API clients are not kept:
# each of their requests is checked against the client's row and counted.
USER_SECONDS = 10.0
# Entries are not evicted one by one (each is good for seconds only): past this many tokens
# the whole memory is dropped, so a day of logins cannot grow it without end.
USERS_KEPT = 10_000
_users: dict[str, tuple[float, User]] = {}
_USERS_CHANGED = "shouwang_users_changed"
db.forget_on_new_engine(_users.clear)


@event.listens_for(Session, "after_flush")
def _note_changed_users(session: Session, _context: Any) -> None:
    if any(isinstance(o, User) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_USERS_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_changed_users(session: Session) -> None:
    if session.info.pop(_USERS_CHANGED, False):
        _users.clear()


def _load_caller(request: Request, token: str) -> User:
    claims = security.decode_claims(token)
    user = client = None
    if claims:
        # Read through the lock-free engine, apart from the request's session: this runs
        # in its own thread-pool call, and must not take SQLite's write lock there.
        with Session(get_read_engine(), expire_on_commit=False) as session:
            user = session.get(User, claims["sub"])
            if user is not None:
                session.expunge(user)
                if user.is_api_client or "client_id" in claims:
                    client = clients.caller(session=session, claims=claims, user=user)
    if user is None or not user.is_active:
        raise Unauthorized("登录已失效,请重新登录", headers={"WWW-Authenticate": "Bearer"})
    if client is not None:
        request.state.api_client = client
        route = request.scope.get("route")
        clients.admit(client=client, operation_id=getattr(route, "operation_id", None))
    else:
        assert claims is not None
        # Kept no longer than the token lives. python-jose judges exp by the wall clock.
        left = claims["exp"] - time.time()  # noqa: TID251
        if len(_users) >= USERS_KEPT:
            _users.clear()
        _users[token] = (time.monotonic() + min(USER_SECONDS, left), user)
    return user


async def current_user(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> User:
    """The caller: a person, or the account an API client acts through. A client is held
    to its scopes here, once for every endpoint: the route's operation_id names the scope
    it needs (accounts/access.CLIENT_SCOPES), and its request limit is counted. A person
    seen in the last seconds is answered from memory, without a thread (the request's
    endpoint gets the same account object: nothing may change it)."""
    if not token:
        raise Unauthorized("请先登录", headers={"WWW-Authenticate": "Bearer"})
    kept = _users.get(token)
    if kept is not None and kept[0] > time.monotonic():
        user = kept[1]
    else:
        user = await anyio.to_thread.run_sync(_load_caller, request, token)
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def current_client(request: Request, user: CurrentUser) -> clients.Caller:
    """The API client calling: for endpoints that only a client may call (its webhooks,
    the warnings it sends). A person gets 403."""
    client = getattr(request.state, "api_client", None)
    if client is None:
        raise Forbidden("只有接口客户端可以调用这个接口", code="clients_only")
    return client


CurrentClient = Annotated[clients.Caller, Depends(current_client)]


def _scope(user: CurrentUser) -> str:
    return user.scope


# The caller's area prefix: every query they make is limited to codes starting with it.
Scope = Annotated[str, Depends(_scope)]


def require(*roles: Role) -> Callable[[User], User]:
    allowed = frozenset(roles)

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Forbidden("您的角色不能做这项操作", code="role_forbidden")
        return user

    return check


def loader(get: Callable[..., T], id_name: str, id_type: Any, **options: Any) -> Callable[..., T]:
    """A dependency that loads one row for the caller by the id in the path: it calls
    `get(session=…, user=…, <id_name>=…, **options)`, a service's loader with its access check
    (`lock=True` to hold the row). FastAPI takes a path parameter's name from the dependency's
    signature, so the signature is written out with `id_name` and its `Path` type."""

    def load(session: Session, user: User, **path: Any) -> T:
        return get(session=session, user=user, **path, **options)

    keyword = inspect.Parameter.KEYWORD_ONLY
    load.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("session", keyword, annotation=SessionDep),
            inspect.Parameter("user", keyword, annotation=CurrentUser),
            inspect.Parameter(id_name, keyword, annotation=id_type),
        ]
    )
    return load


ApiClientId = Annotated[uuid.UUID, Path(description="接口客户端编号(client_id)")]
VisibleApiClient = Annotated[ApiClient, Depends(loader(clients.get, "client_id", ApiClientId))]
LockedApiClient = Annotated[
    ApiClient, Depends(loader(clients.get, "client_id", ApiClientId, lock=True))
]
