"""The household: who sees it, registering and changing it, its risk types, and the look-ups
other domains make (`households_service.<name>`). Members, incomes and the plan change in
members.py, incomes.py and plans.py; the list and the full answer are in reading.py."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts import access
from backend.accounts import service as accounts_service
from backend.accounts.access import COUNTY, EDITS_HOUSEHOLDS, HELPER_ROLES, SEES_FULL_ID_NUMBER
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock, db, security
from backend.core.errors import Conflict, Forbidden, Invalid
from backend.core.ids import short_code
from backend.core.loaders import load_or_404
from backend.core.scope import contains
from backend.core.usecase import use_case
from backend.households.models import (
    AssistancePlan,
    Household,
    HouseholdRisk,
    IncomeRecord,
    Measure,
    Member,
    MonitoringStatus,
    Relation,
    RiskType,
    id_number_verdict,
)
from backend.households.schemas import (
    HelperRef,
    HouseholdCreate,
    HouseholdSummary,
    HouseholdUpdate,
    MemberCreate,
)

# --- seeing ------------------------------------------------------------------------------


def household_conditions(user: User) -> list[Any]:
    """The conditions every household query of `user` carries (the helper rule of
    accounts/access.py over the household's area and helper)."""
    return access.conditions(user, area_code=Household.area_code, assignee=Household.helper_id)


def sees_household(user: User, household: Household) -> bool:
    return access.sees(user, area_code=household.area_code, assignee_id=household.helper_id)


def visible_ids(*, session: Session, user: User, household_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `household_ids` the user sees, in one query."""
    if not household_ids:
        return set()
    stmt = select(Household.id).where(
        col(Household.id).in_(household_ids), *household_conditions(user)
    )
    return set(session.exec(stmt))


def get_visible(
    *, session: Session, user: User, household_id: uuid.UUID, lock: bool = False
) -> Household:
    """The household, or the same 404 whether it is missing or out of the caller's reach.
    `lock` holds its row until the use case commits, so a clear-risk cannot be judged on
    facts a concurrent change alters."""
    return load_or_404(
        session,
        Household,
        household_id,
        sees=lambda h: sees_household(user, h),
        missing="没有找到这户",
        lock=lock,
    )


def lock(*, session: Session, household_ids: set[uuid.UUID]) -> None:
    """Hold these households until the use case commits, as `get_visible(lock=True)` holds
    one: on PostgreSQL in one statement and in id order, so that use cases locking
    overlapping sets (four phones syncing one village) queue behind each other instead of
    deadlocking; on SQLite by the process write lock."""
    db.lock_for_write(session)
    if not household_ids or session.get_bind().dialect.name != "postgresql":
        return
    # NO KEY UPDATE: as exclusive as FOR UPDATE against other lockers, but rows that only
    # refer to the household (a member, a self-report) may still be inserted meanwhile.
    session.exec(
        select(Household.id)
        .where(col(Household.id).in_(household_ids))
        .order_by(col(Household.id))
        .with_for_update(key_share=True)
    ).all()


def visit_homes(*, session: Session, household_ids: set[uuid.UUID]) -> list[Any]:
    """What recording visits needs of their households, in one query: rows of (id,
    area_code, helper_id, registered_on, active members)."""
    if not household_ids:
        return []
    return list(session.connection().execute(_VISIT_HOMES, {"ids": list(household_ids)}))


# Built once: it runs for every visit stored (visits/recording.py).
_VISIT_HOMES = select(
    Household.id,
    Household.area_code,
    Household.helper_id,
    Household.registered_on,
    select(func.count())
    .where(Member.household_id == Household.id, col(Member.active).is_(True))
    .correlate(Household)
    .scalar_subquery(),
).where(col(Household.id).in_(bindparam("ids", expanding=True)))


def any_registered(*, session: Session) -> bool:
    """Whether any household is registered at all (a fresh installation has none)."""
    return session.exec(select(Household.id).limit(1)).first() is not None


def require_editor(user: User) -> None:
    if user.role not in EDITS_HOUSEHOLDS:
        raise Forbidden("您的角色不能修改农户信息", code="role_forbidden")


def sees_full_id(viewer: User | None) -> bool:
    return viewer is not None and viewer.role in SEES_FULL_ID_NUMBER


# --- people ------------------------------------------------------------------------------


def active_member_by_id_number(*, session: Session, id_number: str) -> Member | None:
    # Every data key's hash: a member not yet re-encrypted by a key rotation is still found.
    digests = security.id_number_hashes(id_number)
    stmt = select(Member).where(
        col(Member.id_number_hash).in_(digests), col(Member.active).is_(True)
    )
    return session.exec(stmt).first()


def household_of_person(*, session: Session, id_number: str) -> Household | None:
    member = active_member_by_id_number(session=session, id_number=id_number)
    return session.get(Household, member.household_id) if member else None


def refuse_duplicate_person(*, session: Session, id_number: str, field: str) -> None:
    """409 when the person is already an active member of some household."""
    other = active_member_by_id_number(session=session, id_number=id_number)
    if other is not None:
        household = session.get(Household, other.household_id)
        ref = household.reference if household else "?"
        raise Conflict(
            f"此身份证号已是户 {ref} 的在册家庭成员,一人不能同时属于两户",
            code="person_in_other_household",
            detail={"field": field, "household_reference": ref},
        )


def new_member(*, household: Household, data: MemberCreate) -> Member:
    return Member.model_validate(
        data.model_dump(exclude={"id_number"}),
        update={
            "household_id": household.id,
            "area_code": household.area_code,
            **security.id_number_columns(data.id_number),
            **id_number_verdict(data.id_number),
        },
    )


def flush_or_conflict(session: Session) -> None:
    """Flush new members; the database's one-active-membership rule answers 409 (two
    requests may pass refuse_duplicate_person at once)."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if "uq_member_active_person" in str(exc.orig) or "id_number_hash" in str(exc.orig):
            raise Conflict(
                "此身份证号已是另一户的在册家庭成员", code="person_in_other_household"
            ) from exc
        raise


def members_of(
    *, session: Session, household_id: uuid.UUID, active_only: bool = False
) -> list[Member]:
    stmt = select(Member).where(Member.household_id == household_id)
    if active_only:
        stmt = stmt.where(col(Member.active).is_(True))
    return list(session.exec(stmt.order_by(col(Member.active).desc(), col(Member.birth_date))))


# --- registering and changing ------------------------------------------------------------


# The household's own fields, as its audit rows compare them before and after a change.
AUDITED = (
    "address",
    "phone",
    "category",
    "helper_id",
    "basic_needs",
    "monitoring_status",
    "monitoring_type",
    "enrolled_on",
    "risk_cleared_on",
    "plan_due_on",
)


def snapshot(household: Household) -> dict[str, Any]:
    return audit.snapshot(household, AUDITED)


def _check_helper(*, session: Session, helper_id: uuid.UUID | None, area_code: str) -> None:
    if helper_id is None:
        return
    helper = accounts_service.get(session=session, user_id=helper_id)
    if helper is None or not helper.is_active or helper.role not in HELPER_ROLES:
        raise Invalid("helper_id", "没有这位帮扶责任人")
    if not contains(helper.scope, area_code):
        raise Invalid("helper_id", "帮扶责任人不在该户所在地区")


def _check_new(*, session: Session, data: HouseholdCreate, actor: User | None) -> None:
    """Everything that refuses a registration, before anything is written."""
    if actor is not None:
        require_editor(actor)
    areas_service.require_village(session=session, code=data.area_code)
    if actor is not None and not contains(actor.scope, data.area_code):
        raise Forbidden("只能登记本辖区内的农户", code="outside_scope")
    _check_helper(session=session, helper_id=data.helper_id, area_code=data.area_code)
    if data.registered_on is not None:
        if data.registered_on > clock.today():
            raise Invalid("registered_on", "建档日期不能是将来")
        # A registration date in the past is what lets earlier visits, ledger months and an
        # earlier enrolment be recorded: only a county bringing in its existing households
        # may set one, never a village registering a household today.
        if data.registered_on < clock.today() and actor is not None and actor.role not in COUNTY:
            raise Forbidden(
                "早于今天的建档日期只能由县级在导入已有农户时填写", code="role_forbidden"
            )
    seen: set[str] = set()
    for i, m in enumerate(data.members):
        if m.id_number:
            if m.id_number in seen:
                raise Invalid(f"members.{i}.id_number", "同一身份证号在本户中重复")
            seen.add(m.id_number)
            refuse_duplicate_person(
                session=session, id_number=m.id_number, field=f"members.{i}.id_number"
            )


@use_case
def create(*, session: Session, data: HouseholdCreate, actor: User | None) -> Household:
    _check_new(session=session, data=data, actor=actor)
    household = Household(
        reference=f"{data.area_code}-{short_code(5)}",
        area_code=data.area_code,
        address=data.address,
        phone=data.phone,
        category=data.category,
        helper_id=data.helper_id,
        basic_needs=data.basic_needs.model_dump(),
        registered_on=data.registered_on or clock.today(),
    )
    session.add(household)
    session.flush()
    members = [new_member(household=household, data=m) for m in data.members]
    session.add_all(members)
    for income in data.incomes:
        session.add(IncomeRecord(household_id=household.id, **income.model_dump()))
    flush_or_conflict(session)
    audit.record_change(
        session=session,
        row=household,
        actor=actor,
        action="create",
        changes={
            "category": [None, household.category],
            "helper_id": [None, household.helper_id],
            "registered_on": [None, household.registered_on],
            "members": [
                None,
                [
                    {"name": m.name, "id_number": security.mask_value("id_number", d.id_number)}
                    for m, d in zip(members, data.members, strict=True)
                ],
            ],
        },
    )
    return household


@use_case
def update(
    *, session: Session, household: Household, data: HouseholdUpdate, actor: User
) -> Household:
    require_editor(actor)
    before = snapshot(household)
    fields = data.model_dump(exclude_unset=True)
    if "helper_id" in fields:
        _check_helper(session=session, helper_id=data.helper_id, area_code=household.area_code)
        household.helper_id = data.helper_id
    for key in ("address", "phone", "category"):
        if key in fields and fields[key] is not None:
            setattr(household, key, fields[key])
    if data.basic_needs is not None:
        household.basic_needs = data.basic_needs.model_dump()
    household.updated_at = clock.now()
    session.add(household)
    changes = audit.diff(before, snapshot(household))
    audit.record_change(
        session=session, row=household, actor=actor, action="update", changes=changes
    )
    return household


# --- risk types --------------------------------------------------------------------------


def set_risk_types(
    *, session: Session, household: Household, risk_types: Sequence[RiskType]
) -> None:
    existing = session.exec(
        select(HouseholdRisk).where(HouseholdRisk.household_id == household.id)
    ).all()
    for row in existing:
        session.delete(row)
    session.flush()
    for risk in dict.fromkeys(risk_types):
        session.add(HouseholdRisk(household_id=household.id, risk_type=risk))


def add_risk_types(
    *,
    session: Session,
    household: Household,
    risk_types: Sequence[RiskType],
    actor: User,
    reason: str,
) -> list[RiskType]:
    """A monitored household meets a new risk: the types are added to those it has, with an
    audit row. A step: it flushes, and the use case that calls it commits. Answers the new
    list."""
    require_editor(actor)
    if household.monitoring_status != MonitoringStatus.monitored:
        raise Conflict("只有监测户才能增加风险类型", code="not_monitored")
    before = risk_types_of(session=session, household_ids=[household.id])[household.id]
    added = [RiskType(r) for r in dict.fromkeys(risk_types) if RiskType(r) not in before]
    for risk in added:
        session.add(HouseholdRisk(household_id=household.id, risk_type=risk))
    household.updated_at = clock.now()
    session.add(household)
    after = sorted([*before, *added])
    changes = {"risk_types": [list(before), after], "reason": [None, reason]}
    audit.record_change(
        session=session, row=household, actor=actor, action="add_risk_types", changes=changes
    )
    session.flush()
    return after


def risk_types_of(
    *, session: Session, household_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RiskType]]:
    result: dict[uuid.UUID, list[RiskType]] = {h: [] for h in household_ids}
    if not household_ids:
        return result
    rows = session.exec(
        select(HouseholdRisk)
        .where(col(HouseholdRisk.household_id).in_(household_ids))
        .order_by(col(HouseholdRisk.risk_type))
    )
    for row in rows:
        result[row.household_id].append(row.risk_type)
    return result


