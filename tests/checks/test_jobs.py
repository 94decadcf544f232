"""The checks as worker jobs: a started run is a `checks.run` job; each night every county
with households gets a run."""

from sqlmodel import Session, select

from backend.checks.models import CheckRun
from backend.worker import registry
from backend.worker.models import Job
from tests import factories
from tests.checks.builders import findings, income
from tests.factories import GAOJIAZHUANG, NINGSHAN, auth


def test_the_nightly_schedule_and_the_handler_are_registered() -> None:
    assert registry.get("checks.run") is not None
    nightly = {s.name: s for s in registry.schedules()}["nightly-checks"]
    assert nightly.kind == "checks.run" and nightly.at is not None


def test_starting_a_run_enqueues_its_job(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    from backend.accounts.models import Role

    officer = factories.user(session, Role.county_officer, NINGSHAN)
    r = client.post("/api/v1/checks/runs", json={"area_code": NINGSHAN}, headers=auth(officer))
    assert r.status_code == 202
    session.rollback()
    jobs = session.exec(select(Job).where(Job.kind == "checks.run")).all()
    assert [j.payload for j in jobs] == [{"run_id": r.json()["id"]}]


def test_the_nightly_job_runs_every_county(session: Session) -> None:
    h = factories.household(session)
    income(session, h, 2025, wage=10_000)
    factories.household(session, GAOJIAZHUANG)
    registry.get("checks.run").fn(session=session, payload={})  # type: ignore[union-attr]
    session.rollback()
    runs = session.exec(select(CheckRun)).all()
    assert sorted(r.area_code for r in runs) == ["610923", "620422"]
    assert {r.status for r in runs} == {"done"}
    assert [f.household_id for f in findings(session, "below_line")] == [h.id]
