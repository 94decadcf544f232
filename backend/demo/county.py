"""A county at scale for benchmarks: 会宁县's real townships and villages filled with made-up
households, members, incomes, a year of visits and ledger entries, self-reports and problem
lists, written in bulk straight into the tables of the real migrations.

`shouwang seed-bench --households 100000` builds it. Rows are generated village by village
and written in chunks (executemany on SQLite, COPY on PostgreSQL), so a million households
stream through without being held in memory. The same seed gives the same county (names,
ID numbers, ids, amounts; dates counted back from now); only the encrypted ID numbers
differ, because encryption draws a fresh IV each time. ID numbers are encrypted and hashed with the app's own
functions, so the app reads them as it reads its own.
"""

import hashlib
import json
import math
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Table, event, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import backend.models  # noqa: F401  (every table on the metadata)
from backend.accounts.models import Role
from backend.areas import service as areas_service
from backend.areas.models import Area, AreaLevel
from backend.core import clock, db, security
from backend.core.db import metadata
from backend.households.models import BASIC_NEEDS, MonitoringLine
from backend.reports import service as reports_service
from backend.visits.service import LEDGER_NAMESPACE, notes_fingerprint
from backend.workdays import service as workdays

COUNTY = "620422"  # 甘肃省白银市会宁县
PROVINCE = "62"
PASSWORD = "Shouwang2026!"  # the demo's: a person can log in to the bench county too
VILLAGES_MAX = 300
HOUSEHOLDS_PER_VILLAGE_MIN = 100
# The helper whose phone list the benchmark reads (my-households for 200 households).
BIG_HELPER_HOUSEHOLDS = 200
# Shares of the county, chosen to look like a county of the 2023 inspection reports.
LIFTED_SHARE = 0.42
MONITORED_SHARE = {"lifted": 0.10, "ordinary": 0.05}
CLEARED_SHARE = {"lifted": 0.06, "ordinary": 0.03}
HELPER_VISIT_MONTHLY = 0.9  # a helper's monthly visit to a household owed one
SECOND_VISIT_MONTHLY = 0.1  # a village cadre or grid worker also comes by
VILLAGE_VISIT_MONTHLY = 0.7  # households with no helper: the grid worker's round
PASTING_HELPERS = 0.08  # helpers who write one text for every household of the month
REPORTS_PER_HOUSEHOLD = 0.05
PROBLEMS_PER_HOUSEHOLD = 0.02
MONTHS = 12
CHUNK_ROWS = 50_000
SQLITE_CACHE_KB = 1_500_000
# Bumped when the generator's output changes, so a cached county is built again.
VERSION = 1

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程魏苏吕丁任沈姚卢柴严"
GIVEN = (
    "建国秀英桂兰玉梅春生志强海燕丽娟永刚德福正华宏伟振东小燕立新明文东晋文俊红霞金花长林福生国强秀珍淑芬德明学军"
    "有才天宝玉兰翠花喜梅彦平文斌世杰兴旺成军爱琴瑞霞永红"
)
COUNTY_UNITS = (
    "会宁县农业农村局",
    "会宁县教育局",
    "会宁县卫生健康局",
    "会宁县自然资源局",
    "会宁县人力资源和社会保障局",
    "会宁县民政局",
    "会宁县交通运输局",
    "会宁县水务局",
    "会宁县住房和城乡建设局",
    "会宁县财政局",
    "会宁县林业和草原局",
    "会宁县市场监督管理局",
)
RISK_WEIGHTS = {
    "illness": 35,
    "schooling": 15,
    "disability": 12,
    "unstable_employment": 15,
    "disaster": 5,
    "accident": 5,
    "failed_business": 5,
    "housing": 3,
    "drinking_water": 1,
    "other": 4,
}
MEASURES = {
    "illness": ("medical", "落实大病救助和慢病卡,家庭医生签约服务"),
    "schooling": ("education", "落实雨露计划和义务教育阶段资助"),
    "disability": ("dibao", "纳入低保,落实残疾人两项补贴"),
    "unstable_employment": ("employment", "推荐县内企业稳定务工,发放交通补助"),
    "disaster": ("insurance", "落实农业保险理赔和临时救助"),
    "accident": ("other", "落实临时救助和意外伤害保险理赔"),
    "failed_business": ("industry", "发放产业奖补资金,落实小额信贷"),
    "housing": ("housing", "实施危房改造"),
    "drinking_water": ("drinking_water", "安装自来水入户"),
    "other": ("public_welfare_job", "安排公益性岗位"),
}
NOTE_OPENINGS = (
    "入户了解家庭生产生活情况",
    "与户主拉家常,了解近期收支",
    "查看住房和饮水安全情况",
    "宣传一键报贫和医保政策",
    "了解务工人员就业情况",
    "核对家庭成员和收入信息",
)
NOTE_DETAILS = (
    "家中{n}口人,{head}身体尚可",
    "{head}说今年庄稼长势不错",
    "孩子在外务工,每月寄回生活费",
    "老人慢病用药已按时报销",
    "养羊{k}只,准备年底出栏",
    "种植马铃薯{k}亩,长势良好",
    "家中自来水正常,住房安全",
    "已提醒按时缴纳医保",
)
PASTED_TEXTS = (
    "该户两不愁三保障及饮水安全均有保障,家庭收入稳定,无返贫风险,帮扶措施落实到位。",
    "经入户走访,该户生产生活正常,政策知晓率高,对帮扶工作满意,无新增风险。",
    "宣传了各项惠民政策,了解了家庭收入情况,督促搞好室内外卫生,户主表示满意。",
)
HELP_GIVEN = (
    "",
    "",
    "宣讲政策",
    "协助办理慢病卡",
    "联系务工岗位",
    "帮助申请临时救助",
    "送去米面油",
)
PROBLEM_TITLES = (
    ("monitoring", "因病因学支出较大农户未及时纳入监测"),
    ("monitoring", "监测对象一户一策帮扶措施单一"),
    ("monitoring", "风险消除不精准,实际风险仍未消除"),
    ("records", "走访记录内容雷同,存在复制粘贴"),
    ("records", "分项收入与上年完全一样,收入测算不实"),
    ("records", "户内档案资料不完整,程序性资料缺失"),
    ("policy", "一键报贫政策知晓率不高"),
    ("policy", "大病患者仅享受单人低保"),
    ("basic_needs", "饮水安全设施维护不到位"),
    ("basic_needs", "危房改造后续管护不到位"),
    ("living_environment", "柴草粪堆乱堆乱放"),
    ("living_environment", "卫生厕所季节性使用"),
    ("responsibility", "帮扶责任人对户情不熟悉"),
    ("village_team", "驻村工作队在岗履职不到位"),
    ("income", "务工收入无印证资料"),
)
TOWNSHIP_SUFFIX = "乡村振兴工作站"


