"""What staff were told (so each item is texted once per reason), the texts sent, and who
turned texts down."""

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from backend.core.models import CreatedRow, time_field


class NoticeSetting(SQLModel, table=True):
    """A user's choice about texts; a user without a row gets them."""

    __tablename__ = "notice_setting"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
    sms: bool = True
    updated_at: datetime | None = time_field()


class NoticeSent(SQLModel, table=True):
    """One 待办 item a user was texted about, and why: new, due within two working days, or
    overdue. Each (item, reason) is texted once."""

    __tablename__ = "notice_sent"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", primary_key=True)
    item: str = Field(primary_key=True, max_length=80)
    reason: str = Field(primary_key=True, max_length=16)
    sent_on: date


class StaffText(CreatedRow, table=True):
    """A digest text queued for a user: counted against the day's cap."""

    __tablename__ = "staff_text"

    user_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    day: date = Field(index=True)
    text: str = Field(max_length=500)
