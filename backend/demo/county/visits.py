"""A year of visits up to today, the helpers' with the month's ledger entry; some helpers
paste one text for all their households."""

import hashlib
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from backend.core import clock
from backend.demo.county.parts import Home, Staff, month_end, new_uuid
from backend.demo.county.words import (
    HELP_GIVEN,
    HELPER_VISIT_MONTHLY,
    NOTE_DETAILS,
    NOTE_OPENINGS,
    PASTED_TEXTS,
    SECOND_VISIT_MONTHLY,
    VILLAGE_VISIT_MONTHLY,
)
from backend.households.models import BASIC_NEEDS
from backend.visits.ledger import LEDGER_NAMESPACE
from backend.visits.service import notes_fingerprint

if TYPE_CHECKING:
    from backend.demo.county.core import County


def write_visits(
    county: "County",
    rng: random.Random,
    home: Home,
    helpers: dict[uuid.UUID, Staff],
    field_staff: list[Staff],
    pasters: set[uuid.UUID],
) -> None:
    helper = helpers.get(home.row["helper_id"]) if home.row["helper_id"] else None
    created_day = home.row["created_at"].astimezone(clock.CHINA).date()
    for month, first, last in county.months:
        if last < created_day:
            continue
        lo = max(first, created_day)
        share = (last - lo).days + 1
        whole = (month_end(first) - first).days + 1
        # In the month under way, only what was done by today.
        done_share = share / whole
        if helper and home.owed and rng.random() < HELPER_VISIT_MONTHLY * done_share:
            write_visit(
                county, rng, home, helper, month, lo, last, ledger=True, paster=helper.id in pasters
            )
        if (
            rng.random()
            < (SECOND_VISIT_MONTHLY if home.owed else VILLAGE_VISIT_MONTHLY) * done_share
        ):
            write_visit(
                county,
                rng,
                home,
                rng.choice(field_staff),
                month,
                lo,
                last,
                ledger=False,
                paster=False,
            )


def write_visit(
    county: "County",
    rng: random.Random,
    home: Home,
    visitor: Staff,
    month: str,
    first: date,
    last: date,
    *,
    ledger: bool,
    paster: bool,
) -> None:
    day = first + timedelta(days=rng.randint(0, (last - first).days))
    local = datetime(
        day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59), tzinfo=clock.CHINA
    )
    visited_at = local.astimezone(UTC)
    if visited_at > county.now:
        visited_at = county.now - timedelta(minutes=rng.randint(1, 600))
        if visited_at.astimezone(clock.CHINA).date() < first:
            return
    kind = "home" if rng.random() < 0.8 else ("phone" if rng.random() < 0.75 else "other")
    checklist = _checklist(rng, home)
    notes = _notes(rng, home, month, paster=paster)
    payload: dict[str, Any] = {
        "id": new_uuid(rng),
        "household_id": home.id,
        "kind": kind,
        "visited_at": visited_at,
        "checklist": checklist,
        "help_given": rng.choice(HELP_GIVEN),
        "notes": notes,
        "family_agrees": rng.random() < 0.96,
    }
    if kind == "phone":
        payload["reached"] = "户主本人" if rng.random() < 0.7 else "配偶"
    if payload["family_agrees"]:
        payload["agreed_by"] = home.head.name
    position = _position(rng) if kind == "home" else None
    if position is not None:
        payload["position"] = position
    amounts: dict[str, int] | None = None
    if ledger:
        amounts = _ledger_amounts(rng, home)
        payload["ledger"] = amounts
    visit_id = payload["id"]
    created = visited_at + timedelta(minutes=rng.randint(1, 60 * 24 * 3))
    created = min(created, county.now)
    row = {
        "id": visit_id,
        "household_id": home.id,
        "area_code": home.row["area_code"],
        "visitor_id": visitor.id,
        "kind": kind,
        "visited_at": visited_at,
        "month": month,
        "reached": payload.get("reached"),
        "latitude": position["latitude"] if position else None,
        "longitude": position["longitude"] if position else None,
        "accuracy_m": position["accuracy_m"] if position else None,
        "checklist": checklist,
        "new_risks": [],
        "help_given": payload["help_given"],
        "notes": notes,
        "notes_hash": notes_fingerprint(notes),
        "photo_ids": [],
        "family_agrees": payload["family_agrees"],
        "agreed_by": payload.get("agreed_by"),
        "corrects_id": None,
        "report_id": None,
        "payload_hash": visit_payload_hash(payload),
        "created_at": created,
    }
    county.writer.add("visit", row)
    if amounts is not None:
        _write_ledger(county, row, amounts, household_size=len(home.people))


