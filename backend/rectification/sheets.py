"""Problem lists read from spreadsheets: Chinese headers in any column order, areas by name
or code, dates as people type them, every row accounted for (the ledger export, which
imports back, is ledger.py)."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.core.errors import AppError, Invalid
from backend.core.sheets import (
    cell_text,
    find_header,
    one_by_name,
    open_xlsx,
    parse_date,
    short_name,
)
from backend.core.usecase import use_case
from backend.rectification import service
from backend.rectification.models import (
    CATEGORY_NAMES,
    SEVERITY_NAMES,
    Problem,
    ProblemBatch,
    ProblemCategory,
    Severity,
)
from backend.rectification.permissions import require_issuer
from backend.rectification.schemas import ImportResult, ProblemCreate, RowError, RowResult

# Header → field. The first seven are required (what inspectors' lists carry); the rest
# are read when present, so the ledger (ledger.py) imports back unchanged.
REQUIRED = {
    "序号": "number",
    "问题描述": "description",
    "类别": "category",
    "地区": "area",
    "责任单位": "responsible_unit",
    "责任人": "responsible_person",
    "整改时限": "deadline",
}
OPTIONAL = {"问题标题": "title", "严重程度": "severity", "地区代码": "area_code"}
HEADER_ALIASES = {
    "问题类别": "类别",
    "问题类型": "类别",
    "所在地区": "地区",
    "完成时限": "整改时限",
}

CATEGORY_BY_NAME = {name: cat for cat, name in CATEGORY_NAMES.items()}
CATEGORY_BY_NAME.update(
    {"三保障": ProblemCategory.basic_needs, "饮水安全": ProblemCategory.basic_needs}
)
SEVERITY_BY_NAME = {name: sev for sev, name in SEVERITY_NAMES.items()}

MAX_ROWS = 2000
# A real problem list is a few hundred KB unpacked; these stop a small upload from
# unpacking into gigabytes (a zip bomb) before openpyxl reads it.
MAX_UNPACKED = 50 * 1024 * 1024


class ImportRefused(AppError):
    """All-or-nothing import with at least one bad row: nothing written, every row told."""

    status = 422
    code = "import_refused"


# --- reading -------------------------------------------------------------------------------


def _open(data: bytes) -> Any:
    return open_xlsx(
        data,
        max_unpacked=MAX_UNPACKED,
        too_big="文件解压后过大,不像正常的问题清单,请检查后重新导出",
    )


_text = cell_text


class AreaResolver:
    """Finds an area by code or by name inside the batch's area (名称或代码)."""

    def __init__(self, *, session: Session, scope: str) -> None:
        rows = areas_service.areas_under(session=session, prefix=scope)
        self.codes = {a.code for a in rows}
        self.by_name: dict[str, set[str]] = {}
        names = {a.code: a for a in rows}
        for a in rows:
            keys = {a.name, short_name(a.name)}
            parent = names.get(a.parent_code or "")
            if parent is not None:  # 会师镇高家庄村
                keys |= {short_name(parent.name) + k for k in list(keys)}
            for key in keys:
                self.by_name.setdefault(key, set()).add(a.code)

    def resolve(self, text: str) -> tuple[str | None, str | None]:
        """(code, None) or (None, why not)."""
        if not text:
            return None, "必须填写"
        if text.isdigit():
            return (
                (text, None) if text in self.codes else (None, f"本清单范围内没有地区代码 {text}")
            )
        return one_by_name(
            self.by_name, text, missing=f"本清单范围内没有叫“{text}”的地区", ask="请填写地区代码"
        )


