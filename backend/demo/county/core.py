"""The county, village by village: accounts, households with their members, incomes and
plans, and a year of visits with their ledger entries."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import backend.models  # noqa: F401  (every table on the metadata)
from backend.accounts.models import Role
from backend.areas import service as areas_service
from backend.areas.models import Area, AreaLevel
from backend.core import clock, security
from backend.demo.county import households, problems, reports, visits
from backend.demo.county.parts import (
    Home,
    IdNumbers,
    Staff,
    last_months,
    mobile,
    new_uuid,
    person_name,
    split_evenly,
)
from backend.demo.county.words import (
    BIG_HELPER_HOUSEHOLDS,
    COUNTY,
    COUNTY_UNITS,
    HOUSEHOLDS_PER_VILLAGE_MIN,
    MONTHS,
    PASSWORD,
    PASTING_HELPERS,
    PROVINCE,
    TOWNSHIP_SUFFIX,
    VILLAGES_MAX,
)
from backend.demo.county.writer import Summary, Writer
from backend.households.models import MonitoringLine
from backend.visits import coverage as visits_coverage
from backend.visits import village_months

# --- the county ------------------------------------------------------------------------------


@dataclass
class Plan:
    households: int
    seed: int = 1
    villages: int = 0  # 0: as many as fit (at most 300, at least 100 households each)

    def village_count(self, available: int) -> int:
        wanted = self.villages or min(
            VILLAGES_MAX, max(1, self.households // HOUSEHOLDS_PER_VILLAGE_MIN)
        )
        return min(wanted, available)


class County:
    def __init__(self, *, engine: Engine, plan: Plan, progress: bool) -> None:
        self.engine = engine
        self.plan = plan
        self.progress = progress
        self.rng = random.Random(plan.seed)
        # Whole seconds: the county is laid out backwards from now (a year of visits up to
        # today), so the same seed gives the same county at the same instant (tests freeze it).
        self.now = clock.now().replace(microsecond=0)
        self.today = self.now.astimezone(clock.CHINA).date()
        self.summary = Summary(database=engine.url.render_as_string(hide_password=True))
        self.writer = Writer(engine, self.summary)
        self.ids = IdNumbers()
        self.password_hash = security.hash_password(PASSWORD)
        self.months = last_months(self.today, MONTHS)
        self.receipts: set[str] = set()
        self.deadline_cache: dict[date, tuple[date, date]] = {}

    # -- users ---------------------------------------------------------------------------

    def user(
        self, username: str, role: Role, area: str | None, unit: str, name: str | None = None
    ) -> Staff:
        staff = Staff(
            id=new_uuid(self.rng),
            name=name or person_name(self.rng),
            unit=unit,
            role=role,
            username=username,
        )
        self.writer.add(
            "app_user",
            {
                "id": staff.id,
                "username": username,
                "full_name": staff.name,
                "phone": mobile(self.rng),
                "role": role.value,
                "area_code": area,
                "unit": unit,
                "is_active": True,
                "password_hash": self.password_hash,
                "failed_logins": 0,
                "is_api_client": False,
                "created_at": datetime(2021, 3, 1, tzinfo=UTC),
            },
        )
        return staff

    # -- run -----------------------------------------------------------------------------

    def build(self) -> Summary:
        started = time.monotonic()
        with Session(self.engine) as session:
            self._reference_data(session)
            all_villages = areas_service.villages_under(session=session, prefix=COUNTY)
            townships = {
                a.code: a.name
                for a in session.exec(
                    select(Area).where(
                        Area.level == AreaLevel.township, col(Area.code).startswith(COUNTY)
                    )
                )
            }
        n_villages = self.plan.village_count(len(all_villages))
        # Spread over the county: every township gets villages, in code order.
        step = len(all_villages) / n_villages
        villages = [all_villages[int(i * step)] for i in range(n_villages)]
        counts = split_evenly(self.plan.households, n_villages)
        self.summary.villages = n_villages

        county_officer = self.user(
            "bench_county", Role.county_officer, COUNTY, "会宁县乡村振兴局", "马建国"
        )
        self.user("bench_county_2", Role.county_officer, COUNTY, "会宁县乡村振兴局")
        inspector = self.user("bench_inspector", Role.inspector, COUNTY, "会宁县委农办督查组")
        town_officers: dict[str, Staff] = {}
        for code in sorted({v.code[:9] for v in villages}):
            town = townships.get(code, code)
            town_officers[code] = self.user(
                f"bench_town_{code}", Role.township_officer, code, town + TOWNSHIP_SUFFIX
            )
        batches = problems.write_batches(self, county_officer, inspector, town_officers, townships)

        bar = _progress(self.progress, self.plan.households)
        try:
            for index, (village, count) in enumerate(zip(villages, counts, strict=True)):
                self._village(
                    index=index,
                    village=village,
                    count=count,
                    town_officer=town_officers[village.code[:9]],
                    inspector=inspector,
                    batches=batches,
                )
                self.writer.maybe_flush()
                bar(count)
        finally:
            bar(None)
            self.writer.close()
        self.summary.households = self.plan.households
        # The visits went in beside the app: the households' visit months and the visits
        # per village and month, as recording keeps them (coverage and the trend count
        # from them).
        with Session(self.engine) as session:
            visits_coverage.recount_visit_months(session=session)
            village_months.recount(session=session)
            session.commit()
        self._analyze()
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _analyze(self) -> None:
        """On PostgreSQL, the statistics autovacuum would have gathered on a database that
        grew to this size. Not on SQLite: nothing there gathers them unless the app runs
        ANALYZE or PRAGMA optimize, and what the app does is what the benchmarks measure."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")

    def _reference_data(self, session: Session) -> None:
        from backend.demo import AREAS_CSV

        if session.get(Area, COUNTY) is None:
            areas_service.import_csv(session=session, file=AREAS_CSV)
        for year in range(self.today.year - 4, self.today.year + 2):
            exists = session.exec(
                select(MonitoringLine).where(
                    MonitoringLine.province_code == PROVINCE, MonitoringLine.year == year
                )
            ).first()
            if exists is None:
                session.add(
                    MonitoringLine(
                        province_code=PROVINCE,
                        year=year,
                        amount=7000 + 300 * (year - 2023),
                        basis="基准测试数据",
                    )
                )
        session.commit()

    # -- a village -------------------------------------------------------------------------

    def _village(
        self,
        *,
        index: int,
        village: Area,
        count: int,
        town_officer: Staff,
        inspector: Staff,
        batches: list[dict[str, Any]],
    ) -> None:
        rng = random.Random(f"{self.plan.seed}:{village.code}")
        code = village.code
        short = village.name.removesuffix("村民委员会").removesuffix("委员会")
        cadres = [
            self.user(
                f"cadre_{code}_{i}", Role.village_cadre, code, f"{short}村委会", person_name(rng)
            )
            for i in (1, 2)
        ]
        grid = [
            self.user(f"grid_{code}_{i}", Role.grid_worker, code, f"{short}网格", person_name(rng))
            for i in range(1, max(2, count // 200) + 1)
        ]
        homes = [households.make_household(self, rng, code, i) for i in range(count)]
        helpers = self._helpers(rng, code, index, homes)
        for home in homes:
            households.write_household(self, home)
        field_staff = cadres + grid
        pasters = {h.id for h in helpers if rng.random() < PASTING_HELPERS}
        helper_by_id = {h.id: h for h in helpers}
        for home in homes:
            visits.write_visits(self, rng, home, helper_by_id, field_staff, pasters)
        reports.write_reports(self, rng, code, homes, cadres, town_officer)
        problems.write_problems(self, rng, code, homes, cadres, town_officer, inspector, batches)

    def _helpers(self, rng: random.Random, code: str, index: int, homes: list[Home]) -> list[Staff]:
        """Assign households to helpers: the owed ones (lifted, monitored) in groups of 3 to
        25; in the first village one helper (a work-team member) with 200 households."""
        helpers: list[Staff] = []
        queue = [h for h in homes if h.row["helper_id"] is not None]
        if index == 0:
            big = self.user(
                "bench_helper200",
                Role.helper,
                COUNTY,
                "会宁县乡村振兴局驻村工作队",
                "王海燕",
            )
            helpers.append(big)
            # The big helper takes households in reference order, owed or not.
            taken = homes[:BIG_HELPER_HOUSEHOLDS]
            for home in taken:
                home.row["helper_id"] = big.id
                home.owed = True
            taken_ids = {h.id for h in taken}
            queue = [h for h in queue if h.id not in taken_ids]
        n = 0
        while queue:
            size = rng.randint(3, 25)
            group, queue = queue[:size], queue[size:]
            n += 1
            helper = self.user(f"helper_{code}_{n}", Role.helper, COUNTY, rng.choice(COUNTY_UNITS))
            helpers.append(helper)
            for home in group:
                home.row["helper_id"] = helper.id
        return helpers


# --- small pieces -----------------------------------------------------------------------------


def _progress(enabled: bool, total: int) -> Callable[[int | None], None]:
    """A progress bar over households (tqdm); `None` closes it."""
    if not enabled:
        return lambda _n: None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="户", desc="会宁县", unit_scale=True, dynamic_ncols=True)

    def step(n: int | None) -> None:
        if n is None:
            bar.close()
        else:
            bar.update(n)

    return step


def households_in(engine: Engine) -> int:
    from backend.households.models import Household

    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Household)).one()


def build(*, engine: Engine, households: int, seed: int = 1, progress: bool = False) -> Summary:
    """Write a county of `households` into an empty database migrated to the latest schema."""
    if households < 1:
        raise ValueError("households must be at least 1")
    return County(
        engine=engine, plan=Plan(households=households, seed=seed), progress=progress
    ).build()
