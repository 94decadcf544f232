"""A use case commits once at its end; one inside another leaves the commit to the outer."""

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.audit.models import AuditEntry
from backend.core.usecase import use_case


def _row(n: str) -> AuditEntry:
    return AuditEntry(actor_name="测试", entity="t", entity_id=n, area_code="61", action="a")


@use_case
def inner(*, session: Session, n: str) -> None:
    session.add(_row(n))
    session.flush()


@use_case
def outer(*, session: Session, fail: bool = False) -> None:
    inner(session=session, n="1")
    inner(session=session, n="2")
    if fail:
        raise ValueError("refused after both steps")


def _stored(engine: Engine) -> list[str]:
    with Session(engine) as s:
        return sorted(s.exec(select(AuditEntry.entity_id).where(AuditEntry.entity == "t")))


def test_the_outer_use_case_commits_once_for_the_inner_ones(app_engine: Engine) -> None:
    commits = []
    with Session(app_engine) as session:
        from sqlalchemy import event

        event.listen(session, "after_commit", lambda s: commits.append(1))
        outer(session=session)
    assert _stored(app_engine) == ["1", "2"]
    assert commits == [1]


def test_a_use_case_that_fails_after_its_steps_writes_nothing(app_engine: Engine) -> None:
    with Session(app_engine) as session, pytest.raises(ValueError):
        outer(session=session, fail=True)
    assert _stored(app_engine) == []


def test_a_use_case_called_alone_commits(app_engine: Engine) -> None:
    with Session(app_engine) as session:
        inner(session=session, n="3")
    assert _stored(app_engine) == ["3"]
