"""HTTP for logging in and managing accounts."""

import base64
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from backend.accounts import clients, service
from backend.accounts.access import MANAGES_API_CLIENTS, MANAGES_USERS
from backend.accounts.deps import CurrentUser, LockedApiClient, Scope, VisibleApiClient, require
from backend.accounts.models import User
from backend.accounts.schemas import (
    ApiClientCreate,
    ApiClientPublic,
    ApiClientSecret,
    ApiClientsPublic,
    ClientToken,
    Token,
    UserCreate,
    UserFilters,
    UserPublic,
    UsersPublic,
)
from backend.core import security
from backend.core.deps import PagingDep, SessionDep
from backend.core.errors import error_responses
from backend.core.idempotency import Idempotent

router = APIRouter(prefix="/api/v1", tags=["accounts"])


@router.post(
    "/auth/token", response_model=Token, operation_id="login", responses=error_responses(401)
)
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
    _: Idempotent,
) -> UserPublic:
    """Create an account inside the caller's area."""
    user = service.create(session=session, data=data, actor=actor)
    return service.public(session=session, users=[user])[0]


# --- API clients -------------------------------------------------------------------------


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """client_id and secret from `Authorization: Basic`, each form-urlencoded first as
    RFC 6749 §2.3.1 says."""
    kind, _, value = request.headers.get("authorization", "").partition(" ")
    if kind.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    name, sep, secret = decoded.partition(":")
    return (unquote_plus(name), unquote_plus(secret)) if sep else None


@router.post(
    "/auth/client-token",
    response_model=ClientToken,
    operation_id="client_token",
    responses=error_responses(400, 401, 429),
)
def client_token(
    request: Request,
    response: Response,
    grant_type: Annotated[str | None, Form(description="client_credentials")] = None,
    scope: Annotated[str | None, Form(description="以空格分隔的权限范围;不填:全部")] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> ClientToken:
    """OAuth2 client credentials: a short-lived token for an API client (form or Basic)."""
    basic = _basic_credentials(request)
    if basic is not None:
        client_id, client_secret = basic
    if grant_type != "client_credentials":
        raise clients.OAuthError(
            "unsupported_grant_type" if grant_type else "invalid_request",
            "授权方式(grant_type):应为 client_credentials",
            detail=[{"field": "grant_type", "message": "应为 client_credentials"}],
        )
    if not client_id or not client_secret:
        raise clients.OAuthError(
            "invalid_client",
            "请提供接口客户端编号和密钥(client_id、client_secret)",
            status=401,
            headers={"WWW-Authenticate": 'Basic realm="shouwang"'},
        )
    token = clients.issue_token(client_id=client_id, client_secret=client_secret, requested=scope)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return token


ClientManager = Annotated[User, Depends(require(*MANAGES_API_CLIENTS))]


@router.post(
    "/api-clients",
    response_model=ApiClientSecret,
    status_code=201,
    operation_id="create_api_client",
)
def create_api_client(
    session: SessionDep, data: ApiClientCreate, actor: ClientManager, _: Idempotent
) -> ApiClientSecret:
    """Create an API client with scopes and an area; its secret is answered this once."""
    client, secret = clients.create(session=session, data=data, actor=actor)
    return ApiClientSecret(
        client=clients.public(session=session, clients=[client])[0], client_secret=secret
    )


@router.get("/api-clients", response_model=ApiClientsPublic, operation_id="list_api_clients")
def list_api_clients(
    session: SessionDep, actor: ClientManager, paging: PagingDep
) -> ApiClientsPublic:
    """The API clients of the caller's area, newest first."""
    rows, count = clients.list_clients(
        session=session, scope=actor.scope, offset=paging.offset, limit=paging.limit
    )
    return ApiClientsPublic(data=clients.public(session=session, clients=rows), count=count)


@router.get(
    "/api-clients/{client_id}", response_model=ApiClientPublic, operation_id="get_api_client"
)
def get_api_client(session: SessionDep, client: VisibleApiClient) -> ApiClientPublic:
    """One API client (never its secret)."""
    return clients.public(session=session, clients=[client])[0]


@router.post(
    "/api-clients/{client_id}/rotate-secret",
    response_model=ApiClientSecret,
    operation_id="rotate_api_client_secret",
)
def rotate_api_client_secret(
    session: SessionDep, client: LockedApiClient, actor: CurrentUser
) -> ApiClientSecret:
    """A new secret, answered once; the old secret and its tokens stop working."""
    secret = clients.rotate(session=session, client=client, actor=actor)
    return ApiClientSecret(
        client=clients.public(session=session, clients=[client])[0], client_secret=secret
    )


@router.post(
    "/api-clients/{client_id}/revoke",
    response_model=ApiClientPublic,
    operation_id="revoke_api_client",
)
def revoke_api_client(
    session: SessionDep, client: LockedApiClient, actor: CurrentUser
) -> ApiClientPublic:
    """Stop an API client: no new tokens, its tokens refused from the next request."""
    clients.revoke(session=session, client=client, actor=actor)
    return clients.public(session=session, clients=[client])[0]
