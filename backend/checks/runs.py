"""Running the checks over an area: compute every check's hits (reading without the write
lock), then bring the stored findings in line with them in one write per county —
insert the new, reopen the resolved (and the dismissed whose values changed), resolve what
no longer triggers."""

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from backend.checks.base import Check, Context, Hit
from backend.checks.catalogue import CHECKS
from backend.checks.models import CheckParameter, CheckRun, Finding, FindingStatus, RunStatus
from backend.core import clock, db
from backend.core.ids import new_id
from backend.core.scope import within
from backend.households.models import Household
from backend.webhooks import events as webhooks
from backend.webhooks.models import EventKind

log = logging.getLogger(__name__)
CHUNK = 500


def fingerprint(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def parameters(*, session: Session, check: Check, area_code: str) -> dict[str, int]:
    """The check's defaults, overlaid by what the areas above `area_code` (nearest last) set."""
    values = {name: p.default for name, p in check.params.items()}
    rows = session.exec(select(CheckParameter).where(CheckParameter.check_code == check.code)).all()
    for row in sorted(rows, key=lambda r: len(r.area_code)):
        if area_code.startswith(row.area_code):
            values.update({k: v for k, v in row.values.items() if k in values})
    return values


def counties_in(*, session: Session, area_code: str) -> list[str]:
    """The areas one run walks: the run's own area when it is a county or narrower, else each
    county under it that has households (parameters are set per county)."""
    if len(area_code) >= 6:
        return [area_code]
    stmt = (
        select(func.substr(Household.area_code, 1, 6))
        .where(within(Household.area_code, area_code))
        .distinct()
    )
    return sorted(session.exec(stmt))


def compute(*, session: Session, area: str) -> dict[str, list[Hit]]:
    """Every check's hits over `area` (a county or narrower)."""
    today = clock.today()
    cache: dict[str, Any] = {}
    hits: dict[str, list[Hit]] = {}
    for code, check in CHECKS.items():
        params = parameters(session=session, check=check, area_code=area)
        ctx = Context(session=session, area=area, today=today, params=params, cache=cache)
        started = time.perf_counter()
        found: dict[str, Hit] = {}
        for hit in check.find(ctx):
            found.setdefault(hit.subject_key, hit)
        hits[code] = list(found.values())
        log.info(
            "check %s over %s: %d in %.2fs", code, area, len(found), time.perf_counter() - started
        )
    return hits


def _existing(*, session: Session, code: str, area: str, keys: set[str]) -> dict[str, Any]:
    cols = (
        Finding.id,
        Finding.subject_key,
        Finding.status,
        Finding.fingerprint,
        Finding.dismissed_fingerprint,
    )
    rows = {
        r[1]: r
        for r in session.exec(
            select(*cols).where(Finding.check_code == code, within(Finding.area_code, area))
        )
    }
    # A subject found here may hold a finding filed under a wider area (a helper whose
    # households span townships): find it by its key.
    missing = [k for k in keys if k not in rows]
    for i in range(0, len(missing), CHUNK):
        part = missing[i : i + CHUNK]
        stmt = select(*cols).where(Finding.check_code == code, col(Finding.subject_key).in_(part))
        rows.update({r[1]: r for r in session.exec(stmt)})
    return rows


@dataclass
class Plan:
    """What one check's run changes in the stored findings."""

    inserts: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    reopened: list[dict[str, Any]] = field(default_factory=list)
    opened: int = 0
    resolved: int = 0


def _plan(
    *,
    check: Check,
    by_key: dict[str, Hit],
    existing: dict[str, Any],
    now: datetime,
    run_id: uuid.UUID | None,
) -> Plan:
    """New findings for new subjects; the resolved (and the dismissed whose values changed)
    reopened; what no longer triggers resolved."""
    plan = Plan()
    for key, hit in by_key.items():
        fp = fingerprint(hit.values)
        row = existing.get(key)
        fields = {
            "values": hit.values,
            "fingerprint": fp,
            "summary": hit.summary[:300],
            "area_code": hit.area_code,
            "household_id": hit.household_id,
            "run_id": run_id,
        }
        if row is None:
            plan.inserts.append(
                {
                    **fields,
                    "id": new_id(),
                    "check_code": check.code,
                    "subject_key": key,
                    "subject_kind": hit.subject_kind,
                    "status": FindingStatus.open.value,
                    "severity": check.severity,
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "dismiss_reason": "",
                }
            )
            plan.opened += 1
            continue
        _, _, status, old_fp, dismissed_fp = row
        if status == FindingStatus.dismissed and dismissed_fp == fp:
            continue  # dismissed, and nothing it was dismissed for has changed
        if status == FindingStatus.open and old_fp == fp:
            continue
        change = {**fields, "id": row[0], "status": FindingStatus.open.value}
        change.update(last_seen_at=now, resolved_at=None)
        if status != FindingStatus.open:
            plan.opened += 1
            plan.reopened.append(change)
        plan.changes.append(change)
    for key, row in existing.items():
        if key in by_key or row[2] == FindingStatus.resolved:
            continue
        resolve = {"status": FindingStatus.resolved.value, "resolved_at": now, "run_id": run_id}
        plan.changes.append({"id": row[0], **resolve})
        plan.resolved += 1
    return plan


def _write(*, session: Session, plan: Plan) -> None:
    for i in range(0, len(plan.inserts), CHUNK):
        session.execute(insert(Finding), plan.inserts[i : i + CHUNK])
    # Bulk UPDATE by primary key wants the same keys in every row: group them by shape.
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for c in plan.changes:
        shapes.setdefault(tuple(sorted(c)), []).append(c)
    for rows in shapes.values():
        for i in range(0, len(rows), CHUNK):
            session.execute(update(Finding), rows[i : i + CHUNK])


def _announce(*, session: Session, check: Check, rows: list[dict[str, Any]]) -> None:
    """finding_opened for each finding opened or reopened (webhooks)."""
    webhooks.emit_many(
        session=session,
        kind=EventKind.finding_opened,
        events=[
            (
                row["area_code"],
                {
                    "finding_id": str(row["id"]),
                    "check_code": check.code,
                    "severity": check.severity,
                    "household_id": str(row["household_id"]) if row["household_id"] else None,
                    "subject_key": row.get("subject_key", ""),
                },
            )
            for row in rows
        ],
    )


def apply(
    *, session: Session, check: Check, area: str, hits: list[Hit], run_id: uuid.UUID | None
) -> tuple[int, int]:
    """Bring the stored findings of `check` over `area` in line with `hits`. Returns
    (opened, resolved). Flushes; the caller commits."""
    by_key = {h.subject_key: h for h in hits}
    existing = _existing(session=session, code=check.code, area=area, keys=set(by_key))
    plan = _plan(check=check, by_key=by_key, existing=existing, now=clock.now(), run_id=run_id)
    _write(session=session, plan=plan)
    _announce(session=session, check=check, rows=[*plan.inserts, *plan.reopened])
    session.flush()
    return plan.opened, plan.resolved


def open_counts_in(*, session: Session, area: str) -> dict[str, int]:
    stmt = (
        select(Finding.check_code, func.count())
        .where(within(Finding.area_code, area), Finding.status == FindingStatus.open)
        .group_by(col(Finding.check_code))
    )
    counts = dict.fromkeys(CHECKS, 0)
    counts.update({code: n for code, n in session.exec(stmt)})
    return counts


def execute(*, run_id: uuid.UUID, session_factory: Callable[[], Session] = db.new_session) -> None:
    """Run `run_id` to the end, recording its status, counts and duration."""
    started = time.perf_counter()
    with session_factory() as session:
        run = session.get(CheckRun, run_id)
        assert run is not None
        run.status, run.started_at = RunStatus.running, clock.now()
        area = run.area_code
        session.add(run)
        session.commit()
    opened = resolved = 0
    try:
        with Session(db.get_read_engine()) as reader:
            counties = counties_in(session=reader, area_code=area)
        for county in counties:
            with Session(db.get_read_engine()) as reader:
                hits = compute(session=reader, area=county)
            with session_factory() as session:
                for code, check in CHECKS.items():
                    o, r = apply(
                        session=session, check=check, area=county, hits=hits[code], run_id=run_id
                    )
                    opened, resolved = opened + o, resolved + r
                session.commit()
        with session_factory() as session:
            counts = open_counts_in(session=session, area=area)
            run = session.get(CheckRun, run_id)
            assert run is not None
            run.status, run.counts = RunStatus.done, counts
            run.opened, run.resolved = opened, resolved
            run.finished_at = clock.now()
            run.duration_ms = int((time.perf_counter() - started) * 1000)
            session.add(run)
            session.commit()
    except Exception as exc:
        log.exception("check run %s failed", run_id)
        with session_factory() as session:
            run = session.get(CheckRun, run_id)
            assert run is not None
            run.status, run.error = RunStatus.failed, str(exc)[:500]
            run.finished_at = clock.now()
            run.duration_ms = int((time.perf_counter() - started) * 1000)
            session.add(run)
            session.commit()


def new_run(*, session: Session, area_code: str, actor_id: uuid.UUID | None) -> CheckRun:
    run = CheckRun(area_code=area_code, requested_by=actor_id)
    session.add(run)
    session.flush()
    return run
