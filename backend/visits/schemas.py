"""What the visits API reads and writes."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from backend.core.schemas import Day, Input, Name, Output, StrictBool, Text, Yuan, name_field
from backend.households.models import STATUS_NAMES, RiskType
from backend.households.schemas import HouseholdCardBase, IncomePartsInput
from backend.visits.models import VisitKind

MAX_PHOTOS = 6
MAX_BATCH = 200
Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class ChecklistItem(Input):
    ok: StrictBool
    note: Annotated[str, StringConstraints(max_length=500)] = ""

    @model_validator(mode="after")
    def _problem_needs_a_note(self) -> "ChecklistItem":
        if not self.ok and not self.note:
            raise ValueError("有问题时请写明是什么问题")
        return self


class Checklist(Input):
    """两不愁三保障 plus drinking water; unknown keys are refused (extra=forbid)."""

    food: ChecklistItem | None = None
    clothing: ChecklistItem | None = None
    education: ChecklistItem | None = None
    medical: ChecklistItem | None = None
    housing: ChecklistItem | None = None
    drinking_water: ChecklistItem | None = None


class Position(Input):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    accuracy_m: Annotated[float, Field(ge=0, le=100_000)] | None = None


class LedgerInput(IncomePartsInput):
    """The month's income by component and large spending, integer yuan."""

    medical_spending: Yuan = 0
    schooling_spending: Yuan = 0
    other_spending: Yuan = 0


class VisitCreate(Input):
    id: uuid.UUID
    household_id: uuid.UUID
    kind: VisitKind
    visited_at: AwareDatetime
    reached: Name | None = None
    position: Position | None = None
    checklist: Checklist = Field(default_factory=Checklist)
    ledger: LedgerInput | None = None
    new_risks: Annotated[list[RiskType], Field(max_length=10)] = Field(default_factory=list)
    help_given: Text = ""
    notes: Text = ""
    photo_ids: Annotated[list[uuid.UUID], Field(max_length=MAX_PHOTOS)] = Field(
        default_factory=list
    )
    family_agrees: StrictBool
    agreed_by: Name | None = None
    corrects_id: uuid.UUID | None = None

    @field_validator("visited_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # One instant, one spelling: the payload hash must not depend on the phone's zone.
        return value.astimezone(UTC)

    @field_validator("new_risks")
    @classmethod
    def _unique_risks(cls, value: list[RiskType]) -> list[RiskType]:
        return sorted(set(value))


class VisitBatch(Input):
    # Items are checked one by one, so one bad item is refused alone.
    # Anything goes per item (even a bare number): each is validated alone.
    items: Annotated[list[Any], Field(min_length=1, max_length=MAX_BATCH)]


class LedgerBrief(Output):
    """A month's ledger figures, offered on the phone when the next month is recorded."""

    month: str
    wage: int
    business: int
    property: int
    transfer: int
    business_cost: int
    medical_spending: int
    schooling_spending: int
    other_spending: int


class LedgerPublic(LedgerBrief):
    id: uuid.UUID
    household_id: uuid.UUID
    household_size: int
    net_income: int
    copied_from_last_year: bool
    visit_id: uuid.UUID | None
    superseded_at: datetime | None
    superseded_by: uuid.UUID | None
    created_at: datetime


class VisitPublic(Output):
    id: uuid.UUID
    household_id: uuid.UUID
    area_code: str
    visitor_id: uuid.UUID
    visitor_name: str | None = None
    kind: VisitKind
    visited_at: datetime
    month: str
    reached: str | None
    position: Position | None
    checklist: dict[str, Any]
    new_risks: list[RiskType]
    help_given: str
    notes: str
    photo_ids: list[uuid.UUID]
    family_agrees: bool
    agreed_by: str | None
    corrects_id: uuid.UUID | None
    corrected_by: list[uuid.UUID] = Field(default_factory=list)
    report_id: uuid.UUID | None
    ledger: LedgerPublic | None = None
    # Quality signs: the same notes text for many households.
    pasted_notes: bool = False
    created_at: datetime


class VisitsPublic(Output):
    data: list[VisitPublic]
    count: int


class BatchItemResult(Output):
    id: str | None
    status: int
    error: str | None = None
    message: str | None = None
    detail: Any = None


class BatchResult(Output):
    stored: int
    already_had: int
    refused: int
    results: list[BatchItemResult]


class VisitRef(Output):
    id: uuid.UUID
    kind: VisitKind
    visited_at: datetime
    visitor_name: str | None
    notes: str
    pasted_notes: bool = False


class HouseholdCard(HouseholdCardBase):
    """What the phone keeps for one household it may visit (no ID numbers on the phone)."""

    # After the household's part (households/cards.py), the visits' part.
    last_visits: list[VisitRef]
    # This year's ledger so far: months recorded, per-capita net income from them, and the
    # months whose income equals the same month last year (a sign of copying).
    ledger_months: int
    ledger_per_capita_net_income: int | None
    copied_months: list[str]
    # The latest month of this year's ledger, offered when the next visit records money.
    latest_ledger: LedgerBrief | None = None
    # visited | due | overdue for the caller this month.
    state: str
    last_visited_at: datetime | None


class MyHouseholds(Output):
    # The phone checks it before trusting a cached copy (never another user's households).
    user_id: uuid.UUID
    month: str
    data: list[HouseholdCard]
    count: int
    # All the households the user visits; more than count when the list was cut.
    total: int


class LedgerYear(Output):
    household_id: uuid.UUID
    year: int
    entries: list[LedgerPublic]
    months_recorded: list[str]
    months_missing: list[str]
    copied_months: list[str]
    ledger_net_income: int
    household_size: int | None
    ledger_per_capita_net_income: int | None
    declared_per_capita_net_income: int | None
    declared_net_income: int | None


class HelperCoverage(Output):
    helper_id: uuid.UUID
    full_name: str
    unit: str | None
    due: int
    visited: int
    not_visited: int


class VillageCoverage(Output):
    area_code: str
    area_name: str | None
    due: int
    visited: int
    not_visited: int


class NotVisited(Output):
    household_id: uuid.UUID
    reference: str
    area_code: str
    area_name: str | None
    head_name: str | None
    helper_name: str | None
    category: str
    monitoring_status: str
    last_visited_at: datetime | None

    monitoring_status_name = name_field(STATUS_NAMES, "monitoring_status")


class PastedNotes(Output):
    excerpt: str
    households: int
    visits: int
    # The first few who wrote it (signs.PASTED_NAMES_SHOWN), and how many did in all.
    visitor_names: list[str]
    visitor_count: int


class PastedVillage(Output):
    """One village's share of the area's pasted notes: where to look next (coverage of
    that village lists its own)."""

    area_code: str
    area_name: str | None
    households: int
    texts: int


class CopiedLedger(Output):
    household_id: uuid.UUID
    reference: str
    month: str


class Coverage(Output):
    area_code: str
    month: str
    helpers: list[HelperCoverage]
    villages: list[VillageCoverage]
    # One page of the households not visited (offset/limit), and how many there are in all.
    not_visited: list[NotVisited]
    not_visited_total: int
    # The texts shared by the most households (signs.PASTED_SHOWN at most), how many such
    # texts there are in all, and per village the households that wrote any of them.
    pasted_notes: list[PastedNotes]
    pasted_notes_total: int
    pasted_by_village: list[PastedVillage]
    copied_ledgers: list[CopiedLedger]


def month_of(day: Day) -> str:
    return f"{day.year:04d}-{day.month:02d}"
