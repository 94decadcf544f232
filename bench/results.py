"""bench/RESULTS.md: what one `make bench` measured, beside the targets.

A SQLite run and a PostgreSQL run each own a section of the file (between markers), so the
two can be run one after the other and the file holds both; the text around the sections
(what the profiles showed, decisions) is kept as written."""

from datetime import datetime
from pathlib import Path
from typing import Any

from bench import targets

HEADER = """# Benchmarks (issue 11)

Written by `make bench` (bench/run.py); the sections between the markers are replaced by
each run on that database, everything else is kept. The machine has 2 cores shared with
other engineers' test runs: absolute figures move from run to run, **ratios measured in one
run hold** (each write figure is divided by the raw one-row insert measured in the same run,
just before and just after it).
"""


def _section(
    run: Any, command: str, started: datetime, machine: str, commit: str, tools: str
) -> str:
    lines = [
        f"## {run.database} — {run.households:,} households, {run.workers} worker{'s' if run.workers > 1 else ''}",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC; commit `{commit}`",
        f"- machine: {machine}",
        f"- command: `{command}`; load: {tools} (Lua scripts in bench/lua/), 127.0.0.1",
    ]
    lines += [f"- {entry}" for entry in run.log]
    lines += [
        "",
        "| path | measured | target | met | the issue's figure |",
        "|---|---|---|---|---|",
    ]
    for f in run.figures:
        met = {True: "yes", False: "**no**", None: "—"}[f.met]
        note = f" ({f.note})" if f.note else ""
        lines.append(
            f"| {f.label} | {f.value}{note} | {f.target} | {met} | {targets.ISSUE.get(f.key, '')} |"
        )
    if run.profiles:
        lines += [
            "",
            "Profiles (py-spy, raw collapsed stacks): "
            + ", ".join(f"`bench/profiles/{p}.txt`" for p in run.profiles),
        ]
    return "\n".join(lines) + "\n"


def write(
    *, run: Any, path: Path, command: str, started: datetime, machine: str, commit: str, tools: str
) -> None:
    begin, end = f"<!-- bench:{run.database}:begin -->", f"<!-- bench:{run.database}:end -->"
    section = f"{begin}\n{_section(run, command, started, machine, commit, tools)}{end}"
    text = path.read_text() if path.exists() else HEADER
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
    print(f"wrote {path}")
