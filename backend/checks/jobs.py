"""The checks as the worker's jobs: a run someone started (`checks.run` with its id), and
every county's run each night."""

import uuid
from datetime import time
from typing import Any

from sqlmodel import Session

from backend.checks import runs
from backend.checks import service as checks_service
from backend.core import db
from backend.households import queries as households_queries
from backend.worker.registry import Policy, handler, schedule

# A run that failed says why in its row; running it again at once would fail the same way.
ONCE = Policy(max_attempts=1)


@handler("checks.run", policy=ONCE)
def run_checks(*, session: Session, payload: dict[str, Any]) -> None:
    """Carry out a started run, or (nightly, no run id) a new run over each county.

    The run writes through sessions of its own, one transaction per county, so that on
    SQLite the write lock is held only while findings are written; `session` (the job's)
    is left untouched until the worker marks the job done."""
    if payload.get("run_id"):
        runs.execute(run_id=uuid.UUID(payload["run_id"]))
        return
    with Session(db.get_read_engine()) as reader:
        counties = households_queries.counties(session=reader)
    for county in counties:
        with db.new_session() as own:
            checks_service.run_now(session=own, area_code=county)


# 02:00 China time, before the nightly ANALYZE at 03:00 and long before the morning's work.
schedule("nightly-checks", kind="checks.run", at=time(2, 0), payload={})
