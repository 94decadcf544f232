"""The worker's own nightly work: fresh planner statistics (ANALYZE; see core/db.analyze), and
forgetting Idempotency-Key answers past their 24 hours."""

from datetime import time
from typing import Any

from sqlmodel import Session

from backend.core import db, idempotency
from backend.worker.registry import handler, schedule


@handler("analyze")
def analyze(*, session: Session, payload: dict[str, Any]) -> None:
    db.analyze(session.get_bind())  # type: ignore[arg-type]


# 03:00 China time: after the evening's syncs, before the morning's.
schedule("nightly-analyze", kind="analyze", at=time(3, 0))


@handler("idempotency.purge")
def purge_idempotency_keys(*, session: Session, payload: dict[str, Any]) -> None:
    idempotency.purge(session=session)


# Idempotency-Key answers are kept 24 hours (core/idempotency.py); older ones go nightly.
schedule("nightly-idempotency-purge", kind="idempotency.purge", at=time(3, 30))
