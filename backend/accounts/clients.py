"""API clients (接口客户端): created by an administrator with scopes, a role and an area; a
secret shown once and kept hashed; tokens by the OAuth2 client credentials grant (RFC 6749
§4.4); rotation and revocation; the per-client request limit."""

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from backend.accounts.access import (
    CLIENT_ROLES,
    CLIENT_SCOPES,
    MANAGES_API_CLIENTS,
    client_may_call,
)
from backend.accounts.models import ApiClient, ApiScope, Role, User
from backend.accounts.schemas import ApiClientCreate, ApiClientPublic, ClientToken
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock, security, throttle
from backend.core.db import get_read_engine
from backend.core.errors import AppError, Forbidden, Invalid, TooMany, Unauthorized
from backend.core.loaders import load_or_404
from backend.core.paging import newest_first, page
from backend.core.scope import contains, in_area, within
from backend.core.settings import get_settings
from backend.core.usecase import use_case

# The office a client of an area acts as when no role is given, by the area code's length.
_DEFAULT_ROLE = {6: Role.county_officer, 9: Role.township_officer, 12: Role.village_cadre}
SECRET_PREFIX = "sws_"


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def rate_limit_of(client: ApiClient) -> str:
    return client.rate_limit or get_settings().client_rate_limit


# --- managing clients --------------------------------------------------------------------


def _refuse_unless_manager(actor: User, area_code: str) -> None:
    if actor.role not in MANAGES_API_CLIENTS:
        raise Forbidden("没有管理接口客户端的权限", code="role_forbidden")
    if actor.role != Role.admin and not contains(actor.scope, area_code):
        raise Forbidden("只能在本辖区内建立接口客户端", code="out_of_scope")


@use_case
def create(*, session: Session, data: ApiClientCreate, actor: User) -> tuple[ApiClient, str]:
    """A new client and its secret (the only time the secret is answered). The client acts
    through an account of its own, which cannot log in, so every rule of its role and area
    holds for it, and the audit log names it."""
    _refuse_unless_manager(actor, data.area_code)
    if areas_service.get(session=session, code=data.area_code) is None:
        raise Invalid("area_code", "没有这个地区代码")
    role = data.role or _DEFAULT_ROLE.get(len(data.area_code))
    if role is None or role not in CLIENT_ROLES:
        raise Invalid("role", "接口客户端只能以县、乡镇、村或督查的身份接入")
    if data.rate_limit is not None and not throttle.valid_rule(data.rate_limit):
        raise Invalid("rate_limit", "格式不对,应如 600/minute")
    client_id = uuid.uuid4()
    account = User(
        username=f"client-{client_id.hex[:20]}",
        full_name=data.name[:40],
        role=role,
        area_code=data.area_code,
        unit=data.name,
        # Not an argon2 hash: no password verifies against it, so it cannot log in.
        password_hash="!api-client",
        is_api_client=True,
    )
    session.add(account)
    session.flush()
    secret = _new_secret()
    client = ApiClient.model_validate(
        data.model_dump(exclude={"role", "scopes"}),
        update={
            "id": client_id,
            "role": role,
            "scopes": sorted({s.value for s in data.scopes}),
            "user_id": account.id,
            "secret_hash": security.hash_password(secret),
            "created_by_id": actor.id,
        },
    )
    session.add(client)
    session.flush()
    _audit(session=session, client=client, actor=actor, action="create_api_client")
    return client, secret


def _audit(*, session: Session, client: ApiClient, actor: User, action: str) -> None:
    audit.record(
        session=session,
        actor=actor,
        entity="api_client",
        entity_id=client.id,
        area_code=client.area_code,
        action=action,
        changes={
            "name": [None, client.name],
            "role": [None, client.role],
            "scopes": [None, client.scopes],
            "secret_version": [None, client.secret_version],
            "revoked_at": [None, client.revoked_at],
        },
    )


def get(*, session: Session, user: User, client_id: uuid.UUID, lock: bool = False) -> ApiClient:
    """A client in the caller's area, for those who manage clients; 404 otherwise."""
    if user.role not in MANAGES_API_CLIENTS:
        raise Forbidden("没有管理接口客户端的权限", code="role_forbidden")
    return load_or_404(
        session,
        ApiClient,
        client_id,
        sees=in_area(user.scope),
        missing="没有找到这个接口客户端",
        lock=lock,
    )


def list_clients(
    *, session: Session, scope: str, offset: int, limit: int
) -> tuple[list[ApiClient], int]:
    return page(
        session,
        ApiClient,
        [within(ApiClient.area_code, scope)],
        order_by=newest_first(ApiClient),
        offset=offset,
        limit=limit,
    )


def _refuse_revoked(client: ApiClient) -> None:
    if client.revoked_at is not None:
        raise AppError("这个接口客户端已停用,不能再更换密钥", code="client_revoked", status=409)


@use_case
def rotate(*, session: Session, client: ApiClient, actor: User) -> str:
    """A new secret; the old one, and every token issued under it, stop working at once."""
    _refuse_revoked(client)
    secret = _new_secret()
    client.secret_hash = security.hash_password(secret)
    client.secret_version += 1
    session.add(client)
    session.flush()
    _audit(session=session, client=client, actor=actor, action="rotate_api_client_secret")
    return secret


@use_case
def revoke(*, session: Session, client: ApiClient, actor: User) -> ApiClient:
    """Stop the client: no new token, and its tokens refused from the next request."""
    if client.revoked_at is None:
        client.revoked_at = clock.now()
        account = session.get(User, client.user_id)
        if account is not None:
            account.is_active = False
            session.add(account)
        session.add(client)
        session.flush()
        _audit(session=session, client=client, actor=actor, action="revoke_api_client")
    return client


