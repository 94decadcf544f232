"""Households brought in from a county's sheet with their history: one row per member, grouped
by 户编号, checked row by row (a dry run writes nothing), written in bulk a chunk of
households at a time, and idempotent — the same file twice changes nothing; a changed row
updates its household or member, with an audit row.

The 户编号 is the household's `reference`, the key of every re-import. A household keeps the
dates it really has: 建档时间 (`registered_on`), 纳入监测时间 and 风险消除时间, so earlier
visits, ledger months and decisions can be recorded for it."""

import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.accounts.access import IMPORTS_HOUSEHOLDS
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock, db, security
from backend.core.errors import Forbidden, Invalid
from backend.core.ids import new_id
from backend.core.scope import contains
from backend.core.sheets import cell_text, parse_date, short_name
from backend.households import import_columns as c
from backend.households.import_sheet import Row, Sheet
from backend.households.models import (
    BASIC_NEEDS,
    CATEGORY_NAMES,
    TYPE_NAMES,
    Category,
    Employment,
    Health,
    Household,
    HouseholdRisk,
    IncomeRecord,
    Labour,
    Member,
    MonitoringStatus,
    MonitoringType,
    Relation,
    RiskType,
    Schooling,
    Sex,
)
from backend.households.schemas import MAX_AGE, ImportAccount, RowIssue, RowOutcome

# Households per chunk: read, checked and written together, committed at the chunk's end.
CHUNK_HOUSEHOLDS = 2000
MAX_REFERENCE = 24
_PHONE = re.compile(r"^1\d{10}$")

IMPORT_ACTOR = "批量导入"


def require_importer(user: User, area_code: str) -> None:
    """Importing sets past registration dates and monitoring decisions: the county's work
    (as registering a household with a past date is, households/service.py)."""
    if user.role not in IMPORTS_HOUSEHOLDS:
        raise Forbidden("只有县级可以批量导入农户", code="role_forbidden")
    if not contains(user.scope, area_code):
        raise Forbidden("只能导入本辖区内的农户", code="outside_scope")


# --- villages ----------------------------------------------------------------------------


class Villages:
    """A village by its 12-digit code or by its name (高家庄村, 高家庄村民委员会, 会师镇高家庄村)
    inside the import's area; anything outside it is refused by name."""

    def __init__(self, *, session: Session, scope: str) -> None:
        self.scope = scope
        areas = areas_service.areas_under(session=session, prefix=scope)
        townships = {a.code: a for a in areas if len(a.code) == 9}
        self.codes = {a.code for a in areas if len(a.code) == 12}
        self.by_name: dict[str, set[str]] = {}
        for a in areas:
            if len(a.code) != 12:
                continue
            keys = {a.name, short_name(a.name)}
            town = townships.get(a.code[:9])
            if town is not None:
                keys |= {prefix + k for k in list(keys) for prefix in (town.name,)}
            for key in keys:
                self.by_name.setdefault(key, set()).add(a.code)
        self.cache: dict[str, tuple[str | None, str | None]] = {}

    def resolve(self, text: str) -> tuple[str | None, str | None]:
        """(code, None) or (None, why not)."""
        if text not in self.cache:
            self.cache[text] = self._resolve(text)
        return self.cache[text]

    def _resolve(self, text: str) -> tuple[str | None, str | None]:
        if text.isdigit():
            if text in self.codes:
                return text, None
            if len(text) == 12 and not text.startswith(self.scope):
                return None, f"村代码 {text} 不在导入范围({self.scope or '全部'})内"
            return None, f"导入范围内没有村代码 {text}"
        found = self.by_name.get(text, set())
        if len(found) == 1:
            return next(iter(found)), None
        if not found:
            return None, f"导入范围内没有叫“{text}”的村,请核对村名或填写 12 位村代码"
        return None, f"“{text}”有重名({'、'.join(sorted(found))}),请填写 12 位村代码"


# --- one chunk, read ---------------------------------------------------------------------


@dataclass
class MemberIn:
    row: int
    name: str
    relation: Relation
    id_number: str | None
    id_hash: str | None
    sex: Sex
    birth_date: date
    health: Health
    schooling: Schooling
    labour: Labour


