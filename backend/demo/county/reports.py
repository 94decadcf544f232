"""Self-reports (一键报贫) of a village in every state, walked step by step as the app would
stamp them, with their events."""

import random
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from backend.core import clock, security
from backend.demo.county.parts import (
    Home,
    Staff,
    china_time,
    mobile,
    new_uuid,
    person_name,
    round_share,
    weighted,
    weighted_sample,
)
from backend.demo.county.words import COUNTY, REPORTS_PER_HOUSEHOLD, RISK_WEIGHTS
from backend.reports import deadlines as reports_deadlines
from backend.reports import service as reports_service
from backend.workdays import service as workdays

if TYPE_CHECKING:
    from backend.demo.county.core import County


def deadlines(county: "County", on: date) -> tuple[date, date]:
    if on not in county.deadline_cache:
        with Session(county.engine) as session:
            policy = reports_deadlines.policy_for(session=session, area_code=COUNTY)
            county.deadline_cache[on] = (
                workdays.add_working_days(
                    session=session,
                    area_code=COUNTY,
                    start=on,
                    days=policy.village_check_days,
                ),
                workdays.add_working_days(
                    session=session, area_code=COUNTY, start=on, days=policy.total_days
                ),
            )
    return county.deadline_cache[on]


def receipt_code(county: "County", rng: random.Random) -> str:
    while True:
        code = "".join(rng.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(8))
        if code not in county.receipts:
            county.receipts.add(code)
            return code


def _draw_report(
    county: "County",
    rng: random.Random,
    code: str,
    homes: list[Home],
    monitored: list[Home],
    cadres: list[Staff],
) -> tuple[SimpleNamespace, Staff, Staff | None]:
    """A report row as submitted (before `walk` stamps its later steps), the cadre who
    handles it and the staff member who opened it, if one did."""
    age = rng.randint(0, 364)
    submitted_day = county.today - timedelta(days=age)
    submitted_at = china_time(submitted_day, rng.randint(0, 12 * 60), base_hour=7)
    if submitted_at > county.now:
        submitted_at = county.now - timedelta(minutes=rng.randint(1, 300))
        submitted_day = submitted_at.astimezone(clock.CHINA).date()
    status = _report_status(rng, age)
    home = rng.choice(monitored) if status == "enrolled" and monitored else rng.choice(homes)
    person = home.head if rng.random() < 0.8 else rng.choice(home.people)
    staff_opened = rng.random() < 0.12
    on_behalf = staff_opened or rng.random() < 0.1
    with_id = rng.random() < 0.5
    risks = weighted_sample(rng, RISK_WEIGHTS, 1 if rng.random() < 0.75 else 2)
    village_due, decision_due = deadlines(county, submitted_day)
    cadre = rng.choice(cadres)
    reporter = cadre if staff_opened else None
    report = SimpleNamespace(
        id=new_uuid(rng),
        receipt_code=receipt_code(county, rng),
        area_code=code,
        status=status,
        name=person.name,
        phone=home.row["phone"] or mobile(rng),
        id_number_cipher=security.encrypt_id_number(person.id_number) if with_id else None,
        id_number_hash=security.id_number_hash(person.id_number) if with_id else None,
        on_behalf=on_behalf,
        reporter_name=(reporter.name if reporter else person_name(rng)) if on_behalf else None,
        reporter_phone=mobile(rng) if on_behalf else None,
        risk_types=risks,
        note=rng.choice(
            ("", "家里老人住院花了不少钱", "孩子上大学学费凑不齐", "今年冰雹把庄稼打了")
        ),
        photo_ids=[],
        household_id=home.id if with_id or status == "enrolled" else None,
        payload_digest="",
        assignee_id=None,
        risk_confirmed=None,
        income_estimate=None,
        findings="",
        finding_photo_ids=[],
        verified_at=None,
        verified_by=None,
        community_review_on=None,
        community_review_minutes="",
        community_review_file_id=None,
        public_notice_start=None,
        public_notice_days=None,
        public_notice_objections="",
        fast_track=False,
        village_due_on=village_due,
        decision_due_on=decision_due,
        backfill_due_on=None,
        step_due_on=None,
        decision_reason="",
        referred_to="",
        decided_at=None,
        decided_by=None,
        merged_into_id=None,
        kind="self_report",
        submitted_at=submitted_at,
        updated_at=None,
    )
    return report, cadre, reporter


