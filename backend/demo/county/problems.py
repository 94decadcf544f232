"""Problem lists (整改销号): four county lists and one per township, their problems in
every state with steps, evidence, notes and reviews."""

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from backend.demo.county.parts import Home, Staff, china_time, new_uuid, round_share, weighted
from backend.demo.county.words import COUNTY, PROBLEM_TITLES, PROBLEMS_PER_HOUSEHOLD

if TYPE_CHECKING:
    from backend.demo.county.core import County


def write_batches(
    county: "County",
    officer: Staff,
    inspector: Staff,
    towns: dict[str, Staff],
    township_names: dict[str, str],
) -> list[dict[str, Any]]:
    """Four county lists a quarter apart and one self-check list per township."""
    batches = []
    sources = [
        ("inspection", "县委农办", "关于巩固拓展脱贫攻坚成果督查反馈问题的通知", inspector),
        (
            "cross_check",
            "白银市乡村振兴局",
            "全市巩固拓展脱贫攻坚成果交叉检查反馈问题清单",
            officer,
        ),
        ("assessment", "甘肃省乡村振兴局", "省级巩固衔接考核评估反馈问题清单", officer),
        ("self_check", "会宁县乡村振兴局", "全县防返贫监测帮扶自查问题清单", officer),
    ]
    for k, (source, body, title, issuer) in enumerate(sources):
        issued = county.today - timedelta(days=330 - 90 * k)
        batches.append(batch(county, COUNTY, source, body, title, issuer, issued, weight=3))
    for code, town_officer in towns.items():
        issued = county.today - timedelta(days=county.rng.randint(20, 200))
        name = township_names.get(code, code)
        batches.append(
            batch(
                county,
                code,
                "self_check",
                name + "人民政府",
                f"{name}自查问题清单",
                town_officer,
                issued,
                weight=1,
            )
        )
    for b in batches:
        row = {k: v for k, v in b.items() if not k.startswith("_")}
        county.writer.add("problem_batch", row)
    return batches


def batch(
    county: "County",
    area: str,
    source: str,
    body: str,
    title: str,
    issuer: Staff,
    issued: date,
    *,
    weight: int,
) -> dict[str, Any]:
    return {
        "id": new_uuid(county.rng),
        "area_code": area,
        "source": source,
        "title": title,
        "issuing_body": body,
        "notice_title": title,
        "document_number": f"会乡振发〔{issued.year}〕{county.rng.randint(10, 99)}号",
        "issued_on": issued,
        "deadline": issued + timedelta(days=county.rng.choice((45, 60, 90))),
        "report_to": "会宁县乡村振兴局",
        "reporting_unit": "",
        "next_steps": "",
        "issuer_mark": "",
        "report_number": "",
        "copy_to": "",
        "printing_office": "",
        "signer": "",
        "created_by": issuer.id,
        "created_at": china_time(issued, 60),
        "updated_at": None,
        "_issuer": issuer,
        "_weight": weight,
        "_next": 0,
    }


def write_problems(
    county: "County",
    rng: random.Random,
    code: str,
    homes: list[Home],
    cadres: list[Staff],
    town: Staff,
    inspector: Staff,
    batches: list[dict[str, Any]],
) -> None:
    n = round_share(rng, len(homes) * PROBLEMS_PER_HOUSEHOLD)
    mine = [b for b in batches if code.startswith(b["area_code"])]
    weights = [b["_weight"] for b in mine]
    for _ in range(n):
        batch = rng.choices(mine, weights)[0]
        batch["_next"] += 1
        problem, cadre, returned = _problem_row(county, rng, code, batch, cadres, inspector, town)
        county.writer.add("problem", problem)
        if rng.random() < 0.3:
            for home in rng.sample(homes, min(len(homes), rng.randint(1, 3))):
                county.writer.add(
                    "problem_household", {"problem_id": problem["id"], "household_id": home.id}
                )
        if problem["status"] == "issued":
            continue
        reviewer = inspector if batch["area_code"] == COUNTY else town
        _write_work(county, rng, problem, cadre, reviewer, returned)