@dataclass
class HouseholdIn:
    reference: str
    rows: list[Row]
    members: list[MemberIn] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)  # the household's own columns
    area_code: str = ""
    category: Category = Category.ordinary
    monitoring_type: MonitoringType | None = None
    monitoring_status: MonitoringStatus = MonitoringStatus.not_monitored
    risk_types: list[RiskType] = field(default_factory=list)
    enrolled_on: date | None = None
    risk_cleared_on: date | None = None
    registered_on: date | None = None
    phone: str | None = None
    address: str = ""
    income: dict[str, int] | None = None  # year and the parts

    def bad(self, row: int, key: str, message: str) -> None:
        self.issues.append(
            RowIssue(
                row=row, reference=self.reference, field=c.HEADER_OF.get(key, key), message=message
            )
        )


def _text(cells: dict[str, Any], key: str) -> str:
    value = cells.get(key)
    # Text arrives stripped (reading.py): only numbers and dates need turning into text.
    return value if type(value) is str else cell_text(value)


def _yuan(text: str) -> int | None:
    try:
        value = Decimal(text.replace(",", "").replace(",", ""))
    except InvalidOperation:
        return None
    if value < 0 or value > 100_000_000:
        return None
    return int(value.quantize(Decimal(1)))


def _read_member(h: HouseholdIn, row: Row, today: date) -> None:
    cells = row.cells
    n = row.number
    name = _text(cells, "name")
    before = len(h.issues)
    if not name:
        h.bad(n, "name", "必须填写")
    elif len(name) > 40:
        h.bad(n, "name", "最多 40 个字")
    relation = c.relation_of(_text(cells, "relation"))
    if relation is None:
        choices = "、".join(c.RELATION_NAMES.values())
        h.bad(n, "relation", f"“{_text(cells, 'relation')}”不是可选的关系,可选:{choices}")
    id_number = security.normalize_id_number(_text(cells, "id_number")) or None
    if id_number is not None:
        problem = security.id_number_problem(id_number)
        if problem:
            h.bad(n, "id_number", problem)
            id_number = None
    born = parse_date(cells.get("birth_date")) if _text(cells, "birth_date") else None
    # 出生年月 columns often say 1970-03 or 197003: the month is enough beside an ID.
    if _text(cells, "birth_date") and born is None and not id_number:
        h.bad(n, "birth_date", "应为日期(如 1970-03-08)")
    if id_number:
        derived = security.birth_date_of(id_number)
        if born is not None and born != derived:
            h.bad(n, "birth_date", "与证件号码中的出生日期不一致")
        born = derived
    elif born is None and not _text(cells, "birth_date"):
        h.bad(n, "birth_date", "没有证件号码时必须填写出生日期")
    if born is not None and (born > today or today.year - born.year > MAX_AGE):
        h.bad(n, "birth_date", "出生日期不合理")
    sex_text = _text(cells, "sex")
    sex = {"男": Sex.male, "女": Sex.female}.get(sex_text)
    if id_number:
        derived_sex = Sex(security.sex_of(id_number))
        if sex is not None and sex != derived_sex:
            h.bad(n, "sex", "与证件号码中的性别不一致")
        sex = derived_sex
    elif sex is None:
        h.bad(n, "sex", "应为 男 或 女" if sex_text else "没有证件号码时必须填写性别")
    health = _choice(h, n, cells, "health", c.health_of, Health.healthy)
    schooling = _choice(h, n, cells, "schooling", c.schooling_of, Schooling.not_in_school)
    labour = _choice(h, n, cells, "labour", c.labour_of, Labour.full)
    if len(h.issues) > before:
        return
    assert relation is not None and sex is not None and born is not None
    h.members.append(
        MemberIn(
            row=n,
            name=name,
            relation=relation,
            id_number=id_number,
            id_hash=security.id_number_hash(id_number) if id_number else None,
            sex=sex,
            birth_date=born,
            health=health,
            schooling=schooling,
            labour=labour,
        )
    )


def _choice(
    h: HouseholdIn,
    n: int,
    cells: dict[str, Any],
    key: str,
    read: Callable[[str], Any],
    default: Any,
) -> Any:
    text = _text(cells, key)
    if not text:
        return default
    value = read(text)
    if value is None:
        h.bad(n, key, f"“{text}”看不懂,请按系统的选项填写")
        return default
    return value


