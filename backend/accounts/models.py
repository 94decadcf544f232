"""Users: a role and an area scope decide what each person may see and do."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.core.enums import NamedEnum
from backend.core.models import (
    CreatedRow,
    area_field,
    enum_field,
    json_field,
    time_field,
)


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


class User(UserBase, CreatedRow, table=True):
    __tablename__ = "app_user"

    password_hash: str
    failed_logins: int = 0
    locked_until: datetime | None = time_field()
    last_failed_at: datetime | None = time_field()
    # The account an API client acts through (its role and area): it cannot log in, and
    # a token for it counts only with the client's id, scopes and secret version in it.
    is_api_client: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})

    @property
    def scope(self) -> str:
        return self.area_code or ""


class ApiScope(NamedEnum):
    """What an API client may do, granted by an administrator. Which scope each operation
    needs is written once, in accounts/access.CLIENT_SCOPES."""

    households_read = "households:read", "读取农户"
    households_write = "households:write", "维护农户"
    reports_read = "reports:read", "读取报告"
    reports_write = "reports:write", "办理报告"
    visits_read = "visits:read", "读取走访"
    visits_write = "visits:write", "记录走访"
    problems_read = "problems:read", "读取问题"
    problems_write = "problems:write", "办理问题"
    checks_read = "checks:read", "读取排查"
    stats_read = "stats:read", "读取统计"
    files_read = "files:read", "读取附件"
    files_write = "files:write", "上传附件"
    warnings_write = "warnings:write", "推送部门预警"
    webhooks_manage = "webhooks:manage", "管理事件推送"
    households_import = "households:import", "导入农户"
    exports_read = "exports:read", "导出数据"


SCOPE_NAMES = ApiScope.names()


class ApiClientBase(SQLModel):
    name: str = Field(max_length=80)
    area_code: str = area_field()
    # The role the client acts in: every rule of that role holds for it too.
    role: Role = enum_field()
    scopes: list[str] = json_field(list)
    # Its own request limit (the `limits` notation); None: the settings' client_rate_limit.
    rate_limit: str | None = Field(default=None, max_length=40)


class ApiClient(ApiClientBase, CreatedRow, table=True):
    """接口客户端: another system calling the API with OAuth2 client credentials. Its id is
    the client_id; the secret is shown once and kept only as a hash."""

    __tablename__ = "api_client"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", unique=True)
    secret_hash: str
    # Raised by each rotation: tokens issued under an older secret stop working.
    secret_version: int = 1
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    revoked_at: datetime | None = time_field()
