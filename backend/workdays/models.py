"""A county's corrections to the national working-day calendar."""

import uuid
from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.core.models import created_at_field, id_field


class CalendarDay(SQLModel, table=True):
    """One day whose status a county sets itself (a local holiday, or a year the holiday
    library does not know yet). Applies to every area under `area_code`."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("area_code", "day"),)

    id: uuid.UUID = id_field()
    area_code: str = Field(foreign_key="area.code", index=True, max_length=12)
    day: date = Field(index=True)
    is_workday: bool
    note: str = Field(default="", max_length=100)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_at_field()
