"""Accounts: creating users, logging in with slow-down and lock-out, listing in scope."""

import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Subquery, func, update
from sqlmodel import Session, col, select

from backend.accounts.access import MANAGES_USERS
from backend.accounts.models import ROLE_NAMES, Role, User
from backend.accounts.schemas import UserCreate, UserFilters, UserPublic
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock, security
from backend.core.db import get_read_engine
from backend.core.errors import Conflict, Forbidden, Invalid, Unauthorized
from backend.core.paging import page
from backend.core.scope import contains, within
from backend.core.security import mask_phone
from backend.core.settings import get_settings
from backend.core.usecase import use_case


def get(*, session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def by_ids(*, session: Session, ids: Iterable[uuid.UUID]) -> list[User]:
    wanted = set(ids)
    if not wanted:
        return []
    return list(session.exec(select(User).where(col(User.id).in_(wanted))))


def names_and_units(
    *, session: Session, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str | None]]:
    """{id: (full name, unit)}: what a list that names thousands of people needs, without
    loading their accounts whole."""
    wanted = set(ids)
    if not wanted:
        return {}
    stmt = select(User.id, User.full_name, User.unit).where(col(User.id).in_(wanted))
    return {uid: (name, unit) for uid, name, unit in session.exec(stmt)}


def names_table() -> Subquery:
    """Every account's id, full name and unit as a subquery another domain's statement joins
    to (`.c.id`): a count per person comes back named in the same statement, where an IN
    list of their ids (coverage's 3,500 helpers) cost more than the count itself."""
    return select(User.id, User.full_name, User.unit).subquery("person")


def first_reachable(*, session: Session, area_code: str, role: Role) -> User | None:
    """The longest-serving active account of `role` at exactly `area_code` with a phone: who
    a poster or a letter names as the person to call."""
    stmt = (
        select(User)
        .where(
            User.area_code == area_code,
            User.role == role,
            col(User.is_active).is_(True),
            col(User.phone).is_not(None),
        )
        .order_by(col(User.created_at))
    )
    return session.exec(stmt).first()


def by_username(*, session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


@use_case
def create(*, session: Session, data: UserCreate, actor: User | None) -> User:
    if data.role != Role.admin and not data.area_code:
        raise Invalid("area_code", "除系统管理员外,账号必须指定所属地区")
    if data.area_code and areas_service.get(session=session, code=data.area_code) is None:
        raise Invalid("area_code", "没有这个地区代码")
    if actor is not None:
        if actor.role not in MANAGES_USERS:
            raise Forbidden("没有管理账号的权限")
        if actor.role != Role.admin and (
            data.role == Role.admin or not contains(actor.scope, data.area_code)
        ):
            raise Forbidden("只能在本辖区内建立账号")
    if by_username(session=session, username=data.username) is not None:
        raise Conflict("用户名已被使用", code="username_taken")
    user = User.model_validate(
        data.model_dump(exclude={"password"}),
        update={"password_hash": security.hash_password(data.password)},
    )
    session.add(user)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        entity="user",
        entity_id=user.id,
        area_code=user.area_code or "",
        action="create",
        changes={"username": [None, user.username], "role": [None, user.role]},
    )
    return user


def authenticate(*, session: Session, username: str, password: str) -> User:
    """The user, if the password is right; slows down, then locks, after repeated failures.

    The look-up and the (deliberately slow) password check run on the read engine, so on
    SQLite no write waits behind a hash; failures are counted with one atomic UPDATE, so
    parallel guesses cannot lose a count and slip past the lock."""
    with Session(get_read_engine(), expire_on_commit=False) as reader:
        user = by_username(session=reader, username=username)
        if user is not None:
            reader.expunge(user)
    now = clock.now()
    if user is None:
        security.verify_password(password, security.dummy_hash())
        raise Unauthorized("用户名或密码不正确", code="bad_credentials")
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise Unauthorized(
            f"密码连续输错次数过多,账号已锁定,请 {minutes} 分钟后再试或联系管理员",
            code="account_locked",
            detail={"locked_until": user.locked_until.isoformat()},
        )
    if not security.verify_password(password, user.password_hash) or not user.is_active:
        failures, refusal = _count_failure(session=session, user_id=user.id, now=now)
        settings = get_settings()
        if failures >= settings.login_slowdown_after:
            # Each further wrong guess costs the guesser more time.
            time.sleep(min(0.25 * (failures - settings.login_slowdown_after + 1), 2))
        raise refusal
    if user.failed_logins or user.locked_until:
        _forget_failures(session=session, user_id=user.id)
    return user


@use_case
def _count_failure(
    *, session: Session, user_id: uuid.UUID, now: datetime
) -> tuple[int, Unauthorized]:
    """Count a wrong password (locking the account at the limit), and the refusal to give;
    committed before the refusal is raised, so it counts."""
    settings = get_settings()
    failures = session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(failed_logins=User.failed_logins + 1, last_failed_at=now)
        .returning(User.failed_logins)
    ).scalar_one()
    left = settings.login_lock_after - failures
    if left > 0:
        return failures, Unauthorized(
            f"用户名或密码不正确(再错 {left} 次将锁定账号)", code="bad_credentials"
        )
    session.execute(
        update(User)
        .where(col(User.id) == user_id)
        .values(locked_until=now + timedelta(minutes=settings.login_lock_minutes), failed_logins=0)
    )
    return failures, Unauthorized(
        f"密码连续输错次数过多,账号已锁定 {settings.login_lock_minutes} 分钟",
        code="account_locked",
    )


@use_case
def _forget_failures(*, session: Session, user_id: uuid.UUID) -> None:
    session.execute(
        update(User).where(col(User.id) == user_id).values(failed_logins=0, locked_until=None)
    )


def list_users(
    *, session: Session, scope: str, filters: UserFilters, offset: int = 0, limit: int = 50
) -> tuple[list[User], int]:
    area = func.coalesce(User.area_code, "")
    # The accounts API clients act through are listed as clients, not as people.
    cond = [col(User.is_api_client).is_(False)]
    if scope:
        cond.append(within(area, scope))
    if filters.role is not None:
        cond.append(User.role == filters.role)
    if filters.area_code:
        cond.append(within(area, filters.area_code))
    return page(session, User, cond, order_by=[col(User.username)], offset=offset, limit=limit)


def public(*, session: Session, users: list[User], mask: bool = True) -> list[UserPublic]:
    area_names = areas_service.names(
        session=session, codes=[u.area_code for u in users if u.area_code]
    )
    return [
        UserPublic(
            id=u.id,
            username=u.username,
            full_name=u.full_name,
            role=u.role,
            role_name=ROLE_NAMES[u.role],
            area_code=u.area_code,
            area_name=area_names.get(u.area_code or ""),
            unit=u.unit,
            phone=(mask_phone(u.phone) if mask else u.phone) if u.phone else None,
            is_active=u.is_active,
        )
        for u in users
    ]