@dataclass
class Summary:
    """What was made, table by table, and how long it took."""

    households: int = 0
    villages: int = 0
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0
    database: str = ""

    def lines(self) -> list[str]:
        names = {
            "app_user": "账号",
            "household": "户",
            "member": "家庭成员",
            "household_risk": "风险类型",
            "income_record": "年度收入",
            "assistance_plan": "帮扶计划",
            "measure": "帮扶措施",
            "visit": "走访",
            "ledger_entry": "收支登记",
            "self_report": "一键报贫报告",
            "report_event": "报告记录",
            "problem_batch": "问题清单",
            "problem": "问题",
            "problem_household": "问题涉及户",
            "rectification_step": "整改措施",
            "evidence": "印证资料",
            "progress_note": "整改进展",
            "problem_review": "审核记录",
        }
        out = [
            f"会宁县基准数据已写入 {self.database}:{self.villages} 个村,用时 {self.seconds:.1f} 秒"
        ]
        for table, label in names.items():
            if self.rows.get(table):
                out.append(f"  {label} ({table}): {self.rows[table]:,}")
        return out


# --- writing -------------------------------------------------------------------------------


class Writer:
    """Buffers rows per table and writes them in foreign-key order: executemany through
    SQLAlchemy Core on SQLite (the column types convert values as the app's do), COPY on
    PostgreSQL."""

    def __init__(self, engine: Engine, summary: Summary) -> None:
        # An engine of its own (the same database): the bulk settings below stay off the
        # caller's connections.
        self.engine = db.make_engine(engine.url.render_as_string(hide_password=False))
        if self.engine.dialect.name == "sqlite":
            # A page cache big enough for the indexes of a million visits (random UUID keys
            # touch every page), and no fsync per commit (a crash mid-load means building
            # the county again).
            @event.listens_for(self.engine, "connect")
            def _bulk(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("PRAGMA temp_store=MEMORY")
                cur.close()

        self.summary = summary
        self.tables: dict[str, Table] = {t.name: t for t in metadata.sorted_tables}
        self.order = [t.name for t in metadata.sorted_tables]
        self.buffers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.pending = 0

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.buffers[table].append(row)
        self.pending += 1

    def maybe_flush(self) -> None:
        if self.pending >= CHUNK_ROWS:
            self.flush()

    def close(self) -> None:
        self.flush()
        self.engine.dispose()

    def flush(self) -> None:
        if not self.pending:
            return
        with self.engine.begin() as conn:
            for name in self.order:
                rows = self.buffers.pop(name, None)
                if not rows:
                    continue
                table = self.tables[name]
                if self.engine.dialect.name == "postgresql":
                    _copy(conn, table, rows)
                else:
                    _executemany(conn, table, rows)
                self.summary.rows[name] += len(rows)
        self.pending = 0


def _executemany(conn: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    """One INSERT for many rows, each value converted by its column type's own bind
    processor (as SQLAlchemy would), without building a parameter set per row."""
    dialect = conn.dialect
    columns = list(table.columns)
    convert = [c.type._cached_bind_processor(dialect) for c in columns]
    names = [c.name for c in columns]
    sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
        table.name, ", ".join(f'"{n}"' for n in names), ", ".join("?" for _ in names)
    )
    pairs = list(zip(names, convert, strict=True))
    params = [
        tuple(
            (fn(row.get(n)) if fn is not None and row.get(n) is not None else row.get(n))
            for n, fn in pairs
        )
        for row in rows
    ]
    conn.exec_driver_sql(sql, params)


def _complete(columns: list[str], row: dict[str, Any]) -> dict[str, Any]:
    # executemany needs the same keys in every row: absent columns are NULL.
    return {c: row.get(c) for c in columns}


def _copy_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _copy(conn: Any, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = [c.name for c in table.columns]
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_copy_value(row.get(c)) for c in columns])
    cursor.close()


