"""Users: a role and an area scope decide what each person may see and do."""

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from backend.core.enums import NamedEnum
from backend.core.models import area_field, created_at_field, enum_field, id_field, time_field


class Role(NamedEnum):
    admin = "admin", "系统管理员"
    county_officer = "county_officer", "县乡村振兴局"
    township_officer = "township_officer", "乡镇干部"
    village_cadre = "village_cadre", "村干部"
    grid_worker = "grid_worker", "网格员"
    helper = "helper", "帮扶责任人"
    inspector = "inspector", "督查员"


ROLE_NAMES = Role.names()


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
