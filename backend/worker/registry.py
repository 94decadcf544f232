"""What the worker knows how to do: handlers by job kind, and schedules.

A domain registers its handler where the work is defined (`@handler("report_text")` in
reports/notify.py) and lists its module in HANDLER_MODULES, so a `shouwang worker` process
that never builds the app still knows every kind. Schedules are registered the same way."""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Any, Protocol

from sqlmodel import Session

# Modules that register handlers or schedules when imported. A new kind of job adds its
# module here (the nightly check run, webhook delivery, department warnings).
HANDLER_MODULES = (
    "backend.reports.notify",
    "backend.reports.retention",
    "backend.worker.maintenance",
    "backend.checks.jobs",
    "backend.notices.jobs",
    "backend.webhooks.delivery",
    "backend.rectification.jobs",
    "backend.transfer.import_jobs",
)


class Handler(Protocol):
    def __call__(self, *, session: Session, payload: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class Policy:
    """How a kind of job is retried: attempt n waits first_delay * 2**(n-1), at most
    max_delay; after max_attempts failed attempts the job is dead."""

    max_attempts: int = 8
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        return min(self.first_delay * 2 ** max(attempts - 1, 0), self.max_delay)


@dataclass(frozen=True)
class Registered:
    fn: Handler
    policy: Policy


@dataclass(frozen=True)
class Schedule:
    """A job enqueued once per slot: every day at `at` (China time), or every `every`."""

    name: str
    kind: str
    at: time | None = None
    every: timedelta | None = None
    payload: dict[str, Any] | None = None


_handlers: dict[str, Registered] = {}
_schedules: dict[str, Schedule] = {}


def handler(kind: str, *, policy: Policy | None = None) -> Callable[[Handler], Handler]:
    """Register `fn(*, session, payload)` as what runs a job of `kind`.

    The handler does its slow work (a network call) before writing anything: on SQLite its
    first statement takes the process write lock, held until the job is marked done in the
    same transaction. It returns to succeed and raises to fail; raising `Retry` keeps what
    it wrote about the failure (a failed text's record), any other exception rolls it back."""

    def register(fn: Handler) -> Handler:
        _handlers[kind] = Registered(fn=fn, policy=policy or Policy())
        return fn

    return register


def schedule(
    name: str,
    *,
    kind: str,
    at: time | None = None,
    every: timedelta | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Enqueue a `kind` job every day at `at` (Asia/Shanghai) or every `every`. Each slot is
    enqueued once whatever the number of workers (the job's unique key names the slot); a
    slot missed while no worker ran is run once when one starts."""
    if (at is None) == (every is None):
        raise ValueError("a schedule needs exactly one of at= or every=")
    _schedules[name] = Schedule(name=name, kind=kind, at=at, every=every, payload=payload)


class Retry(Exception):
    """The job failed and the handler recorded how: what it wrote is kept, and the job is
    tried again later (or given up after its last attempt)."""


def load() -> None:
    for module in HANDLER_MODULES:
        importlib.import_module(module)


def get(kind: str) -> Registered | None:
    load()
    return _handlers.get(kind)


def schedules() -> list[Schedule]:
    load()
    return list(_schedules.values())