def _household_values(h: HouseholdIn) -> None:
    """The household's columns: the first non-empty value of each, and a row that says
    otherwise is refused (one household, one village, one category…)."""
    first: tuple[Any, ...] | None = None
    for row in h.rows:
        cells = row.cells
        # Most sheets repeat the household's columns on every row: a row that repeats the
        # first one's exactly has nothing new to say.
        same = tuple(cells.get(k) for k in c.HOUSEHOLD_KEYS)
        if first is None:
            first = same
        elif same == first:
            continue
        for key in c.HOUSEHOLD_KEYS:
            text = _text(row.cells, key)
            if not text:
                continue
            known = h.values.get(key)
            if known is None:
                h.values[key] = (row.number, row.cells.get(key))
            elif cell_text(known[1]) != text:
                h.bad(row.number, key, f"与本户第 {known[0]} 行的“{cell_text(known[1])}”不一致")


def _read_household(h: HouseholdIn, villages: Villages, today: date) -> None:
    """Everything about the household itself, after its members are read."""
    first = h.rows[0].number
    v = {k: (n, cell_text(val)) for k, (n, val) in h.values.items()}
    raw = {k: val for k, (_n, val) in h.values.items()}
    if len(h.reference) > MAX_REFERENCE:
        h.bad(first, "reference", f"最多 {MAX_REFERENCE} 个字符")
    if "village" not in v:
        h.bad(first, "village", "必须填写")
    else:
        code, why = villages.resolve(v["village"][1])
        if why:
            h.bad(v["village"][0], "village", why)
        h.area_code = code or ""
    heads = [m for m in h.members if m.relation == Relation.head]
    if len(heads) > 1:
        h.bad(heads[1].row, "relation", f"本户已有户主(第 {heads[0].row} 行)")
    elif not heads and not h.issues:
        h.bad(first, "relation", "本户没有与户主关系为“户主”的行")
    if heads and "head_name" in v and v["head_name"][1] != heads[0].name:
        h.bad(v["head_name"][0], "head_name", f"与户主行的姓名“{heads[0].name}”不一致")
    _category(h, v)
    _monitoring(h, v, raw, today)
    _income(h, v, today)
    if "phone" in v:
        phone = v["phone"][1].replace("-", "").replace(" ", "")
        if not _PHONE.match(phone):
            h.bad(v["phone"][0], "phone", "应为 11 位手机号")
        h.phone = phone
    if "address" in v:
        if len(v["address"][1]) > 120:
            h.bad(v["address"][0], "address", "最多 120 个字")
        h.address = v["address"][1][:120]


def _category(h: HouseholdIn, v: dict[str, tuple[int, str]]) -> None:
    kind = v.get("category", (0, ""))[1]
    type_text = v.get("monitoring_type", (0, ""))[1]
    if type_text:
        h.monitoring_type = c.TYPE_BY_NAME.get(type_text)
        if h.monitoring_type is None:
            choices = "、".join(TYPE_NAMES.values())
            h.bad(v["monitoring_type"][0], "monitoring_type", f"应为 {choices} 之一")
    if kind in c.CATEGORY_BY_NAME:
        h.category = c.CATEGORY_BY_NAME[kind]
    elif kind in c.TYPE_BY_NAME:  # 户类型 written as the monitoring type itself
        h.monitoring_type = h.monitoring_type or c.TYPE_BY_NAME[kind]
    elif kind and kind not in c.MONITORED_WORDS:
        choices = "、".join([*CATEGORY_NAMES.values(), "监测户"])
        h.bad(v["category"][0], "category", f"“{kind}”不是可选的户类型,可选:{choices}")
    elif not kind and not type_text:
        h.bad(h.rows[0].number, "category", "户类型与监测对象类别至少填写一项")
    if kind not in c.CATEGORY_BY_NAME:
        # 脱贫不稳定户 are lifted households by definition; the other two kinds are not.
        lifted = h.monitoring_type == MonitoringType.unstable_lifted
        h.category = Category.lifted if lifted else Category.ordinary


def _date(h: HouseholdIn, v: dict[str, tuple[int, str]], raw: dict[str, Any], key: str) -> Any:
    if key not in v:
        return None
    found = parse_date(raw[key])
    if found is None:
        h.bad(v[key][0], key, "应为日期(如 2023-09-30)")
    elif found > clock.today():
        h.bad(v[key][0], key, "不能是将来的日期")
    return found


