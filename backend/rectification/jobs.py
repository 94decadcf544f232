"""The worker's rectification work: each night, a `problem.overdue` webhook event for every
open problem past its deadline (once per problem and deadline)."""

from datetime import time
from typing import Any

from sqlmodel import Session, select

from backend.core import clock
from backend.rectification import service
from backend.rectification.models import Problem
from backend.rectification.overdue import overdue_condition
from backend.webhooks import events as webhooks
from backend.webhooks.models import EventKind
from backend.worker.registry import handler, schedule

OVERDUE_EVENTS = "rectification.overdue_events"


@handler(OVERDUE_EVENTS)
def overdue_events(*, session: Session, payload: dict[str, Any]) -> None:
    """Overdue is judged on each area's working-day calendar (overdue_condition, as the
    lists mark it); the event's key names the deadline, so a problem given a new deadline
    that it misses again is told again, and one seen overdue night after night once."""
    if not webhooks.listened(session=session, kind=EventKind.problem_overdue):
        return
    problems = session.exec(
        select(Problem).where(overdue_condition(session=session, scope="", today=clock.today()))
    ).all()
    webhooks.emit_many(
        session=session,
        kind=EventKind.problem_overdue,
        events=[(p.area_code, service.event_data(p)) for p in problems],
        keys=[f"problem.overdue:{p.id}:{p.deadline.isoformat()}" for p in problems],
    )


# 00:30 China time: the first thing of the day that made the problem overdue.
schedule("nightly-overdue-events", kind=OVERDUE_EVENTS, at=time(0, 30))
