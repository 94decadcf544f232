"""Two officers deciding the same report at the same moment, over real HTTP to a real server:
one decision is taken, the other is refused with 409, never both."""

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.accounts.models import Role, User
from backend.audit.models import AuditEntry
from backend.core import clock
from backend.households.models import Household, MonitoringStatus
from backend.main import create_app
from backend.reports import service
from backend.reports.models import ReportEvent, ReportStatus, SelfReport
from tests import factories as f

# Several reports, each decided twice at once: without the row lock the two requests of a
# round read the same state and both succeed in (nearly) every round on PostgreSQL.
ROUNDS = 6


@pytest.fixture
def server(app_engine: Engine) -> Iterator[str]:
    """uvicorn on a free port in this process (the engine under test is the app's engine);
    sync endpoints run on its thread pool, so requests really overlap on the server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def _at_the_county(c: httpx.Client, session: Session, cadre: User, town: User) -> str:
    """A report of a fresh household, verified, with its civic steps, forwarded to the
    county: waiting for the county's decision."""
    household = f.household(session)
    # Opened 8 days ago: its 评议 and 公示 come after it, and the notice has ended.
    now = clock.now()
    clock.freeze(now - timedelta(days=8))
    report = service.open_on_behalf(
        session=session, household=household, risk_types=["illness"], actor=cadre, note=""
    )
    session.commit()
    clock.freeze(now)
    today = clock.today()
    steps = [
        (cadre, "verify", {"risk_confirmed": True, "findings": "住院自付 4 万元"}),
        (cadre, "community-review", {"held_on": str(today - timedelta(days=7)), "minutes": "同意"}),
        (cadre, "public-notice", {"start_on": str(today - timedelta(days=6)), "days": 5}),
        (town, "forward", {"note": "同意上报"}),
    ]
    for who, action, body in steps:
        r = c.post(f"/api/v1/self-reports/{report.id}/{action}", json=body, headers=f.auth(who))
        assert r.status_code == 200, r.text
    return str(report.id)


# (who, as their Authorization header; the action; its body)
Decision = tuple[dict[str, str], str, dict[str, str]]


def _at_once(server: str, rid: str, decisions: list[Decision]) -> list[httpx.Response]:
    """Each decision posted from its own thread and connection, released by one barrier."""
    start = threading.Barrier(len(decisions))

    def decide(decision: Decision) -> httpx.Response:
        who, action, body = decision
        with httpx.Client(base_url=server, headers=who, timeout=30) as c:
            # Connected and authenticated before the barrier, so the posts leave together.
            assert c.get(f"/api/v1/self-reports/{rid}").status_code == 200
            start.wait(timeout=30)
            return c.post(f"/api/v1/self-reports/{rid}/{action}", json=body)

    with ThreadPoolExecutor(max_workers=len(decisions)) as pool:
        return list(pool.map(decide, decisions))


def test_two_decisions_at_once_one_is_taken_the_other_is_409(server: str, session: Session) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU)
    town = f.user(session, Role.township_officer, f.JIANGKOU)
    enrolling = f.user(session, Role.county_officer, f.NINGSHAN)
    rejecting = f.user(session, Role.county_officer, f.NINGSHAN)
    decisions: list[Decision] = [
        (f.auth(enrolling), "enroll", {"monitoring_type": "sudden_hardship"}),
        (f.auth(rejecting), "reject", {"reason": "家庭收入高于监测标准"}),
    ]
    with httpx.Client(base_url=server, timeout=30) as c:
        report_ids = [_at_the_county(c, session, cadre, town) for _ in range(ROUNDS)]
    session.rollback()

    for rid in report_ids:
        answers = _at_once(server, rid, decisions)
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 409], [a.text for a in answers]
        refused = next(a for a in answers if a.status_code == 409).json()
        assert refused["error"] == "wrong_state"
        taken = next(a for a in answers if a.status_code == 200).json()

        # What is stored is the one decision that was answered 200, recorded once.
        session.expire_all()
        stored = session.get(SelfReport, uuid.UUID(rid))
        assert stored is not None and stored.status == taken["status"]
        decided = session.exec(
            select(ReportEvent.action).where(
                ReportEvent.report_id == stored.id,
                col(ReportEvent.action).in_(["enroll", "reject"]),
            )
        ).all()
        assert decided == [{"enrolled": "enroll", "rejected": "reject"}[taken["status"]]]
        audited = session.exec(
            select(AuditEntry.action).where(
                AuditEntry.entity_id == rid, col(AuditEntry.action).in_(["enroll", "reject"])
            )
        ).all()
        assert audited == decided
        household = session.get(Household, stored.household_id)
        assert household is not None
        assert (household.monitoring_status == MonitoringStatus.monitored) == (
            stored.status == ReportStatus.enrolled
        )
        session.rollback()
