"""The bench county (`shouwang seed-bench`): a small one is built in bulk on the real
migrations, and the app reads it as it reads its own records."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.accounts.models import User
from backend.cli import main
from backend.core import security
from backend.demo import county
from backend.households.models import Household, Member
from backend.reports.models import SelfReport
from backend.visits.models import LedgerEntry, Visit
from tests import dates
from tests import factories as f

HOUSEHOLDS = 300


@pytest.fixture
def built(app_engine: Engine) -> county.Summary:
    return county.build(engine=app_engine, households=HOUSEHOLDS, seed=7)


def _as(session: Session, username: str) -> dict[str, str]:
    user = session.exec(select(User).where(User.username == username)).one()
    return f.auth(user)


def test_builds_the_county_it_reports(built: county.Summary, session: Session) -> None:
    assert built.households == HOUSEHOLDS
    assert built.villages == 3
    stored = {
        "household": session.exec(select(func.count()).select_from(Household)).one(),
        "member": session.exec(select(func.count()).select_from(Member)).one(),
        "visit": session.exec(select(func.count()).select_from(Visit)).one(),
        "ledger_entry": session.exec(select(func.count()).select_from(LedgerEntry)).one(),
        "self_report": session.exec(select(func.count()).select_from(SelfReport)).one(),
    }
    assert stored == {k: built.rows[k] for k in stored}
    assert stored["household"] == HOUSEHOLDS
    # About the county's shape: 3.25 people a household, ~10 visits a household a year.
    assert 2.8 < stored["member"] / HOUSEHOLDS < 3.8
    assert 7 < stored["visit"] / HOUSEHOLDS < 13
    assert 0 < stored["ledger_entry"] < stored["visit"]
    assert 5 <= stored["self_report"] <= 30
    assert any(line.startswith("  户 (household): 300") for line in built.lines())


def test_the_app_reads_the_county(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    officer = _as(session, "bench_county")
    helper = _as(session, "bench_helper200")

    page = client.get("/api/v1/households?limit=10&offset=20", headers=officer).json()
    assert page["count"] == HOUSEHOLDS and len(page["data"]) == 10
    assert all(row["head_name"] and row["member_count"] >= 1 for row in page["data"])

    # The card decrypts the ID numbers written in bulk: whole for the county, masked for
    # a helper, and the number found again by its keyed hash.
    mine = client.get("/api/v1/visits/my-households", headers=helper).json()
    assert mine["count"] == 100  # the first village's households (fewer than 200 here)
    card = client.get(f"/api/v1/households/{mine['data'][0]['id']}", headers=officer).json()
    head = card["members"][0]
    number = client.post(
        f"/api/v1/households/{card['id']}/members/{head['id']}/id-number", headers=officer
    ).json()["id_number"]
    assert head["id_number"] == security.mask_id_number(number)
    assert security.id_number_problem(number) is None and number.startswith("620422")
    masked = client.get(f"/api/v1/households/{card['id']}", headers=helper).json()
    assert masked["members"][0]["id_number"] == security.mask_id_number(number)
    found = client.get("/api/v1/households", params={"q": number}, headers=officer).json()
    assert [row["id"] for row in found["data"]] == [card["id"]]

    # Last month (whole): most households visited, not all.
    last_month = f"{dates.in_month(-1):%Y-%m}"
    coverage = client.get(
        f"/api/v1/visits/coverage?area=620422&month={last_month}", headers=officer
    ).json()
    due = sum(v["due"] for v in coverage["villages"])
    visited = sum(v["visited"] for v in coverage["villages"])
    assert due == HOUSEHOLDS and 0.5 * due < visited < due
    assert coverage["not_visited_total"] == due - visited
    assert coverage["helpers"] and coverage["pasted_notes"]
    now = client.get("/api/v1/visits/coverage?area=620422", headers=officer).json()
    assert sum(v["visited"] for v in now["villages"]) <= sum(v["due"] for v in now["villages"])

    problems = client.get("/api/v1/problems?limit=200", headers=officer).json()
    assert problems["count"] == built.rows["problem"]
    boards = client.get("/api/v1/problems/boards?area=620422", headers=officer)
    assert boards.status_code == 200
    numbers = client.get("/api/v1/self-reports/numbers", headers=officer).json()
    assert sum(v["received"] for v in numbers["villages"]) > 0
    reports = client.get("/api/v1/self-reports?limit=5", headers=officer).json()
    assert reports["count"] >= 1
    detail = client.get(f"/api/v1/self-reports/{reports['data'][0]['id']}", headers=officer)
    assert detail.status_code == 200 and detail.json()["events"][0]["action"] == "submit"


def test_a_generated_visit_sent_again_is_a_replay(
    built: county.Summary, session: Session, client: TestClient
) -> None:
    """The stored payload hash is the app's: the phone that made a visit may send it again."""
    visit = session.exec(
        select(Visit).where(Visit.kind == "home").order_by(col(Visit.visited_at).desc())
    ).first()
    assert visit is not None
    ledger = session.exec(select(LedgerEntry).where(LedgerEntry.visit_id == visit.id)).first()
    visitor = session.get(User, visit.visitor_id)
    assert visitor is not None
    body: dict[str, Any] = {
        "id": str(visit.id),
        "household_id": str(visit.household_id),
        "kind": visit.kind,
        "visited_at": visit.visited_at.isoformat(),
        "position": {
            "latitude": visit.latitude,
            "longitude": visit.longitude,
            "accuracy_m": visit.accuracy_m,
        },
        "checklist": visit.checklist,
        "help_given": visit.help_given,
        "notes": visit.notes,
        "family_agrees": visit.family_agrees,
        "agreed_by": visit.agreed_by,
    }
    if ledger is not None:
        body["ledger"] = {
            k: getattr(ledger, k)
            for k in (
                "wage",
                "business",
                "property",
                "transfer",
                "business_cost",
                "medical_spending",
                "schooling_spending",
                "other_spending",
            )
        }
    again = client.post("/api/v1/visits", json=body, headers=f.auth(visitor))
    assert again.status_code == 200, again.text
    changed = client.post(
        "/api/v1/visits", json={**body, "notes": body["notes"] + "改"}, headers=f.auth(visitor)
    )
    assert changed.status_code == 409


