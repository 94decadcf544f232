"""Checks on monitoring: 应纳未纳, 风险消除不精准, 应消未消, a weak plan, 单人保."""

import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import String, cast, func
from sqlmodel import col, select

from backend.checks import sources
from backend.checks.base import Check, Context, Hit, Param, add_months, month_of, months_before
from backend.core.scope import within
from backend.households.models import (
    AssistancePlan,
    Household,
    MeasureKind,
    MeasureStatus,
    MonitoringStatus,
    RiskType,
)
from backend.households.models import Measure as MeasureRow
from backend.reports.models import SelfReport
from backend.visits.models import Visit

# Which measures answer which risk (a risk with none of these in the plan is unanswered).
ANSWERS: dict[str, set[str]] = {
    RiskType.illness: {MeasureKind.medical, MeasureKind.insurance, MeasureKind.dibao},
    RiskType.schooling: {MeasureKind.education},
    RiskType.disability: {
        MeasureKind.dibao,
        MeasureKind.tekun,
        MeasureKind.public_welfare_job,
        MeasureKind.medical,
    },
    RiskType.disaster: {MeasureKind.housing, MeasureKind.insurance, MeasureKind.other},
    RiskType.accident: {MeasureKind.insurance, MeasureKind.medical, MeasureKind.other},
    RiskType.unstable_employment: {MeasureKind.employment, MeasureKind.public_welfare_job},
    RiskType.failed_business: {MeasureKind.industry, MeasureKind.microcredit},
    RiskType.housing: {MeasureKind.housing},
    RiskType.drinking_water: {MeasureKind.drinking_water},
}
RISK_WORDS = {r.value: r.label for r in RiskType}


def _measures(ctx: Context) -> dict[uuid.UUID, list[tuple[str, str, list[str]]]]:
    """{household: [(kind, status, member_ids)]} for measures not stopped."""

    def load() -> dict[uuid.UUID, list[tuple[str, str, list[str]]]]:
        stmt = (
            select(
                AssistancePlan.household_id,
                MeasureRow.kind,
                MeasureRow.status,
                MeasureRow.member_ids,
            )
            .join(AssistancePlan, col(AssistancePlan.id) == MeasureRow.plan_id)
            .join(Household, col(Household.id) == AssistancePlan.household_id)
            .where(
                within(Household.area_code, ctx.area),
                MeasureRow.status != MeasureStatus.stopped,
            )
        )
        out: dict[uuid.UUID, list[tuple[str, str, list[str]]]] = defaultdict(list)
        for hid, kind, status, members in ctx.rows(stmt):
            out[hid].append((kind, status, list(members or [])))
        return out

    if "measures" not in ctx.cache:
        ctx.cache["measures"] = load()
    return ctx.cache["measures"]


def _causes_persisting(ctx: Context, h: sources.HouseholdRow, medical_amount: int) -> list[str]:
    """The household's monitored causes still present (the clear-risk guards' own causes)."""
    risks = sources.risks(ctx).get(h.id, set())
    signs = sources.member_signs(ctx).get(h.id, sources.MemberSigns())
    reasons = []
    if RiskType.schooling in risks and signs.in_school:
        reasons.append("因学纳入,仍有成员在校就读")
    if RiskType.illness in risks and signs.seriously_ill:
        medical = ctx.cache["medical_12"].get(h.id, {}).get("medical", 0)
        if medical >= medical_amount:
            reasons.append(f"因病纳入,仍有大病患者,近 12 个月医疗支出 {medical} 元")
    if RiskType.disability in risks and signs.disabled:
        reasons.append("因残纳入,家中仍有残疾成员")
    if not h.basic_needs.get("housing", True):
        reasons.append("住房安全仍未保障")
    if not h.basic_needs.get("drinking_water", True):
        reasons.append("饮水安全仍未保障")
    return reasons


def _load_medical(ctx: Context) -> None:
    if "medical_12" not in ctx.cache:
        # The last 12 months, this one included (a visit today may have just recorded it).
        months = [*months_before(ctx.today, 11), month_of(ctx.today)]
        ctx.cache["medical_12"] = sources.ledger_sums(ctx, months)


