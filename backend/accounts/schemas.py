"""What the accounts API reads and writes."""

import uuid
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from backend.accounts.models import Role
from backend.core.schemas import AreaCode, Input, MobilePhone, Name, Output


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
