"""Household registry rules: who may see and change which household, and how."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts import access
from backend.accounts.access import EDITS_HOUSEHOLDS, HELPER_ROLES, SEES_FULL_ID_NUMBER
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock, security
from backend.core.errors import Conflict, Forbidden, Invalid, NotFound
from backend.core.ids import short_code
from backend.core.loaders import load_or_404
from backend.core.scope import contains, within
from backend.core.usecase import use_case
from backend.households.models import (
    BASIC_NEEDS,
    AssistancePlan,
    Category,
    Household,
    HouseholdRisk,
    IncomeRecord,
    Measure,
    Member,
    MonitoringStatus,
    MonitoringType,
    Relation,
    RiskType,
)
from backend.households.schemas import (
    HelperRef,
    HouseholdCreate,
    HouseholdPublic,
    HouseholdSummary,
    HouseholdUpdate,
    IncomeInput,
    IncomePublic,
    MeasureCreate,
    MeasurePublic,
    MeasureUpdate,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    PlanInput,
    PlanPublic,
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


def require_editor(user: User) -> None:
    if user.role not in EDITS_HOUSEHOLDS:
        raise Forbidden("您的角色不能修改农户信息", code="role_forbidden")


# --- people ------------------------------------------------------------------------------


def active_member_by_id_number(*, session: Session, id_number: str) -> Member | None:
    digest = security.id_number_hash(id_number)
    stmt = select(Member).where(Member.id_number_hash == digest, col(Member.active).is_(True))
    return session.exec(stmt).first()


def household_of_person(*, session: Session, id_number: str) -> Household | None:
    member = active_member_by_id_number(session=session, id_number=id_number)
    return session.get(Household, member.household_id) if member else None


def _refuse_duplicate_person(*, session: Session, id_number: str, field: str) -> None:
    other = active_member_by_id_number(session=session, id_number=id_number)
    if other is not None:
        household = session.get(Household, other.household_id)
        ref = household.reference if household else "?"
        raise Conflict(
            f"此身份证号已是户 {ref} 的在册家庭成员,一人不能同时属于两户",
            code="person_in_other_household",
            detail={"field": field, "household_reference": ref},
        )


def _new_member(*, household: Household, data: MemberCreate) -> Member:
    return Member(
        household_id=household.id,
        area_code=household.area_code,
        name=data.name,
        id_number_cipher=security.encrypt_id_number(data.id_number) if data.id_number else None,
        id_number_hash=security.id_number_hash(data.id_number) if data.id_number else None,
        sex=data.sex,
        birth_date=data.birth_date,
        relation=data.relation,
        health=data.health,
        schooling=data.schooling,
        labour=data.labour,
        employment=data.employment,
    )


def _member_audit(member: Member, id_number: str | None) -> dict[str, Any]:
    return {
        "name": member.name,
        "id_number": id_number,
        "relation": member.relation,
        "health": member.health,
        "schooling": member.schooling,
        "labour": member.labour,
        "employment": member.employment,
        "active": member.active,
    }


def _check_helper(*, session: Session, helper_id: uuid.UUID | None, area_code: str) -> None:
    if helper_id is None:
        return
    helper = session.get(User, helper_id)
    if helper is None or not helper.is_active or helper.role not in HELPER_ROLES:
        raise Invalid("helper_id", "没有这位帮扶责任人")
    if not contains(helper.scope, area_code):
        raise Invalid("helper_id", "帮扶责任人不在该户所在地区")


def _flush_or_conflict(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if "uq_member_active_person" in str(exc.orig) or "id_number_hash" in str(exc.orig):
            raise Conflict(
                "此身份证号已是另一户的在册家庭成员", code="person_in_other_household"
            ) from exc
        raise


# --- changing ----------------------------------------------------------------------------


def record_change(
    *,
    session: Session,
    household: Household,
    actor: User | None,
    action: str,
    changes: dict[str, Any],
) -> None:
    """The audit row of a change to a household (added to the caller's transaction)."""
    audit.record(
        session=session,
        actor=actor,
        entity="household",
        entity_id=household.id,
        area_code=household.area_code,
        action=action,
        changes=changes,
    )


@use_case
def create(*, session: Session, data: HouseholdCreate, actor: User | None) -> Household:
    if actor is not None:
        require_editor(actor)
    areas_service.require_village(session=session, code=data.area_code)
    if actor is not None and not contains(actor.scope, data.area_code):
        raise Forbidden("只能登记本辖区内的农户", code="outside_scope")
    _check_helper(session=session, helper_id=data.helper_id, area_code=data.area_code)
    seen: set[str] = set()
    for i, m in enumerate(data.members):
        if m.id_number:
            if m.id_number in seen:
                raise Invalid(f"members.{i}.id_number", "同一身份证号在本户中重复")
            seen.add(m.id_number)
            _refuse_duplicate_person(
                session=session, id_number=m.id_number, field=f"members.{i}.id_number"
            )
    household = Household(
        reference=f"{data.area_code}-{short_code(5)}",
        area_code=data.area_code,
        address=data.address,
        phone=data.phone,
        category=data.category,
        helper_id=data.helper_id,
        basic_needs=data.basic_needs.model_dump(),
    )
    session.add(household)
    session.flush()
    members = [_new_member(household=household, data=m) for m in data.members]
    session.add_all(members)
    for income in data.incomes:
        session.add(IncomeRecord(household_id=household.id, **income.model_dump()))
    _flush_or_conflict(session)
    record_change(
        session=session,
        household=household,
        actor=actor,
        action="create",
        changes={
            "category": [None, household.category],
            "helper_id": [None, household.helper_id],
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


def _snapshot(household: Household) -> dict[str, Any]:
    return {
        "address": household.address,
        "phone": household.phone,
        "category": household.category,
        "helper_id": household.helper_id,
        "basic_needs": dict(household.basic_needs),
        "monitoring_status": household.monitoring_status,
        "monitoring_type": household.monitoring_type,
        "enrolled_on": household.enrolled_on,
        "risk_cleared_on": household.risk_cleared_on,
        "plan_due_on": household.plan_due_on,
    }


def update(
    *, session: Session, household: Household, data: HouseholdUpdate, actor: User
) -> Household:
    require_editor(actor)
    before = _snapshot(household)
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
    record_change(
        session=session,
        household=household,
        actor=actor,
        action="update",
        changes=audit.diff(before, _snapshot(household)),
    )
    session.commit()
    return household


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
    audit row. Adds to the caller's transaction; the caller commits. Answers the new list."""
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
    record_change(
        session=session,
        household=household,
        actor=actor,
        action="add_risk_types",
        changes={"risk_types": [list(before), after], "reason": [None, reason]},
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


def add_member(
    *, session: Session, household: Household, data: MemberCreate, actor: User
) -> Member:
    require_editor(actor)
    if data.id_number:
        _refuse_duplicate_person(session=session, id_number=data.id_number, field="id_number")
    if data.relation == Relation.head and _head(session=session, household_id=household.id):
        raise Conflict("本户已有户主,请先更改原户主的关系", code="head_exists")
    member = _new_member(household=household, data=data)
    session.add(member)
    _flush_or_conflict(session)
    record_change(
        session=session,
        household=household,
        actor=actor,
        action="add_member",
        changes={"member": [None, _member_audit(member, data.id_number)]},
    )
    session.commit()
    return member


def _head(*, session: Session, household_id: uuid.UUID) -> Member | None:
    stmt = select(Member).where(
        Member.household_id == household_id,
        Member.relation == Relation.head,
        col(Member.active).is_(True),
    )
    return session.exec(stmt).first()


def update_member(
    *, session: Session, household: Household, member_id: uuid.UUID, data: MemberUpdate, actor: User
) -> Member:
    require_editor(actor)
    member = session.get(Member, member_id)
    if member is None or member.household_id != household.id:
        raise NotFound("没有找到这位家庭成员")
    before = _member_audit(member, None)
    fields = data.model_dump(exclude_unset=True, exclude_none=True)
    if fields.get("active") is True and not member.active and member.id_number_cipher:
        # Re-activating someone who may have joined another household since.
        number = security.decrypt_id_number(member.id_number_cipher)
        _refuse_duplicate_person(session=session, id_number=number, field="active")
    if fields.get("active") is False and "left_on" not in fields:
        fields["left_on"] = clock.today()
    becomes_head = fields.get("relation") == Relation.head or (
        fields.get("active") is True and member.relation == Relation.head
    )
    if becomes_head:
        head = _head(session=session, household_id=household.id)
        if head is not None and head.id != member.id:
            raise Conflict("本户已有户主,请先更改原户主的关系", code="head_exists")
    for key, value in fields.items():
        setattr(member, key, value)
    session.add(member)
    _flush_or_conflict(session)
    record_change(
        session=session,
        household=household,
        actor=actor,
        action="update_member",
        changes={"member_id": [None, member.id], **audit.diff(before, _member_audit(member, None))},
    )
    session.commit()
    return member


def upsert_income(
    *, session: Session, household: Household, year: int, data: IncomeInput, actor: User
) -> IncomeRecord:
    require_editor(actor)
    if year > clock.today().year:
        raise Invalid("year", "不能登记将来年度的收入")
    stmt = select(IncomeRecord).where(
        IncomeRecord.household_id == household.id, IncomeRecord.year == year
    )
    record = session.exec(stmt).first()
    before = record.model_dump(exclude={"id", "created_at", "updated_at"}) if record else {}
    if record is None:
        record = IncomeRecord(household_id=household.id, year=year, **data.model_dump())
    else:
        for key, value in data.model_dump().items():
            setattr(record, key, value)
        record.updated_at = clock.now()
    session.add(record)
    session.flush()
    record_change(
        session=session,
        household=household,
        actor=actor,
        action="income",
        changes=audit.diff(before, record.model_dump(exclude={"id", "created_at", "updated_at"})),
    )
    session.commit()
    return record


def plan_of(*, session: Session, household_id: uuid.UUID) -> AssistancePlan | None:
    stmt = select(AssistancePlan).where(AssistancePlan.household_id == household_id)
    return session.exec(stmt).first()


def ensure_plan(*, session: Session, household: Household, due_on: date | None) -> AssistancePlan:
    plan = plan_of(session=session, household_id=household.id)
    if plan is None:
        plan = AssistancePlan(household_id=household.id, due_on=due_on)
        session.add(plan)
        session.flush()
    elif due_on is not None and plan.due_on is None:
        plan.due_on = due_on
        session.add(plan)
    return plan


def set_plan(
    *, session: Session, household: Household, data: PlanInput, actor: User
) -> AssistancePlan:
    require_editor(actor)
    if household.monitoring_status != MonitoringStatus.monitored:
        raise Conflict("只有监测户才有一户一策帮扶计划", code="not_monitored")
    plan = ensure_plan(session=session, household=household, due_on=None)
    before = {"summary": plan.summary, "due_on": plan.due_on}
    plan.summary = data.summary
    if data.due_on is not None:
        plan.due_on = data.due_on
    plan.updated_at = clock.now()
    session.add(plan)
    record_change(
        session=session,
        household=household,
        actor=actor,
        action="plan",
        changes=audit.diff(before, {"summary": plan.summary, "due_on": plan.due_on}),
    )
    session.commit()
    return plan


def add_measure(
    *, session: Session, household: Household, data: MeasureCreate, actor: User
) -> Measure:
    require_editor(actor)
    if household.monitoring_status != MonitoringStatus.monitored:
        raise Conflict("只有监测户才能添加帮扶措施", code="not_monitored")
    plan = ensure_plan(session=session, household=household, due_on=None)
    measure = Measure(plan_id=plan.id, **data.model_dump())
    session.add(measure)
    session.flush()
    record_change(
        session=session,
        household=household,
        actor=actor,
        action="add_measure",
        changes={"measure": [None, data.model_dump(mode="json")]},
    )
    session.commit()
    return measure


def update_measure(
    *,
    session: Session,
    household: Household,
    measure_id: uuid.UUID,
    data: MeasureUpdate,
    actor: User,
) -> Measure:
    require_editor(actor)
    plan = plan_of(session=session, household_id=household.id)
    measure = session.get(Measure, measure_id)
    if plan is None or measure is None or measure.plan_id != plan.id:
        raise NotFound("没有找到这项帮扶措施")
    fields = data.model_dump(exclude_unset=True, exclude_none=True)
    before = {k: getattr(measure, k) for k in fields}
    for key, value in fields.items():
        setattr(measure, key, value)
    session.add(measure)
    record_change(
        session=session,
        household=household,
        actor=actor,
        action="update_measure",
        changes={"measure_id": [None, measure.id], **audit.diff(before, fields)},
    )
    session.commit()
    return measure


# --- listing and answering ---------------------------------------------------------------


def list_households(
    *,
    session: Session,
    user: User,
    area: str | None = None,
    category: Category | None = None,
    monitoring_status: MonitoringStatus | None = None,
    monitoring_type: MonitoringType | None = None,
    risk_type: RiskType | None = None,
    helper_id: uuid.UUID | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[Household], int]:
    cond = household_conditions(user)
    if area:
        cond.append(within(Household.area_code, area))
    if category:
        cond.append(Household.category == category)
    if monitoring_status:
        cond.append(Household.monitoring_status == monitoring_status)
    if monitoring_type:
        cond.append(Household.monitoring_type == monitoring_type)
    if helper_id:
        cond.append(Household.helper_id == helper_id)
    if risk_type:
        cond.append(
            exists().where(
                HouseholdRisk.household_id == Household.id, HouseholdRisk.risk_type == risk_type
            )
        )
    if q:
        q = q.strip()
        if len(q) == 18 and security.id_number_problem(security.normalize_id_number(q)) is None:
            person = Member.id_number_hash == security.id_number_hash(q)
        else:
            person = col(Member.name).contains(q)
        # The member match is resolved first (by the hash index for an ID number), so the
        # households are then found by primary key rather than by scanning them all.
        cond.append(
            or_(
                Household.reference == q,
                col(Household.id).in_(select(Member.household_id).where(person)),
            )
        )
    count = session.exec(select(func.count()).select_from(Household).where(*cond)).one()
    stmt = (
        select(Household)
        .where(*cond)
        .order_by(col(Household.area_code), col(Household.reference))
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(stmt)), count


def summaries(
    *, session: Session, households: Sequence[Household], viewer: User | None
) -> list[HouseholdSummary]:
    """List rows with head, size, risks, helper and village name: five queries for any page."""
    ids = [h.id for h in households]
    heads: dict[uuid.UUID, str] = {}
    counts: dict[uuid.UUID, int] = {}
    if ids:
        for hid, name in session.exec(
            select(Member.household_id, Member.name).where(
                col(Member.household_id).in_(ids),
                Member.relation == Relation.head,
                col(Member.active).is_(True),
            )
        ):
            heads[hid] = name
        for hid, n in session.exec(
            select(Member.household_id, func.count())
            .where(col(Member.household_id).in_(ids), col(Member.active).is_(True))
            .group_by(col(Member.household_id))
        ):
            counts[hid] = n
    risks = risk_types_of(session=session, household_ids=ids)
    helper_ids = {h.helper_id for h in households if h.helper_id}
    helpers = (
        {u.id: u for u in session.exec(select(User).where(col(User.id).in_(helper_ids)))}
        if helper_ids
        else {}
    )
    names = areas_service.names(session=session, codes={h.area_code for h in households})
    out = []
    for h in households:
        helper = helpers.get(h.helper_id) if h.helper_id else None
        out.append(
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
                helper=HelperRef(id=helper.id, full_name=helper.full_name, unit=helper.unit)
                if helper
                else None,
            )
        )
    return out


def sees_full_id(viewer: User | None) -> bool:
    return viewer is not None and viewer.role in SEES_FULL_ID_NUMBER


def member_public(member: Member, *, full: bool) -> MemberPublic:
    number = (
        security.decrypt_id_number(member.id_number_cipher) if member.id_number_cipher else None
    )
    today = clock.today()
    b = member.birth_date
    age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    return MemberPublic(
        id=member.id,
        name=member.name,
        id_number=(number if full else security.mask_id_number(number)) if number else None,
        sex=member.sex,
        birth_date=member.birth_date,
        age=age,
        relation=member.relation,
        health=member.health,
        schooling=member.schooling,
        labour=member.labour,
        employment=member.employment,
        active=member.active,
        left_on=member.left_on,
    )


def members_of(
    *, session: Session, household_id: uuid.UUID, active_only: bool = False
) -> list[Member]:
    stmt = select(Member).where(Member.household_id == household_id)
    if active_only:
        stmt = stmt.where(col(Member.active).is_(True))
    return list(session.exec(stmt.order_by(col(Member.active).desc(), col(Member.birth_date))))


def incomes_of(*, session: Session, household_id: uuid.UUID) -> list[IncomeRecord]:
    stmt = (
        select(IncomeRecord)
        .where(IncomeRecord.household_id == household_id)
        .order_by(col(IncomeRecord.year).desc())
    )
    return list(session.exec(stmt))


def measures_of(*, session: Session, plan_id: uuid.UUID) -> list[Measure]:
    stmt = select(Measure).where(Measure.plan_id == plan_id).order_by(col(Measure.start_on))
    return list(session.exec(stmt))


def detail(*, session: Session, household: Household, viewer: User | None) -> HouseholdPublic:
    summary = summaries(session=session, households=[household], viewer=viewer)[0]
    full = sees_full_id(viewer)
    members = members_of(session=session, household_id=household.id)
    incomes = incomes_of(session=session, household_id=household.id)
    plan = plan_of(session=session, household_id=household.id)
    plan_public = None
    if plan is not None:
        plan_public = PlanPublic(
            id=plan.id,
            summary=plan.summary,
            due_on=plan.due_on,
            measures=[
                MeasurePublic.model_validate(m)
                for m in measures_of(session=session, plan_id=plan.id)
            ],
        )
    return HouseholdPublic(
        **summary.model_dump(),
        address=household.address,
        enrolled_on=household.enrolled_on,
        risk_cleared_on=household.risk_cleared_on,
        plan_due_on=household.plan_due_on,
        basic_needs={k: bool(household.basic_needs.get(k, True)) for k in BASIC_NEEDS},
        members=[member_public(m, full=full) for m in members],
        incomes=[
            IncomePublic(
                **i.model_dump(exclude={"household_id", "created_at", "updated_at"}),
                net_income=i.net_income,
                per_capita_net_income=i.per_capita_net_income,
            )
            for i in incomes
        ],
        plan=plan_public,
        created_at=household.created_at,
        updated_at=household.updated_at,
    )
