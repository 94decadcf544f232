"""Visits (走访) and the monthly income-and-spending ledger (收支登记) they record."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from backend.core.enums import NamedEnum
from backend.core.models import area_field, created_at_field, enum_field, json_field, time_field
from backend.households.models import IncomeParts


class VisitKind(NamedEnum):
    home = "home", "入户走访"
    phone = "phone", "电话走访"
    other = "other", "其他走访"


KIND_NAMES = VisitKind.names()


class Visit(SQLModel, table=True):
    """One visit, append-only. The id is made on the phone, so a replay is recognised."""

    __tablename__ = "visit"
    __table_args__ = (
        Index("ix_visit_household_month", "household_id", "month"),
        # The statistics' visits per village and month, counted from the index alone.
        Index("ix_visit_area_month", "area_code", "month"),
        # The visits coverage counts (corrections aside), by household, month and visitor:
        # "visited this month" and "by the household's own helper" answered from the index.
        Index(
            "ix_visit_counted",
            "household_id",
            "month",
            "visitor_id",
            sqlite_where=text("corrects_id IS NULL"),
            postgresql_where=text("corrects_id IS NULL"),
        ),
        # Only the few corrections: a full index on corrects_id, nearly all NULL, drew
        # SQLite's planner to it for "corrects_id IS NULL" and read every visit of the county.
        Index(
            "ix_visit_corrects_id",
            "corrects_id",
            sqlite_where=text("corrects_id IS NOT NULL"),
            postgresql_where=text("corrects_id IS NOT NULL"),
        ),
        # The month's notes of an area by text, with who wrote them, read from the index
        # alone for the pasted-notes sign (the plan no longer turns on the statistics).
        Index(
            "ix_visit_month_notes",
            "month",
            "area_code",
            "notes_hash",
            "household_id",
            "visitor_id",
            sqlite_where=text("notes_hash IS NOT NULL"),
            postgresql_where=text("notes_hash IS NOT NULL"),
        ),
        # A text's households in order, so "is it pasted?" (signs.pasted) reads a hash's
        # first few distinct households and stops. On notes_hash alone, PostgreSQL sorted
        # every visit of the hash to make them distinct (a template text: 18,000 visits,
        # 6.7 s for a phone's 289 texts); SQLite's DISTINCT streamed and did not need it.
        Index("ix_visit_notes_hash_household", "notes_hash", "household_id"),
    )

    # No default: the phone names the record (STYLE rule 8).
    id: uuid.UUID = Field(primary_key=True)
    # household_id and area_code have no index of their own: ix_visit_household_month and
    # ix_visit_area_month lead with them (every read's plan the same without; a stored visit
    # writes two index entries fewer).
    household_id: uuid.UUID = Field(foreign_key="household.id")
    area_code: str = area_field(index=False)
    visitor_id: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    kind: VisitKind = enum_field()
    visited_at: datetime = time_field(nullable=False, index=True)
    # YYYY-MM of visited_at in China time: coverage counts by it.
    month: str = Field(max_length=7, index=True)
    reached: str | None = Field(default=None, max_length=40)
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    checklist: dict[str, Any] = json_field()
    new_risks: list[str] = json_field(list)
    help_given: str = Field(default="", max_length=2000)
    notes: str = Field(default="", max_length=2000)
    # Normalised notes text hashed, to find the same text pasted for many households
    # (indexed with household_id: ix_visit_notes_hash_household).
    notes_hash: str | None = Field(default=None, max_length=64)
    photo_ids: list[str] = json_field(list)
    family_agrees: bool
    agreed_by: str | None = Field(default=None, max_length=40)
    corrects_id: uuid.UUID | None = Field(default=None, foreign_key="visit.id")
    # The self-report this visit opened for newly seen risks (wired at merge with reports).
    report_id: uuid.UUID | None = Field(default=None, index=True)
    # sha256 of the canonical JSON of what the phone sent: a replay must match it exactly.
    payload_hash: str = Field(max_length=64)
    created_at: datetime = created_at_field()


class LedgerEntry(IncomeParts, table=True):
    """One household's income (by the same parts as a year's declared income) and large
    spending for one month, in integer yuan. A later entry for the same month supersedes the
    earlier one, which is kept."""

    __tablename__ = "ledger_entry"
    __table_args__ = (
        # Coverage's copied months of an area: the few copied current entries of a month,
        # read without visiting the area's households (the terms as signs.copied_in writes
        # them, so SQLite sees the index applies).
        Index(
            "ix_ledger_entry_copied",
            "month",
            "area_code",
            "household_id",
            sqlite_where=text("copied_from_last_year IS 1 AND superseded_at IS NULL"),
            postgresql_where=text("copied_from_last_year IS true AND superseded_at IS NULL"),
        ),
        # At most one current entry per household and month.
        Index(
            "uq_ledger_entry_current",
            "household_id",
            "month",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="household.id", index=True)
    area_code: str = area_field()
    month: str = Field(max_length=7, index=True)
    year: int = Field(index=True)
    medical_spending: int = 0
    schooling_spending: int = 0
    other_spending: int = 0
    # Active members when recorded: the divisor of the per-capita figure.
    household_size: int
    # The same components as the same month last year: the seed-000 copy-paste sign.
    copied_from_last_year: bool = False
    # When the figures were taken (the visit's time): a late-synced older visit never
    # supersedes a newer figure for the same month.
    as_of: datetime = time_field(nullable=False)
    visit_id: uuid.UUID | None = Field(default=None, foreign_key="visit.id", index=True)
    recorded_by: uuid.UUID = Field(foreign_key="app_user.id", index=True)
    superseded_at: datetime | None = time_field()
    superseded_by: uuid.UUID | None = Field(default=None)
    created_at: datetime = created_at_field()


class VisitVillageMonth(SQLModel, table=True):
    """The visits recorded in one village and month (corrections included, as the visit
    list counts them)."""

    __tablename__ = "visit_village_month"

    area_code: str = Field(primary_key=True, foreign_key="area.code", max_length=12)
    month: str = Field(primary_key=True, max_length=7)
    visits: int = Field(default=0)