def _monitoring(
    h: HouseholdIn, v: dict[str, tuple[int, str]], raw: dict[str, Any], today: date
) -> None:
    h.enrolled_on = _date(h, v, raw, "enrolled_on")
    h.risk_cleared_on = _date(h, v, raw, "risk_cleared_on")
    h.registered_on = _date(h, v, raw, "registered_on")
    kind = v.get("category", (0, ""))[1]
    if "risk_types" in v:
        h.risk_types, unknown = c.risks_of(v["risk_types"][1])
        if unknown:
            choices = "、".join(c.RISK_NAMES.values())
            h.bad(v["risk_types"][0], "risk_types", f"看不懂“{'、'.join(unknown)}”,可选:{choices}")
    if h.enrolled_on is None:
        if "enrolled_on" not in v and (h.monitoring_type or kind in c.MONITORED_WORDS):
            h.bad(h.rows[0].number, "enrolled_on", "监测对象必须填写纳入监测时间")
        if h.risk_cleared_on is not None:
            h.bad(v["risk_cleared_on"][0], "risk_cleared_on", "没有纳入监测时间,不能有风险消除时间")
        return
    if h.monitoring_type is None and "monitoring_type" not in v:
        h.bad(h.rows[0].number, "monitoring_type", "纳入监测的户必须填写监测对象类别")
    if not h.risk_types and "risk_types" not in v:
        h.bad(h.rows[0].number, "risk_types", "纳入监测的户必须填写风险类型")
    if h.risk_cleared_on is not None and h.risk_cleared_on < h.enrolled_on:
        h.bad(v["risk_cleared_on"][0], "risk_cleared_on", "不能早于纳入监测时间")
    if h.registered_on is not None and h.enrolled_on < h.registered_on:
        h.bad(v["enrolled_on"][0], "enrolled_on", "不能早于建档时间")
    h.monitoring_status = (
        MonitoringStatus.risk_cleared if h.risk_cleared_on else MonitoringStatus.monitored
    )


