"""bench/RESULTS.md: what `make bench` measured, beside the targets.

Each database has a section of the file (between markers) and a JSON record beside it
(bench/results-<database>.json). A run replaces the figures it measured and keeps the others
(so `make bench ONLY=batch` updates the batch figures alone); the table says which run
each figure comes from. The text around the sections (what the profiles showed, decisions)
is kept as written."""

import json
from dataclasses import asdict
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


def _merge(record: dict[str, Any], run: Any, meta: dict[str, Any]) -> dict[str, Any]:
    runs = record.setdefault("runs", [])
    # Labels are never given twice: RESULTS.md's notes name runs by them, and a run whose
    # figures have all been replaced is dropped from the record, not from the notes.
    label = _next_label(record.get("last_label") or max((r["label"] for r in runs), default=""))
    record["last_label"] = meta["label"] = label
    runs.append(meta)
    figures = {f["key"]: f for f in record.get("figures", [])}
    for f in run.figures:
        figures[f.key] = {**asdict(f), "run": label}
    order = [f.key for f in run.figures]
    kept = [k for k in figures if k not in order]
    # Keep the measured order: earlier keys first where they were, new ones in place.
    record["figures"] = [figures[k] for k in sorted(figures, key=lambda k: _rank(k, order, kept))]
    used = {f["run"] for f in record["figures"]}
    record["runs"] = [r for r in runs if r["label"] in used]
    return record


def _next_label(last: str) -> str:
    """A, B, … Z, AA, AB, …: the label after `last` ("" for the first)."""
    if not last:
        return "A"
    head, tail = last[:-1], last[-1]
    return head + chr(ord(tail) + 1) if tail != "Z" else _next_label(head) + "A"


def _rank(key: str, order: list[str], kept: list[str]) -> tuple[int, int]:
    canonical = getattr(targets, "ORDER", [])  # an older targets module still loaded
    if key in canonical:
        return (0, canonical.index(key))
    return (1, (order + kept).index(key))


def _section(db: str, record: dict[str, Any]) -> str:
    lines = [f"## {db}", ""]
    for r in record["runs"]:
        lines.append(
            f"- run **{r['label']}**: {r['date']} UTC, commit `{r['commit']}`, "
            f"{r['households']:,} households, {r['workers']} worker{'s' if r['workers'] > 1 else ''}; "
            f"`{r['command']}`"
        )
        lines.append(f"  - machine: {r['machine']}")
        lines.append(f"  - load generator: {r['tools']} (Lua scripts in bench/lua/), 127.0.0.1")
        lines += [f"  - {entry}" for entry in r["log"]]
        if r.get("profiles"):
            lines.append(
                "  - py-spy attached (sampling, non-blocking) to: "
                + ", ".join(f"`{p}`" for p in r["profiles"])
            )
    lines += [
        "",
        "| path | measured | target | met | run | the issue's figure |",
        "|---|---|---|---|---|---|",
    ]
    for f in record["figures"]:
        met = {True: "yes", False: "**no**", None: "—"}[f["met"]]
        note = f" ({f['note']})" if f.get("note") else ""
        lines.append(
            f"| {f['label']} | {f['value']}{note} | {f['target']} | {met} | {f['run']} "
            f"| {targets.ISSUE.get(f['key'], '')} |"
        )
    return "\n".join(lines) + "\n"


def write(
    *,
    run: Any,
    path: Path,
    command: str,
    started: datetime,
    machine: str,
    commit: str,
    tools: str,
) -> None:
    store = path.with_name(f"results-{run.database}.json")
    record = json.loads(store.read_text()) if store.exists() else {}
    meta = {
        "date": f"{started:%Y-%m-%d %H:%M}",
        "commit": commit,
        "households": run.households,
        "workers": run.workers,
        "command": command,
        "machine": machine,
        "tools": tools,
        "log": run.log,
        "profiles": run.profiles,
    }
    record = _merge(record, run, meta)
    store.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    begin, end = f"<!-- bench:{run.database}:begin -->", f"<!-- bench:{run.database}:end -->"
    section = f"{begin}\n{_section(run.database, record)}{end}"
    text = path.read_text() if path.exists() else HEADER
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
    print(f"wrote {path} and {store.name}")
