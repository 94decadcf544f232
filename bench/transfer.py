"""`make bench-transfer`: the import's rate and the exports' memory (issue 14, Speed).

1. A county's household sheet is generated (BENCH_HOUSEHOLDS, default 100,000 households of
   宁陕县's 80 villages, about 3.3 members each; a fifth monitored, with dates and income) as
   CSV, and by default also as XLSX (BENCH_XLSX=0 skips it).
2. `shouwang import-households FILE --quiet` (a subprocess, exactly as an operator runs it)
   into a fresh SQLite database: a dry run, the import, and the same file again (nothing
   changes). Rows per second from the command's own timing and from the wall clock.
3. Exports: a child process per export drains `exports.stream` (what the endpoint's
   StreamingResponse sends) to nothing and reports its peak RSS; the same kind over one
   township (about a tenth of the rows) and over the county, as CSV and as XLSX.

Results are printed and written to bench/TRANSFER.md.
"""

import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = Path(tempfile.mkdtemp(prefix="shouwang-transfer-"))
ENV = {
    **os.environ,
    "SHOUWANG_ENV": "development",
    "SHOUWANG_DATA_DIR": str(SCRATCH),
}
# The scratch directory is removed however the run ends (SIGTERM turned into a normal exit).
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
COUNTY = "610923"
TOWNSHIP = "610923102"  # 江口镇
from backend.households.import_columns import TEMPLATE  # noqa: E402

HEADERS = list(TEMPLATE)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _id_number(born: date, serial: int, male: bool) -> str:
    code = (serial % 500) * 2 + (1 if male else 0)
    body = f"{COUNTY}{born:%Y%m%d}{code:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def villages() -> list[str]:
    lines = (ROOT / "backend/demo/areas.csv").read_text().splitlines()
    return [ln.split(",")[0] for ln in lines if ln.startswith(COUNTY) and ",village," in ln]