# --- plan and incomes, as the rules read them --------------------------------------------


def plan_of(*, session: Session, household_id: uuid.UUID) -> AssistancePlan | None:
    stmt = select(AssistancePlan).where(AssistancePlan.household_id == household_id)
    return session.exec(stmt).first()


def ensure_plan(*, session: Session, household: Household, due_on: date | None) -> AssistancePlan:
    """The household's plan, made (empty) when it has none yet. A step: it flushes."""
    plan = plan_of(session=session, household_id=household.id)
    if plan is None:
        plan = AssistancePlan(household_id=household.id, due_on=due_on)
        session.add(plan)
        session.flush()
    elif due_on is not None and plan.due_on is None:
        plan.due_on = due_on
        session.add(plan)
    return plan


def measures_of(*, session: Session, plan_id: uuid.UUID) -> list[Measure]:
    stmt = select(Measure).where(Measure.plan_id == plan_id).order_by(col(Measure.start_on))
    return list(session.exec(stmt))


def incomes_of(*, session: Session, household_id: uuid.UUID) -> list[IncomeRecord]:
    stmt = (
        select(IncomeRecord)
        .where(IncomeRecord.household_id == household_id)
        .order_by(col(IncomeRecord.year).desc())
    )
    return list(session.exec(stmt))


