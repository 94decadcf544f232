"""The quality signs inspections found in visit records: the same notes pasted for many
households (走访记录雷同), and ledger months copied from the same month last year."""

from collections import defaultdict

from sqlalchemy import Subquery, func, literal, union_all
from sqlmodel import Session, col, select

from backend.accounts import service as accounts_service
from backend.core.scope import within
from backend.visits.models import LedgerEntry, Visit
from backend.visits.schemas import CopiedLedger, PastedNotes

# The same notes text for this many households or more is flagged as pasted.
PASTED_MIN_HOUSEHOLDS = 3


def pasted(*, session: Session, hashes: set[str]) -> set[str]:
    """The hashes among `hashes` whose notes were written for PASTED_MIN_HOUSEHOLDS
    households or more. Each hash's distinct households are read only until that many are
    found (the (notes_hash, household_id) index), so a text pasted across the whole county
    costs what one pasted three times does: the count used to read every visit of it."""
    if not hashes:
        return set()
    candidates = (
        select(Visit.notes_hash.label("h"))  # type: ignore[attr-defined]
        .where(col(Visit.notes_hash).in_(hashes))
        .distinct()
        .subquery("candidate")
    )
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
    return {h for h in rows if h}


def pasted_in(*, session: Session, area: str, month: str) -> list[PastedNotes]:
    """The notes shared by many households in the area's visits of the month. Every read
    is from ix_visit_month_notes alone but the excerpts: a county's stock phrases can cover
    most of its visits, and reading their rows took seconds."""
    month_notes = (
        within(Visit.area_code, area),
        Visit.month == month,
        col(Visit.notes_hash).is_not(None),
    )
    groups = list(
        session.exec(
            select(
                Visit.notes_hash,
                func.count(func.distinct(Visit.household_id)),
                func.count(),
            )
            .where(*month_notes)
            .group_by(col(Visit.notes_hash))
            .having(func.count(func.distinct(Visit.household_id)) >= PASTED_MIN_HOUSEHOLDS)
        )
    )
    if not groups:
        return []
    pasted = {digest for digest, _, _ in groups}
    visitor_ids: dict[str, set] = defaultdict(set)  # type: ignore[type-arg]
    # All the month's (text, visitor) pairs, kept for the pasted texts: an IN list of the
    # texts let the planner read every month's visits of them through ix_visit_notes_hash.
    for digest, visitor_id in session.exec(
        select(Visit.notes_hash, Visit.visitor_id)
        .where(*month_notes)
        .group_by(col(Visit.notes_hash), col(Visit.visitor_id))
    ):
        if digest in pasted:
            visitor_ids[digest].add(visitor_id)
    excerpts = _excerpts(session=session, area=area, month=month, digests=sorted(pasted))
    names = {
        uid: name
        for uid, (name, _) in accounts_service.names_and_units(
            session=session, ids={v for ids in visitor_ids.values() for v in ids}
        ).items()
    }
    out = [
        PastedNotes(
            excerpt=excerpts.get(digest, "")[:80],
            households=households,
            visits=visits,
            visitor_names=sorted({names[v] for v in visitor_ids[digest] if v in names}),
        )
        for digest, households, visits in groups
    ]
    return sorted(out, key=lambda p: -p.households)


# SQLite joins at most 500 SELECTs in one compound statement.
_EXCERPTS_PER_STATEMENT = 400


def _excerpts(*, session: Session, area: str, month: str, digests: list[str]) -> dict[str, str]:
    """One of the area's visits' notes of the month for each text: a one-row look-up per
    text, joined into as few statements as the database allows."""
    out: dict[str, str] = {}
    for start in range(0, len(digests), _EXCERPTS_PER_STATEMENT):
        firsts = [
            select(
                literal(digest).label("digest"),
                select(Visit.notes)
                .where(Visit.notes_hash == digest, Visit.month == month)
                .where(within(Visit.area_code, area))
                .limit(1)
                .scalar_subquery(),
            )
            for digest in digests[start : start + _EXCERPTS_PER_STATEMENT]
        ]
        out.update(session.exec(union_all(*firsts)).all())  # type: ignore[call-overload]
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
