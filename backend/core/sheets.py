"""Reading spreadsheets people made by hand: an upload opened safely, cells as text, dates
as people type them, area names as people write them. Problem lists (rectification) and
household imports (transfer) read through these."""

import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from backend.core.errors import Invalid

NOT_XLSX = "不是 XLSX 文件(请用 Excel 或 WPS 另存为 .xlsx)"
# Tiny XML parts compress well by nature: only parts past this size are judged by ratio.
RATIO_FROM = 1024 * 1024
MAX_RATIO = 100
# Lists often carry a title row (or two) above the header: the header is looked for this far.
HEADER_SEARCH_ROWS = 5


def open_xlsx(data: bytes, *, max_unpacked: int, too_big: str) -> Any:
    """A workbook (read-only, values only) from uploaded bytes. The zip's sizes are checked
    first, so a small upload cannot unpack into gigabytes (a zip bomb) before openpyxl reads
    it: `too_big` is the message when it would."""
    if not data.startswith(b"PK"):
        raise Invalid("file", NOT_XLSX)
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise Invalid("file", NOT_XLSX) from exc
    if sum(e.file_size for e in entries) > max_unpacked or any(
        e.file_size > RATIO_FROM and e.file_size > MAX_RATIO * max(e.compress_size, 1)
        for e in entries
    ):
        raise Invalid("file", too_big)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Invalid("file", NOT_XLSX) from exc


def cell_text(value: Any) -> str:
    """A cell as the text a person sees (12 rather than 12.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value: Any) -> date | None:
    """A cell as a date: a real date cell, an Excel serial number, 2023-09-30, 2023/9/30,
    2023年9月30日 or 20230930 (a time after the date, as CSV exports carry, is ignored)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    # A date cell saved without its date format reads as Excel's serial number (45199 is
    # 2023-09-30); only numbers in 1955–2119 are taken as dates, so 序号-like values are not.
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 <= value <= 80_000:
            return from_excel(value).date()
        if isinstance(value, int) and 10_000_000 <= value <= 99_999_999:
            value = str(value)
        else:
            return None
    text = cell_text(value).split(" ")[0].split("T")[0]
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    return None


def short_name(name: str) -> str:
    """高家庄村民委员会 → 高家庄村; 东山根社区居民委员会 → 东山根社区: what people write."""
    for long, short in (
        ("村民委员会", "村"),
        ("村委会", "村"),
        ("社区居民委员会", "社区"),
        ("居民委员会", "社区"),
        ("社区居委会", "社区"),
        ("人民政府", ""),
    ):
        if name.endswith(long):
            return name[: -len(long)] + short
    return name


def one_by_name(
    by_name: Mapping[str, set[str]], text: str, *, missing: str, ask: str
) -> tuple[str | None, str | None]:
    """(code, None) for the one area called `text` in `by_name` (name → codes); else (None,
    why not): `missing` when none is; when several are, their codes and `ask` (write what)."""
    found = by_name.get(text, set())
    if len(found) == 1:
        return next(iter(found)), None
    if not found:
        return None, missing
    return None, f"“{text}”有重名({'、'.join(sorted(found))}),{ask}"


def header_key(value: Any) -> str:
    """A header cell without its spaces, line breaks and a trailing (元) or *: 人均纯收入(元)
    and 人均纯收入 are the same column."""
    name = re.sub(r"\s+", "", cell_text(value)).lstrip("*").rstrip("*")
    return re.sub(r"[(（][^)）]*[)）]$", "", name)


def find_header(
    rows: Iterator[tuple[Any, ...]],
    columns_of: Callable[[tuple[Any, ...]], dict[str, int]],
    required: Mapping[str, str],
) -> tuple[dict[str, int], int, Iterator[tuple[Any, ...]]]:
    """(each column's index, the header's row number, the rows below it). The header is the
    first of the first few rows that has every `required` column (key → the header the
    refusal names), else the one with the most columns; `columns_of` reads a row as one."""
    top: list[tuple[Any, ...]] = []
    columns: dict[str, int] = {}
    header_at = 0
    for row in rows:
        top.append(row)
        found = columns_of(row)
        if len(found) > len(columns):
            columns, header_at = found, len(top)
        if all(k in found for k in required) or len(top) >= HEADER_SEARCH_ROWS:
            break
    if not top:
        raise Invalid("file", "表格是空的")
    missing = [shown for k, shown in required.items() if k not in columns]
    if missing:
        raise Invalid("file", "表头缺少这些列:" + "、".join(missing))
    # Rows already read below the header (when it was not the last one read) come first.
    return columns, header_at, itertools.chain(top[header_at:], rows)