def _problem_row(
    county: "County",
    rng: random.Random,
    code: str,
    batch: dict[str, Any],
    cadres: list[Staff],
    inspector: Staff,
    town: Staff,
) -> tuple[dict[str, Any], Staff, int]:
    """A problem of `batch` in its drawn state, the cadre responsible and the times it was
    returned."""
    category, title = rng.choice(PROBLEM_TITLES)
    cadre = rng.choice(cadres)
    status, returned, late = _problem_state(rng, batch["deadline"], county.today)
    pid = new_uuid(rng)
    issued = batch["issued_on"]
    deadline = batch["deadline"]
    claimed_at = china_time(issued + timedelta(days=rng.randint(1, 10)), 120)
    submitted_on = None
    if status in ("submitted_for_closure", "closed"):
        span = (deadline - issued).days
        day = (
            deadline + timedelta(days=rng.randint(3, 30))
            if late
            else issued + timedelta(days=rng.randint(12, max(13, span)))
        )
        submitted_on = min(day, county.today)
    closed = status == "closed"
    ongoing = closed and rng.random() < 0.12
    problem = {
        "id": pid,
        "batch_id": batch["id"],
        "number": batch["_next"],
        "title": title,
        "description": f"{title}。经查,{code[-3:]}号村存在此类问题,需限期整改。",
        "category": category,
        "severity": rng.choice(("general", "general", "general", "serious", "critical")),
        "area_code": code,
        "responsible_unit": f"{cadre.unit}",
        "responsible_person": cadre.name,
        "deadline": deadline,
        "status": status,
        "claimed_by": cadre.id if status != "issued" else None,
        "claimed_at": claimed_at if status != "issued" else None,
        "submitted_at": china_time(submitted_on, 300) if submitted_on else None,
        "submitted_on": submitted_on,
        "closed_at": china_time(submitted_on + timedelta(days=3), 120)
        if closed and submitted_on
        else None,
        "closed_by": (inspector if batch["area_code"] == COUNTY else town).id if closed else None,
        "return_count": returned,
        "ongoing": ongoing,
        "next_review_on": (
            county.today + timedelta(days=rng.randint(-60, 90)) if ongoing else None
        ),
        "copied_from_id": None,
        "version": 1,
        "created_by": batch["_issuer"].id,
        "created_at": china_time(issued, 90),
        "updated_at": None,
    }
    for key in ("closed_at",):
        if problem[key] is not None and problem[key] > county.now:
            problem[key] = county.now
    return problem, cadre, returned


def _write_work(
    county: "County",
    rng: random.Random,
    problem: dict[str, Any],
    cadre: Staff,
    reviewer: Staff,
    returned: int,
) -> None:
    """A claimed problem's steps, evidence, progress notes and reviews, by its status."""
    pid, status, deadline = problem["id"], problem["status"], problem["deadline"]
    claimed_at, submitted_on = problem["claimed_at"], problem["submitted_on"]
    closed = status == "closed"
    for position in range(1, rng.randint(1, 3) + 1):
        step_id = new_uuid(rng)
        county.writer.add(
            "rectification_step",
            {
                "id": step_id,
                "problem_id": pid,
                "position": position,
                "description": f"第{position}项措施:逐户排查,建立台账,限期整改到位",
                "planned_on": deadline - timedelta(days=5 * position),
                "created_by": cadre.id,
                "created_at": claimed_at,
            },
        )
        if status in ("submitted_for_closure", "closed", "returned", "in_progress"):
            frozen = china_time(submitted_on, 300) if submitted_on else None
            county.writer.add(
                "evidence",
                {
                    "id": new_uuid(rng),
                    "problem_id": pid,
                    "step_id": step_id,
                    "kind": "text",
                    "file_id": None,
                    "text": "已完成入户核查,整改台账见村委会存档",
                    "frozen_at": frozen,
                    "created_by": cadre.id,
                    "created_at": claimed_at + timedelta(days=5),
                },
            )
    if status in ("in_progress", "returned", "submitted_for_closure", "closed"):
        county.writer.add(
            "progress_note",
            {
                "id": new_uuid(rng),
                "problem_id": pid,
                "text": "已组织村组干部逐户排查,正在整改",
                "created_by": cadre.id,
                "created_at": claimed_at + timedelta(days=3),
            },
        )
    for r in range(returned):
        county.writer.add(
            "problem_review",
            {
                "id": new_uuid(rng),
                "problem_id": pid,
                "reviewer_id": reviewer.id,
                "decision": "return",
                "reason": "印证资料不充分,请补充入户照片和台账",
                "created_at": claimed_at + timedelta(days=10 + r),
            },
        )
    if closed:
        county.writer.add(
            "problem_review",
            {
                "id": new_uuid(rng),
                "problem_id": pid,
                "reviewer_id": reviewer.id,
                "decision": "close",
                "reason": "",
                "created_at": problem["closed_at"],
            },
        )


def _problem_state(rng: random.Random, deadline: date, today: date) -> tuple[str, int, bool]:
    """(status, times returned, handed in late): lists past their deadline are mostly done."""
    past = deadline < today
    weights = (
        {
            "issued": 4,
            "claimed": 4,
            "in_progress": 14,
            "returned": 5,
            "submitted_for_closure": 13,
            "closed": 60,
        }
        if past
        else {
            "issued": 15,
            "claimed": 15,
            "in_progress": 40,
            "returned": 5,
            "submitted_for_closure": 10,
            "closed": 15,
        }
    )
    status = weighted(rng, weights)
    returned = 1 if status == "returned" or (status == "closed" and rng.random() < 0.15) else 0
    late = status in ("submitted_for_closure", "closed") and past and rng.random() < 0.2
    return status, returned, late