# --- summaries ---------------------------------------------------------------------------


def _heads_and_sizes(
    *, session: Session, ids: list[uuid.UUID]
) -> tuple[dict[uuid.UUID, str], dict[uuid.UUID, int]]:
    """The head's name and the count of active members of each household."""
    if not ids:
        return {}, {}
    heads = dict(
        session.exec(
            select(Member.household_id, Member.name).where(
                col(Member.household_id).in_(ids),
                Member.relation == Relation.head,
                col(Member.active).is_(True),
            )
        ).all()
    )
    counts = dict(
        session.exec(
            select(Member.household_id, func.count())
            .where(col(Member.household_id).in_(ids), col(Member.active).is_(True))
            .group_by(col(Member.household_id))
        ).all()
    )
    return heads, counts


def summaries(
    *, session: Session, households: Sequence[Household], viewer: User | None
) -> list[HouseholdSummary]:
    """List rows with head, size, risks, helper and village name: five queries for any page.
    Other domains show households with these too."""
    ids = [h.id for h in households]
    heads, counts = _heads_and_sizes(session=session, ids=ids)
    risks = risk_types_of(session=session, household_ids=ids)
    helpers = {
        u.id: HelperRef(id=u.id, full_name=u.full_name, unit=u.unit)
        for u in accounts_service.by_ids(
            session=session, ids={h.helper_id for h in households if h.helper_id}
        )
    }
    names = areas_service.names(session=session, codes={h.area_code for h in households})
    return [
        HouseholdSummary(
            id=h.id,
            reference=h.reference,
            area_code=h.area_code,
            area_name=names.get(h.area_code),
            head_name=heads.get(h.id),
            member_count=counts.get(h.id, 0),
            phone=security.mask_phone(h.phone) if h.phone else None,
            category=h.category,
            monitoring_status=h.monitoring_status,
            monitoring_type=h.monitoring_type,
            risk_types=risks.get(h.id, []),
            helper=helpers.get(h.helper_id) if h.helper_id else None,
        )
        for h in households
    ]
