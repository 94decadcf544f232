"""Small factories: a user per role, a household with members, headers for a token."""

import itertools
import random
from datetime import date
from typing import Any

from sqlmodel import Session

from backend.accounts.models import Role, User
from backend.core import security
from backend.households import service as households_service
from backend.households.models import Household
from backend.households.schemas import HouseholdCreate, MemberCreate

PASSWORD = "correct-horse-9"
# One argon2 hash for every test user: hashing is slow on purpose.
_HASH = security.hash_password(PASSWORD)
_rng = random.Random(7)

# Real codes from shared/data/areas.csv.
LENGSHUIGOU = "610923102217"  # 宁陕县江口镇冷水沟村
YANJIAPING = "610923101203"  # 宁陕县四亩地镇严家坪村
JIANGKOU = "610923102"  # 江口回族镇
NINGSHAN = "610923"  # 宁陕县
SHANNAN = "341182108206"  # 明光市女山湖镇山南村
GAOJIAZHUANG = "620422100200"  # 会宁县会师镇高家庄村


def user(
    session: Session,
    role: Role,
    area: str | None,
    *,
    username: str | None = None,
    full_name: str = "测试用户",
    unit: str | None = None,
) -> User:
    u = User(
        username=username or f"{role.value}_{_rng.randrange(10**9)}",
        full_name=full_name,
        role=role,
        area_code=area,
        unit=unit,
        password_hash=_HASH,
    )
    session.add(u)
    session.commit()
    return u


def auth(u: User) -> dict[str, str]:
    token, _ = security.create_access_token(subject=u.id)
    return {"Authorization": f"Bearer {token}"}


def api_client_auth(
    http: Any, session: Session, scopes: list[str], area: str = NINGSHAN
) -> dict[str, str]:
    """Headers with the token of a new API client holding `scopes` (made by an admin through
    the API, with a limit no test reaches)."""
    made = http.post(
        "/api/v1/api-clients",
        json={
            "name": "接入系统",
            "area_code": area,
            "scopes": scopes,
            "rate_limit": "100000/minute",
        },
        headers=auth(user(session, Role.admin, None)),
    ).json()
    answer = http.post(
        "/api/v1/auth/client-token",
        data={
            "grant_type": "client_credentials",
            "client_id": made["client"]["client_id"],
            "client_secret": made["client_secret"],
        },
    ).json()
    return {"Authorization": f"Bearer {answer['access_token']}"}


_serial = itertools.count()


def id_number(born: date = date(1970, 3, 8), *, male: bool = True, region: str = "610923") -> str:
    """A valid, made-up ID number; consecutive calls never repeat one (500 per birth date
    and sex before the serial wraps, far more than one test makes)."""
    from backend.core.security import _CHECK, _WEIGHTS

    code = (next(_serial) % 500) * 2 + (1 if male else 0)
    body = f"{region}{born:%Y%m%d}{code:03d}"
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return body + _CHECK[total % 11]


def member(relation: str = "head", *, born: date = date(1970, 3, 8), **kw) -> MemberCreate:  # type: ignore[no-untyped-def]
    kw.setdefault("name", "王" + "".join(_rng.sample("建国秀英桂兰玉梅春生志强", 2)))
    return MemberCreate(
        relation=relation,
        id_number=kw.pop("id_number", None) or id_number(born, male=kw.pop("male", True)),
        **kw,
    )


def household(
    session: Session,
    area: str = LENGSHUIGOU,
    *,
    members: list[MemberCreate] | None = None,
    helper: User | None = None,
    category: str = "lifted",
    registered_on: date | None = None,
) -> Household:
    data = HouseholdCreate(
        area_code=area,
        category=category,
        registered_on=registered_on,
        helper_id=helper.id if helper else None,
        members=members or [member("head"), member("spouse", born=date(1972, 5, 1), male=False)],
    )
    return households_service.create(session=session, data=data, actor=None)
