"""What one chunk of the household import writes: rows to insert and to update per table,
planned against what the database already holds, then written set-based with an audit row
per household (imports.py runs the chunks; import_rows.py reads them)."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock, security
from backend.core.ids import new_id
from backend.households import import_columns as c
from backend.households.import_rows import HouseholdIn, MemberIn
from backend.households.models import (
    BASIC_NEEDS,
    Employment,
    Household,
    HouseholdRisk,
    IncomeRecord,
    Member,
)

IMPORT_ACTOR = "批量导入"
INCOME_FIELDS = ("household_size", *c.PARTS)


@dataclass
class Existing:
    """What the database holds of one chunk's households and people."""

    households: dict[str, dict[str, Any]]  # reference → row
    members: dict[uuid.UUID, list[dict[str, Any]]]  # household id → rows
    elsewhere: dict[str, str]  # id hash → the reference of another household it is active in
    risks: dict[uuid.UUID, list[str]]
    incomes: dict[tuple[uuid.UUID, int], dict[str, Any]]


@dataclass
class CliActor:
    """Who the audit names for a CLI import (no account: the operator on the server)."""

    full_name: str = f"{IMPORT_ACTOR}(命令行)"
    id: None = None
    role: str = ""


class Plan:
    """What one chunk writes: rows to insert and to update per table, and audit rows."""

    def __init__(self) -> None:
        self.now = clock.now()
        self.households: list[dict[str, Any]] = []
        self.household_updates: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.member_updates: list[dict[str, Any]] = []
        self.risks: list[dict[str, Any]] = []
        self.risks_cleared: list[uuid.UUID] = []
        self.incomes: list[dict[str, Any]] = []
        self.income_updates: list[dict[str, Any]] = []
        self.area_moves: list[dict[str, Any]] = []
        self.audits: list[tuple[str, Any, str, str, dict[str, Any]]] = []
        # Each household with its outcome and its (created, updated) members and incomes.
        self.outcomes: list[tuple[HouseholdIn, str, dict[str, tuple[int, int]]]] = []

    def any(self) -> bool:
        return bool(self.audits)

    def add(
        self, h: HouseholdIn, old: dict[str, Any] | None, existing: Existing, today: date
    ) -> None:
        values = {
            "area_code": h.area_code,
            "category": h.category.value,
            "monitoring_status": h.monitoring_status.value,
            "monitoring_type": h.monitoring_type.value if h.monitoring_type else None,
            "enrolled_on": h.enrolled_on,
            "risk_cleared_on": h.risk_cleared_on,
            "phone": h.phone,
            "address": h.address,
        }
        if old is None:
            self._create(h, values, today)
        else:
            self._update(h, old, values, existing)

    def _create(self, h: HouseholdIn, values: dict[str, Any], today: date) -> None:
        hid = new_id()
        # Without a 建档时间, the earliest date the sheet knows of the household.
        known = [d for d in (h.enrolled_on,) if d is not None]
        if h.income:
            known.append(date(h.income["year"], 1, 1))
        registered = h.registered_on or min(known, default=today)
        self.households.append(
            {
                "id": hid,
                "reference": h.reference,
                **values,
                "plan_due_on": None,
                "basic_needs": dict.fromkeys(BASIC_NEEDS, True),
                "helper_id": None,
                "registered_on": registered,
                "created_at": self.now,
                "updated_at": None,
            }
        )
        for m in h.members:
            self.members.append(self._member_row(hid, h.area_code, m))
        for risk in h.risk_types:
            self.risks.append({"household_id": hid, "risk_type": risk.value})
        if h.income:
            self.incomes.append(self._income_row(hid, h.income))
        counted = {"members": (len(h.members), 0), "incomes": (1 if h.income else 0, 0)}
        self.outcomes.append((h, "created", counted))
        self.audits.append(
            (
                "household",
                hid,
                h.area_code,
                "import",
                {
                    **{k: [None, v] for k, v in values.items() if v not in (None, "")},
                    "registered_on": [None, registered],
                    "risk_types": [None, [r.value for r in h.risk_types]],
                    "members": [
                        None,
                        [{"name": m.name, "id_number": m.id_number} for m in h.members],
                    ],
                },
            )
        )

    def _member_row(self, hid: uuid.UUID, area_code: str, m: MemberIn) -> dict[str, Any]:
        return {
            "id": new_id(),
            "household_id": hid,
            "area_code": area_code,
            "name": m.name,
            "id_number_cipher": security.encrypt_id_number(m.id_number) if m.id_number else None,
            "id_number_hash": m.id_hash,
            # What id_number_verdict says of a number read_member accepted (valid, with its
            # sex and birth date, which the member takes from it), without checking it again.
            "id_number_valid": True if m.id_number else None,
            "id_sex": m.sex.value if m.id_number else None,
            "id_birth_date": m.birth_date if m.id_number else None,
            "sex": m.sex.value,
            "birth_date": m.birth_date,
            "relation": m.relation.value,
            "health": m.health.value,
            "schooling": m.schooling.value,
            "labour": m.labour.value,
            "employment": Employment.not_employed.value,
            "active": True,
            "left_on": None,
            "died_on": None,
            "created_at": self.now,
        }

    def _income_row(self, hid: uuid.UUID, income: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": new_id(),
            "household_id": hid,
            **income,
            "created_at": self.now,
            "updated_at": None,
        }

    def _update(
        self, h: HouseholdIn, old: dict[str, Any], values: dict[str, Any], existing: Existing
    ) -> None:
        hid = old["id"]
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key in ("phone", "address") and not value:
                continue  # a sheet without the column leaves what the household has
            if old[key] != value:
                changes[key] = [old[key], value]
        # Registered earlier than we knew: kept (never later: visits may already lie before).
        registered = old["registered_on"]
        if h.registered_on is not None and h.registered_on < registered:
            changes["registered_on"] = [registered, h.registered_on]
            registered = h.registered_on
        if "area_code" in changes:
            self.area_moves.append({"b_id": hid, "area_code": h.area_code})
        before_risks = sorted(existing.risks.get(hid, []))
        after_risks = sorted(r.value for r in h.risk_types)
        if before_risks != after_risks:
            changes["risk_types"] = [before_risks, after_risks]
            self.risks_cleared.append(hid)
            self.risks.extend({"household_id": hid, "risk_type": r} for r in after_risks)
        counted = {
            "members": self._update_members(h, hid, existing, changes),
            "incomes": self._update_income(h, hid, existing, changes),
        }
        if not changes:
            self.outcomes.append((h, "unchanged", counted))
            return
        # Every update row carries every column (executemany binds one shape); a change to
        # members, risks or income alone still moves the household's updated_at.
        kept = {k: old[k] for k in values}
        kept.update({k: pair[1] for k, pair in changes.items() if k in values})
        self.household_updates.append(
            {"b_id": hid, **kept, "registered_on": registered, "updated_at": self.now}
        )
        self.audits.append(("household", hid, h.area_code, "import_update", changes))
        self.outcomes.append((h, "updated", counted))

    def _update_members(
        self, h: HouseholdIn, hid: uuid.UUID, existing: Existing, changes: dict[str, Any]
    ) -> tuple[int, int]:
        """The sheet's members beside the household's: one found by any of its ID number's
        hashes (or, without a number, by name) is updated, anyone else added. Says what
        changed in `changes`; returns (added, updated)."""
        made = changed = 0
        olds = existing.members.get(hid, [])
        by_hash = {m["id_number_hash"]: m for m in olds if m["id_number_hash"]}
        by_name = {m["name"]: m for m in olds if not m["id_number_hash"]}
        member_changes = []
        for m in h.members:
            if m.id_hash:
                row = next((by_hash[d] for d in m.id_hashes if d in by_hash), None)
            else:
                row = by_name.get(m.name)
            if row is None:
                self.members.append(self._member_row(hid, h.area_code, m))
                member_changes.append({"name": m.name, "id_number": m.id_number, "added": True})
                made += 1
                continue
            new = {
                "name": m.name,
                "relation": m.relation.value,
                "sex": m.sex.value,
                "birth_date": m.birth_date,
                "health": m.health.value,
                "schooling": m.schooling.value,
                "labour": m.labour.value,
                "area_code": h.area_code,
                "active": True,
            }
            diff = {k: [row[k], v] for k, v in new.items() if row[k] != v}
            if diff:
                self.member_updates.append({"b_id": row["id"], **new})
                member_changes.append({"name": m.name, **diff})
                changed += 1
        if member_changes:
            changes["members"] = member_changes
        return made, changed

    def _update_income(
        self, h: HouseholdIn, hid: uuid.UUID, existing: Existing, changes: dict[str, Any]
    ) -> tuple[int, int]:
        """The sheet's year of income: added, or updated where a figure differs. Says what
        changed in `changes`; returns (added, updated)."""
        if not h.income:
            return 0, 0
        known = existing.incomes.get((hid, h.income["year"]))
        if known is None:
            self.incomes.append(self._income_row(hid, h.income))
            changes["income"] = [None, h.income]
            return 1, 0
        if any(known[k] != h.income[k] for k in INCOME_FIELDS):
            self.income_updates.append(
                {"b_id": known["id"], **{k: h.income[k] for k in INCOME_FIELDS}}
            )
            changes["income"] = [{k: known[k] for k in INCOME_FIELDS}, h.income]
            return 0, 1
        return 0, 0

    def write(self, session: Session, actor: User | None) -> None:
        """Set-based: one executemany per table and kind of change."""
        run = session.execute
        if self.households:
            run(insert(Household.__table__), self.households)  # type: ignore[attr-defined]
        _update_by(session, Household, "id", self.household_updates)
        _update_by(session, Member, "id", self.member_updates)
        _update_by(session, Member, "household_id", self.area_moves)
        if self.members:
            run(insert(Member.__table__), self.members)  # type: ignore[attr-defined]
        if self.risks_cleared:
            table = HouseholdRisk.__table__  # type: ignore[attr-defined]
            run(table.delete().where(table.c.household_id.in_(self.risks_cleared)))
        if self.risks:
            run(insert(HouseholdRisk.__table__), self.risks)  # type: ignore[attr-defined]
        if self.incomes:
            run(insert(IncomeRecord.__table__), self.incomes)  # type: ignore[attr-defined]
        _update_by(session, IncomeRecord, "id", self.income_updates)
        audit.record_many(
            session=session,
            actor=actor if actor is not None else CliActor(),
            changes=self.audits,
        )


def _update_by(session: Session, model: Any, key: str, rows: list[dict[str, Any]]) -> None:
    """UPDATE … WHERE key = :b_id for each row, in one executemany (every row has the same
    keys: `b_id` and the columns it sets)."""
    if not rows:
        return
    table = model.__table__
    stmt = (
        update(table)
        .where(table.c[key] == bindparam("b_id"))
        .values({k: bindparam(k) for k in rows[0] if k != "b_id"})
    )
    session.connection().execute(stmt, rows)
