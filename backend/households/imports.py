"""Households brought in from a county's sheet with their history: one row per member, grouped
by 户编号, checked row by row (a dry run writes nothing), written in bulk a chunk of
households at a time, and idempotent — the same file twice changes nothing; a changed row
updates its household or member, with an audit row.

The 户编号 is the household's `reference`, the key of every re-import. A household keeps the
dates it really has: 建档时间 (`registered_on`), 纳入监测时间 and 风险消除时间, so earlier
visits, ledger months and decisions can be recorded for it."""

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.access import IMPORTS_HOUSEHOLDS
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock, db
from backend.core.errors import Forbidden, Invalid
from backend.core.ids import new_id
from backend.core.scope import contains
from backend.households import import_columns as c
from backend.households import import_rows
from backend.households.import_plan import CliActor, Existing, Plan
from backend.households.import_rows import HouseholdIn
from backend.households.import_sheet import Row, Sheet
from backend.households.models import Household, HouseholdRisk, IncomeRecord, Member
from backend.households.schemas import ImportAccount, RowIssue, RowOutcome

# Households per chunk: read, checked and written together, committed at the chunk's end
# (the default; the CLI's import passes a larger one, transfer/service.py).
CHUNK_HOUSEHOLDS = 2000


def require_importer(user: User, area_code: str) -> None:
    """Importing sets past registration dates and monitoring decisions: the county's work
    (as registering a household with a past date is, households/service.py)."""
    if user.role not in IMPORTS_HOUSEHOLDS:
        raise Forbidden("只有县级可以批量导入农户", code="role_forbidden")
    if not contains(user.scope, area_code):
        raise Forbidden("只能导入本辖区内的农户", code="outside_scope")


