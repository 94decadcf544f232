"""The quality signs inspections found in visit records: the same notes pasted for many
households (走访记录雷同), and ledger months copied from the same month last year."""

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Subquery, bindparam, cast, func, literal, union_all
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from backend.accounts import service as accounts_service
from backend.areas import service as areas_service
from backend.core.scope import within
from backend.visits.models import LedgerEntry, Visit
from backend.visits.schemas import CopiedLedger, PastedNotes, PastedVillage

# The same notes text for this many households or more is flagged as pasted.
PASTED_MIN_HOUSEHOLDS = 3
# An area's answer lists this many pasted texts at most, each with this many writers.
PASTED_SHOWN = 20
PASTED_NAMES_SHOWN = 10


def _strings(session: Session, strings: set[str]) -> Any:
    """`strings` as a one-column table (its column `h`), bound as one parameter so the
    statement compiles once: SQLite's json_each over a JSON array, PostgreSQL's unnest over
    an array. (A VALUES list compiled each time: 12 ms for a phone's 780 texts.)"""
    ordered = sorted(strings)
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam("strings", ordered, type_=postgresql.ARRAY(String))
        return func.unnest(array).table_valued("h").render_derived(name="candidate")
    table = func.json_each(bindparam("strings", json.dumps(ordered))).table_valued("value")
    return select(table.c.value.label("h")).subquery("candidate")


def pasted(*, session: Session, hashes: set[str]) -> set[str]:
    """The hashes among `hashes` whose notes were written for PASTED_MIN_HOUSEHOLDS
    households or more. Each hash's distinct households are read in order from
    ix_visit_notes_hash_household only until that many are found, so a text pasted across
    the whole county costs what one pasted three times does (on the hash alone, PostgreSQL
    sorted every visit of the text to make them distinct). The hashes come
    from a list, not from a DISTINCT over the visits that carry them, which read all
    18,000 visits of each template text (a 200-household phone: 50 ms of its 170)."""
    if not hashes:
        return set()
    candidates = _strings(session, hashes)
    first_households = (
        select(Visit.household_id)
        .where(Visit.notes_hash == candidates.c.h)
        .correlate(candidates)  # a derived table is not correlated unless told
        .distinct()
        .limit(PASTED_MIN_HOUSEHOLDS)
        .subquery("first_households")
    )
    enough = select(func.count()).select_from(first_households).scalar_subquery()
    rows = session.exec(select(candidates.c.h).where(enough >= PASTED_MIN_HOUSEHOLDS))
    return set(rows)


def pasted_with(*, session: Session, notes_hash: str | None, household_id: uuid.UUID) -> bool:
    """Whether notes with this hash, once written for this household too, are pasted: what
    `pasted` will say of a visit about to be stored, read with its checks so its answer
    needs no read after the commit."""
    if not notes_hash:
        return False
    households = set(session.connection().execute(_PASTED_WITH, {"h": notes_hash}).scalars())
    return len(households | {household_id}) >= PASTED_MIN_HOUSEHOLDS


# Built once: it runs for every visit stored.
_PASTED_WITH = (
    select(Visit.household_id)
    .where(Visit.notes_hash == bindparam("h"))
    .distinct()
    .limit(PASTED_MIN_HOUSEHOLDS)
)


@dataclass
class Pasted:
    """The area's pasted notes of a month, bounded whatever the area's size."""

    shown: list[PastedNotes]
    total: int
    by_village: list[PastedVillage]


