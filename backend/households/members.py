"""A household's members: adding one, changing one, marking one as having left. One person
is an active member of one household at most, and a household has one head."""

import uuid
from typing import Any

from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock, security
from backend.core.errors import Conflict, NotFound
from backend.core.usecase import use_case
from backend.households import service
from backend.households.models import Household, Member, Relation
from backend.households.schemas import MemberCreate, MemberUpdate

HEAD_EXISTS = "本户已有户主,请先更改原户主的关系"


def _audit(member: Member, id_number: str | None) -> dict[str, Any]:
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


def _head(*, session: Session, household_id: uuid.UUID) -> Member | None:
    stmt = select(Member).where(
        Member.household_id == household_id,
        Member.relation == Relation.head,
        col(Member.active).is_(True),
    )
    return session.exec(stmt).first()


@use_case
def add(*, session: Session, household: Household, data: MemberCreate, actor: User) -> Member:
    service.require_editor(actor)
    if data.id_number:
        service.refuse_duplicate_person(
            session=session, id_number=data.id_number, field="id_number"
        )
    if data.relation == Relation.head and _head(session=session, household_id=household.id):
        raise Conflict(HEAD_EXISTS, code="head_exists")
    member = service.new_member(household=household, data=data)
    session.add(member)
    service.flush_or_conflict(session)
    changes = {"member": [None, _audit(member, data.id_number)]}
    audit.record_change(
        session=session, row=household, actor=actor, action="add_member", changes=changes
    )
    return member


def _check_change(
    *, session: Session, household: Household, member: Member, fields: dict[str, Any]
) -> None:
    """Refuse a change that would put the person in two households, or give the household a
    second head."""
    if fields.get("active") is True and not member.active and member.id_number_cipher:
        # Re-activating someone who may have joined another household since.
        number = security.decrypt_id_number(member.id_number_cipher)
        service.refuse_duplicate_person(session=session, id_number=number, field="active")
    becomes_head = fields.get("relation") == Relation.head or (
        fields.get("active") is True and member.relation == Relation.head
    )
    if becomes_head:
        head = _head(session=session, household_id=household.id)
        if head is not None and head.id != member.id:
            raise Conflict(HEAD_EXISTS, code="head_exists")


@use_case
def update(
    *, session: Session, household: Household, member_id: uuid.UUID, data: MemberUpdate, actor: User
) -> Member:
    service.require_editor(actor)
    member = session.get(Member, member_id)
    if member is None or member.household_id != household.id:
        raise NotFound("没有找到这位家庭成员")
    before = _audit(member, None)
    fields = data.model_dump(exclude_unset=True, exclude_none=True)
    _check_change(session=session, household=household, member=member, fields=fields)
    if fields.get("active") is False and "left_on" not in fields:
        fields["left_on"] = clock.today()
    for key, value in fields.items():
        setattr(member, key, value)
    session.add(member)
    service.flush_or_conflict(session)
    changes = {"member_id": [None, member.id], **audit.diff(before, _audit(member, None))}
    audit.record_change(
        session=session, row=household, actor=actor, action="update_member", changes=changes
    )
    return member
