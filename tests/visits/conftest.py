"""Fixtures for visits: a helper with households, the village cadre, people from elsewhere."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from backend.accounts.models import Role, User
from backend.core import clock
from backend.households.models import Household
from tests import factories as f


@pytest.fixture
def now() -> datetime:
    """The frozen instant the test runs at (tests/conftest.py pins it)."""
    return clock.now()


def backdate(session: Session, household: Household, days: int = 800) -> Household:
    """Demo and test households are registered 'today'; real ones existed for years."""
    household.created_at = clock.now() - timedelta(days=days)
    household.registered_on = clock.today() - timedelta(days=days)
    session.add(household)
    session.commit()
    return household


@pytest.fixture
def helper(session: Session, now: datetime) -> User:
    return f.user(session, Role.helper, f.NINGSHAN, full_name="李春生")


@pytest.fixture
def cadre(session: Session, now: datetime) -> User:
    return f.user(session, Role.village_cadre, f.LENGSHUIGOU, full_name="何德福")


@pytest.fixture
def home(session: Session, helper: User) -> Household:
    return backdate(session, f.household(session, helper=helper))


@pytest.fixture
def elsewhere(session: Session, now: datetime) -> Household:
    """A household in another village (严家坪村), not the helper's."""
    return backdate(session, f.household(session, f.YANJIAPING))


def visit_body(household: Household, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "household_id": str(household.id),
        "kind": "home",
        "visited_at": (clock.now() - timedelta(minutes=5)).isoformat(),
        "checklist": {
            "food": {"ok": True},
            "medical": {"ok": False, "note": "慢病卡还没办下来"},
        },
        "ledger": {"wage": 2400, "business": 300, "transfer": 200, "medical_spending": 800},
        "help_given": "帮忙联系卫生院办理慢病卡",
        "notes": "户主在家,谈了务工和孩子上学的打算",
        "family_agrees": True,
        "agreed_by": "户主本人",
    }
    body.update(kw)
    return body
