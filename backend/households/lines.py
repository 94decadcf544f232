"""Setting a province's 监测收入标准 for a year: a fixed amount, or a multiple of the local 低保
line, always with the document it rests on and its 文号."""

from sqlmodel import Session, select

from backend.accounts.access import SETS_MONITORING_LINES
from backend.accounts.models import Role, User
from backend.areas import service as areas_service
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Forbidden, Invalid
from backend.core.usecase import use_case
from backend.households.models import LineKind, MonitoringLine
from backend.households.schemas import MonitoringLineInput

FIELDS = ("amount", "kind", "dibao_line", "multiple_percent", "basis", "document_number")


def require_setter(user: User, province_code: str) -> None:
    """The administrator, or an officer whose scope is the province itself."""
    if user.role not in SETS_MONITORING_LINES:
        raise Forbidden(
            "只有系统管理员或省级乡村振兴部门可以设置监测收入标准", code="role_forbidden"
        )
    if user.role != Role.admin and user.scope != province_code:
        raise Forbidden("只有省级乡村振兴部门可以设置本省的监测收入标准", code="not_province_level")


@use_case
def put(
    *, session: Session, province_code: str, year: int, data: MonitoringLineInput, actor: User
) -> MonitoringLine:
    require_setter(actor, province_code)
    area = areas_service.get(session=session, code=province_code)
    if area is None or len(province_code) != 2:
        raise Invalid("province_code", "应为省级地区代码(2 位)")
    if not 2000 <= year <= 2100:
        raise Invalid("year", "年度应在 2000 到 2100 之间")
    line = session.exec(
        select(MonitoringLine).where(
            MonitoringLine.province_code == province_code, MonitoringLine.year == year
        )
    ).first()
    before = {k: getattr(line, k) for k in FIELDS} if line else None
    if line is None:
        line = MonitoringLine(province_code=province_code, year=year, amount=0)
    if data.kind == LineKind.fixed:
        assert data.amount is not None
        line.amount, line.dibao_line, line.multiple_percent = data.amount, None, None
    else:
        assert data.dibao_line is not None and data.multiple is not None
        percent = int(data.multiple * 100)
        line.dibao_line, line.multiple_percent = data.dibao_line, percent
        line.amount = (data.dibao_line * percent + 50) // 100
    line.kind, line.basis, line.document_number = data.kind, data.basis, data.document_number
    line.updated_by, line.updated_at = actor.id, clock.now()
    session.add(line)
    session.flush()
    after = {k: getattr(line, k) for k in FIELDS}
    audit.record(
        session=session,
        actor=actor,
        entity="monitoring_line",
        entity_id=line.id,
        area_code=province_code,
        action="set_line",
        changes={k: [before[k] if before else None, after[k]] for k in FIELDS},
    )
    return line