def public(*, session: Session, clients: list[ApiClient]) -> list[ApiClientPublic]:
    names = areas_service.names(session=session, codes=[c.area_code for c in clients])
    return [
        ApiClientPublic(
            id=c.id,
            client_id=str(c.id),
            name=c.name,
            area_code=c.area_code,
            area_name=names.get(c.area_code),
            role=c.role,
            scopes=[ApiScope(s) for s in c.scopes],
            rate_limit=rate_limit_of(c),
            secret_version=c.secret_version,
            created_at=c.created_at,
            revoked_at=c.revoked_at,
            active=c.revoked_at is None,
        )
        for c in clients
    ]


# --- tokens (RFC 6749 §4.4) --------------------------------------------------------------


class OAuthError(AppError):
    """A refused token request: `error` is RFC 6749 §5.2's code, status 400 (401 for a
    client that did not authenticate)."""

    status = 400

    def __init__(self, code: str, message: str, *, status: int = 400, **kw: Any) -> None:
        super().__init__(message, code=code, status=status, **kw)


def _bad_client() -> OAuthError:
    return OAuthError(
        "invalid_client",
        "接口客户端编号或密钥不正确",
        status=401,
        headers={"WWW-Authenticate": 'Basic realm="shouwang"'},
    )


def issue_token(*, client_id: str, client_secret: str, requested: str | None) -> ClientToken:
    """A short-lived token for the client, with the scopes asked for (all it holds when
    none are asked). The look-up and the slow hash check run on the read engine: issuing a
    token writes nothing, so on SQLite it never waits on the write lock."""
    try:
        cid = uuid.UUID(client_id)
    except ValueError:
        cid = None
    settings = get_settings()
    if cid is not None:
        _admit_token_request(cid, settings.client_token_limit)
    with Session(get_read_engine(), expire_on_commit=False) as reader:
        client = reader.get(ApiClient, cid) if cid is not None else None
        if client is not None:
            reader.expunge(client)
    if client is None:
        security.verify_password(client_secret, security.dummy_hash())
        raise _bad_client()
    if not security.verify_password(client_secret, client.secret_hash):
        raise _bad_client()
    if client.revoked_at is not None:
        raise OAuthError("invalid_client", "这个接口客户端已停用", status=401)
    held = set(client.scopes)
    wanted = set(requested.split()) if requested and requested.strip() else held
    if not wanted <= held:
        unknown = " ".join(sorted(wanted - held))
        raise OAuthError(
            "invalid_scope",
            f"权限范围(scope):这个客户端没有 {unknown}",
            detail=[{"field": "scope", "message": f"没有授予:{unknown}"}],
        )
    granted = " ".join(sorted(wanted))
    token, lifetime = security.create_access_token(
        subject=client.user_id,
        minutes=settings.client_token_minutes,
        extra={"client_id": str(client.id), "scope": granted, "ver": client.secret_version},
    )
    return ClientToken(access_token=token, expires_in=lifetime, scope=granted)


def _admit_token_request(client_id: uuid.UUID, rule: str) -> None:
    def refuse(_: str, wait: int) -> TooMany:
        return TooMany(
            f"申请令牌太频繁,请 {throttle.readable(wait)}后再试", code="too_many_token_requests"
        )

    throttle.admit([(rule, "client-token", str(client_id))], refuse)


# --- a request made with a client's token ------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """The API client behind a request: who it is and what this token lets it do."""

    id: uuid.UUID
    name: str
    area_code: str
    scopes: frozenset[str]
    rate_limit: str


def caller(*, session: Session, claims: dict[str, Any], user: User) -> Caller:
    """The client a token names, checked against its row (revoked, rotated, another
    account): a token that does not match is refused like an expired one."""
    try:
        client = session.get(ApiClient, uuid.UUID(str(claims.get("client_id"))))
    except ValueError:
        client = None
    if (
        client is None
        or client.user_id != user.id
        or client.revoked_at is not None
        or claims.get("ver") != client.secret_version
    ):
        raise Unauthorized("接口令牌已失效,请重新申请", headers={"WWW-Authenticate": "Bearer"})
    # What the token was issued for, less what has been taken from the client since.
    scopes = frozenset(str(claims.get("scope", "")).split()) & frozenset(client.scopes)
    return Caller(
        id=client.id,
        name=client.name,
        area_code=client.area_code,
        scopes=scopes,
        rate_limit=rate_limit_of(client),
    )


def admit(*, client: Caller, operation_id: str | None) -> None:
    """Count the request against the client's limit (429), then check the operation's
    scope (403). Both before anything is read for it."""

    def refuse(_: str, wait: int) -> TooMany:
        return TooMany(
            f"接口调用太频繁,请 {throttle.readable(wait)}后再试", code="too_many_requests"
        )

    throttle.admit([(client.rate_limit, "api-client", str(client.id))], refuse)
    if not client_may_call(operation_id, client.scopes):
        needed = CLIENT_SCOPES.get(operation_id or "")
        raise Forbidden(
            f"接口客户端没有这项权限({needed.value})" if needed else "接口客户端不能调用这个接口",
            code="insufficient_scope",
            detail={"required_scope": needed.value if needed else None},
        )


def listening(*, session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, set[str]]]:
    """{client id: (area code, scopes)} of the active clients among `ids`: who may hear an
    event (webhooks)."""
    if not ids:
        return {}
    stmt = select(ApiClient.id, ApiClient.area_code, ApiClient.scopes).where(
        col(ApiClient.id).in_(ids), col(ApiClient.revoked_at).is_(None)
    )
    return {cid: (area, set(scopes)) for cid, area, scopes in session.exec(stmt)}