def _headers(row: tuple[Any, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, cell in enumerate(row):
        name = re.sub(r"\s+", "", _text(cell))
        name = HEADER_ALIASES.get(name, name)
        if name in REQUIRED or name in OPTIONAL:
            out.setdefault(name, i)
    return out


def _title_from(description: str) -> tuple[str, str]:
    """Without a 问题标题 column, the first sentence is the title (as in seed reports:
    "问题1:思想认识……松劲懈怠。在传导压力上……")."""
    m = re.match(r"^(.{2,200}?)[。;；!！?？]\s*(.*)$", description, re.S)
    if m:
        return m[1], m[2].strip()
    return description[:200], description[200:]


def _bad(errors: list[RowError], column: str, message: str) -> None:
    errors.append(RowError(column=column, message=message))


def _title_and_description(cells: dict[str, Any], errors: list[RowError]) -> tuple[str, str]:
    description = _text(cells["问题描述"])
    title = _text(cells.get("问题标题"))
    if not description and not title:
        _bad(errors, "问题描述", "必须填写")
    if not title:
        title, description = _title_from(description)
    if len(title) > 200:
        _bad(errors, "问题标题", "最多 200 个字")
    if len(description) > 4000:
        _bad(errors, "问题描述", "最多 4000 个字")
    return title, description


def _category(cells: dict[str, Any], errors: list[RowError]) -> ProblemCategory | None:
    text = _text(cells["类别"])
    category = CATEGORY_BY_NAME.get(text)
    if category is None and text in {c.value for c in ProblemCategory}:
        category = ProblemCategory(text)
    if category is None:
        choices = "、".join(CATEGORY_NAMES.values())
        _bad(errors, "类别", f"“{text}”不是可选的类别,可选:{choices}")
    return category


def _severity(cells: dict[str, Any], errors: list[RowError]) -> Severity:
    text = _text(cells.get("严重程度"))
    if not text:
        return Severity.general
    found = SEVERITY_BY_NAME.get(text)
    if found is None:
        _bad(errors, "严重程度", "应为 一般、较重 或 严重")
        return Severity.general
    return found


@dataclass
class _RowReader:
    """Checks a sheet's rows against the batch and against each other; every row gets an
    account (RowResult), the good ones a ProblemCreate."""

    batch: ProblemBatch
    resolver: AreaResolver
    taken: set[int]  # numbers the batch already has
    seen: set[int] = field(default_factory=set)  # numbers of the rows read so far

    def read_all(
        self, headers: dict[str, int], header_at: int, rows: Iterator[tuple[Any, ...]]
    ) -> tuple[list[RowResult], list[tuple[RowResult, ProblemCreate]]]:
        results: list[RowResult] = []
        prepared: list[tuple[RowResult, ProblemCreate]] = []
        for index, row in enumerate(rows, start=header_at + 1):
            if index - header_at > MAX_ROWS:
                raise Invalid("file", f"一次最多导入 {MAX_ROWS} 行")
            cells = {h: row[i] if i < len(row) else None for h, i in headers.items()}
            if all(_text(v) == "" for v in cells.values()):
                continue
            result, create = self.read(index, cells)
            results.append(result)
            if create is not None:
                prepared.append((result, create))
        if not results:
            raise Invalid("file", "表格中没有问题行")
        return results, prepared

    def read(self, index: int, cells: dict[str, Any]) -> tuple[RowResult, ProblemCreate | None]:
        errors: list[RowError] = []
        number = self._number(cells, errors)
        title, description = _title_and_description(cells, errors)
        category = _category(cells, errors)
        severity = _severity(cells, errors)
        # The ledger carries the code next to the name; a code settles any doubt.
        area, why = self.resolver.resolve(_text(cells.get("地区代码")) or _text(cells["地区"]))
        if why:
            _bad(errors, "地区", why)
        deadline = self._deadline(cells, errors)
        unit, person = _text(cells["责任单位"]), _text(cells["责任人"])
        if len(unit) > 120:
            _bad(errors, "责任单位", "最多 120 个字")
        if len(person) > 40:
            _bad(errors, "责任人", "最多 40 个字")
        result = RowResult(row=index, number=number, ok=not errors, errors=errors)
        if errors:
            return result, None
        create = ProblemCreate(
            title=title,
            description=description,
            category=category,
            severity=severity,
            area_code=area,
            responsible_unit=unit,
            responsible_person=person,
            deadline=deadline,
            number=number,
        )
        return result, create

    def _number(self, cells: dict[str, Any], errors: list[RowError]) -> int | None:
        raw = _text(cells["序号"])
        if not (raw.isdigit() and 0 < int(raw) <= 100_000):
            if raw:
                _bad(errors, "序号", "应为正整数")
            return None
        number = int(raw)
        if number in self.taken:
            _bad(errors, "序号", f"本清单已有序号 {number} 的问题")
        elif number in self.seen:
            _bad(errors, "序号", f"表格中序号 {number} 重复")
        self.seen.add(number)
        return number

    def _deadline(self, cells: dict[str, Any], errors: list[RowError]) -> date | None:
        deadline = parse_date(cells["整改时限"])
        if deadline is None:
            given = _text(cells["整改时限"])
            _bad(errors, "整改时限", "应为日期(如 2023-09-30)" if given else "必须填写")
        elif deadline > self.batch.deadline:
            _bad(
                errors,
                "整改时限",
                f"不能晚于本批问题清单的整改时限 {self.batch.deadline.isoformat()}",
            )
        elif deadline < self.batch.issued_on:
            _bad(
                errors, "整改时限", f"不能早于问题清单的下发日期 {self.batch.issued_on.isoformat()}"
            )
        return deadline


def _save(
    *,
    session: Session,
    batch: ProblemBatch,
    actor: User,
    prepared: list[tuple[RowResult, ProblemCreate]],
    next_free: int,
) -> None:
    """The good rows as problems; rows without 序号 get numbers after every number used, in
    sheet order."""
    for result, create in prepared:
        if create.number is None:
            create.number = result.number = next_free
            next_free += 1
        problem = service.add_problem(session=session, batch=batch, data=create, actor=actor)
        result.problem_id = problem.id
    # Someone may have added a problem with one of these numbers meanwhile.
    service.flush_or_number_taken(session, "序号已被占用(可能有人同时在添加问题),请重新导入")


@use_case
def import_problems(
    *, session: Session, batch: ProblemBatch, data: bytes, partial: bool, actor: User
) -> ImportResult:
    """Read a problem list. All-or-nothing unless `partial`: then the good rows are kept
    and the bad ones reported. Either way every row gets an account."""
    require_issuer(actor, batch.area_code)
    sheet = _open(data).worksheets[0]
    headers, header_at, rows = find_header(
        sheet.iter_rows(values_only=True), _headers, {h: h for h in REQUIRED}
    )
    taken = set(session.exec(select(Problem.number).where(Problem.batch_id == batch.id)))
    resolver = AreaResolver(session=session, scope=batch.area_code)
    reader = _RowReader(batch=batch, resolver=resolver, taken=taken)
    results, prepared = reader.read_all(headers, header_at, rows)
    rejected = sum(1 for r in results if not r.ok)
    if rejected and not partial:
        raise ImportRefused(
            f"有 {rejected} 行有误,全部未导入。请按提示改正后重新导入,或选择“只导入正确的行”",
            detail=[r.model_dump(mode="json") for r in results],
        )
    next_free = max(taken | reader.seen | {0}) + 1
    _save(session=session, batch=batch, actor=actor, prepared=prepared, next_free=next_free)
    return ImportResult(
        mode="partial" if partial else "all_or_nothing",
        imported=len(prepared),
        rejected=rejected,
        rows=results,
    )
