"""Checks on villages: one-tap reports far fewer than the county's villages send."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select

from backend.checks.base import Check, Context, Hit, Param
from backend.core import clock
from backend.core.scope import within
from backend.households.models import Household
from backend.reports.models import SelfReport


def low_uptake(ctx: Context) -> Iterator[Hit]:
    """一个村近 12 个月的农户自主申报次数低于全县村均的设定比例。"""
    share = ctx.params["share_percent"]
    since = clock.now() - timedelta(days=ctx.params["window_days"])
    village_rows = ctx.rows(
        select(Household.area_code, func.count())
        .where(within(Household.area_code, ctx.area[:6]))
        .group_by(col(Household.area_code))
    ).all()
    villages = {code: n for code, n in village_rows}
    report_rows = ctx.rows(
        select(SelfReport.area_code, func.count())
        .where(
            within(SelfReport.area_code, ctx.area[:6]),
            col(SelfReport.on_behalf).is_(False),
            SelfReport.submitted_at >= since,
        )
        .group_by(col(SelfReport.area_code))
    ).all()
    reports = {code: n for code, n in report_rows}
    # The average over each county's villages that have households.
    per_county: dict[str, list[int]] = defaultdict(list)
    for code in villages:
        per_county[code[:6]].append(reports.get(code, 0))
    for code in sorted(villages):
        if not code.startswith(ctx.area):
            continue
        counts = per_county[code[:6]]
        average = sum(counts) / len(counts)
        sent = reports.get(code, 0)
        if average <= 0 or sent * 100 >= share * average:
            continue
        yield Hit(
            "village",
            code,
            code,
            f"近 12 个月农户自主申报 {sent} 次,远低于全县村均 {average:.1f} 次",
            {"reports": sent, "county_average": round(average, 1), "share_percent": share},
        )


CHECKS = [
    Check(
        "low_uptake",
        "一键报贫使用率低",
        "general",
        low_uptake,
        params={
            "share_percent": Param(25, "低于村均的比例(%)", 1, 100),
            "window_days": Param(365, "统计近多少天(天)", 30, 730),
        },
        problem_category="policy",
        reportable=False,
    ),
]
