"""Attachments: photos and documents, stored once per content hash, owned by an area."""

import uuid
from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from backend.core.models import CreatedRow, area_field


class StoredFile(CreatedRow, table=True):
    __tablename__ = "stored_file"
    # The bytes are stored once per content hash; a row says who may see them.
    __table_args__ = (
        UniqueConstraint(
            "sha256", "area_code", "household_id", name="uq_stored_file_content_owner"
        ),
    )

    sha256: str = Field(index=True, max_length=64)
    content_type: str = Field(max_length=60)
    size: int
    area_code: str = area_field()
    # The household the file is about, when there is one: a helper sees only the files of
    # the households assigned to them (and what they uploaded themselves).
    household_id: uuid.UUID | None = Field(default=None, foreign_key="household.id", index=True)
    original_name: str = Field(default="", max_length=200)
    # When the photo was taken, kept from EXIF; everything else in EXIF (GPS, device) is dropped.
    taken_at: str | None = Field(default=None, max_length=32)
    # What the file shows, typed at upload (「村委会厕所清扫后」): reports name evidence by it.
    caption: str = Field(default="", max_length=200)
    # The day the photo was taken (EXIF DateTimeOriginal), else the day it was uploaded.
    taken_on: date | None = None
    uploaded_by: uuid.UUID | None = Field(default=None, index=True)