def _write_ledger(
    county: "County", visit: dict[str, Any], amounts: dict[str, int], *, household_size: int
) -> None:
    """The ledger entry the visit row `visit` writes for its month."""
    month = visit["month"]
    county.writer.add(
        "ledger_entry",
        {
            "id": uuid.uuid5(LEDGER_NAMESPACE, str(visit["id"])),
            "household_id": visit["household_id"],
            "area_code": visit["area_code"],
            "month": month,
            "year": int(month[:4]),
            **amounts,
            "household_size": household_size,
            # No visits a year earlier here, so nothing can be a copy of last year's.
            "copied_from_last_year": False,
            "as_of": visit["visited_at"],
            "visit_id": visit["id"],
            "recorded_by": visit["visitor_id"],
            "superseded_at": None,
            "superseded_by": None,
            "created_at": visit["created_at"],
        },
    )


def _position(rng: random.Random) -> dict[str, float]:
    """Where the phone said the visit was, somewhere in the county."""
    return {
        "latitude": round(35.7 + rng.uniform(-0.4, 0.4), 6),
        "longitude": round(105.05 + rng.uniform(-0.4, 0.4), 6),
        "accuracy_m": float(rng.randint(5, 60)),
    }


def _checklist(rng: random.Random, home: Home) -> dict[str, dict[str, Any]]:
    """两不愁三保障 as the visitor found them: the household's own gaps, now and then a crack."""
    checklist: dict[str, dict[str, Any]] = {k: {"ok": True, "note": ""} for k in BASIC_NEEDS}
    if not home.row["basic_needs"].get("medical", True):
        checklist["medical"] = {"ok": False, "note": "慢病用药负担重"}
    if rng.random() < 0.03:
        checklist["housing"] = {"ok": False, "note": "房屋墙体有裂缝,需鉴定"}
    return checklist


def _notes(rng: random.Random, home: Home, month: str, *, paster: bool) -> str:
    """The visit's words; a paster writes the same few texts everywhere (copied_visit_notes)."""
    if paster:
        return PASTED_TEXTS[int(month[5:]) % len(PASTED_TEXTS)]
    detail = rng.choice(NOTE_DETAILS).format(
        n=len(home.people), head=home.head.name, k=rng.randint(2, 30)
    )
    return f"{rng.choice(NOTE_OPENINGS)},{detail}。"


def _ledger_amounts(rng: random.Random, home: Home) -> dict[str, int]:
    """A month's income and spending near the household's yearly income."""
    monthly = home.income * len(home.people) // 12
    wage = int(monthly * rng.uniform(0.3, 0.8))
    transfer = int(monthly * 0.2)
    return {
        "wage": wage,
        "business": max(0, monthly - wage - transfer),
        "property": 0,
        "transfer": transfer,
        "business_cost": 0,
        "medical_spending": rng.choice((0, 0, 0, 200, 800)),
        "schooling_spending": rng.choice((0, 0, 300)),
        "other_spending": 0,
    }


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def visit_payload_hash(payload: dict[str, Any]) -> str:
    """The hash the app stores for a visit (backend.visits.service.payload_hash) of what a
    phone would have sent, computed without validating a VisitCreate per row: the fields at
    their defaults left out, JSON as pydantic writes it. A test checks it against the app's
    (a generated visit sent again is a replay, not a conflict)."""
    body: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, uuid.UUID):
            body[key] = str(value)
        elif isinstance(value, datetime):
            body[key] = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        elif key == "checklist":
            body[key] = {
                k: {"ok": v["ok"], **({"note": v["note"]} if v["note"] else {})}
                for k, v in value.items()
            }
        elif key == "ledger":
            body[key] = {k: v for k, v in value.items() if v}
        elif key == "position":
            body[key] = {k: v for k, v in value.items() if v is not None}
        elif value in ("", None, [], False) and key not in ("family_agrees",):
            continue
        else:
            body[key] = value
    canonical = _CANONICAL.encode(body)
    return hashlib.sha256(canonical.encode()).hexdigest()