def missed_enrollment(ctx: Context) -> Iterator[Hit]:
    """未纳入监测的农户,医疗和教育支出超过收入的一定比例、自付医疗费用超过设定金额,
    或走访发现的突发风险没有跟进。"""
    share, amount, days = (
        ctx.params["spending_share_percent"],
        ctx.params["medical_amount"],
        ctx.params["followup_days"],
    )
    _load_medical(ctx)
    sums = ctx.cache["medical_12"]
    start = ctx.today - timedelta(days=days)
    reported = (
        select(SelfReport.id)
        .where(
            SelfReport.household_id == Visit.household_id,
            SelfReport.submitted_at >= Visit.visited_at,
        )
        .exists()
    )
    stmt = (
        select(Visit.household_id, func.min(Visit.month))
        .where(
            within(Visit.area_code, ctx.area),
            Visit.month >= month_of(start),
            cast(Visit.new_risks, String) != "[]",
            col(Visit.report_id).is_(None),
            ~reported,
        )
        .group_by(col(Visit.household_id))
    )
    unfollowed = {hid: month for hid, month in ctx.rows(stmt).all()}
    for h in sources.households(ctx).values():
        if h.status == MonitoringStatus.monitored:
            continue
        s = sums.get(h.id)
        reasons, risk_types, values = [], [], {}
        if s:
            spending = s["medical"] + s["schooling"]
            if spending > 0 and spending * 100 > share * max(s["net"], 0):
                reasons.append(
                    f"近 12 个月医疗和教育支出 {spending} 元,超过同期收入 {s['net']} 元的 {share}%"
                )
                values.update(spending=spending, net_income=s["net"], share_percent=share)
            if s["medical"] > amount:
                reasons.append(f"近 12 个月自付医疗费用 {s['medical']} 元,超过 {amount} 元")
                values.update(medical=s["medical"], medical_amount=amount)
            if s["medical"]:
                risk_types.append(RiskType.illness.value)
            if s["schooling"] and reasons:
                risk_types.append(RiskType.schooling.value)
        if h.id in unfollowed:
            reasons.append(f"{unfollowed[h.id]} 走访发现新的风险,尚未跟进")
            values["unfollowed_visit_month"] = unfollowed[h.id]
        if reasons:
            values["risk_types"] = risk_types or [RiskType.other.value]
            yield Hit.of_household(h, ";".join(reasons), values)


def premature_clearance(ctx: Context) -> Iterator[Hit]:
    """已标注风险消除,但致贫原因仍在(在校、大病且医疗支出大、残疾、住房或饮水不安全),
    或纳入不满半年即消除,或没有落实任何帮扶措施。"""
    _load_medical(ctx)
    measures = _measures(ctx)
    min_days = ctx.params["min_monitored_days"]
    for h in sources.households(ctx).values():
        if h.status != MonitoringStatus.risk_cleared:
            continue
        reasons = _causes_persisting(ctx, h, ctx.params["medical_amount"])
        if h.enrolled_on and h.cleared_on and (h.cleared_on - h.enrolled_on).days < min_days:
            reasons.append(
                f"纳入监测 {(h.cleared_on - h.enrolled_on).days} 天即标注消除,不满 {min_days} 天"
            )
        carried = [m for m in measures.get(h.id, []) if m[1] != MeasureStatus.planned]
        if not carried:
            reasons.append("没有已落实的帮扶措施")
        if reasons:
            values = {
                "reasons": reasons,
                "risk_types": sorted(sources.risks(ctx).get(h.id, set())),
                "risk_cleared_on": h.cleared_on.isoformat() if h.cleared_on else None,
            }
            yield Hit.of_household(h, ";".join(reasons), values)


def _clearable(ctx: Context, h: sources.HouseholdRow) -> bool:
    """The clear-risk guards a review would meet (households/workflow.py): a measure carried
    out, someone of working age able to work (else 兜底, not clearance), no seriously ill
    member left of an illness risk. A household they refuse is not due for clearance."""
    signs = sources.member_signs(ctx).get(h.id, sources.MemberSigns())
    if not signs.working:
        return False
    if RiskType.illness in sources.risks(ctx).get(h.id, set()) and signs.seriously_ill:
        return False
    return any(m[1] != MeasureStatus.planned for m in _measures(ctx).get(h.id, []))