def _income(h: HouseholdIn, v: dict[str, tuple[int, str]], today: date) -> None:
    """人均纯收入 and 年度 (and the parts, when the sheet has them) → the year's income."""
    given = [k for k in ("per_capita", *c.PARTS) if k in v]
    if not given:
        if "year" in v and not v["year"][1].isdigit():
            h.bad(v["year"][0], "year", "应为四位年份,如 2023")
        return
    figures: dict[str, int] = {}
    for key in given:
        value = _yuan(v[key][1])
        if value is None:
            h.bad(v[key][0], key, "应为 0 到 1 亿之间的金额(元)")
        figures[key] = value or 0
    year_text = v.get("year", (h.rows[0].number, ""))[1]
    if not year_text:
        h.bad(h.rows[0].number, "year", "填写收入时必须填写年度")
        return
    year = int(year_text) if year_text.isdigit() else 0
    if not 2010 <= year <= today.year:
        h.bad(v["year"][0], "year", f"应为 2010 到 {today.year} 之间的年份")
        return
    size = len(h.rows)
    parts = {k: figures.get(k, 0) for k in c.PARTS}
    net = parts["wage"] + parts["business"] + parts["property"] + parts["transfer"]
    net -= parts["business_cost"]
    if not any(k in figures for k in c.PARTS):
        # Only the per-capita figure: the household's net income is kept as one part
        # (经营性收入, farming being the usual source) so the per-capita figure stays right.
        parts["business"] = figures["per_capita"] * size
    elif "per_capita" in figures and abs(net // size - figures["per_capita"]) > 1:
        h.bad(
            v["per_capita"][0],
            "per_capita",
            f"与各项收入算出的人均纯收入 {net // size} 元(按 {size} 人)不一致",
        )
    h.income = {"year": year, "household_size": size, **parts}


# --- the run -----------------------------------------------------------------------------


@dataclass
class _Existing:
    households: dict[str, dict[str, Any]]  # reference → row
    members: dict[uuid.UUID, list[dict[str, Any]]]  # household id → rows
    elsewhere: dict[str, str]  # id hash → the reference of another household it is active in
    risks: dict[uuid.UUID, list[str]]
    incomes: dict[tuple[uuid.UUID, int], dict[str, Any]]


HOUSEHOLD_FIELDS = (
    "area_code",
    "category",
    "monitoring_status",
    "monitoring_type",
    "enrolled_on",
    "risk_cleared_on",
    "phone",
    "address",
)
MEMBER_FIELDS = ("name", "relation", "sex", "birth_date", "health", "schooling", "labour")
INCOME_FIELDS = ("household_size", *c.PARTS)


class ImportRun:
    """One file through the importer: chunk by chunk, every row accounted for."""

    def __init__(
        self,
        *,
        session: Session,
        scope: str,
        actor: User | None,
        dry_run: bool,
        keep_outcomes: bool,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.session = session
        self.scope = scope
        self.actor = actor
        self.dry_run = dry_run
        self.keep_outcomes = keep_outcomes
        self.progress = progress
        self.today = clock.today()
        self.villages = Villages(session=session, scope=scope)
        self.account = ImportAccount(dry_run=dry_run, area_code=scope)
        # Across chunks: each person's household in this file (a person in two households is
        # refused). A household whose rows lie apart in the file is joined, in a later chunk,
        # to what an earlier one made of it (it reads as an existing household then).
        self.people: dict[str, str] = {}

    # -- reading ------------------------------------------------------------------------

    def run(self, sheet: Sheet) -> ImportAccount:
        started = time.monotonic()
        try:
            for chunk in self._chunks(sheet.rows):
                self._chunk(chunk)
        finally:
            if sheet.close is not None:
                sheet.close()
        self.account.seconds = round(time.monotonic() - started, 3)
        return self.account

    def _chunks(self, rows: Iterator[Row]) -> Iterator[dict[str, HouseholdIn]]:
        chunk: dict[str, HouseholdIn] = {}
        for row in rows:
            self.account.rows += 1
            reference = _text(row.cells, "reference")
            if not reference:
                self._refuse_row(row, "reference", "必须填写")
                continue
            h = chunk.get(reference)
            if h is None:
                if len(chunk) >= CHUNK_HOUSEHOLDS:
                    yield chunk
                    chunk = {}
                h = chunk[reference] = HouseholdIn(reference=reference, rows=[])
            h.rows.append(row)
        if chunk:
            yield chunk

    def _refuse_row(self, row: Row, key: str, message: str) -> None:
        self.account.issues.append(
            RowIssue(row=row.number, field=c.HEADER_OF[key], message=message)
        )
        if self.keep_outcomes:
            self.account.outcomes.append(
                RowOutcome(row=row.number, reference="", outcome="refused")
            )

    # -- one chunk ----------------------------------------------------------------------

    def _chunk(self, chunk: dict[str, HouseholdIn]) -> None:
        for h in chunk.values():
            for row in h.rows:
                _read_member(h, row, self.today)
            _household_values(h)
            _read_household(h, self.villages, self.today)
        read = {h.reference: len(h.issues) for h in chunk.values()}
        try:
            plan = self._plan(chunk)
            if not self.dry_run and plan.any():
                plan.write(self.session, self.actor)
                self.session.commit()
        except IntegrityError:
            # Someone changed the same households or people between our reads and our
            # writes: plan again under the write lock, where nobody else writes.
            self.session.rollback()
            db.lock_for_write(self.session)
            for h in chunk.values():
                del h.issues[read[h.reference] :]
            plan = self._plan(chunk)
            plan.write(self.session, self.actor)
            self.session.commit()
        for h, outcome, counted in plan.outcomes:
            self._account(h, outcome, counted)
        if self.progress is not None:
            self.progress(sum(len(h.rows) for h in chunk.values()))

    def _existing(self, chunk: dict[str, HouseholdIn]) -> _Existing:
        s = self.session
        refs = list(chunk)
        households = {
            r["reference"]: r
            for r in s.execute(
                select(Household.__table__).where(col(Household.reference).in_(refs))  # type: ignore[attr-defined]
            ).mappings()
        }
        ids = [r["id"] for r in households.values()]
        members: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
        risks: dict[uuid.UUID, list[str]] = {i: [] for i in ids}
        incomes: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}
        if ids:
            for r in s.execute(
                select(Member.__table__).where(col(Member.household_id).in_(ids))  # type: ignore[attr-defined]
            ).mappings():
                members[r["household_id"]].append(dict(r))
            for hid, risk in s.execute(
                select(HouseholdRisk.household_id, HouseholdRisk.risk_type).where(
                    col(HouseholdRisk.household_id).in_(ids)
                )
            ):
                risks[hid].append(risk)
            for r in s.execute(
                select(IncomeRecord.__table__).where(col(IncomeRecord.household_id).in_(ids))  # type: ignore[attr-defined]
            ).mappings():
                incomes[(r["household_id"], r["year"])] = dict(r)
        hashes = [m.id_hash for h in chunk.values() for m in h.members if m.id_hash]
        elsewhere: dict[str, str] = {}
        for start in range(0, len(hashes), 5000):
            part = hashes[start : start + 5000]
            for digest, reference in s.execute(
                select(Member.id_number_hash, Household.reference)
                .join(Household, col(Household.id) == col(Member.household_id))
                .where(col(Member.id_number_hash).in_(part), col(Member.active).is_(True))
            ):
                elsewhere[digest] = reference
        return _Existing(households, members, elsewhere, risks, incomes)

    def _plan(self, chunk: dict[str, HouseholdIn]) -> "_Plan":
        existing = self._existing(chunk)
        plan = _Plan()
        for h in chunk.values():
            self._people(h, existing)
            old = existing.households.get(h.reference)
            if old is not None and not contains(self.scope, old["area_code"]):
                h.bad(h.rows[0].number, "reference", "此户编号已属于导入范围以外的农户")
            # Enrolled before the date it was registered here: registered earlier.
            if (
                old is not None
                and h.registered_on is None
                and h.enrolled_on is not None
                and h.enrolled_on < old["registered_on"]
            ):
                h.registered_on = h.enrolled_on
            if h.issues:
                plan.outcomes.append((h, "refused", {}))
            else:
                plan.add(h, old, existing, self.today)
        return plan

    def _people(self, h: HouseholdIn, existing: _Existing) -> None:
        """A person is in one household: the file's and the database's."""
        mine: dict[str, int] = {}
        for m in h.members:
            if not m.id_hash:
                continue
            if m.id_hash in mine:
                h.bad(m.row, "id_number", f"与本户第 {mine[m.id_hash]} 行的证件号码重复")
                continue
            mine[m.id_hash] = m.row
            other = self.people.get(m.id_hash)
            if other is not None and other != h.reference:
                h.bad(m.row, "id_number", f"此证件号码已出现在本文件的户 {other} 中")
                continue
            found = existing.elsewhere.get(m.id_hash)
            if found is not None and found != h.reference:
                h.bad(m.row, "id_number", f"此证件号码已是户 {found} 的在册家庭成员")
        if not h.issues:
            for digest in mine:
                self.people[digest] = h.reference

    def _account(self, h: HouseholdIn, outcome: str, counted: dict[str, tuple[int, int]]) -> None:
        counts = self.account.households
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        self.account.issues.extend(h.issues)
        if self.keep_outcomes:
            self.account.outcomes.extend(
                RowOutcome(row=r.number, reference=h.reference, outcome=outcome)  # type: ignore[arg-type]
                for r in h.rows
            )
        for key, (made, changed) in counted.items():
            counts = getattr(self.account, key)
            counts.created += made
            counts.updated += changed


# --- writing -----------------------------------------------------------------------------


class _Plan:
    """What one chunk writes: rows to insert and to update per table, and audit rows."""

    def __init__(self) -> None:
        self.now = clock.now()
        self.households: list[dict[str, Any]] = []
        self.household_updates: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.member_updates: list[dict[str, Any]] = []
        self.risks: list[dict[str, Any]] = []
        self.risks_cleared: list[uuid.UUID] = []
        self.incomes: list[dict[str, Any]] = []
        self.income_updates: list[dict[str, Any]] = []
        self.area_moves: list[dict[str, Any]] = []
        self.audits: list[tuple[str, Any, str, str, dict[str, Any]]] = []
        # Each household with its outcome and its (created, updated) members and incomes.
        self.outcomes: list[tuple[HouseholdIn, str, dict[str, tuple[int, int]]]] = []

    def any(self) -> bool:
        return bool(self.audits)

    def add(
        self, h: HouseholdIn, old: dict[str, Any] | None, existing: _Existing, today: date
    ) -> None:
        values = {
            "area_code": h.area_code,
            "category": h.category.value,
            "monitoring_status": h.monitoring_status.value,
            "monitoring_type": h.monitoring_type.value if h.monitoring_type else None,
            "enrolled_on": h.enrolled_on,
            "risk_cleared_on": h.risk_cleared_on,
            "phone": h.phone,
            "address": h.address,
        }
        if old is None:
            self._create(h, values, today)
        else:
            self._update(h, old, values, existing)

    def _create(self, h: HouseholdIn, values: dict[str, Any], today: date) -> None:
        hid = new_id()
        # Without a 建档时间, the earliest date the sheet knows of the household.
        known = [d for d in (h.enrolled_on,) if d is not None]
        if h.income:
            known.append(date(h.income["year"], 1, 1))
        registered = h.registered_on or min(known, default=today)
        self.households.append(
            {
                "id": hid,
                "reference": h.reference,
                **values,
                "plan_due_on": None,
                "basic_needs": dict.fromkeys(BASIC_NEEDS, True),
                "helper_id": None,
                "registered_on": registered,
                "created_at": self.now,
                "updated_at": None,
            }
        )
        for m in h.members:
            self.members.append(self._member_row(hid, h.area_code, m))
        for risk in h.risk_types:
            self.risks.append({"household_id": hid, "risk_type": risk.value})
        if h.income:
            self.incomes.append(self._income_row(hid, h.income))
        counted = {"members": (len(h.members), 0), "incomes": (1 if h.income else 0, 0)}
        self.outcomes.append((h, "created", counted))
        self.audits.append(
            (
                "household",
                hid,
                h.area_code,
                "import",
                {
                    **{k: [None, v] for k, v in values.items() if v not in (None, "")},
                    "registered_on": [None, registered],
                    "risk_types": [None, [r.value for r in h.risk_types]],
                    "members": [
                        None,
                        [{"name": m.name, "id_number": m.id_number} for m in h.members],
                    ],
                },
            )
        )

    def _member_row(self, hid: uuid.UUID, area_code: str, m: MemberIn) -> dict[str, Any]:
        return {
            "id": new_id(),
            "household_id": hid,
            "area_code": area_code,
            "name": m.name,
            "id_number_cipher": security.encrypt_id_number(m.id_number) if m.id_number else None,
            "id_number_hash": m.id_hash,
            "sex": m.sex.value,
            "birth_date": m.birth_date,
            "relation": m.relation.value,
            "health": m.health.value,
            "schooling": m.schooling.value,
            "labour": m.labour.value,
            "employment": Employment.not_employed.value,
            "active": True,
            "left_on": None,
            "died_on": None,
            "created_at": self.now,
        }

    def _income_row(self, hid: uuid.UUID, income: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": new_id(),
            "household_id": hid,
            **income,
            "created_at": self.now,
            "updated_at": None,
        }

    def _update(
        self, h: HouseholdIn, old: dict[str, Any], values: dict[str, Any], existing: _Existing
    ) -> None:
        hid = old["id"]
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key in ("phone", "address") and not value:
                continue  # a sheet without the column leaves what the household has
            if old[key] != value:
                changes[key] = [old[key], value]
        # Registered earlier than we knew: kept (never later: visits may already lie before).
        registered = old["registered_on"]
        if h.registered_on is not None and h.registered_on < registered:
            changes["registered_on"] = [registered, h.registered_on]
            registered = h.registered_on
        if "area_code" in changes:
            self.area_moves.append({"b_id": hid, "area_code": h.area_code})
        before_risks = sorted(existing.risks.get(hid, []))
        after_risks = sorted(r.value for r in h.risk_types)
        if before_risks != after_risks:
            changes["risk_types"] = [before_risks, after_risks]
            self.risks_cleared.append(hid)
            self.risks.extend({"household_id": hid, "risk_type": r} for r in after_risks)
        made = changed = 0
        olds = existing.members.get(hid, [])
        by_hash = {m["id_number_hash"]: m for m in olds if m["id_number_hash"]}
        by_name = {m["name"]: m for m in olds if not m["id_number_hash"]}
        member_changes = []
        for m in h.members:
            row = by_hash.get(m.id_hash) if m.id_hash else by_name.get(m.name)
            if row is None:
                self.members.append(self._member_row(hid, h.area_code, m))
                member_changes.append({"name": m.name, "id_number": m.id_number, "added": True})
                made += 1
                continue
            new = {
                "name": m.name,
                "relation": m.relation.value,
                "sex": m.sex.value,
                "birth_date": m.birth_date,
                "health": m.health.value,
                "schooling": m.schooling.value,
                "labour": m.labour.value,
                "area_code": h.area_code,
                "active": True,
            }
            diff = {k: [row[k], v] for k, v in new.items() if row[k] != v}
            if diff:
                self.member_updates.append({"b_id": row["id"], **new})
                member_changes.append({"name": m.name, **diff})
                changed += 1
        if member_changes:
            changes["members"] = member_changes
        income_made = income_changed = 0
        if h.income:
            known = existing.incomes.get((hid, h.income["year"]))
            if known is None:
                self.incomes.append(self._income_row(hid, h.income))
                income_made = 1
                changes["income"] = [None, h.income]
            elif any(known[k] != h.income[k] for k in INCOME_FIELDS):
                self.income_updates.append(
                    {"b_id": known["id"], **{k: h.income[k] for k in INCOME_FIELDS}}
                )
                income_changed = 1
                changes["income"] = [{k: known[k] for k in INCOME_FIELDS}, h.income]
        counted = {"members": (made, changed), "incomes": (income_made, income_changed)}
        if not changes:
            self.outcomes.append((h, "unchanged", counted))
            return
        # Every update row carries every column (executemany binds one shape); a change to
        # members, risks or income alone still moves the household's updated_at.
        kept = {k: old[k] for k in values}
        kept.update({k: pair[1] for k, pair in changes.items() if k in values})
        self.household_updates.append(
            {"b_id": hid, **kept, "registered_on": registered, "updated_at": self.now}
        )
        self.audits.append(("household", hid, h.area_code, "import_update", changes))
        self.outcomes.append((h, "updated", counted))

    def write(self, session: Session, actor: User | None) -> None:
        """Set-based: one executemany per table and kind of change."""
        run = session.execute
        if self.households:
            run(insert(Household.__table__), self.households)  # type: ignore[attr-defined]
        if self.household_updates:
            table = Household.__table__  # type: ignore[attr-defined]
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({k: bindparam(k) for k in self.household_updates[0] if k != "b_id"})
            )
            session.connection().execute(stmt, self.household_updates)
        if self.member_updates:
            table = Member.__table__  # type: ignore[attr-defined]
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({k: bindparam(k) for k in self.member_updates[0] if k != "b_id"})
            )
            session.connection().execute(stmt, self.member_updates)
        if self.area_moves:
            table = Member.__table__  # type: ignore[attr-defined]
            stmt = (
                update(table)
                .where(table.c.household_id == bindparam("b_id"))
                .values(area_code=bindparam("area_code"))
            )
            session.connection().execute(stmt, self.area_moves)
        if self.members:
            run(insert(Member.__table__), self.members)  # type: ignore[attr-defined]
        if self.risks_cleared:
            table = HouseholdRisk.__table__  # type: ignore[attr-defined]
            run(table.delete().where(table.c.household_id.in_(self.risks_cleared)))
        if self.risks:
            run(insert(HouseholdRisk.__table__), self.risks)  # type: ignore[attr-defined]
        if self.incomes:
            run(insert(IncomeRecord.__table__), self.incomes)  # type: ignore[attr-defined]
        if self.income_updates:
            table = IncomeRecord.__table__  # type: ignore[attr-defined]
            stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({k: bindparam(k) for k in INCOME_FIELDS})
            )
            session.connection().execute(stmt, self.income_updates)
        audit.record_many(
            session=session,
            actor=actor if actor is not None else _Cli(),
            changes=self.audits,
        )


