"""What the accounts API reads and writes."""

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, Field, StringConstraints

from backend.accounts.models import ROLE_NAMES, SCOPE_NAMES, ApiScope, Role
from backend.core.schemas import AreaCode, Input, MobilePhone, Name, Output, name_field


class Token(Output):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserCreate(Input):
    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{3,40}$")]
    full_name: Name
    phone: MobilePhone | None = None
    role: Role
    area_code: AreaCode | None = None
    unit: Annotated[str, StringConstraints(max_length=80)] | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=128)]


class UserFilters(BaseModel):
    """Query parameters of the account list."""

    role: Role | None = None
    area_code: Annotated[str | None, Field(pattern=r"^\d{2,12}$")] = None


class UserPublic(Output):
    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    role_name: str
    area_code: str | None
    area_name: str | None = None
    unit: str | None
    phone: str | None
    is_active: bool


class UsersPublic(Output):
    data: list[UserPublic]
    count: int


# --- API clients -------------------------------------------------------------------------


class ApiClientCreate(Input):
    EXAMPLE: ClassVar[dict[str, Any]] = {
        "name": "县医保局对接",
        "area_code": "610923",
        "scopes": ["warnings:write", "households:read"],
    }

    name: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    area_code: AreaCode
    # The role the client acts in; by default the office of its area's level (a county's
    # 县乡村振兴局, a township's 乡镇干部, a village's 村干部).
    role: Role | None = None
    scopes: Annotated[list[ApiScope], Field(min_length=1, max_length=len(ApiScope))]
    # Its own request limit, in the `limits` notation ("600/minute"); None: the default.
    rate_limit: Annotated[str, StringConstraints(max_length=40)] | None = None


class ApiClientPublic(Output):
    id: uuid.UUID
    client_id: str
    name: str
    area_code: str
    area_name: str | None = None
    role: Role
    role_name = name_field(ROLE_NAMES, "role")
    scopes: list[ApiScope]
    scope_names = name_field(SCOPE_NAMES, "scopes", list[str])
    rate_limit: str
    secret_version: int
    created_at: datetime
    revoked_at: datetime | None
    active: bool


class ApiClientsPublic(Output):
    data: list[ApiClientPublic]
    count: int


class ApiClientSecret(Output):
    """The client with its secret: answered once, at creation and at each rotation."""

    client: ApiClientPublic
    client_secret: str


class ClientToken(Output):
    """RFC 6749 §5.1: the access token of a client credentials grant."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scope: str