def overdue_clearance(ctx: Context) -> Iterator[Hit]:
    """纳入监测超过设定月数,近 6 个月收入均已登记且折合高于监测收入标准,致贫原因已消除,
    应组织风险消除评议。"""
    _load_medical(ctx)
    months = months_before(ctx.today, 6)
    recent = sources.ledger_sums(ctx, months, status_in=[MonitoringStatus.monitored])
    limit_month = add_months(month_of(ctx.today), -ctx.params["monitored_months"])
    for h in sources.households(ctx).values():
        if h.status != MonitoringStatus.monitored or h.enrolled_on is None:
            continue
        if month_of(h.enrolled_on) > limit_month:
            continue
        s = recent.get(h.id)
        if not s or s["months"] < 6 or not s["size"]:
            continue
        line = sources.line_for(ctx, h.area_code, ctx.today.year) or sources.line_for(
            ctx, h.area_code, ctx.today.year - 1
        )
        annual_per_capita = s["net"] * 2 // s["size"]
        if line is None or annual_per_capita < line:
            continue
        if _causes_persisting(ctx, h, ctx.params["medical_amount"]) or not _clearable(ctx, h):
            continue
        values = {
            "enrolled_on": h.enrolled_on.isoformat(),
            "months": months,
            "annualised_per_capita": annual_per_capita,
            "line": line,
        }
        yield Hit.of_household(
            h,
            f"{h.enrolled_on} 纳入监测,近 6 个月收入折合年人均 {annual_per_capita} 元,"
            f"高于监测收入标准 {line} 元,致贫原因已消除,应组织风险消除评议",
            values,
        )


def weak_plan(ctx: Context) -> Iterator[Hit]:
    """监测户没有帮扶措施、措施少于设定项数,或措施没有针对其风险类型。"""
    measures = _measures(ctx)
    least, grace = ctx.params["min_measures"], ctx.params["grace_days"]
    for h in sources.households(ctx).values():
        if h.status != MonitoringStatus.monitored:
            continue
        if h.enrolled_on and (ctx.today - h.enrolled_on).days < grace:
            continue
        kinds = {m[0] for m in measures.get(h.id, [])}
        count = len(measures.get(h.id, []))
        reasons = []
        if count == 0:
            reasons.append("没有帮扶措施")
        elif count < least:
            reasons.append(f"只有 {count} 项帮扶措施")
        unanswered = sorted(
            r
            for r in sources.risks(ctx).get(h.id, set())
            if r in ANSWERS and not kinds & ANSWERS[r]
        )
        if count and unanswered:
            reasons.append("措施没有针对" + "、".join(RISK_WORDS[r] for r in unanswered) + "风险")
        if reasons:
            values = {"measures": count, "kinds": sorted(kinds), "unanswered": unanswered}
            yield Hit.of_household(h, ";".join(reasons), values)


def single_person_dibao(ctx: Context) -> Iterator[Hit]:
    """家中有大病患者,低保却只覆盖一人。"""
    signs = sources.member_signs(ctx)
    for hid, rows in _measures(ctx).items():
        s = signs.get(hid)
        if s is None or not s.seriously_ill or s.active < 2:
            continue
        single = [m for m in rows if m[0] == MeasureKind.dibao and len(m[2]) == 1]
        if not single:
            continue
        h = sources.households(ctx).get(hid)
        if h is None:
            continue
        yield Hit.of_household(
            h,
            f"家中有大病患者,低保只覆盖 1 人(全户 {s.active} 人)",
            {"covered": 1, "active_members": s.active, "seriously_ill": s.seriously_ill},
        )


CHECKS = [
    Check(
        "missed_enrollment",
        "应纳未纳",
        "critical",
        missed_enrollment,
        params={
            "spending_share_percent": Param(50, "支出占收入比例(%)", 1, 1000),
            "medical_amount": Param(20_000, "自付医疗费用(元)", 0),
            "followup_days": Param(90, "走访发现风险的跟进期限(天)", 1, 366),
        },
        risk_types=("illness",),
    ),
    Check(
        "premature_clearance",
        "风险消除不精准",
        "critical",
        premature_clearance,
        params={
            "min_monitored_days": Param(183, "最短监测天数", 1, 3650),
            "medical_amount": Param(10_000, "大病户近 12 个月医疗支出(元)", 0),
        },
    ),
    Check(
        "overdue_clearance",
        "应消未消",
        "general",
        overdue_clearance,
        params={
            "monitored_months": Param(12, "监测月数", 1, 120),
            "medical_amount": Param(10_000, "大病户近 12 个月医疗支出(元)", 0),
        },
    ),
    Check(
        "weak_plan",
        "帮扶措施单一",
        "serious",
        weak_plan,
        params={
            "min_measures": Param(2, "最少措施项数", 1, 10),
            "grace_days": Param(30, "纳入后制定计划的期限(天)", 0, 365),
        },
        reportable=False,
    ),
    Check(
        "single_person_dibao",
        "单人保",
        "serious",
        single_person_dibao,
        risk_types=("illness",),
        problem_category="policy",
    ),
]