def _fingerprint(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as s:
        return [
            *s.exec(select(Household.id, Household.reference, Household.helper_id)).all(),
            *s.exec(select(Member.name, Member.birth_date, Member.id_number_hash)).all(),
            *s.exec(select(Visit.id, Visit.visited_at, Visit.payload_hash)).all(),
            *s.exec(select(SelfReport.receipt_code, SelfReport.status)).all(),
        ]


def test_the_same_seed_gives_the_same_county(app_engine: Engine) -> None:
    from tests.conftest import _wipe

    county.build(engine=app_engine, households=100, seed=3)
    first = sorted(map(str, _fingerprint(app_engine)))
    _wipe(app_engine)
    county.build(engine=app_engine, households=100, seed=3)
    assert sorted(map(str, _fingerprint(app_engine))) == first
    _wipe(app_engine)
    county.build(engine=app_engine, households=100, seed=4)
    assert sorted(map(str, _fingerprint(app_engine))) != first


def test_cli_refuses_no_households_and_a_database_with_households(
    app_engine: Engine, session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    url = app_engine.url.render_as_string(hide_password=False)
    assert main(["seed-bench", "--households", "0", "--database-url", url]) == 2
    assert "户数(--households)" in capsys.readouterr().err
    f.household(session)
    assert main(["seed-bench", "--households", "10", "--database-url", url, "--quiet"]) == 2
    assert "已有农户" in capsys.readouterr().err
    assert session.exec(select(func.count()).select_from(Household)).one() == 1
