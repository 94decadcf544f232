"""Who is calling: the current user, their area scope, role requirements, and the rows a
router loads for them."""

import inspect
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from backend.accounts.models import Role, User
from backend.core import security
from backend.core.db import get_read_engine
from backend.core.deps import SessionDep
from backend.core.errors import Forbidden, Unauthorized

T = TypeVar("T")

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def current_user(request: Request, token: Annotated[str | None, Depends(oauth2)]) -> User:
    if not token:
        raise Unauthorized("请先登录", headers={"WWW-Authenticate": "Bearer"})
    user_id = security.decode_access_token(token)
    user = None
    if user_id:
        # Read through the lock-free engine, apart from the request's session: this runs
        # in its own thread-pool call, and must not take SQLite's write lock there.
        with Session(get_read_engine(), expire_on_commit=False) as session:
            user = session.get(User, user_id)
            if user is not None:
                session.expunge(user)
    if user is None or not user.is_active:
        raise Unauthorized("登录已失效,请重新登录", headers={"WWW-Authenticate": "Bearer"})
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(current_user)]


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