def pasted_in(*, session: Session, area: str, month: str) -> Pasted:
    """The notes shared by many households in the area's visits of the month: the
    PASTED_SHOWN shared by the most households, each with its first PASTED_NAMES_SHOWN
    writers, how many texts there are in all, and per village how many of its households
    have one (the drill-down: a village's coverage lists its own). A county's answer listed
    every text with every writer, 52,000 names at 100,000 households. Every read is from
    ix_visit_month_notes alone but the excerpts of the texts shown."""
    month_notes = (
        within(Visit.area_code, area),
        Visit.month == month,
        col(Visit.notes_hash).is_not(None),
    )
    # Each text's first household too (as text: PostgreSQL has no min() of a uuid), whose
    # visit of the month gives the excerpt.
    groups = list(
        session.exec(
            select(
                Visit.notes_hash,
                func.count(func.distinct(Visit.household_id)),
                func.count(),
                func.min(cast(Visit.household_id, String)),
            )
            .where(*month_notes)
            .group_by(col(Visit.notes_hash))
            .having(func.count(func.distinct(Visit.household_id)) >= PASTED_MIN_HOUSEHOLDS)
        )
    )
    if not groups:
        return Pasted(shown=[], total=0, by_village=[])
    pasted = {g[0] for g in groups}
    # Most households first; the text's digest breaks ties so the choice is stable.
    top = sorted(groups, key=lambda g: (-g[1], -g[2], g[0]))[:PASTED_SHOWN]
    shown = {g[0] for g in top}
    visitor_ids: dict[str, set] = defaultdict(set)  # type: ignore[type-arg]
    villages: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # code → [households, texts]
    # All the month's (text, visitor) pairs, kept for the texts shown: an IN list of the
    # texts let the planner read every month's visits of them through the notes-hash index.
    for digest, visitor_id in session.exec(
        select(Visit.notes_hash, Visit.visitor_id)
        .where(*month_notes)
        .group_by(col(Visit.notes_hash), col(Visit.visitor_id))
    ):
        if digest in shown:
            visitor_ids[digest].add(visitor_id)
    for code, digest, households in session.exec(
        select(Visit.area_code, Visit.notes_hash, func.count(func.distinct(Visit.household_id)))
        .where(*month_notes)
        .group_by(col(Visit.area_code), col(Visit.notes_hash))
    ):
        if digest in pasted:
            villages[code][0] += households
            villages[code][1] += 1
    excerpts = _excerpts(
        session=session,
        area=area,
        month=month,
        firsts=sorted((g[0], uuid.UUID(g[3])) for g in top),
    )
    named = {v for digest in shown for v in sorted(visitor_ids[digest])[:PASTED_NAMES_SHOWN]}
    names = {
        uid: name
        for uid, (name, _) in accounts_service.names_and_units(session=session, ids=named).items()
    }
    out = [
        PastedNotes(
            excerpt=excerpts.get(digest, "")[:80],
            households=households,
            visits=visits,
            visitor_names=sorted(
                {names[v] for v in sorted(visitor_ids[digest])[:PASTED_NAMES_SHOWN] if v in names}
            ),
            visitor_count=len(visitor_ids[digest]),
        )
        for digest, households, visits, _ in top
    ]
    area_names = areas_service.names(session=session, codes=set(villages))
    by_village = [
        PastedVillage(area_code=code, area_name=area_names.get(code), households=n, texts=t)
        for code, (n, t) in sorted(villages.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]
    return Pasted(shown=out, total=len(groups), by_village=by_village)


# SQLite joins at most 500 SELECTs in one compound statement.
_EXCERPTS_PER_STATEMENT = 400


def _excerpts(
    *, session: Session, area: str, month: str, firsts: list[tuple[str, uuid.UUID]]
) -> dict[str, str]:
    """The notes of each text (digest) from its first household's visits of the month: a
    look-up of one household's month (ix_visit_household_month) per text, joined into as
    few statements as the database allows. Found by the text alone (its index), a visit of
    this month and area was looked for among all its visits of every month and area, in
    index order: 18,000 for a template text, 270-430 ms for a township's 20 texts."""
    out: dict[str, str] = {}
    for start in range(0, len(firsts), _EXCERPTS_PER_STATEMENT):
        one_each = [
            select(
                literal(digest).label("digest"),
                select(Visit.notes)
                .where(
                    Visit.household_id == household_id,
                    Visit.month == month,
                    Visit.notes_hash == digest,
                )
                .where(within(Visit.area_code, area))
                .limit(1)
                .scalar_subquery(),
            )
            for digest, household_id in firsts[start : start + _EXCERPTS_PER_STATEMENT]
        ]
        out.update(session.exec(union_all(*one_each)).all())  # type: ignore[call-overload]
    return out


def copied_in(
    *, session: Session, households: Subquery, area: str, month: str
) -> list[CopiedLedger]:
    """The area's current ledger entries of the month copied from last year; `households`
    (households_queries.visible) names them."""
    rows = session.exec(
        select(LedgerEntry.household_id, households.c.reference, LedgerEntry.month)
        .join(households, households.c.id == col(LedgerEntry.household_id))
        .where(
            within(LedgerEntry.area_code, area),
            LedgerEntry.month == month,
            col(LedgerEntry.copied_from_last_year).is_(True),
            col(LedgerEntry.superseded_at).is_(None),
        )
    )
    return [CopiedLedger(household_id=h, reference=r, month=m) for h, r, m in rows]
