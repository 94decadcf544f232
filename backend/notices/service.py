"""Staff notices: which 待办 items a user has not been told about yet (new, due within two
working days, overdue), one digest text per user per slot, at most MAX_PER_DAY a day, none
for a user who turned them down."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.core import clock
from backend.core.usecase import use_case
from backend.notices.models import NoticeSent, NoticeSetting, StaffText
from backend.notices.schemas import NoticeSettingsPublic
from backend.todo import service as todo_service
from backend.todo.schemas import TodoItem
from backend.workdays import service as workdays_service
from backend.workdays.service import Calendar

# Digests go out three times a working day (jobs.py); a user gets at most this many texts a
# day however much arrives.
MAX_PER_DAY = 3
# "Due soon": the deadline is at most this many working days away.
DUE_SOON_WORKDAYS = 2
NEW, DUE_SOON, OVERDUE = "new", "due_soon", "overdue"


def settings_of(*, session: Session, user: User) -> NoticeSettingsPublic:
    row = session.get(NoticeSetting, user.id)
    return NoticeSettingsPublic(
        sms=row.sms if row else True, has_phone=bool(user.phone), max_per_day=MAX_PER_DAY
    )


@use_case
def set_sms(*, session: Session, user: User, sms: bool) -> NoticeSettingsPublic:
    """Turn one's own texts on or off (a personal choice about one's phone: not audited)."""
    row = session.get(NoticeSetting, user.id) or NoticeSetting(user_id=user.id)
    row.sms = sms
    row.updated_at = clock.now()
    session.add(row)
    session.flush()
    return settings_of(session=session, user=user)


@dataclass
class Digest:
    user_id: uuid.UUID
    phone: str
    text: str
    told: list[tuple[str, str]]  # (item, reason) pairs to record as sent


def _key(item: TodoItem) -> str:
    # The kind is part of the key: a report moving on to the next step is new work again.
    return f"{item.kind}:{item.id}"


def _reason(item: TodoItem, *, today: date, calendar: Calendar) -> str | None:
    """Why an item is worth a text beyond being new: overdue, or due within two working
    days. None for anything else."""
    if item.overdue:
        return OVERDUE
    if item.due_on and today <= item.due_on <= calendar.add(today, DUE_SOON_WORKDAYS):
        return DUE_SOON
    return None


def compose(new: list[TodoItem], due_soon: list[TodoItem], overdue: list[TodoItem]) -> str:
    """One text for everything: counts by kind, never names (a text is read on a lock
    screen)."""
    parts = []
    if new:
        kinds = Counter(i.kind_name for i in new)
        parts.append(
            f"新到 {len(new)} 件(" + "、".join(f"{k} {n}" for k, n in kinds.most_common()) + ")"
        )
    if due_soon:
        parts.append(f"{DUE_SOON_WORKDAYS} 个工作日内到期 {len(due_soon)} 件")
    if overdue:
        parts.append(f"已逾期 {len(overdue)} 件")
    return (
        "【守望】待办提醒:" + ";".join(parts) + "。请登录守望查看“待办”。不需要提醒可在待办页关闭。"
    )


def digest_for(*, session: Session, user: User, today: date, calendar: Calendar) -> Digest | None:
    """What the user has not been told yet, as one text; None if nothing is new."""
    items = todo_service.todo(session=session, user=user).data
    if not items:
        return None
    told = {
        (r.item, r.reason)
        for r in session.exec(select(NoticeSent).where(NoticeSent.user_id == user.id))
    }
    new, due_soon, overdue, pairs = [], [], [], []
    for item in items:
        key = _key(item)
        if (key, NEW) not in told:
            new.append(item)
            pairs.append((key, NEW))
        reason = _reason(item, today=today, calendar=calendar)
        if reason and (key, reason) not in told:
            (overdue if reason == OVERDUE else due_soon).append(item)
            pairs.append((key, reason))
    if not pairs:
        return None
    assert user.phone is not None
    return Digest(user.id, user.phone, compose(new, due_soon, overdue), pairs)


def recipients(*, session: Session, today: date) -> list[User]:
    """Active staff with a phone, who did not turn texts down and are under the day's cap."""
    opted_out = select(NoticeSetting.user_id).where(col(NoticeSetting.sms).is_(False))
    capped = (
        select(StaffText.user_id)
        .where(StaffText.day == today)
        .group_by(col(StaffText.user_id))
        .having(func.count() >= MAX_PER_DAY)
    )
    stmt = select(User).where(
        col(User.is_active).is_(True),
        col(User.phone).is_not(None),
        col(User.id).not_in(opted_out),
        col(User.id).not_in(capped),
    )
    return list(session.exec(stmt))


def digests(*, session: Session, today: date) -> list[Digest]:
    """Every recipient's digest, read before anything is written."""
    calendars: dict[str, Calendar] = {}
    out = []
    for user in recipients(session=session, today=today):
        area = user.area_code or ""
        if area not in calendars:
            calendars[area] = workdays_service.calendar(session=session, area_code=area)
        d = digest_for(session=session, user=user, today=today, calendar=calendars[area])
        if d is not None:
            out.append(d)
    return out


def record(*, session: Session, digest: Digest, today: date) -> None:
    """A step: the text is counted for the day and its items are not told again."""
    session.add(StaffText(user_id=digest.user_id, day=today, text=digest.text))
    for item, reason in digest.told:
        session.add(NoticeSent(user_id=digest.user_id, item=item, reason=reason, sent_on=today))
    session.flush()
