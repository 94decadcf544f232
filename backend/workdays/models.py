"""A county's corrections to the national working-day calendar."""

import uuid
from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from backend.core.models import CreatedRow


class CalendarDay(CreatedRow, table=True):
    """One day whose status a county sets itself (a local holiday, or a year the holiday
    library does not know yet). Applies to every area under `area_code`."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("area_code", "day"),)

    area_code: str = Field(foreign_key="area.code", index=True, max_length=12)
    day: date = Field(index=True)
    is_workday: bool
    note: str = Field(default="", max_length=100)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
