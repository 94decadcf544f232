"""The household import's reading of one household's rows: the village named, each member's
row and the household's own columns checked, every refusal kept beside the row and the column
(imports.py runs the chunks; import_plan.py writes what passed)."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from backend.areas import service as areas_service
from backend.core import clock, security
from backend.core.sheets import cell_text, one_by_name, parse_date, short_name
from backend.households import import_columns as c
from backend.households.import_sheet import Row
from backend.households.models import (
    CATEGORY_NAMES,
    TYPE_NAMES,
    Category,
    Health,
    Labour,
    MonitoringStatus,
    MonitoringType,
    Relation,
    RiskType,
    Schooling,
    Sex,
)
from backend.households.schemas import MAX_AGE, RowIssue

MAX_REFERENCE = 24
_PHONE = re.compile(r"^1\d{10}$")


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
        return one_by_name(
            self.by_name,
            text,
            missing=f"导入范围内没有叫“{text}”的村,请核对村名或填写 12 位村代码",
            ask="请填写 12 位村代码",
        )


# --- a household's rows ------------------------------------------------------------------


@dataclass
class MemberIn:
    row: int
    name: str
    relation: Relation
    id_number: str | None
    id_hash: str | None
    # The hash under the current data key, then under each old key still being rotated away
    # from: a person stored before a rotation reached them is still found.
    id_hashes: list[str]
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


def text_of(cells: dict[str, Any], key: str) -> str:
    """A cell as text (numbers and dates as a sheet would show them)."""
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


def read_member(h: HouseholdIn, row: Row, today: date) -> None:
    cells = row.cells
    n = row.number
    name = text_of(cells, "name")
    before = len(h.issues)
    if not name:
        h.bad(n, "name", "必须填写")
    elif len(name) > 40:
        h.bad(n, "name", "最多 40 个字")
    relation_text = text_of(cells, "relation")
    relation = c.relation_of(relation_text)
    if relation is None:
        choices = "、".join(c.RELATION_NAMES.values())
        h.bad(n, "relation", f"“{relation_text}”不是可选的关系,可选:{choices}")
    id_number = security.normalize_id_number(text_of(cells, "id_number")) or None
    if id_number is not None:
        # today passed: the clock read once a chunk, not once a member.
        problem = security.id_number_problem(id_number, today)
        if problem:
            h.bad(n, "id_number", problem)
            id_number = None
    born_text = text_of(cells, "birth_date")
    born = parse_date(cells.get("birth_date")) if born_text else None
    # 出生年月 columns often say 1970-03 or 197003: the month is enough beside an ID.
    if born_text and born is None and not id_number:
        h.bad(n, "birth_date", "应为日期(如 1970-03-08)")
    if id_number:
        derived = security.birth_date_of(id_number)
        if born is not None and born != derived:
            h.bad(n, "birth_date", "与证件号码中的出生日期不一致")
        born = derived
    elif born is None and not born_text:
        h.bad(n, "birth_date", "没有证件号码时必须填写出生日期")
    if born is not None and (born > today or today.year - born.year > MAX_AGE):
        h.bad(n, "birth_date", "出生日期不合理")
    sex_text = text_of(cells, "sex")
    sex = _SEXES.get(sex_text)
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
    hashes = security.id_number_hashes(id_number) if id_number else []
    h.members.append(
        MemberIn(
            row=n,
            name=name,
            relation=relation,
            id_number=id_number,
            id_hash=hashes[0] if hashes else None,
            id_hashes=hashes,
            sex=sex,
            birth_date=born,
            health=health,
            schooling=schooling,
            labour=labour,
        )
    )


_SEXES = {"男": Sex.male, "女": Sex.female}


def _choice(
    h: HouseholdIn,
    n: int,
    cells: dict[str, Any],
    key: str,
    read: Callable[[str], Any],
    default: Any,
) -> Any:
    text = text_of(cells, key)
    if not text:
        return default
    value = read(text)
    if value is None:
        h.bad(n, key, f"“{text}”看不懂,请按系统的选项填写")
        return default
    return value


def household_values(h: HouseholdIn) -> None:
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
            text = text_of(row.cells, key)
            if not text:
                continue
            known = h.values.get(key)
            if known is None:
                h.values[key] = (row.number, row.cells.get(key))
            elif cell_text(known[1]) != text:
                h.bad(row.number, key, f"与本户第 {known[0]} 行的“{cell_text(known[1])}”不一致")


def read_household(h: HouseholdIn, villages: Villages, today: date) -> None:
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