def write_reports(
    county: "County",
    rng: random.Random,
    code: str,
    homes: list[Home],
    cadres: list[Staff],
    town_officer: Staff,
) -> None:
    n = round_share(rng, len(homes) * REPORTS_PER_HOUSEHOLD)
    monitored = [h for h in homes if h.row["monitoring_status"] == "monitored"]
    made: list[dict[str, Any]] = []
    for _ in range(n):
        report, cadre, reporter = _draw_report(county, rng, code, homes, monitored, cadres)
        status, submitted_at = report.status, report.submitted_at
        events: list[tuple[str, str | None, str | None, Staff | None, datetime]] = [
            ("submit", None, "submitted", reporter, submitted_at)
        ]
        walk(county, rng, report, status, cadre, town_officer, events, made)
        reports_deadlines.refresh_step_due(report)  # type: ignore[arg-type]
        row = dict(vars(report))
        county.writer.add("self_report", row)
        made.append(row)
        for action, before, after, actor, at in events:
            county.writer.add(
                "report_event",
                {
                    "id": new_uuid(rng),
                    "report_id": report.id,
                    "at": min(at, county.now),
                    "action": action,
                    "from_status": before,
                    "to_status": after,
                    "actor_id": actor.id if actor else None,
                    "actor_name": actor.name if actor else reports_service.FARMER,
                    "note": "",
                    "data": {},
                },
            )


def walk(
    county: "County",
    rng: random.Random,
    report: SimpleNamespace,
    status: str,
    cadre: Staff,
    town: Staff,
    events: list[Any],
    made: list[dict[str, Any]],
) -> None:
    """Walk the report from submitted to `status`, stamping each step as the app would."""
    t = report.submitted_at
    order = ["submitted", "verifying", "township_review", "county_approval"]
    if status == "merged":
        primary = next(
            (m for m in reversed(made) if m["status"] in ("submitted", "verifying")), None
        )
        if primary is None:
            status = report.status = "submitted"
        else:
            report.merged_into_id = primary["id"]
            events.append(("merge", "submitted", "merged", cadre, t + timedelta(hours=3)))
            return
    reach = {
        "submitted": 0,
        "verifying": 1,
        "township_review": 2,
        "county_approval": 3,
        "withdrawn": rng.randint(0, 1),
    }.get(status, 3)
    previous = "submitted"
    for step in range(1, reach + 1):
        t = t + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 6))
        nxt = order[step]
        if nxt == "verifying":
            report.assignee_id = cadre.id
            events.append(("assign", previous, nxt, cadre, t))
        elif nxt == "township_review":
            report.verified_at = t
            report.verified_by = cadre.id
            report.risk_confirmed = rng.random() < 0.8
            report.income_estimate = rng.randint(40, 90) * 100
            report.findings = (
                "入户核实,情况属实" if report.risk_confirmed else "入户核实,收入高于监测标准"
            )
            report.community_review_on = (t - timedelta(days=1)).astimezone(clock.CHINA).date()
            report.community_review_minutes = "民主评议同意上报"
            report.public_notice_start = report.community_review_on
            report.public_notice_days = 5
            events.append(("verify", previous, nxt, cadre, t))
        else:
            events.append(("forward", previous, nxt, town, t))
        previous = nxt
    report.status = status
    if status in ("enrolled", "rejected", "referred", "withdrawn"):
        t = t + timedelta(days=rng.randint(1, 8))
        report.decided_at = min(t, county.now)
        report.decided_by = town.id
        report.decision_reason = {
            "enrolled": "",
            "rejected": "家庭人均纯收入高于监测标准,不予纳入",
            "referred": "转介民政部门临时救助",
            "withdrawn": "农户自愿撤回",
        }[status]
        if status == "referred":
            report.referred_to = "县民政局临时救助"
        action = {
            "enrolled": "enroll",
            "rejected": "reject",
            "referred": "refer",
            "withdrawn": "withdraw",
        }[status]
        events.append((action, previous, status, town, t))
    if status != "submitted":
        report.updated_at = min(t, county.now)


def _report_status(rng: random.Random, age: int) -> str:
    """Older reports are mostly decided; a share of old ones still open (they are overdue)."""
    if age > 40 and rng.random() < 0.88:
        return weighted(
            rng,
            {"enrolled": 40, "rejected": 28, "referred": 8, "withdrawn": 8, "merged": 10},
        )
    if age < 3:
        return "submitted"
    return weighted(
        rng, {"submitted": 10, "verifying": 35, "township_review": 30, "county_approval": 25}
    )
