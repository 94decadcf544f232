"""排查 as people use it: the catalogue, a county's parameters, starting a run, the findings
list. Acting on a finding (dismissing it, a report or a problem from it) is in actions.py."""

import uuid
from typing import Any

from sqlalchemy import and_
from sqlmodel import Session, col, func, select

from backend.accounts import service as accounts_service
from backend.accounts.access import (
    ACTS_ON_FINDINGS,
    DISMISSES_FINDINGS,
    ISSUERS,
    REPORTS_FROM_FINDINGS,
    RUNS_CHECKS,
    SETS_CHECK_PARAMETERS,
    bound_to_assignments,
)
from backend.accounts.models import User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.checks import runs
from backend.checks.catalogue import CHECKS
from backend.checks.models import CheckParameter, CheckRun, Finding, FindingStatus
from backend.checks.schemas import (
    CheckCatalogue,
    CheckPublic,
    FindingFilters,
    FindingPublic,
    FindingsSummary,
    ParameterPublic,
    VillageCount,
)
from backend.core import clock
from backend.core.errors import Forbidden, Invalid, NotFound
from backend.core.scope import contains, within
from backend.core.usecase import use_case
from backend.households import queries as households_queries
from backend.households.models import Household, Member, Relation
from backend.worker import service as worker_service


def check_named(code: str) -> Any:
    """The check called `code`; 404 when there is none."""
    check = CHECKS.get(code)
    if check is None:
        raise NotFound("没有这项排查规则")
    return check


def _area_in_scope(user: User, area_code: str, field: str = "area_code") -> None:
    if not contains(user.scope, area_code):
        raise Forbidden("只能处理本辖区", code="outside_scope")


# --- the catalogue and its parameters ----------------------------------------------------


def catalogue(*, session: Session, user: User, area_code: str | None) -> CheckCatalogue:
    area = area_code if area_code is not None else user.scope
    _area_in_scope(user, area)
    counts = runs.open_counts_in(session=session, area=area)
    data = []
    for code, check in CHECKS.items():
        values = runs.parameters(session=session, check=check, area_code=area)
        params = [
            ParameterPublic(
                name=name,
                label=p.label,
                default=p.default,
                value=values[name],
                minimum=p.minimum,
                maximum=p.maximum,
            )
            for name, p in check.params.items()
        ]
        data.append(
            CheckPublic(
                code=code,
                title=check.title,
                severity=check.severity,
                rule=check.rule,
                parameters=params,
                open_findings=counts.get(code, 0),
            )
        )
    can = []
    if user.role in RUNS_CHECKS:
        can.append("run")
    if user.role in SETS_CHECK_PARAMETERS and 0 < len(area) <= 6:
        can.append("set_parameters")
    names = areas_service.names(session=session, codes=[area])
    return CheckCatalogue(area_code=area, area_name=names.get(area), data=data, can=can)


@use_case
def set_parameters(
    *, session: Session, code: str, area_code: str, values: dict[str, int], actor: User
) -> CheckParameter:
    """A county (or a city or province) changes a check's parameters for every area under it."""
    check = check_named(code)
    if actor.role not in SETS_CHECK_PARAMETERS:
        raise Forbidden("只有县乡村振兴局和系统管理员可以修改排查参数", code="role_forbidden")
    _area_in_scope(actor, area_code)
    if len(area_code) > 6:
        raise Invalid("area", "排查参数只能按县(或市、省)设置")
    if areas_service.get(session=session, code=area_code) is None:
        raise Invalid("area", "没有这个地区代码")
    if not values:
        raise Invalid("values", "至少修改一个参数")
    for name, value in values.items():
        param = check.params.get(name)
        if param is None:
            raise Invalid(f"values.{name}", "这项规则没有这个参数")
        if not param.minimum <= value <= param.maximum:
            raise Invalid(
                f"values.{name}", f"{param.label}应在 {param.minimum} 到 {param.maximum} 之间"
            )
    row = session.exec(
        select(CheckParameter).where(
            CheckParameter.check_code == code, CheckParameter.area_code == area_code
        )
    ).first()
    before = dict(row.values) if row else {}
    if row is None:
        row = CheckParameter(check_code=code, area_code=area_code, values={})
    row.values = {**before, **values}
    row.updated_by, row.updated_at = actor.id, clock.now()
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        entity="check_parameter",
        entity_id=row.id,
        area_code=area_code,
        action="set_parameters",
        changes={"check": [None, code], "values": [before, row.values]},
    )
    return row


# --- runs -------------------------------------------------------------------------------


