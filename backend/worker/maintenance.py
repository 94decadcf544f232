"""The worker's own nightly work: fresh planner statistics (ANALYZE; see core/db.analyze)."""

from datetime import time
from typing import Any

from sqlmodel import Session

from backend.core import db
from backend.worker.registry import handler, schedule


@handler("analyze")
def analyze(*, session: Session, payload: dict[str, Any]) -> None:
    db.analyze(session.get_bind())  # type: ignore[arg-type]


# 03:00 China time: after the evening's syncs, before the morning's.
schedule("nightly-analyze", kind="analyze", at=time(3, 0))
