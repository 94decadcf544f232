"""The one scope test: a prefix of the 12-digit code, as a range the index can serve."""

from sqlmodel import Session, select

from backend.areas.models import Area
from backend.core.scope import _successor, within


def test_successor_bounds_every_code_under_a_prefix() -> None:
    assert _successor("610923") == "610924"
    assert _successor("619") == "62"
    assert _successor("6109") == "611"
    assert _successor("99") is None


def test_within_matches_exactly_the_codes_starting_with_the_prefix(session: Session) -> None:
    codes = set(session.exec(select(Area.code)).all())
    for prefix in ("610923", "610923102", "62", "3411", "34118210", "610923102217", ""):
        found = set(session.exec(select(Area.code).where(within(Area.code, prefix))).all())
        assert found == {c for c in codes if c.startswith(prefix)}, prefix