@use_case
def _create_run(*, session: Session, area_code: str, actor: User | None) -> CheckRun:
    if actor is not None:
        if actor.role not in RUNS_CHECKS:
            raise Forbidden(
                "只有县乡村振兴局、乡镇干部和系统管理员可以运行排查", code="role_forbidden"
            )
        _area_in_scope(actor, area_code)
    if area_code and areas_service.get(session=session, code=area_code) is None:
        raise Invalid("area_code", "没有这个地区代码")
    return runs.new_run(session=session, area_code=area_code, actor_id=actor.id if actor else None)


@use_case
def start_run(*, session: Session, area_code: str, actor: User | None) -> CheckRun:
    """Record a run and hand it to the worker (job `checks.run`, in the same transaction);
    its progress is read by id."""
    run = _create_run(session=session, area_code=area_code, actor=actor)
    worker_service.enqueue(session=session, kind="checks.run", payload={"run_id": str(run.id)})
    return run


def run_now(*, session: Session, area_code: str, actor: User | None = None) -> CheckRun:
    """Record a run and carry it out before returning (the command line, the nightly job)."""
    run = _create_run(session=session, area_code=area_code, actor=actor)
    runs.execute(run_id=run.id)
    session.expire_all()
    done = session.get(CheckRun, run.id)
    assert done is not None
    return done


def get_run(*, session: Session, user: User, run_id: uuid.UUID) -> CheckRun:
    run = session.get(CheckRun, run_id)
    if run is None or not contains(user.scope, run.area_code):
        raise NotFound("没有找到这次排查")
    return run


def open_counts(*, session: Session, area_code: str) -> dict[str, int]:
    """Open findings per check in the area (every check named, zero included)."""
    return runs.open_counts_in(session=session, area=area_code)


def open_by_area(*, session: Session, prefix: str) -> list[tuple[str, str, int]]:
    """(area code, check, open findings) inside `prefix`: the statistics sum them per area."""
    stmt = (
        select(Finding.area_code, Finding.check_code, func.count())
        .where(within(Finding.area_code, prefix), Finding.status == FindingStatus.open)
        .group_by(col(Finding.area_code), col(Finding.check_code))
    )
    return [(code, check, n) for code, check, n in session.exec(stmt)]


def open_to_act(*, session: Session, user: User) -> list[tuple[str, int]]:
    """(check, open findings) in the caller's area that are theirs to act on, for 待办: one
    grouped count under the same conditions as `GET /findings?area=<scope>&status=open`, so
    each count is that list's. Empty for a role that can do nothing with a finding."""
    if user.role not in ACTS_ON_FINDINGS:
        return []
    filters = FindingFilters(area=user.scope or None, status=FindingStatus.open)
    stmt = (
        select(Finding.check_code, func.count())
        .where(*_conditions(user, filters))
        .group_by(col(Finding.check_code))
    )
    return [(code, n) for code, n in session.exec(stmt) if code in CHECKS]


def titles() -> dict[str, str]:
    return {code: check.title for code, check in CHECKS.items()}


def severities() -> dict[str, str]:
    return {code: check.severity for code, check in CHECKS.items()}


# --- findings ---------------------------------------------------------------------------


def _visible(user: User) -> list[Any]:
    cond = [within(Finding.area_code, user.scope)]
    if bound_to_assignments(user):
        mine = households_queries.visible(user)
        cond.append(col(Finding.household_id).in_(select(mine.c.id)))
    return cond


def _conditions(user: User, filters: FindingFilters, *, skip: str = "") -> list[Any]:
    """The filters as SQL conditions inside the caller's reach (`skip` leaves one out)."""
    cond = _visible(user)
    if filters.check and skip != "check":
        check_named(filters.check)
        cond.append(Finding.check_code == filters.check)
    if filters.area and skip != "area":
        cond.append(within(Finding.area_code, filters.area))
    if filters.status:
        cond.append(Finding.status == filters.status)
    if filters.severity:
        cond.append(Finding.severity == filters.severity)
    if filters.household_id:
        cond.append(Finding.household_id == filters.household_id)
    return cond


def list_findings(
    *, session: Session, user: User, filters: FindingFilters, offset: int, limit: int
) -> tuple[list[Finding], int]:
    cond = _conditions(user, filters)
    # Village by village, the longest-standing first: the order of the (area, first seen,
    # id) index and of those that put the status (and the check) before it and the severity
    # after, so a page is read off an index and stops at its last row, and the count is an
    # index's. The page's ids come first, then only those rows: newest-first over whole
    # rows read and sorted a county's every finding, values included (386 ms at p95 on the
    # 100,000-household county).
    order = [col(Finding.area_code), col(Finding.first_seen_at), col(Finding.id)]
    count = session.exec(select(func.count()).select_from(Finding).where(*cond)).one()
    ids = select(Finding.id).where(*cond).order_by(*order).offset(offset).limit(limit)
    rows = session.exec(select(Finding).where(col(Finding.id).in_(ids)).order_by(*order))
    return list(rows), count


