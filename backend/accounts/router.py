"""HTTP for logging in and managing accounts."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.security import OAuth2PasswordRequestForm

from backend.accounts import service
from backend.accounts.access import MANAGES_USERS
from backend.accounts.deps import CurrentUser, Scope, require
from backend.accounts.models import User
from backend.accounts.schemas import Token, UserCreate, UserFilters, UserPublic, UsersPublic
from backend.core import security
from backend.core.deps import PagingDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post("/auth/token", response_model=Token, operation_id="login")
def login(session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Log in with username and password; returns a short-lived bearer token."""
    user = service.authenticate(session=session, username=form.username, password=form.password)
    token, lifetime = security.create_access_token(subject=user.id)
    return Token(access_token=token, expires_in=lifetime)


@router.get("/auth/me", response_model=UserPublic, operation_id="whoami")
def me(session: SessionDep, user: CurrentUser) -> UserPublic:
    """The logged-in user, with role and area."""
    return service.public(session=session, users=[user], mask=False)[0]


@router.get("/users", response_model=UsersPublic, operation_id="list_users")
def list_users(
    session: SessionDep,
    user: CurrentUser,
    scope: Scope,
    paging: PagingDep,
    filters: Annotated[UserFilters, Query()],
) -> UsersPublic:
    """Accounts in the caller's area (to pick a helper, reviewer or responsible person)."""
    users, count = service.list_users(
        session=session, scope=scope, filters=filters, offset=paging.offset, limit=paging.limit
    )
    return UsersPublic(data=service.public(session=session, users=users), count=count)


@router.post("/users", response_model=UserPublic, status_code=201, operation_id="create_user")
def create_user(
    session: SessionDep,
    data: UserCreate,
    actor: Annotated[User, Depends(require(*MANAGES_USERS))],
) -> UserPublic:
    """Create an account inside the caller's area."""
    user = service.create(session=session, data=data, actor=actor)
    return service.public(session=session, users=[user])[0]
