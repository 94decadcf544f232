"""Read py-spy's raw (collapsed) stacks and say where a path spends its time.

`python -m bench.profiles bench/profiles/sqlite-read-boards.txt` prints, over the samples of
threads doing the app's work (a frame in backend/), the share of samples in which each
function is on the stack (inclusive) and at the top (self). Recorded with --idle, so time
spent waiting (a lock, the database) counts where it is waited for.
"""

import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::(?P<line>\d+))?\)$")


def _short(frame: str, line: bool = False) -> str:
    m = FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m["file"] + (f":{m['line']}" if line and m["line"] else "")
    for marker in ("site-packages/", "lib/python3.11/", "/work/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    if "backend/" in path:
        path = path[path.index("backend/") :]
    return f"{m['func']} ({path})"


Shares = list[tuple[str, float]]


def summary(path: Path, top: int = 15) -> tuple[int, Shares, Shares, Shares]:
    """(samples, inclusive backend functions, self frames, the app's own line that was
    running or waiting: the innermost backend frame with its line number)."""
    inclusive: Counter[str] = Counter()
    selfs: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or "backend/" not in stack:
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";") if f.strip()]
        total += n
        for name in set(frames):
            inclusive[name] += n
        if frames:
            selfs[frames[-1]] += n
        own = [f for f in stack.split(";") if "backend/" in f]
        lines[_short(own[-1], line=True)] += n
    if not total:
        return 0, [], [], []

    def share(counter: Counter[str], keep) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
        return [(k, v / total) for k, v in counter.most_common() if keep(k)][:top]

    return (
        total,
        share(inclusive, lambda k: "backend/" in k),
        share(selfs, lambda k: True),
        share(lines, lambda k: True),
    )


def main(argv: list[str]) -> int:
    for name in argv:
        total, inclusive, selfs, lines = summary(Path(name))
        print(f"== {name}: {total} samples in the app's threads")
        print("  inclusive (backend):")
        for k, v in inclusive:
            print(f"    {v:6.1%}  {k}")
        print("  self (top of stack):")
        for k, v in selfs[:10]:
            print(f"    {v:6.1%}  {k}")
        print("  the app's line running or waiting:")
        for k, v in lines[:10]:
            print(f"    {v:6.1%}  {k}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
