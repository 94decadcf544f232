"""Column helpers and the columns shared by every domain's tables."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from backend.core import clock
from backend.core.db import UTCDateTime
from backend.core.ids import new_id


def id_field() -> Any:
    return Field(default_factory=new_id, primary_key=True)


# sa_type rather than sa_column: a Column object belongs to one table, and the shared
# columns below stand in many.
def created_at_field() -> Any:
    return Field(default_factory=clock.now, sa_type=UTCDateTime, nullable=False)


def time_field(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


def area_field(*, nullable: bool = False, index: bool = True) -> Any:
    """The village's or office's 12-digit (or shorter) code; the key of every scope test.
    `index=False` where a composite index leads with it already."""
    return Field(
        default=None if nullable else ...,
        foreign_key="area.code",
        index=index,
        max_length=12,
        nullable=nullable,
    )


def enum_field(default: Any = ..., *, index: bool = False, primary_key: bool = False) -> Any:
    """An enum stored as its plain string value: adding a value later needs no ALTER TYPE,
    and SQLite and PostgreSQL store the same thing. Validation happens in the schemas."""
    return Field(default=default, sa_type=String(32), index=index, primary_key=primary_key)


class Row(SQLModel):
    """Every table's key: a UUID made where the record is made (on the phone for offline
    records). A table inherits it (as `Row`, `CreatedRow` or `EditedRow`) rather than
    declaring it."""

    id: uuid.UUID = id_field()


class CreatedRow(Row):
    """A row that says when it was made."""

    created_at: datetime = created_at_field()


class EditedRow(CreatedRow):
    """A row that is changed after it is made: when last (None: never)."""

    updated_at: datetime | None = time_field()
