"""What every step of the demo shares: the villages, who looks after them, and what the
earlier steps made (DemoContext), handed to the later ones."""

import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from backend.accounts.models import User
from backend.core import security
from backend.households.models import Household

AREAS_CSV = Path(__file__).with_name("areas.csv")
DEMO_PASSWORD = "Shouwang2026!"

VILLAGES = {
    "lengshuigou": "610923102217",  # 宁陕县江口回族镇冷水沟村 (seed 001)
    "yanjiaping": "610923101203",  # 宁陕县四亩地镇严家坪村 (seed 001)
    "shannan": "341182108206",  # 明光市女山湖镇山南村 (seed 003)
    "gaojiazhuang": "620422100200",  # 会宁县会师镇高家庄村
    "nanshilipu": "620422100201",  # 会宁县会师镇南十里铺村
    "hongbaozi": "620422101200",  # 会宁县郭城驿镇红堡子村
}

# Which helper looks after the households of each village.
VILLAGE_HELPER = {
    "lengshuigou": "helper_li",
    "yanjiaping": "helper_yan",
    "shannan": "helper_zhang",
    "gaojiazhuang": "helper_wang",
    "nanshilipu": "helper_wang",
    "hongbaozi": "helper_wang",
}


@dataclass
class DemoContext:
    """What later demo steps (reports, visits, rectification) build on."""

    users: dict[str, User] = field(default_factory=dict)
    households: dict[str, list[Household]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(20231007))


def make_id_number(rng: random.Random, region: str, born: date, male: bool) -> str:
    """A made-up ID number that passes validation (region, birth date, sex, check digit)."""
    seq = rng.randint(0, 49) * 2 + (1 if male else 0)
    body = f"{region}{born:%Y%m%d}{rng.randint(0, 9)}{seq:02d}"
    return body + security.id_number_check_digit(body)
