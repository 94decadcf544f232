"""Users: a role and an area scope decide what each person may see and do."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from backend.core.models import area_field, created_at_field, enum_field, id_field, time_field


class Role(StrEnum):
    admin = "admin"
    county_officer = "county_officer"
    township_officer = "township_officer"
    village_cadre = "village_cadre"
    grid_worker = "grid_worker"
    helper = "helper"
    inspector = "inspector"


ROLE_NAMES = {
    Role.admin: "系统管理员",
    Role.county_officer: "县乡村振兴局",
    Role.township_officer: "乡镇干部",
    Role.village_cadre: "村干部",
    Role.grid_worker: "网格员",
    Role.helper: "帮扶责任人",
    Role.inspector: "督查员",
}


class UserBase(SQLModel):
    username: str = Field(unique=True, index=True, max_length=40)
    full_name: str = Field(max_length=40)
    phone: str | None = Field(default=None, max_length=11)
    role: Role = enum_field(index=True)
    # Empty for the system administrator, who is not tied to an area.
    area_code: str | None = area_field(nullable=True)
    unit: str | None = Field(default=None, max_length=80)
    is_active: bool = True


class User(UserBase, table=True):
    __tablename__ = "app_user"

    id: uuid.UUID = id_field()
    password_hash: str
    failed_logins: int = 0
    locked_until: datetime | None = time_field()
    last_failed_at: datetime | None = time_field()
    created_at: datetime = created_at_field()

    @property
    def scope(self) -> str:
        return self.area_code or ""