def generate(households: int, path: Path) -> int:
    """The sheet as a county keeps it; answers the member rows written."""
    import csv

    rng = random.Random(14)
    codes = villages()
    used: dict[date, int] = {}
    rows = 0
    surnames = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
    given = "建国秀英桂兰玉梅春生志强小宝海燕红霞文军"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADERS)
        for n in range(households):
            village = codes[n * len(codes) // households]
            reference = f"{village}{n:06d}"[:24]
            surname = rng.choice(surnames)
            monitored = rng.random() < 0.2
            enrolled = date(2021, 1, 1) + timedelta(days=rng.randrange(1200))
            cleared = enrolled + timedelta(days=200) if monitored and rng.random() < 0.4 else None
            size = rng.choice((1, 2, 3, 3, 4, 4, 5))
            people = []
            for i in range(size):
                if i == 0:
                    relation, born = "户主", date(1950, 1, 1) + timedelta(days=rng.randrange(14000))
                elif i == 1:
                    relation, born = "配偶", date(1952, 1, 1) + timedelta(days=rng.randrange(14000))
                else:
                    relation, born = "之子", date(1995, 1, 1) + timedelta(days=rng.randrange(9000))
                male = i != 1
                serial = used.get(born, 0)
                used[born] = serial + 1
                people.append((relation, born, male, _id_number(born, serial, male)))
            head = surname + rng.choice(given) + rng.choice(given)
            household = [
                village,
                "监测户" if monitored else rng.choice(("脱贫户", "一般农户")),
                rng.choice(("脱贫不稳定户", "边缘易致贫户")) if monitored else "",
                rng.choice(("因病", "因学、因病", "因残")) if monitored else "",
                enrolled.isoformat() if monitored else "",
                cleared.isoformat() if cleared else "",
                rng.randrange(6000, 20000),
                2024,
                "2014-10-01",
            ]
            for i, (relation, _born, _male, id_number) in enumerate(people):
                name = head if i == 0 else surname + rng.choice(given) + rng.choice(given)
                member = [
                    reference,
                    head,
                    name,
                    id_number,
                    relation,
                    "",
                    "",
                    rng.choice(("健康", "健康", "长期慢性病", "残疾")),
                    "非在校生" if relation != "之子" else rng.choice(("非在校生", "初中")),
                    rng.choice(("普通劳动力", "弱劳动力或半劳动力")),
                ]
                out.writerow(member + household)
                rows += 1
    return rows


def to_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    import csv

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("农户")
    with csv_path.open(encoding="utf-8") as fh:
        for row in csv.reader(fh):
            sheet.append(row)
    book.save(xlsx_path)


def shouwang(*args: str) -> tuple[float, float, list[str]]:
    """Wall seconds, the command's CPU seconds, and its summary lines."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [str(ROOT / ".venv/bin/shouwang"), *args], env=ENV, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"shouwang {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime + after.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
    return seconds, used, done.stdout.strip().splitlines()[-3:]


def prepare(url: str) -> None:
    """A fresh database with the areas and one county officer (the exports' caller)."""
    code = f"""
from backend.cli import migrate
from backend.core import db
from backend.areas import service as areas
from backend.demo.context import AREAS_CSV
from backend.accounts.models import User, Role
from backend.core.security import hash_password
migrate({url!r})
db.set_engine(db.make_engine({url!r}))
with db.new_session() as s:
    areas.import_csv(session=s, file=AREAS_CSV)
    s.add(User(username="county", full_name="县级", role=Role.county_officer, area_code={COUNTY!r},
               password_hash=hash_password("x-bench-1")))
    s.commit()
"""
    subprocess.run([sys.executable, "-c", code], env=ENV, check=True, cwd=ROOT)


EXPORT_CHILD = """
import json, resource, sys, time
from backend.core import db
from backend.accounts.models import User
from backend.transfer import exports
from backend.transfer.schemas import ExportFormat, ExportKind
from sqlmodel import Session, select
url, kind, fmt, area = sys.argv[1:5]
db.set_engine(db.make_engine(url))
with Session(db.get_engine()) as s:
    user = s.exec(select(User).where(User.username == "county")).one()
    s.expunge(user)
def rss_kb():
    # The resident set now (ru_maxrss is the lifetime peak: the imports' own spike hides
    # what the stream adds).
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
import gc
gc.collect()
before = rss_kb()
most = before
started = time.monotonic()
size = 0
filters = exports.ExportFilters(area=area or None)
for piece in exports.stream(user=user, kind=ExportKind(kind), fmt=ExportFormat(fmt), filters=filters):
    size += len(piece)
    most = max(most, rss_kb())
seconds = time.monotonic() - started
with Session(db.get_engine()) as s:
    from backend.audit.models import AuditEntry
    rows = s.exec(select(AuditEntry).where(AuditEntry.entity == "export").order_by(AuditEntry.at.desc())).first().changes["rows"]
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "bytes": size, "seconds": seconds, "rss_before_kb": before,
                  "rss_most_kb": most, "peak_kb": peak}))
"""


def export(url: str, kind: str, fmt: str, area: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", EXPORT_CHILD, url, kind, fmt, area],
        env=ENV,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def export_table(url: str, say: Any) -> None:
    """Each export over a township and over the county: rows, size, time and memory."""
    say("")
    say(
        "| export | format | area | rows | MB | s | RSS at start MB | most RSS while "
        "streaming MB | growth MB | lifetime peak RSS MB |"
    )
    say("|---|---|---|---|---|---|---|---|---|---|")
    for kind in (os.environ.get("BENCH_EXPORT_KINDS") or "households,members").split(","):
        for fmt in ("csv", "xlsx"):
            for area in (TOWNSHIP, COUNTY):
                r = export(url, kind, fmt, area)
                say(
                    f"| {kind} | {fmt} | {area} | {r['rows']:,} | {r['bytes'] / 1e6:.1f} | "
                    f"{r['seconds']:.1f} | {r['rss_before_kb'] / 1024:.0f} | "
                    f"{r['rss_most_kb'] / 1024:.0f} | "
                    f"{(r['rss_most_kb'] - r['rss_before_kb']) / 1024:.1f} | "
                    f"{r['peak_kb'] / 1024:.0f} |"
                )


def main() -> int:
    households = int(os.environ.get("BENCH_HOUSEHOLDS") or "100000")
    with_xlsx = os.environ.get("BENCH_XLSX", "1") == "1"
    lines = [f"# Import and export (issue 14), {households:,} households", ""]

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    exports_only = os.environ.get("BENCH_EXPORTS_DB")  # an imported database: exports alone
    try:
        if exports_only:
            export_table(f"sqlite:///{exports_only}", say)
            return 0
        sheet = SCRATCH / "households.csv"
        t = time.monotonic()
        rows = generate(households, sheet)
        say(
            f"- sheet: {rows:,} member rows, {households:,} households, generated in {time.monotonic() - t:.1f} s"
        )
        url = f"sqlite:///{SCRATCH / 'import.db'}"
        prepare(url)
        say("")
        say(
            "| run | wall s | rows/s (wall) | households/s (wall) | CPU s | rows per CPU-second "
            "| load average (1 min) before, after | the command's summary |"
        )
        say("|---|---|---|---|---|---|---|---|")
        for label, extra in (
            ("dry run", ["--dry-run"]),
            ("import", []),
            ("same file again", []),
        ):
            load = os.getloadavg()[0]
            seconds, cpu, out = shouwang(
                "import-households", str(sheet), "--quiet", "--database-url", url, *extra
            )
            summary = " / ".join(out)
            say(
                f"| {label} (CSV) | {seconds:.1f} | {rows / seconds:,.0f} | "
                f"{households / seconds:,.0f} | {cpu:.1f} | {rows / cpu:,.0f} | "
                f"{load:.1f}, {os.getloadavg()[0]:.1f} | {summary} |"
            )
        if with_xlsx:
            book = SCRATCH / "households.xlsx"
            to_xlsx(sheet, book)
            xurl = f"sqlite:///{SCRATCH / 'import-xlsx.db'}"
            prepare(xurl)
            load = os.getloadavg()[0]
            seconds, cpu, out = shouwang(
                "import-households", str(book), "--quiet", "--database-url", xurl
            )
            say(
                f"| import (XLSX, {book.stat().st_size / 1e6:.0f} MB) | {seconds:.1f} | "
                f"{rows / seconds:,.0f} | {households / seconds:,.0f} | {cpu:.1f} | "
                f"{rows / cpu:,.0f} | {load:.1f}, {os.getloadavg()[0]:.1f} | {' / '.join(out)} |"
            )
        export_table(url, say)
        say("")
        say(
            f"Command: `make bench-transfer` (BENCH_HOUSEHOLDS={households}); machine load: "
            f"{os.getloadavg()[0]:.1f}; self peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
    out_path = Path(os.environ.get("BENCH_TRANSFER_RESULTS") or ROOT / "bench/TRANSFER.md")
    out_path.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
