"""The administrative tree, keyed by statistical division codes (prefix = containment)."""

from enum import StrEnum

from sqlmodel import Field, SQLModel

from backend.core.models import enum_field


class AreaLevel(StrEnum):
    province = "province"
    city = "city"
    county = "county"
    township = "township"
    village = "village"


CODE_LENGTH = {
    AreaLevel.province: 2,
    AreaLevel.city: 4,
    AreaLevel.county: 6,
    AreaLevel.township: 9,
    AreaLevel.village: 12,
}


class AreaBase(SQLModel):
    code: str = Field(primary_key=True, max_length=12)
    name: str = Field(index=True, max_length=64)
    level: AreaLevel = enum_field(index=True)
    parent_code: str | None = Field(default=None, foreign_key="area.code", index=True)


class Area(AreaBase, table=True):
    __tablename__ = "area"