# --- making people and places -------------------------------------------------------------


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _name(rng: random.Random, surname: str | None = None) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.15 else "".join(rng.sample(GIVEN, 2))
    return (surname or rng.choice(SURNAMES)) + given


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"


class IdNumbers:
    """Valid, made-up, unique ID numbers of 会宁县: unique by construction (a counter per
    birth date and sex), so a million households need no set of every number made."""

    def __init__(self) -> None:
        self.used: dict[tuple[date, bool], int] = defaultdict(int)

    def make(self, born: date, male: bool) -> tuple[str, date]:
        while self.used[(born, male)] >= 500:
            born += timedelta(days=1)
        n = self.used[(born, male)]
        self.used[(born, male)] = n + 1
        body = f"{COUNTY}{born:%Y%m%d}{n * 2 + (1 if male else 0):03d}"
        total = sum(int(d) * w for d, w in zip(body, security._WEIGHTS, strict=True))
        return body + security._CHECK[total % 11], born


def _born(rng: random.Random, today: date, age: int) -> date:
    return date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))


SIZE_WEIGHTS = {1: 10, 2: 24, 3: 25, 4: 20, 5: 13, 6: 6, 7: 2}


@dataclass
class Person:
    id: uuid.UUID
    name: str
    relation: str
    id_number: str
    row: dict[str, Any]


@dataclass
class Home:
    """One household while its village is being generated."""

    id: uuid.UUID
    row: dict[str, Any]
    people: list[Person]
    owed: bool  # its helper visits monthly (lifted or monitored, with a helper)
    income: int = 0  # last year's per-capita net income

    @property
    def head(self) -> Person:
        return self.people[0]


