"""Column helpers shared by every domain's tables."""

from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field

from backend.core import clock
from backend.core.db import UTCDateTime
from backend.core.ids import new_id


def id_field() -> Any:
    return Field(default_factory=new_id, primary_key=True)


def created_at_field() -> Any:
    return Field(default_factory=clock.now, sa_column=Column(UTCDateTime(), nullable=False))


def time_field(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


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