def summary(*, session: Session, user: User, filters: FindingFilters) -> FindingsSummary:
    """Findings per check (whatever check is chosen) and per village (whatever area is
    chosen) under the other filters: two grouped counts."""
    by_check = dict.fromkeys(CHECKS, 0)
    stmt = (
        select(Finding.check_code, func.count())
        .where(*_conditions(user, filters, skip="check"))
        .group_by(col(Finding.check_code))
    )
    by_check.update({code: n for code, n in session.exec(stmt) if code in by_check})
    village = func.substr(Finding.area_code, 1, 12)
    stmt = (
        select(village, func.count())
        .where(*_conditions(user, filters, skip="area"))
        .group_by(village)
        .order_by(village)
    )
    rows = [(code, n) for code, n in session.exec(stmt) if len(code) == 12]
    names = areas_service.names(session=session, codes=[code for code, _ in rows])
    return FindingsSummary(
        by_check=by_check,
        by_village=[
            VillageCount(area_code=code, area_name=names.get(code), count=n) for code, n in rows
        ],
    )


def get_finding(
    *, session: Session, user: User, finding_id: uuid.UUID, lock: bool = False
) -> Finding:
    stmt = select(Finding).where(Finding.id == finding_id, *_visible(user))
    if lock:
        stmt = stmt.with_for_update()
    finding = session.exec(stmt).first()
    if finding is None:
        raise NotFound("没有找到这条排查发现")
    return finding


def allowed_actions(user: User, finding: Finding) -> list[str]:
    if finding.status != FindingStatus.open:
        return []
    check = CHECKS.get(finding.check_code)
    can = []
    if user.role in DISMISSES_FINDINGS:
        can.append("dismiss")
    if (
        check
        and check.reportable
        and finding.household_id
        and finding.report_id is None
        and user.role in REPORTS_FROM_FINDINGS
    ):
        can.append("report")
    if finding.problem_id is None and user.role in ISSUERS:
        can.append("problem")
    return can


def _subject_names(*, session: Session, findings: list[Finding]) -> dict[str, str]:
    """{subject_key: the member's or the helper's name} (households and villages are named
    by their head and their area)."""
    keys = {f.subject_key for f in findings}
    ids = {
        kind: [uuid.UUID(k.split(":", 1)[1]) for k in keys if k.startswith(kind + ":")]
        for kind in ("member", "helper")
    }
    out: dict[str, str] = {}
    if ids["member"]:
        stmt = select(Member.id, Member.name).where(col(Member.id).in_(ids["member"]))
        out.update({f"member:{mid}": name for mid, name in session.exec(stmt)})
    out.update(
        {
            f"helper:{u.id}": u.full_name
            for u in accounts_service.by_ids(session=session, ids=ids["helper"])
        }
    )
    return out


def _households_named(
    *, session: Session, ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str | None]]:
    """{household: (reference, the head's name)} in one statement."""
    if not ids:
        return {}
    head = and_(
        Member.household_id == Household.id,
        Member.relation == Relation.head,
        col(Member.active).is_(True),
    )
    stmt = (
        select(Household.id, Household.reference, Member.name)
        .outerjoin(Member, head)
        .where(col(Household.id).in_(ids))
    )
    return {hid: (ref, name) for hid, ref, name in session.exec(stmt)}


def publics(*, session: Session, user: User, findings: list[Finding]) -> list[FindingPublic]:
    """A page of findings as answered: whom each is about in words, and what the caller may
    do with it. A few statements for any page (households, areas, and members or helpers
    when the page has such findings)."""
    homes = _households_named(
        session=session, ids={f.household_id for f in findings if f.household_id}
    )
    areas = areas_service.names(session=session, codes={f.area_code for f in findings})
    subjects = _subject_names(session=session, findings=findings)
    out = []
    for f in findings:
        check = CHECKS.get(f.check_code)
        reference, head = (
            homes.get(f.household_id, (None, None)) if f.household_id else (None, None)
        )
        subject = subjects.get(f.subject_key)
        if f.subject_kind == "village":
            subject = areas.get(f.area_code)
        elif f.subject_kind == "household":
            subject = head
        out.append(
            FindingPublic.model_validate(
                {
                    **f.model_dump(warnings=False),
                    "check_title": check.title if check else f.check_code,
                    "household_reference": reference,
                    "household_head": head,
                    "subject_name": subject,
                    "area_name": areas.get(f.area_code),
                    "can": allowed_actions(user, f),
                }
            )
        )
    return out
