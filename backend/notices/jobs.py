"""Staff notices as the worker's jobs: the digest three times a working day, and each text."""

from datetime import time
from typing import Any

from sqlmodel import Session

from backend.core import clock
from backend.notices import service
from backend.reports import notify
from backend.worker import service as worker_service
from backend.worker.registry import Policy, Retry, handler, schedule

DIGEST_JOB = "notices.digest"
TEXT_JOB = "notices.text"


@handler(DIGEST_JOB, policy=Policy(max_attempts=3))
def digest(*, session: Session, payload: dict[str, Any]) -> None:
    """Read every recipient's 待办 first, then record what they are told and queue one text
    each (sent by TEXT_JOB, retried there): the write lock is held for the writes only."""
    today = clock.today()
    found = service.digests(session=session, today=today)
    for d in found:
        service.record(session=session, digest=d, today=today)
        worker_service.enqueue(
            session=session,
            kind=TEXT_JOB,
            payload={"user_id": str(d.user_id), "phone": d.phone, "text": d.text},
        )


@handler(TEXT_JOB, policy=Policy(max_attempts=6))
def send(*, session: Session, payload: dict[str, Any]) -> None:
    """Send one digest through the SMS gateway (or the log); a failure is retried."""
    try:
        notify.get_notifier().send(phone=payload["phone"], text=payload["text"])
    except notify.NotifyError as exc:
        raise Retry(str(exc)) from exc


# China time: before the day's work, after lunch, before the day ends. Weekends too: a
# deadline does not wait, and the cap keeps it to three.
for at in (time(8, 30), time(12, 30), time(17, 30)):
    schedule(f"staff-notices-{at:%H%M}", kind=DIGEST_JOB, at=at, payload={})
