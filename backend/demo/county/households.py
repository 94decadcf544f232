"""The county's households: drawn village by village with their members, then written with
their risks, two years of declared income and, when monitored, their plan and measures."""

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from backend.core import clock, security
from backend.demo.county.parts import (
    SIZE_WEIGHTS,
    Home,
    Person,
    birth_day,
    china_time,
    mobile,
    new_uuid,
    person_name,
    school_stage,
    weighted,
    weighted_sample,
)
from backend.demo.county.words import (
    CLEARED_SHARE,
    LIFTED_SHARE,
    MEASURES,
    MONITORED_SHARE,
    RISK_WEIGHTS,
    SURNAMES,
)
from backend.households.models import BASIC_NEEDS, id_number_verdict

if TYPE_CHECKING:
    from backend.demo.county.core import County


def make_household(county: "County", rng: random.Random, code: str, i: int) -> Home:
    """A household of village `code` drawn at random, its members, not yet written."""
    lifted = rng.random() < LIFTED_SHARE
    category = "lifted" if lifted else "ordinary"
    roll = rng.random()
    if roll < MONITORED_SHARE[category]:
        status = "monitored"
    elif roll < MONITORED_SHARE[category] + CLEARED_SHARE[category]:
        status = "risk_cleared"
    else:
        status = "not_monitored"
    hid = new_uuid(rng)
    # Registered years ago, except a few households new this year.
    if rng.random() < 0.015:
        created = county.now - timedelta(days=rng.randint(3, 330), hours=rng.randint(0, 23))
    else:
        created = datetime(rng.randint(2016, 2021), rng.randint(1, 12), 1, 2, tzinfo=UTC)
    risks: list[str] = []
    if status != "not_monitored":
        risks = weighted_sample(rng, RISK_WEIGHTS, 1 if rng.random() < 0.7 else 2)
    size = weighted(rng, SIZE_WEIGHTS)
    people = _family(county, rng, code, hid, size, risks, created)
    basic = dict.fromkeys(BASIC_NEEDS, True)
    if status == "monitored" and "illness" in risks and rng.random() < 0.3:
        basic["medical"] = False
    if status == "monitored" and "housing" in risks:
        basic["housing"] = False
    enrolled = None
    if status != "not_monitored":
        enrolled = county.today - timedelta(days=rng.randint(60, 1100))
    has_helper = lifted or status == "monitored" or rng.random() < 0.03
    per_capita = rng.randint(5200, 8600) if status == "monitored" else rng.randint(8800, 17000)
    row = {
        "id": hid,
        "reference": f"{code}-{i + 1:05d}",
        "area_code": code,
        "address": f"{rng.randint(1, 9)}组{rng.randint(1, 80)}号",
        "phone": mobile(rng) if rng.random() < 0.8 else None,
        "category": category,
        "monitoring_status": status,
        "monitoring_type": (
            None
            if status == "not_monitored"
            else "unstable_lifted"
            if lifted
            else rng.choice(("marginal", "marginal", "sudden_hardship"))
        ),
        "enrolled_on": enrolled,
        "risk_cleared_on": (
            enrolled + timedelta(days=rng.randint(190, 400))
            if status == "risk_cleared" and enrolled
            else None
        ),
        "plan_due_on": enrolled + timedelta(days=15) if enrolled else None,
        "basic_needs": basic,
        # Filled by County._helpers; a placeholder marks the households that have one.
        "helper_id": uuid.UUID(int=0) if has_helper else None,
        "registered_on": created.astimezone(clock.CHINA).date(),
        "version": 1,
        "created_at": created,
        "updated_at": None,
    }
    home = Home(id=hid, row=row, people=people, owed=has_helper, income=per_capita)
    home.row["_risks"] = risks
    return home


