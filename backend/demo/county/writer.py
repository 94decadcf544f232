"""Writing rows in bulk through the real schema: executemany on SQLite, COPY on PostgreSQL."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import Engine

from backend.core import db
from backend.core.db import metadata
from backend.demo.county.words import CHUNK_ROWS, SQLITE_CACHE_KB


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
