"""Running jobs: one pass over what is due (`run_due_jobs`, also `shouwang worker --once`),
and the loop that keeps doing it (`Worker`: a thread inside `shouwang serve` on SQLite, the
`shouwang worker` process on PostgreSQL).

Schedules are a small loop here rather than APScheduler 3.x: its job stores cannot be shared
by several schedulers, so with two `shouwang worker` processes each would run the nightly job
(we would need the job table's unique slot key anyway); it reads the wall clock, which tests
pin through core/clock; and "every day at 03:00 China time" is a few lines on the poll loop
the worker already has."""

import logging
import os
import socket
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlmodel import Session

from backend.core import clock
from backend.core.db import get_engine, get_read_engine
from backend.core.errors import DATABASE_DOWN
from backend.core.settings import get_settings
from backend.worker import registry, service
from backend.worker.registry import Retry, Schedule

log = logging.getLogger("shouwang.worker")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:100]


def lease() -> timedelta:
    return timedelta(seconds=get_settings().worker_lease_seconds)


def _call(job: service.Claimed, session: Session) -> tuple[str | None, registry.Policy]:
    """Run a job's handler in `session`; the error (None: it succeeded) and its policy."""
    registered = registry.get(job.kind)
    policy = registered.policy if registered else registry.Policy()
    error: str | None = None
    try:
        if registered is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        if job.attempts > policy.max_attempts:
            # Taken again after every worker that ran it died: the job itself kills them.
            raise RuntimeError("执行中进程多次退出")
        registered.fn(session=session, payload=job.payload)
    except Retry as exc:
        error = str(exc) or exc.__class__.__name__
    except Exception as exc:
        log.exception("job %s (%s) failed", job.id, job.kind)
        session.rollback()
        error = f"{exc.__class__.__name__}: {exc}"
    if error:
        log.warning("job %s (%s) attempt %d failed: %s", job.id, job.kind, job.attempts, error)
    return error, policy


def _watch(session: Session) -> list[bool]:
    """Non-empty once `session` has begun a database transaction."""
    used: list[bool] = []
    event.listen(session, "after_begin", lambda *_: used.append(True))
    return used


# Jobs claimed at once. Small enough that a batch of texts to a gateway that times out (5 s
# each) ends well inside the lease.
BATCH = 20


def run_batch(*, worker: str | None = None, limit: int = BATCH) -> int:
    """Claim up to `limit` due jobs, run them one after another, and record their outcomes:
    one transaction for the claim and one for the outcomes of every handler that only added
    rows (a text's record), so on SQLite a burst of texts costs the requests two turns of
    the write lock, not two a text. A handler that used the database (a query, ANALYZE) is
    finished on its own, at once: its transaction may hold that lock."""
    with Session(get_engine(), expire_on_commit=False) as session:
        taken = service.claim(
            session=session, worker=worker or worker_name(), lease=lease(), limit=limit
        )
    together: list[tuple[service.Claimed, str | None, registry.Policy]] = []
    with Session(get_engine(), expire_on_commit=False) as batch:
        for job in taken:
            with Session(get_engine(), expire_on_commit=False) as own:
                used = _watch(own)
                error, policy = _call(job, own)
                if used:
                    service.finish(session=own, job=job, error=error, policy=policy)
                    continue
                added = list(own.new)
                own.expunge_all()
            batch.add_all(added)
            together.append((job, error, policy))
        if together:
            service.finish_many(session=batch, outcomes=together)
    return len(taken)


def run_due_jobs(*, limit: int = 10_000, worker: str | None = None) -> int:
    """Run every job due now; returns how many ran. A failed job waits its back-off, so it
    is not run twice in one pass."""
    ran = 0
    while ran < limit:
        batch = min(BATCH, limit - ran)
        n = run_batch(worker=worker, limit=batch)
        ran += n
        if n < batch:  # nothing more was due: no empty claim (a turn of the write lock)
            break
    return ran


# --- schedules ---------------------------------------------------------------------------


def slot(entry: Schedule, now: datetime) -> tuple[str, datetime]:
    """The latest slot of `entry` at or before `now`: its label and its instant."""
    if entry.at is not None:
        local = now.astimezone(clock.CHINA)
        at = datetime.combine(local.date(), entry.at, tzinfo=clock.CHINA)
        if at > local:
            at -= timedelta(days=1)
        return at.date().isoformat(), at.astimezone(UTC)
    assert entry.every is not None
    step = entry.every.total_seconds()
    start = datetime.fromtimestamp(now.timestamp() // step * step, UTC)
    return start.strftime("%Y-%m-%dT%H:%MZ"), start


def enqueue_schedules(*, seen: dict[str, str] | None = None) -> int:
    """Enqueue the current slot of every schedule (each slot once across all workers: the
    job's key). `seen` remembers the slots this worker already enqueued, so an idle poll
    writes nothing. Returns how many jobs were added."""
    now = clock.now()
    due = []
    for entry in registry.schedules():
        label, at = slot(entry, now)
        if seen is None or seen.get(entry.name) != label:
            due.append((entry, label, at))
    if not due:
        return 0
    added = 0
    with Session(get_engine(), expire_on_commit=False) as session:
        for entry, label, at in due:
            job = service.enqueue(
                session=session,
                kind=entry.kind,
                payload=dict(entry.payload or {}),
                run_after=at,
                key=f"{entry.name}:{label}",
            )
            added += job is not None
        session.commit()
    if seen is not None:
        seen.update({entry.name: label for entry, label, _ in due})
    return added


# --- the loop ----------------------------------------------------------------------------

GATHER_SECONDS = 1.0


class Worker:
    """Polls for due jobs every `poll` seconds (at once when this process enqueues one) and
    runs them, until stopped. Several may run against one PostgreSQL database."""

    def __init__(self, *, poll: float | None = None) -> None:
        self.poll = poll if poll is not None else get_settings().worker_poll_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: dict[str, str] = {}

    def start(self) -> None:
        """Run in a thread of this process (inside `shouwang serve`)."""
        self._thread = threading.Thread(target=self.run, name="shouwang-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Ask the loop to stop after the job it is running, and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("worker still running a job after %ss; its lease will expire", timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        service.on_enqueue(self._wake)
        registry.load()
        log.info("worker %s started", worker_name())
        down = False  # the database unreachable: said once, not a traceback every poll
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    self.tick()
                    if down:
                        log.warning("database reachable again: worker %s goes on", worker_name())
                    down = False
                except DATABASE_DOWN as exc:  # away for a moment: try again next poll
                    if not down:
                        log.error("database unavailable: worker waits (%s)", exc.__class__.__name__)
                    down = True
                except Exception:
                    log.exception("worker pass failed")
                self._wake.wait(self.poll)
        finally:
            service.on_enqueue(self._wake, listen=False)
            log.info("worker %s stopped", worker_name())

    def tick(self) -> int:
        enqueue_schedules(seen=self._seen)
        ran = 0
        with Session(get_read_engine()) as session:
            if not service.has_due(session=session):
                return 0
        # Woken by a commit: let the requests arriving with it enqueue theirs too, so one
        # claim and one finish take the burst (a text a second later is still at once).
        self._stop.wait(GATHER_SECONDS)
        while not self._stop.is_set():
            n = run_batch()
            ran += n
            if n < BATCH:  # nothing more was due: no empty claim (a turn of the write lock)
                break
        return ran