@dataclass
class _Cli:
    """Who the audit names for a CLI import (no account: the operator on the server)."""

    full_name: str = f"{IMPORT_ACTOR}(命令行)"
    id: None = None
    role: str = ""


def import_households(
    *,
    session: Session,
    sheet: Sheet,
    scope: str,
    actor: User | None,
    dry_run: bool,
    keep_outcomes: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ImportAccount:
    """Read `sheet` into the households of `scope` (an area code; "" for everything). A dry run
    checks every row and writes nothing. Otherwise each chunk of households commits on its
    own: a run cut short is finished by importing the same file again. The run is audited
    as a whole (who, which area, the counts) besides each household's own row."""
    if scope and not scope.isdigit():
        raise Invalid("area", "应为地区代码")
    if scope and areas_service.get(session=session, code=scope) is None:
        raise Invalid("area", f"没有地区代码 {scope}")
    account = ImportRun(
        session=session,
        scope=scope,
        actor=actor,
        dry_run=dry_run,
        keep_outcomes=keep_outcomes,
        progress=progress,
    ).run(sheet)
    if not account.rows:
        raise Invalid("file", "表格中没有成员行")
    if not dry_run:
        audit.record(
            session=session,
            actor=actor if actor is not None else _Cli(),
            entity="household_import",
            entity_id=new_id(),
            area_code=scope,
            action="import",
            changes={
                "rows": account.rows,
                "households": account.households.model_dump(),
                "members": account.members.model_dump(),
                "issues": len(account.issues),
            },
        )
        session.commit()
    return account
