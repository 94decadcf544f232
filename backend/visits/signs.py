"""The quality signs inspections found in visit records: the same notes pasted for many
households (走访记录雷同), and ledger months copied from the same month last year."""

from collections import defaultdict

from sqlalchemy import Subquery, func
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
    """The notes shared by many households in the area's visits of the month."""
    groups = list(
        session.exec(
            select(
                Visit.notes_hash,
                func.count(func.distinct(Visit.household_id)),
                func.count(),
            )
            .where(
                within(Visit.area_code, area),
                Visit.month == month,
                col(Visit.notes_hash).is_not(None),
            )
            .group_by(col(Visit.notes_hash))
            .having(func.count(func.distinct(Visit.household_id)) >= PASTED_MIN_HOUSEHOLDS)
        )
    )
    if not groups:
        return []
    excerpts: dict[str, str] = {}
    visitor_ids: dict[str, set] = defaultdict(set)  # type: ignore[type-arg]
    for digest, notes, visitor_id in session.exec(
        select(Visit.notes_hash, Visit.notes, Visit.visitor_id).where(
            col(Visit.notes_hash).in_([g[0] for g in groups]),
            within(Visit.area_code, area),
            Visit.month == month,
        )
    ):
        assert digest is not None
        excerpts.setdefault(digest, notes)
        visitor_ids[digest].add(visitor_id)
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
