"""Checks on visits: households not visited, one helper's notes pasted across households."""

import math
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, func
from sqlmodel import col, select

from backend.checks import sources
from backend.checks.base import Check, Context, Hit, Param, add_months, data_fault, month_of
from backend.core.scope import within
from backend.households.models import Category, Household, MonitoringStatus
from backend.visits.models import Visit

_SPACE = re.compile(r"\s+")


def _visited(ctx: Context, this: str, last: str) -> dict[uuid.UUID, set[str]]:
    """Of `this` and `last` month, those each household of the area was visited in
    (corrections aside). Its latest month visited (Household.last_visited_month, kept as
    visits are stored) answers for most: never, or before `last`, is neither; `last` is
    `last` alone. Only a household visited since `last` is looked up in ix_visit_counted,
    for the months its latest one does not settle."""

    def visited_in(month: str) -> Any:
        return exists().where(
            Visit.household_id == Household.id,
            Visit.month == month,
            col(Visit.corrects_id).is_(None),
        )

    out: dict[uuid.UUID, set[str]] = defaultdict(set)
    for h in sources.households(ctx).values():
        if h.last_visited_month == last:
            out[h.id].add(last)
    stmt = select(Household.id, visited_in(last), visited_in(this)).where(
        within(Household.area_code, ctx.area), Household.last_visited_month > last
    )
    for hid, in_last, in_this in ctx.rows(stmt):
        out[hid].update(m for m, seen in ((last, in_last), (this, in_this)) if seen)
    return out


def missed_visit(ctx: Context) -> Iterator[Hit]:
    """脱贫户或监测户上月没有走访记录,或本月设定日期后仍未走访。"""
    this = month_of(ctx.today)
    last = add_months(this, -1)
    after_day = ctx.params["day_of_month"]
    visited = _visited(ctx, this, last)
    for h in sources.households(ctx).values():
        owes = h.category == Category.lifted or h.status == MonitoringStatus.monitored
        if h.helper_id is None or not owes:
            continue
        # A household registered (or enrolled) this month owes no visit for last month.
        months = visited.get(h.id, set())
        missing = []
        started = max(h.registered_on, h.enrolled_on or h.registered_on)
        if last not in months and month_of(started) < this:
            missing.append(last)
        if ctx.today.day > after_day and this not in months:
            missing.append(this)
        if missing:
            yield Hit.of_household(
                h,
                "、".join(missing) + " 没有走访记录",
                {"months": missing, "helper_id": str(h.helper_id)},
            )


def shingles(text: str) -> frozenset[str]:
    """Character 3-grams of the text without whitespace."""
    t = _SPACE.sub("", text)
    return frozenset(t[i : i + 3] for i in range(len(t) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def similar_groups(texts: list[frozenset[str]], threshold: float) -> list[list[int]]:
    """Groups (of two or more) of texts whose 3-gram Jaccard similarity reaches `threshold`,
    joined transitively. Prefix filtering: two sets that similar share a token among the
    first n - ceil(t·n) + 1 of each, in a common order (rarest first), so only those pairs
    are compared, not every pair."""
    freq = Counter(tok for s in texts for tok in s)
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index: dict[str, list[int]] = defaultdict(list)
    for i in sorted(range(len(texts)), key=lambda k: len(texts[k])):
        s = texts[i]
        ordered = sorted(s, key=lambda tok: (freq[tok], tok))
        prefix = ordered[: len(s) - math.ceil(threshold * len(s)) + 1]
        seen: set[int] = set()
        for tok in prefix:
            for j in index[tok]:
                if j in seen:
                    continue
                seen.add(j)
                # Sorted by size: texts[j] is no larger; too small can never reach t.
                if len(texts[j]) >= threshold * len(s) and jaccard(s, texts[j]) >= threshold:
                    parent[root(i)] = root(j)
            index[tok].append(i)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(texts)):
        groups[root(i)].append(i)
    return [g for g in groups.values() if len(g) > 1]


def _common_area(codes: set[str]) -> str:
    for size in (12, 9, 6, 4, 2):
        if len({c[:size] for c in codes}) == 1:
            return next(iter(codes))[:size]
    return ""


def copied_visit_notes(ctx: Context) -> Iterator[Hit]:
    """同一帮扶干部近期为多户写下的走访记录(30 字以上)几乎相同(3 字片段相似度达到设定值)。"""
    threshold = ctx.params["similarity_percent"] / 100
    least = ctx.params["min_households"]
    start = ctx.today - timedelta(days=ctx.params["window_days"])
    stmt = select(Visit.visitor_id, Visit.household_id, Visit.area_code, Visit.notes).where(
        within(Visit.area_code, ctx.area),
        Visit.month >= month_of(start),
        col(Visit.corrects_id).is_(None),
        func.length(Visit.notes) >= ctx.params["min_chars"],
    )
    # Per helper: each distinct text once, with the households it was written for.
    buckets: dict[uuid.UUID, dict[str, tuple[set[uuid.UUID], set[str]]]] = defaultdict(dict)
    for visitor, hid, area, notes in ctx.rows(stmt):
        key = _SPACE.sub("", notes)
        entry = buckets[visitor].setdefault(key, (set(), set()))
        entry[0].add(hid)
        entry[1].add(area)
    for visitor in sorted(buckets, key=str):
        texts = list(buckets[visitor].items())
        groups = [[i] for i in range(len(texts))]
        if len(texts) > 1:
            groups += similar_groups([shingles(t) for t, _ in texts], threshold)
        best: tuple[set[uuid.UUID], set[str], str] | None = None
        for group in groups:
            hids = set().union(*(texts[i][1][0] for i in group))
            if len(hids) >= least and (best is None or len(hids) > len(best[0])):
                areas = set().union(*(texts[i][1][1] for i in group))
                best = (hids, areas, texts[group[0]][0])
        if best is None:
            continue
        hids, areas, excerpt = best
        yield Hit(
            "helper",
            str(visitor),
            _common_area(areas),
            f"同一帮扶干部为 {len(hids)} 户写下几乎相同的走访记录:“{excerpt[:30]}…”",
            {
                "households": len(hids),
                "household_ids": sorted(str(h) for h in hids)[:50],
                "excerpt": excerpt[:80],
            },
        )


CHECKS = [
    Check(
        "missed_visit",
        "未按时走访",
        "general",
        missed_visit,
        params={"day_of_month": Param(20, "本月走访截止日", 1, 28)},
        problem_category="village_team",
        reportable=False,
    ),
    data_fault(
        "copied_visit_notes",
        "走访记录雷同",
        "serious",
        copied_visit_notes,
        params={
            "similarity_percent": Param(90, "相似度(%)", 50, 100),
            "min_households": Param(3, "最少户数", 2, 100),
            "min_chars": Param(30, "最短字数", 5, 500),
            "window_days": Param(90, "统计近多少天(天)", 7, 366),
        },
    ),
]
