"""Demo department warnings: 会宁县's 医保, 教育, 民政 and 残联 have pushed warnings about people
of its demo villages (one about nobody on record), and the townships triaged some — a report
on the household's behalf that ended in enrolment, one still being verified, one dismissed —
so the triage queue, the senders' outcomes and the dashboard's yield per source have content."""

import random
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from backend.accounts import clients as clients_service
from backend.accounts.clients import Caller
from backend.accounts.models import ApiScope
from backend.accounts.schemas import ApiClientCreate
from backend.core import clock, security
from backend.demo.context import DemoContext, make_id_number
from backend.households import service as households_service
from backend.households.models import MonitoringStatus, Relation
from backend.reports import queries as reports_queries
from backend.reports.models import ReportStatus
from backend.warnings import service
from backend.warnings.models import WarningSource
from backend.warnings.schemas import WarningCreate, WarningReportInput

COUNTY = "620422"
SENDERS = {
    WarningSource.medical_insurance: "会宁县医疗保障局",
    WarningSource.education: "会宁县教育局",
    WarningSource.civil_affairs: "会宁县民政局",
    WarningSource.disabled_persons: "会宁县残疾人联合会",
}
# source, village key, summary, figures; what the township made of it
WARNINGS: list[tuple[WarningSource, str, str, dict[str, int], str]] = [
    (
        WarningSource.medical_insurance,
        "gaojiazhuang",
        "年内自付医疗费用超过 2 万元",
        {"self_paid_yuan": 38600, "threshold_yuan": 20000},
        "enrolled",
    ),
    (
        WarningSource.medical_insurance,
        "nanshilipu",
        "年内自付医疗费用超过 2 万元",
        {"self_paid_yuan": 24100, "threshold_yuan": 20000},
        "reported",
    ),
    (
        WarningSource.medical_insurance,
        "hongbaozi",
        "年内自付医疗费用超过 2 万元",
        {"self_paid_yuan": 21500, "threshold_yuan": 20000},
        "pending",
    ),
    (
        WarningSource.education,
        "gaojiazhuang",
        "在读子女申请生源地助学贷款",
        {"loan_yuan": 12000},
        "dismissed",
    ),
    (WarningSource.education, "hongbaozi", "高中在读子女学费减免", {"fee_yuan": 1600}, "pending"),
    (
        WarningSource.civil_affairs,
        "nanshilipu",
        "临时救助申请",
        {"relief_yuan": 3000},
        "pending",
    ),
    (
        WarningSource.disabled_persons,
        "hongbaozi",
        "新办理二级残疾证",
        {"disability_grade": 2},
        "pending",
    ),
]
TOWNSHIP_OFFICERS = {"620422100": "huishi_town", "620422101": "guocheng_town"}
DISMISSED = "经入户核实,助学贷款已覆盖学费,家庭收入稳定,暂无返贫风险"


def _senders(session: Session, ctx: DemoContext) -> dict[WarningSource, Caller]:
    out = {}
    for source, name in SENDERS.items():
        client, _ = clients_service.create(
            session=session,
            data=ApiClientCreate(name=name, area_code=COUNTY, scopes=[ApiScope.warnings_write]),
            actor=ctx.users["admin"],
        )
        out[source] = Caller(
            id=client.id,
            name=client.name,
            area_code=client.area_code,
            scopes=frozenset(client.scopes),
            rate_limit="",
        )
    return out


def _people(session: Session, ctx: DemoContext, key: str) -> list[tuple[Any, str]]:
    """(household, its head's ID number) of a village, monitored households last."""
    households = sorted(
        ctx.households.get(key, []),
        key=lambda h: h.monitoring_status == MonitoringStatus.monitored,
    )
    out = []
    for h in households:
        members = households_service.members_of(session=session, household_id=h.id)
        head = next((m for m in members if m.relation == Relation.head), None)
        if head is not None and head.id_number_cipher:
            out.append((h, security.decrypt_id_number(head.id_number_cipher)))
    return out


def seed(*, session: Session, ctx: DemoContext) -> None:
    senders = _senders(session, ctx)
    period = f"{clock.today():%Y-%m}"
    used: dict[str, int] = {}
    for source, key, summary, figures, outcome in WARNINGS:
        people = _people(session, ctx, key)
        # The enrolled one is about a household the demo already monitors; the others
        # about households that are not.
        pick = people[-1] if outcome == "enrolled" else people[used.get(key, 0)]
        if outcome != "enrolled":
            used[key] = used.get(key, 0) + 1
        household, person = pick
        warning, _ = service.receive(
            session=session,
            client=senders[source],
            data=WarningCreate(
                source=source, id_number=person, period=period, summary=summary, figures=figures
            ),
        )
        town = ctx.users[TOWNSHIP_OFFICERS[household.area_code[:9]]]
        if outcome in ("enrolled", "reported"):
            service.to_report(
                session=session, warning=warning, data=WarningReportInput(), actor=town
            )
        if outcome == "enrolled":
            # The chain ran its course (as the reports demo writes its decided reports).
            assert warning.report_id is not None
            report = reports_queries.get_visible(
                session=session, user=town, report_id=warning.report_id
            )
            report.status = ReportStatus.enrolled
            report.decided_at = clock.now() - timedelta(days=3)
            session.add(report)
        if outcome == "dismissed":
            service.dismiss(session=session, warning=warning, reason=DISMISSED, actor=town)
    # A warning about someone not on record in the county: kept, unmatched. (A generator
    # of its own: the demo's shared one stays as the earlier steps left it.)
    stranger = make_id_number(random.Random(14), "620422", date(1971, 5, 14), male=True)
    service.receive(
        session=session,
        client=senders[WarningSource.medical_insurance],
        data=WarningCreate(
            source=WarningSource.medical_insurance,
            id_number=stranger,
            period=period,
            summary="年内自付医疗费用超过 2 万元",
            figures={"self_paid_yuan": 27300, "threshold_yuan": 20000},
        ),
    )
    session.commit()
