"""The household's part of the cards the phone keeps for offline visits: the list row, the
address and basic needs, members without ID numbers, the plan and its measures, and last
year's income. A fixed number of queries for any number of households."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core import clock
from backend.households import service
from backend.households.models import (
    AssistancePlan,
    Household,
    IncomeRecord,
    Measure,
    Member,
    Relation,
)
from backend.households.schemas import HouseholdCardBase, IncomeBrief, MeasureBrief, MemberBrief


def cards(
    *, session: Session, households: Sequence[Household], viewer: User | None
) -> list[HouseholdCardBase]:
    """One card per household, in the order given."""
    if not households:
        return []
    ids = [h.id for h in households]
    today = clock.today()
    members = _members(session=session, household_ids=ids, today=today)
    plans = {
        p.household_id: p
        for p in session.exec(
            select(AssistancePlan).where(col(AssistancePlan.household_id).in_(ids))
        )
    }
    measures = _measures(session=session, plans=list(plans.values()))
    incomes = _incomes(session=session, household_ids=ids, year=today.year - 1)
    out = []
    for summary, h in zip(
        service.summaries(session=session, households=households, viewer=viewer),
        households,
        strict=True,
    ):
        plan = plans.get(h.id)
        out.append(
            HouseholdCardBase(
                **summary.model_dump(),
                address=h.address,
                basic_needs={k: bool(v) for k, v in h.basic_needs.items()},
                members=members.get(h.id, []),
                plan_summary=plan.summary if plan else None,
                measures=measures.get(h.id, []),
                last_year_income=incomes.get(h.id),
            )
        )
    return out


def _age(birth_date: date, today: date) -> int:
    b = birth_date
    return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


def _members(
    *, session: Session, household_ids: list[uuid.UUID], today: date
) -> dict[uuid.UUID, list[MemberBrief]]:
    """Active members, the head first, then by age (oldest first). The brief's columns,
    not whole members (their ID numbers' ciphers and hashes)."""
    out: dict[uuid.UUID, list[MemberBrief]] = defaultdict(list)
    for m in session.exec(
        select(
            Member.household_id,
            Member.name,
            Member.relation,
            Member.birth_date,
            Member.health,
            Member.schooling,
            Member.labour,
        )
        .where(col(Member.household_id).in_(household_ids), col(Member.active).is_(True))
        .order_by(col(Member.birth_date))
    ):
        brief = MemberBrief(
            name=m.name,
            relation=m.relation,
            age=_age(m.birth_date, today),
            health=m.health,
            schooling=m.schooling,
            labour=m.labour,
        )
        if m.relation == Relation.head:
            out[m.household_id].insert(0, brief)
        else:
            out[m.household_id].append(brief)
    return out


def _measures(
    *, session: Session, plans: list[AssistancePlan]
) -> dict[uuid.UUID, list[MeasureBrief]]:
    """The measures of each plan's household, by start date."""
    owner = {p.id: p.household_id for p in plans}
    out: dict[uuid.UUID, list[MeasureBrief]] = defaultdict(list)
    if not owner:
        return out
    for ms in session.exec(
        select(Measure).where(col(Measure.plan_id).in_(owner)).order_by(col(Measure.start_on))
    ):
        out[owner[ms.plan_id]].append(
            MeasureBrief(kind=ms.kind, description=ms.description, status=ms.status)
        )
    return out


def _incomes(
    *, session: Session, household_ids: list[uuid.UUID], year: int
) -> dict[uuid.UUID, IncomeBrief]:
    rows = session.exec(
        select(IncomeRecord).where(
            col(IncomeRecord.household_id).in_(household_ids), IncomeRecord.year == year
        )
    )
    return {inc.household_id: IncomeBrief.model_validate(inc) for inc in rows}
