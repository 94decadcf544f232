"""Several workers at once, each with its own connections, as separate `shouwang worker`
processes would be: no job is ever taken twice (FOR UPDATE SKIP LOCKED on PostgreSQL; the
process write lock on SQLite), and every job is done."""

import threading
import time
from collections import Counter
from typing import Any

from sqlmodel import Session

from backend.worker import registry, runner, service
from tests.worker.conftest import jobs, writer

JOBS = 200
WORKERS = 4


def test_workers_claiming_at_once_never_take_the_same_job(app_engine, handlers) -> None:  # type: ignore[no-untyped-def]
    runs: Counter[int] = Counter()
    by_worker: Counter[str] = Counter()
    lock = threading.Lock()

    @registry.handler("t")
    def work(*, session: Session, payload: dict[str, Any]) -> None:
        time.sleep(0.001)  # a network call's worth, so the workers overlap
        with lock:
            runs[payload["n"]] += 1
            by_worker[threading.current_thread().name] += 1

    with writer() as s:
        for n in range(JOBS):
            service.enqueue(session=s, kind="t", payload={"n": n})
        s.commit()
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            runner.run_due_jobs(worker=name)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(f"w{i}",), name=f"w{i}") for i in range(WORKERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(runs) == list(range(JOBS)) and set(runs.values()) == {1}
    assert len(by_worker) > 1, "the workers did not run side by side"
    stored = jobs("t")
    assert {j.status for j in stored} == {"done"} and {j.attempts for j in stored} == {1}