class ImportRun:
    """One file through the importer: chunk by chunk, every row accounted for."""

    def __init__(
        self,
        *,
        session: Session,
        scope: str,
        actor: User | None,
        dry_run: bool,
        keep_outcomes: bool,
        progress: Callable[[int], None] | None = None,
        chunk_households: int | None = None,
    ) -> None:
        self.session = session
        self.chunk_households = chunk_households or CHUNK_HOUSEHOLDS
        self.scope = scope
        self.actor = actor
        self.dry_run = dry_run
        self.keep_outcomes = keep_outcomes
        self.progress = progress
        self.today = clock.today()
        self.villages = import_rows.Villages(session=session, scope=scope)
        self.account = ImportAccount(dry_run=dry_run, area_code=scope)
        # Across chunks: each person's household in this file (a person in two households is
        # refused). A household whose rows lie apart in the file is joined, in a later chunk,
        # to what an earlier one made of it (it reads as an existing household then).
        self.people: dict[str, str] = {}
        self.tally: Counter[tuple[str, str]] = Counter()

    # -- reading ------------------------------------------------------------------------

    def run(self, sheet: Sheet) -> ImportAccount:
        started = time.monotonic()
        try:
            for chunk in self._chunks(sheet.rows):
                self._chunk(chunk)
        finally:
            if sheet.close is not None:
                sheet.close()
        self.account.seconds = round(time.monotonic() - started, 3)
        return self.account

    def _chunks(self, rows: Iterator[Row]) -> Iterator[dict[str, HouseholdIn]]:
        chunk: dict[str, HouseholdIn] = {}
        # Counted here and set on the account once a chunk: an assignment to the pydantic
        # account is validated, and was a fiftieth of the import (py-spy).
        counted = self.account.rows
        for row in rows:
            counted += 1
            reference = import_rows.text_of(row.cells, "reference")
            if not reference:
                self._refuse_row(row, "reference", "必须填写")
                continue
            h = chunk.get(reference)
            if h is None:
                if len(chunk) >= self.chunk_households:
                    self.account.rows = counted
                    yield chunk
                    chunk = {}
                h = chunk[reference] = HouseholdIn(reference=reference, rows=[])
            h.rows.append(row)
        self.account.rows = counted
        if chunk:
            yield chunk

    def _refuse_row(self, row: Row, key: str, message: str) -> None:
        self.account.issues.append(
            RowIssue(row=row.number, field=c.HEADER_OF[key], message=message)
        )
        if self.keep_outcomes:
            self.account.outcomes.append(
                RowOutcome(row=row.number, reference="", outcome="refused")
            )

    # -- one chunk ----------------------------------------------------------------------

    def _chunk(self, chunk: dict[str, HouseholdIn]) -> None:
        for h in chunk.values():
            for row in h.rows:
                import_rows.read_member(h, row, self.today)
            import_rows.household_values(h)
            import_rows.read_household(h, self.villages, self.today)
        read = {h.reference: len(h.issues) for h in chunk.values()}
        try:
            plan = self._plan(chunk)
            if not self.dry_run and plan.any():
                plan.write(self.session, self.actor)
                self.session.commit()
        except IntegrityError:
            # Someone changed the same households or people between our reads and our
            # writes: plan again under the write lock, where nobody else writes.
            self.session.rollback()
            db.lock_for_write(self.session)
            for h in chunk.values():
                del h.issues[read[h.reference] :]
            plan = self._plan(chunk)
            plan.write(self.session, self.actor)
            self.session.commit()
        for h, outcome, counted in plan.outcomes:
            self._account(h, outcome, counted)
        self._settle()
        if self.progress is not None:
            self.progress(sum(len(h.rows) for h in chunk.values()))

    def _existing(self, chunk: dict[str, HouseholdIn]) -> Existing:
        s = self.session
        refs = list(chunk)
        households = {
            r["reference"]: r
            for r in s.execute(
                select(Household.__table__).where(col(Household.reference).in_(refs))  # type: ignore[attr-defined]
            ).mappings()
        }
        ids = [r["id"] for r in households.values()]
        members: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
        risks: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
        incomes: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}
        if ids:
            for r in s.execute(
                select(Member.__table__).where(col(Member.household_id).in_(ids))  # type: ignore[attr-defined]
            ).mappings():
                members[r["household_id"]].append(dict(r))
            for hid, risk in s.execute(
                select(HouseholdRisk.household_id, HouseholdRisk.risk_type).where(
                    col(HouseholdRisk.household_id).in_(ids)
                )
            ):
                risks[hid].append(risk)
            for r in s.execute(
                select(IncomeRecord.__table__).where(col(IncomeRecord.household_id).in_(ids))  # type: ignore[attr-defined]
            ).mappings():
                incomes[(r["household_id"], r["year"])] = dict(r)
        # Any of a person's hashes found stands for the person (their current-key hash).
        person = {d: m.id_hashes[0] for h in chunk.values() for m in h.members for d in m.id_hashes}
        hashes = list(person)
        elsewhere: dict[str, str] = {}
        for start in range(0, len(hashes), 5000):
            part = hashes[start : start + 5000]
            for digest, reference in s.execute(
                select(Member.id_number_hash, Household.reference)
                .join(Household, col(Household.id) == col(Member.household_id))
                .where(col(Member.id_number_hash).in_(part), col(Member.active).is_(True))
            ):
                elsewhere[person[digest]] = reference
        return Existing(households, members, elsewhere, risks, incomes)

    def _plan(self, chunk: dict[str, HouseholdIn]) -> Plan:
        existing = self._existing(chunk)
        plan = Plan()
        for h in chunk.values():
            self._people(h, existing)
            old = existing.households.get(h.reference)
            if old is not None and not contains(self.scope, old["area_code"]):
                h.bad(h.rows[0].number, "reference", "此户编号已属于导入范围以外的农户")
            # Enrolled before the date it was registered here: registered earlier.
            if (
                old is not None
                and h.registered_on is None
                and h.enrolled_on is not None
                and h.enrolled_on < old["registered_on"]
            ):
                h.registered_on = h.enrolled_on
            if h.issues:
                plan.outcomes.append((h, "refused", {}))
            else:
                plan.add(h, old, existing, self.today)
        return plan

    def _people(self, h: HouseholdIn, existing: Existing) -> None:
        """A person is in one household: the file's and the database's."""
        mine: dict[str, int] = {}
        for m in h.members:
            if not m.id_hash:
                continue
            if m.id_hash in mine:
                h.bad(m.row, "id_number", f"与本户第 {mine[m.id_hash]} 行的证件号码重复")
                continue
            mine[m.id_hash] = m.row
            other = self.people.get(m.id_hash)
            if other is not None and other != h.reference:
                h.bad(m.row, "id_number", f"此证件号码已出现在本文件的户 {other} 中")
                continue
            found = existing.elsewhere.get(m.id_hash)
            if found is not None and found != h.reference:
                h.bad(m.row, "id_number", f"此证件号码已是户 {found} 的在册家庭成员")
        if not h.issues:
            for digest in mine:
                self.people[digest] = h.reference

    def _account(self, h: HouseholdIn, outcome: str, counted: dict[str, tuple[int, int]]) -> None:
        tally = self.tally
        tally["households", outcome] += 1
        self.account.issues.extend(h.issues)
        if self.keep_outcomes:
            self.account.outcomes.extend(
                RowOutcome(row=r.number, reference=h.reference, outcome=outcome)  # type: ignore[arg-type]
                for r in h.rows
            )
        for key, (made, changed) in counted.items():
            tally[key, "created"] += made
            tally[key, "updated"] += changed

    def _settle(self) -> None:
        """The chunk's tally onto the account (an assignment to the pydantic model is
        validated: once a chunk, not a few times a household)."""
        for (group, outcome), n in self.tally.items():
            counts = getattr(self.account, group)
            setattr(counts, outcome, getattr(counts, outcome) + n)
        self.tally.clear()


def import_households(
    *,
    session: Session,
    sheet: Sheet,
    scope: str,
    actor: User | None,
    dry_run: bool,
    keep_outcomes: bool = True,
    progress: Callable[[int], None] | None = None,
    chunk_households: int | None = None,
) -> ImportAccount:
    """Read `sheet` into the households of `scope` (an area code; "" for everything). A dry run
    checks every row and writes nothing. Otherwise each chunk of households commits on its
    own: a run cut short is finished by importing the same file again. The run is audited
    as a whole (who, which area, the counts) besides each household's own row."""
    if scope and not scope.isdigit():
        raise Invalid("area", "应为地区代码")
    if scope and areas_service.get(session=session, code=scope) is None:
        raise Invalid("area", f"没有地区代码 {scope}")
    account = ImportRun(
        session=session,
        scope=scope,
        actor=actor,
        dry_run=dry_run,
        keep_outcomes=keep_outcomes,
        progress=progress,
        chunk_households=chunk_households,
    ).run(sheet)
    if not account.rows:
        raise Invalid("file", "表格中没有成员行")
    if not dry_run:
        audit.record(
            session=session,
            actor=actor if actor is not None else CliActor(),
            entity="household_import",
            entity_id=new_id(),
            area_code=scope,
            action="import",
            changes={
                "rows": account.rows,
                "households": account.households.model_dump(),
                "members": account.members.model_dump(),
                "issues": len(account.issues),
            },
        )
        session.commit()
    return account