@dataclass
class Staff:
    id: uuid.UUID
    name: str
    unit: str
    role: Role
    username: str


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
        self.months = _months(self.today, MONTHS)
        self.receipts: set[str] = set()
        self.deadline_cache: dict[date, tuple[date, date]] = {}

    # -- users ---------------------------------------------------------------------------

    def user(
        self, username: str, role: Role, area: str | None, unit: str, name: str | None = None
    ) -> Staff:
        staff = Staff(
            id=_uuid(self.rng),
            name=name or _name(self.rng),
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
                "phone": _phone(self.rng),
                "role": role.value,
                "area_code": area,
                "unit": unit,
                "is_active": True,
                "password_hash": self.password_hash,
                "failed_logins": 0,
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
        counts = _split(self.plan.households, n_villages)
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
        batches = self._batches(county_officer, inspector, town_officers, townships)

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
            self.user(f"cadre_{code}_{i}", Role.village_cadre, code, f"{short}村委会", _name(rng))
            for i in (1, 2)
        ]
        grid = [
            self.user(f"grid_{code}_{i}", Role.grid_worker, code, f"{short}网格", _name(rng))
            for i in range(1, max(2, count // 200) + 1)
        ]
        homes = [self._household(rng, code, i) for i in range(count)]
        helpers = self._helpers(rng, code, index, homes)
        for home in homes:
            self._write_household(home)
        field_staff = cadres + grid
        pasters = {h.id for h in helpers if rng.random() < PASTING_HELPERS}
        helper_by_id = {h.id: h for h in helpers}
        for home in homes:
            self._visits(rng, home, helper_by_id, field_staff, pasters)
        self._reports(rng, code, homes, cadres, town_officer)
        self._problems(rng, code, homes, cadres, town_officer, inspector, batches)

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

    def _household(self, rng: random.Random, code: str, i: int) -> Home:
        lifted = rng.random() < LIFTED_SHARE
        category = "lifted" if lifted else "ordinary"
        roll = rng.random()
        if roll < MONITORED_SHARE[category]:
            status = "monitored"
        elif roll < MONITORED_SHARE[category] + CLEARED_SHARE[category]:
            status = "risk_cleared"
        else:
            status = "not_monitored"
        hid = _uuid(rng)
        # Registered years ago, except a few households new this year.
        if rng.random() < 0.015:
            created = self.now - timedelta(days=rng.randint(3, 330), hours=rng.randint(0, 23))
        else:
            created = datetime(rng.randint(2016, 2021), rng.randint(1, 12), 1, 2, tzinfo=UTC)
        risks: list[str] = []
        if status != "not_monitored":
            risks = _weighted_sample(rng, RISK_WEIGHTS, 1 if rng.random() < 0.7 else 2)
        size = _weighted(rng, SIZE_WEIGHTS)
        people = self._family(rng, code, hid, size, risks, created)
        basic = dict.fromkeys(BASIC_NEEDS, True)
        if status == "monitored" and "illness" in risks and rng.random() < 0.3:
            basic["medical"] = False
        if status == "monitored" and "housing" in risks:
            basic["housing"] = False
        enrolled = None
        if status != "not_monitored":
            enrolled = self.today - timedelta(days=rng.randint(60, 1100))
        has_helper = lifted or status == "monitored" or rng.random() < 0.03
        per_capita = rng.randint(5200, 8600) if status == "monitored" else rng.randint(8800, 17000)
        row = {
            "id": hid,
            "reference": f"{code}-{i + 1:05d}",
            "area_code": code,
            "address": f"{rng.randint(1, 9)}组{rng.randint(1, 80)}号",
            "phone": _phone(rng) if rng.random() < 0.8 else None,
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
            # Filled by _helpers; a placeholder marks the households that have one.
            "helper_id": uuid.UUID(int=0) if has_helper else None,
            "created_at": created,
            "updated_at": None,
        }
        home = Home(id=hid, row=row, people=people, owed=has_helper, income=per_capita)
        home.row["_risks"] = risks
        return home

    def _family(
        self,
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
            born, number = self._birth_and_number(rng, age, male)
            name = _name(rng, None if relation == "spouse" else surname)
            health = "healthy"
            if relation == "head" and "illness" in risks:
                health = "serious_illness"
            elif relation == "head" and "disability" in risks:
                health = "disabled"
            elif age > 60 and rng.random() < 0.3:
                health = "chronic"
            schooling = _school_stage(age)
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
            pid = _uuid(rng)
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

    def _birth_and_number(self, rng: random.Random, age: int, male: bool) -> tuple[date, str]:
        born = _born(rng, self.today, age)
        number, born = self.ids.make(born, male)
        return born, number

    def _write_household(self, home: Home) -> None:
        row = dict(home.row)
        risks = row.pop("_risks")
        self.writer.add("household", row)
        for person in home.people:
            member = dict(person.row)
            member["id_number_cipher"] = security.encrypt_id_number(person.id_number)
            member["id_number_hash"] = security.id_number_hash(person.id_number)
            self.writer.add("member", member)
        for risk in risks:
            self.writer.add("household_risk", {"household_id": home.id, "risk_type": risk})
        size = len(home.people)
        rng = random.Random(home.id.int)
        for year in (self.today.year - 2, self.today.year - 1):
            per_capita = home.income - (300 if year == self.today.year - 2 else 0)
            net = per_capita * size
            wage = int(net * 0.55)
            business = int(net * 0.3)
            transfer = int(net * 0.2)
            self.writer.add(
                "income_record",
                {
                    "id": _uuid(rng),
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
            plan_id = _uuid(rng)
            enrolled = row["enrolled_on"]
            kinds = [MEASURES[r] for r in risks] or [MEASURES["other"]]
            self.writer.add(
                "assistance_plan",
                {
                    "id": plan_id,
                    "household_id": home.id,
                    "summary": "针对" + "、".join(r for r in risks) + "风险,落实" + kinds[0][1],
                    "due_on": row["plan_due_on"],
                    "created_at": _at(enrolled, 10),
                    "updated_at": None,
                },
            )
            for k, (kind, description) in enumerate(kinds):
                self.writer.add(
                    "measure",
                    {
                        "id": _uuid(rng),
                        "plan_id": plan_id,
                        "kind": kind,
                        "description": description,
                        "start_on": enrolled + timedelta(days=20 + 30 * k),
                        "status": "done"
                        if row["monitoring_status"] == "risk_cleared"
                        else "in_progress",
                        "amount": rng.randint(5, 60) * 100,
                        "carried_out_by": "帮扶责任人",
                        "created_at": _at(enrolled, 20),
                    },
                )

    # -- visits and the ledger -------------------------------------------------------------

    def _visits(
        self,
        rng: random.Random,
        home: Home,
        helpers: dict[uuid.UUID, Staff],
        field_staff: list[Staff],
        pasters: set[uuid.UUID],
    ) -> None:
        helper = helpers.get(home.row["helper_id"]) if home.row["helper_id"] else None
        created_day = home.row["created_at"].astimezone(clock.CHINA).date()
        for month, first, last in self.months:
            if last < created_day:
                continue
            lo = max(first, created_day)
            share = (last - lo).days + 1
            whole = (month_end(first) - first).days + 1
            # In the month under way, only what was done by today.
            done_share = share / whole
            if helper and home.owed and rng.random() < HELPER_VISIT_MONTHLY * done_share:
                self._visit(
                    rng, home, helper, month, lo, last, ledger=True, paster=helper.id in pasters
                )
            if (
                rng.random()
                < (SECOND_VISIT_MONTHLY if home.owed else VILLAGE_VISIT_MONTHLY) * done_share
            ):
                self._visit(
                    rng, home, rng.choice(field_staff), month, lo, last, ledger=False, paster=False
                )

    def _visit(
        self,
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
        if visited_at > self.now:
            visited_at = self.now - timedelta(minutes=rng.randint(1, 600))
            if visited_at.astimezone(clock.CHINA).date() < first:
                return
        kind = "home" if rng.random() < 0.8 else ("phone" if rng.random() < 0.75 else "other")
        head = home.head
        checklist: dict[str, dict[str, Any]] = {k: {"ok": True, "note": ""} for k in BASIC_NEEDS}
        if not home.row["basic_needs"].get("medical", True):
            checklist["medical"] = {"ok": False, "note": "慢病用药负担重"}
        if rng.random() < 0.03:
            checklist["housing"] = {"ok": False, "note": "房屋墙体有裂缝,需鉴定"}
        if paster:
            notes = PASTED_TEXTS[int(month[5:]) % len(PASTED_TEXTS)]
        else:
            detail = rng.choice(NOTE_DETAILS).format(
                n=len(home.people), head=head.name, k=rng.randint(2, 30)
            )
            notes = f"{rng.choice(NOTE_OPENINGS)},{detail}。"
        payload: dict[str, Any] = {
            "id": _uuid(rng),
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
            payload["agreed_by"] = head.name
        position = None
        if kind == "home":
            position = {
                "latitude": round(35.7 + rng.uniform(-0.4, 0.4), 6),
                "longitude": round(105.05 + rng.uniform(-0.4, 0.4), 6),
                "accuracy_m": float(rng.randint(5, 60)),
            }
            payload["position"] = position
        amounts = None
        if ledger:
            size = len(home.people)
            monthly = home.income * size // 12
            wage = int(monthly * rng.uniform(0.3, 0.8))
            transfer = int(monthly * 0.2)
            amounts = {
                "wage": wage,
                "business": max(0, monthly - wage - transfer),
                "property": 0,
                "transfer": transfer,
                "business_cost": 0,
                "medical_spending": rng.choice((0, 0, 0, 200, 800)),
                "schooling_spending": rng.choice((0, 0, 300)),
                "other_spending": 0,
            }
            payload["ledger"] = amounts
        visit_id = payload["id"]
        created = visited_at + timedelta(minutes=rng.randint(1, 60 * 24 * 3))
        created = min(created, self.now)
        self.writer.add(
            "visit",
            {
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
            },
        )
        if amounts is not None:
            self.writer.add(
                "ledger_entry",
                {
                    "id": uuid.uuid5(LEDGER_NAMESPACE, str(visit_id)),
                    "household_id": home.id,
                    "area_code": home.row["area_code"],
                    "month": month,
                    "year": int(month[:4]),
                    **amounts,
                    "household_size": len(home.people),
                    # No visits a year earlier here, so nothing can be a copy of last year's.
                    "copied_from_last_year": False,
                    "as_of": visited_at,
                    "visit_id": visit_id,
                    "recorded_by": visitor.id,
                    "superseded_at": None,
                    "superseded_by": None,
                    "created_at": created,
                },
            )

    # -- self-reports ----------------------------------------------------------------------

    def _deadlines(self, on: date) -> tuple[date, date]:
        if on not in self.deadline_cache:
            with Session(self.engine) as session:
                policy = reports_service.policy_for(session=session, area_code=COUNTY)
                self.deadline_cache[on] = (
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
        return self.deadline_cache[on]

    def _receipt(self, rng: random.Random) -> str:
        while True:
            code = "".join(rng.choice("23456789ABCDEFGHJKMNPQRSTUVWXYZ") for _ in range(8))
            if code not in self.receipts:
                self.receipts.add(code)
                return code

    def _reports(
        self,
        rng: random.Random,
        code: str,
        homes: list[Home],
        cadres: list[Staff],
        town_officer: Staff,
    ) -> None:
        n = _round_share(rng, len(homes) * REPORTS_PER_HOUSEHOLD)
        monitored = [h for h in homes if h.row["monitoring_status"] == "monitored"]
        made: list[dict[str, Any]] = []
        for _ in range(n):
            age = rng.randint(0, 364)
            submitted_day = self.today - timedelta(days=age)
            submitted_at = _at(submitted_day, rng.randint(0, 12 * 60), base_hour=7)
            if submitted_at > self.now:
                submitted_at = self.now - timedelta(minutes=rng.randint(1, 300))
                submitted_day = submitted_at.astimezone(clock.CHINA).date()
            status = _report_status(rng, age)
            home = (
                rng.choice(monitored) if status == "enrolled" and monitored else rng.choice(homes)
            )
            person = home.head if rng.random() < 0.8 else rng.choice(home.people)
            staff_opened = rng.random() < 0.12
            on_behalf = staff_opened or rng.random() < 0.1
            with_id = rng.random() < 0.5
            risks = _weighted_sample(rng, RISK_WEIGHTS, 1 if rng.random() < 0.75 else 2)
            village_due, decision_due = self._deadlines(submitted_day)
            cadre = rng.choice(cadres)
            reporter = cadre if staff_opened else None
            report = SimpleNamespace(
                id=_uuid(rng),
                receipt_code=self._receipt(rng),
                area_code=code,
                status=status,
                name=person.name,
                phone=home.row["phone"] or _phone(rng),
                id_number_cipher=security.encrypt_id_number(person.id_number) if with_id else None,
                id_number_hash=security.id_number_hash(person.id_number) if with_id else None,
                on_behalf=on_behalf,
                reporter_name=(reporter.name if reporter else _name(rng)) if on_behalf else None,
                reporter_phone=_phone(rng) if on_behalf else None,
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
                submitted_at=submitted_at,
                updated_at=None,
            )
            events: list[tuple[str, str | None, str | None, Staff | None, datetime]] = [
                ("submit", None, "submitted", reporter, submitted_at)
            ]
            self._report_path(rng, report, status, cadre, town_officer, events, made)
            reports_service.refresh_step_due(report)  # type: ignore[arg-type]
            row = dict(vars(report))
            self.writer.add("self_report", row)
            made.append(row)
            for action, before, after, actor, at in events:
                self.writer.add(
                    "report_event",
                    {
                        "id": _uuid(rng),
                        "report_id": report.id,
                        "at": min(at, self.now),
                        "action": action,
                        "from_status": before,
                        "to_status": after,
                        "actor_id": actor.id if actor else None,
                        "actor_name": actor.name if actor else reports_service.FARMER,
                        "note": "",
                        "data": {},
                    },
                )

    def _report_path(
        self,
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
            report.decided_at = min(t, self.now)
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
            report.updated_at = min(t, self.now)

    # -- rectification ---------------------------------------------------------------------

    def _batches(
        self,
        county: Staff,
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
                county,
            ),
            ("assessment", "甘肃省乡村振兴局", "省级巩固衔接考核评估反馈问题清单", county),
            ("self_check", "会宁县乡村振兴局", "全县防返贫监测帮扶自查问题清单", county),
        ]
        for k, (source, body, title, issuer) in enumerate(sources):
            issued = self.today - timedelta(days=330 - 90 * k)
            batches.append(self._batch(COUNTY, source, body, title, issuer, issued, weight=3))
        for code, officer in towns.items():
            issued = self.today - timedelta(days=self.rng.randint(20, 200))
            name = township_names.get(code, code)
            batches.append(
                self._batch(
                    code,
                    "self_check",
                    name + "人民政府",
                    f"{name}自查问题清单",
                    officer,
                    issued,
                    weight=1,
                )
            )
        for b in batches:
            row = {k: v for k, v in b.items() if not k.startswith("_")}
            self.writer.add("problem_batch", row)
        return batches

    def _batch(
        self,
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
            "id": _uuid(self.rng),
            "area_code": area,
            "source": source,
            "title": title,
            "issuing_body": body,
            "notice_title": title,
            "document_number": f"会乡振发〔{issued.year}〕{self.rng.randint(10, 99)}号",
            "issued_on": issued,
            "deadline": issued + timedelta(days=self.rng.choice((45, 60, 90))),
            "report_to": "会宁县乡村振兴局",
            "reporting_unit": "",
            "next_steps": "",
            "created_by": issuer.id,
            "created_at": _at(issued, 60),
            "updated_at": None,
            "_issuer": issuer,
            "_weight": weight,
            "_next": 0,
        }

    def _problems(
        self,
        rng: random.Random,
        code: str,
        homes: list[Home],
        cadres: list[Staff],
        town: Staff,
        inspector: Staff,
        batches: list[dict[str, Any]],
    ) -> None:
        n = _round_share(rng, len(homes) * PROBLEMS_PER_HOUSEHOLD)
        mine = [b for b in batches if code.startswith(b["area_code"])]
        weights = [b["_weight"] for b in mine]
        for _ in range(n):
            batch = rng.choices(mine, weights)[0]
            batch["_next"] += 1
            category, title = rng.choice(PROBLEM_TITLES)
            cadre = rng.choice(cadres)
            status, returned, late = _problem_state(rng, batch["deadline"], self.today)
            pid = _uuid(rng)
            issued = batch["issued_on"]
            deadline = batch["deadline"]
            claimed_at = _at(issued + timedelta(days=rng.randint(1, 10)), 120)
            submitted_on = None
            if status in ("submitted_for_closure", "closed"):
                span = (deadline - issued).days
                day = (
                    deadline + timedelta(days=rng.randint(3, 30))
                    if late
                    else issued + timedelta(days=rng.randint(12, max(13, span)))
                )
                submitted_on = min(day, self.today)
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
                "submitted_at": _at(submitted_on, 300) if submitted_on else None,
                "submitted_on": submitted_on,
                "closed_at": _at(submitted_on + timedelta(days=3), 120)
                if closed and submitted_on
                else None,
                "closed_by": (inspector if batch["area_code"] == COUNTY else town).id
                if closed
                else None,
                "return_count": returned,
                "ongoing": ongoing,
                "next_review_on": (
                    self.today + timedelta(days=rng.randint(-60, 90)) if ongoing else None
                ),
                "copied_from_id": None,
                "created_by": batch["_issuer"].id,
                "created_at": _at(issued, 90),
                "updated_at": None,
            }
            for key in ("closed_at",):
                if problem[key] is not None and problem[key] > self.now:
                    problem[key] = self.now
            self.writer.add("problem", problem)
            if rng.random() < 0.3:
                for home in rng.sample(homes, min(len(homes), rng.randint(1, 3))):
                    self.writer.add(
                        "problem_household", {"problem_id": pid, "household_id": home.id}
                    )
            if status == "issued":
                continue
            reviewer = inspector if batch["area_code"] == COUNTY else town
            for position in range(1, rng.randint(1, 3) + 1):
                step_id = _uuid(rng)
                self.writer.add(
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
                    frozen = _at(submitted_on, 300) if submitted_on else None
                    self.writer.add(
                        "evidence",
                        {
                            "id": _uuid(rng),
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
                self.writer.add(
                    "progress_note",
                    {
                        "id": _uuid(rng),
                        "problem_id": pid,
                        "text": "已组织村组干部逐户排查,正在整改",
                        "created_by": cadre.id,
                        "created_at": claimed_at + timedelta(days=3),
                    },
                )
            for r in range(returned):
                self.writer.add(
                    "problem_review",
                    {
                        "id": _uuid(rng),
                        "problem_id": pid,
                        "reviewer_id": reviewer.id,
                        "decision": "return",
                        "reason": "印证资料不充分,请补充入户照片和台账",
                        "created_at": claimed_at + timedelta(days=10 + r),
                    },
                )
            if closed:
                self.writer.add(
                    "problem_review",
                    {
                        "id": _uuid(rng),
                        "problem_id": pid,
                        "reviewer_id": reviewer.id,
                        "decision": "close",
                        "reason": "",
                        "created_at": problem["closed_at"],
                    },
                )


# --- small pieces -----------------------------------------------------------------------------


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


def month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _months(today: date, n: int) -> list[tuple[str, date, date]]:
    """The last n months up to today's: (YYYY-MM, first day, last day counted)."""
    out = []
    first = today.replace(day=1)
    for _ in range(n):
        last = min(month_end(first), today)
        out.append((f"{first:%Y-%m}", first, last))
        first = (first - timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def _at(day: date, minutes: int, base_hour: int = 9) -> datetime:
    """A moment on `day` in China time, `minutes` after base_hour, as UTC."""
    local = datetime(day.year, day.month, day.day, base_hour, tzinfo=clock.CHINA)
    return (local + timedelta(minutes=minutes)).astimezone(UTC)


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _round_share(rng: random.Random, expected: float) -> int:
    whole = math.floor(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), list(weights.values()))[0]


def _weighted_sample(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    out: list[str] = []
    while len(out) < k:
        pick = _weighted(rng, weights)
        if pick not in out:
            out.append(pick)
    return sorted(out)


def _school_stage(age: int) -> str:
    for limit, stage in (
        (3, "not_in_school"),
        (6, "preschool"),
        (12, "primary"),
        (15, "junior_secondary"),
        (18, "senior_secondary"),
        (22, "higher"),
    ):
        if age < limit:
            return stage
    return "not_in_school"


def _report_status(rng: random.Random, age: int) -> str:
    """Older reports are mostly decided; a share of old ones still open (they are overdue)."""
    if age > 40 and rng.random() < 0.88:
        return _weighted(
            rng,
            {"enrolled": 40, "rejected": 28, "referred": 8, "withdrawn": 8, "merged": 10},
        )
    if age < 3:
        return "submitted"
    return _weighted(
        rng, {"submitted": 10, "verifying": 35, "township_review": 30, "county_approval": 25}
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
    status = _weighted(rng, weights)
    returned = 1 if status == "returned" or (status == "closed" and rng.random() < 0.15) else 0
    late = status in ("submitted_for_closure", "closed") and past and rng.random() < 0.2
    return status, returned, late


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
