"""A household sheet read row by row, in constant memory: an XLSX (openpyxl read-only) or a
CSV (UTF-8 or the GB18030 that Excel saves in China), its header found among the first rows
and mapped to our keys whatever the column order."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from backend.core.errors import Invalid
from backend.core.sheets import NOT_XLSX, find_header, header_key, open_xlsx
from backend.households.import_columns import HEADER_OF, REQUIRED, column_of

# An upload's unpacked size: a sheet of 20,000 member rows is about 15 MB of XML.
MAX_UNPACKED = 200 * 1024 * 1024


@dataclass(frozen=True)
class Row:
    number: int  # the row's number as the spreadsheet shows it (the header's is 1 or more)
    cells: dict[str, Any]  # key → the cell's value, for the columns the sheet has


@dataclass
class Sheet:
    columns: dict[str, int]  # key → column index
    rows: Iterator[Row]
    close: Any = None


def _encoding(head: bytes) -> str:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut multi-byte character at the end of the sample is still UTF-8.
        if exc.start < len(head) - 3:
            return "gb18030"
    return "utf-8-sig"


def _csv_rows(stream: io.BufferedIOBase) -> Iterator[tuple[Any, ...]]:
    head = stream.read(64 * 1024)
    encoding = _encoding(head)
    text = io.TextIOWrapper(
        io.BufferedReader(_Chain(head, stream)), encoding=encoding, errors="replace", newline=""
    )
    return (tuple(r) for r in csv.reader(text))


class _Chain(io.RawIOBase):
    """The bytes already read for the encoding guess, then the rest of the stream."""

    def __init__(self, head: bytes, rest: io.BufferedIOBase) -> None:
        self.head = head
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        chunk = self.rest.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _columns(row: tuple[Any, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        key = column_of(header_key(cell))
        if key is not None:
            found.setdefault(key, i)
    return found


def _sheet(raw: Iterator[tuple[Any, ...]], close: Any = None) -> Sheet:
    """The header (the first of the first rows that has every required column, else the one
    with the most), and the rows below it as Rows."""
    required = {k: HEADER_OF[k] for k in REQUIRED.values()}
    columns, header_at, body = find_header(raw, _columns, required)

    def rows() -> Iterator[Row]:
        for number, values in enumerate(body, start=header_at + 1):
            # Text cells (all of a CSV's) stripped once here; dates and numbers as they came.
            cells = {
                k: (v.strip() if type(v) is str else v)
                for k, i in columns.items()
                for v in (values[i] if i < len(values) else None,)
            }
            if all(v is None or v == "" for v in cells.values()):
                continue
            yield Row(number=number, cells=cells)

    return Sheet(columns=columns, rows=rows(), close=close)


def open_path(path: Path) -> Sheet:
    """A file on disk (the CLI): .xlsx or .csv by its name."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
            raise Invalid("file", NOT_XLSX) from exc
        return _sheet(book.worksheets[0].iter_rows(values_only=True), close=book.close)
    if path.suffix.lower() == ".csv":
        stream = path.open("rb")
        return _sheet(_csv_rows(stream), close=stream.close)  # type: ignore[arg-type]
    raise Invalid("file", "只能导入 .xlsx 或 .csv 文件")


def open_upload(data: bytes, filename: str) -> Sheet:
    """An uploaded file: XLSX when it is a zip, else CSV."""
    if data.startswith(b"PK"):
        book = open_xlsx(
            data,
            max_unpacked=MAX_UNPACKED,
            too_big="文件解压后过大,请分成几个文件导入,或用命令行 shouwang import-households",
        )
        return _sheet(book.worksheets[0].iter_rows(values_only=True), close=book.close)
    if filename.lower().endswith(".xlsx"):
        raise Invalid("file", NOT_XLSX)
    return _sheet(_csv_rows(io.BytesIO(data)))  # type: ignore[arg-type]