def _family(
    county: "County",
    rng: random.Random,
    code: str,
    hid: uuid.UUID,
    size: int,
    risks: list[str],
    created: datetime,
) -> list[Person]:
    surname = rng.choice(SURNAMES)
    head_age = rng.randint(28, 80) if size > 1 else rng.randint(55, 88)
    plan: list[tuple[str, int, bool]] = [("head", head_age, rng.random() < 0.88)]
    if size > 1:
        plan.append(("spouse", max(20, head_age - rng.randint(-3, 6)), not plan[0][2]))
    while len(plan) < size:
        if head_age > 55 and rng.random() < 0.5:
            age = max(1, head_age - rng.randint(50, 60))
            plan.append(("grandchild", age, rng.random() < 0.5))
        elif head_age < 50 and rng.random() < 0.25:
            plan.append(("parent", min(95, head_age + rng.randint(22, 30)), rng.random() < 0.5))
        else:
            age = max(0, head_age - rng.randint(20, 32))
            plan.append(("child", age, rng.random() < 0.5))
    people = []
    for relation, age, male in plan:
        born, number = _birth_and_number(county, rng, age, male)
        name = person_name(rng, None if relation == "spouse" else surname)
        health = "healthy"
        if relation == "head" and "illness" in risks:
            health = "serious_illness"
        elif relation == "head" and "disability" in risks:
            health = "disabled"
        elif age > 60 and rng.random() < 0.3:
            health = "chronic"
        schooling = school_stage(age)
        if "schooling" in risks and relation in ("child", "grandchild") and age < 6:
            schooling = "not_in_school"
        labour = "none" if age < 16 or age > 70 or health == "serious_illness" else "full"
        if labour == "full" and (age > 60 or health in ("chronic", "disabled")):
            labour = "partial"
        employment = "not_employed"
        if labour != "none" and schooling == "not_in_school":
            employment = rng.choice(
                ("farming", "farming", "migrant_work", "migrant_work", "local_work")
                if age < 55
                else ("farming", "farming", "public_welfare_job", "not_employed")
            )
        pid = new_uuid(rng)
        people.append(
            Person(
                id=pid,
                name=name,
                relation=relation,
                id_number=number,
                row={
                    "id": pid,
                    "household_id": hid,
                    "area_code": code,
                    "name": name,
                    "id_number_cipher": None,  # encrypted when written
                    "id_number_hash": None,
                    "sex": "male" if male else "female",
                    "birth_date": born,
                    "relation": relation,
                    "health": health,
                    "schooling": schooling,
                    "labour": labour,
                    "employment": employment,
                    "active": True,
                    "left_on": None,
                    "created_at": created,
                },
            )
        )
    return people


def _birth_and_number(
    county: "County", rng: random.Random, age: int, male: bool
) -> tuple[date, str]:
    born = birth_day(rng, county.today, age)
    number, born = county.ids.make(born, male)
    return born, number


def write_household(county: "County", home: Home) -> None:
    """The household's rows: itself, members, risks, two years' incomes and its plan."""
    row = dict(home.row)
    risks = row.pop("_risks")
    county.writer.add("household", row)
    for person in home.people:
        member = dict(person.row)
        member["id_number_cipher"] = security.encrypt_id_number(person.id_number)
        member["id_number_hash"] = security.id_number_hash(person.id_number)
        member.update(id_number_verdict(person.id_number))
        county.writer.add("member", member)
    for risk in risks:
        county.writer.add("household_risk", {"household_id": home.id, "risk_type": risk})
    size = len(home.people)
    rng = random.Random(home.id.int)
    for year in (county.today.year - 2, county.today.year - 1):
        per_capita = home.income - (300 if year == county.today.year - 2 else 0)
        net = per_capita * size
        wage = int(net * 0.55)
        business = int(net * 0.3)
        transfer = int(net * 0.2)
        county.writer.add(
            "income_record",
            {
                "id": new_uuid(rng),
                "household_id": home.id,
                "year": year,
                "wage": wage,
                "business": business,
                "property": 0,
                "transfer": transfer,
                "business_cost": max(wage + business + transfer - net, 0),
                "household_size": size,
                "created_at": datetime(year + 1, 2, 15, 2, tzinfo=UTC),
                "updated_at": None,
            },
        )
    if row["monitoring_status"] != "not_monitored":
        plan_id = new_uuid(rng)
        enrolled = row["enrolled_on"]
        kinds = [MEASURES[r] for r in risks] or [MEASURES["other"]]
        county.writer.add(
            "assistance_plan",
            {
                "id": plan_id,
                "household_id": home.id,
                "summary": "针对" + "、".join(r for r in risks) + "风险,落实" + kinds[0][1],
                "due_on": row["plan_due_on"],
                "created_at": china_time(enrolled, 10),
                "updated_at": None,
            },
        )
        for k, (kind, description) in enumerate(kinds):
            county.writer.add(
                "measure",
                {
                    "id": new_uuid(rng),
                    "plan_id": plan_id,
                    "kind": kind,
                    "description": description,
                    "start_on": enrolled + timedelta(days=20 + 30 * k),
                    "status": "done"
                    if row["monitoring_status"] == "risk_cleared"
                    else "in_progress",
                    "amount": rng.randint(5, 60) * 100,
                    "carried_out_by": "帮扶责任人",
                    "member_ids": [],
                    "created_at": china_time(enrolled, 20),
                },
            )
