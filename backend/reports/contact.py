"""Who may see a reporter's full phone number, and the audited reveal. Answers mask phones
for everyone; the person whose turn it is to handle an open report — the one it is assigned
to, the village cadre while the village checks it, the township officer at township review,
the county officer at county approval — must call the farmer, asks for the number, and that
view is written to the audit log."""

from sqlmodel import Session

from backend.accounts.models import Role, User
from backend.audit import service as audit_service
from backend.core.errors import Forbidden
from backend.core.usecase import use_case
from backend.reports.models import ReportStatus, SelfReport
from backend.reports.schemas import SelfReportContact

# Whose turn it is, by the report's step.
HANDLER_ROLE = {
    ReportStatus.submitted: Role.village_cadre,
    ReportStatus.verifying: Role.village_cadre,
    ReportStatus.township_review: Role.township_officer,
    ReportStatus.county_approval: Role.county_officer,
}


def handles(user: User, report: SelfReport) -> bool:
    """Whether `user` (who can see the report) is the one to call its farmer now."""
    step_role = HANDLER_ROLE.get(report.status)
    if step_role is None:  # decided, merged or withdrawn: nobody needs to call
        return False
    return user.id == report.assignee_id or user.role == step_role


@use_case
def reveal(*, session: Session, report: SelfReport, user: User) -> SelfReportContact:
    """The report's full phone numbers for the one handling it, recorded in the audit log
    (the log keeps the numbers masked, like every audit row)."""
    if not handles(user, report):
        raise Forbidden("只有正在办理这份报告的人员可以查看完整手机号", code="not_handling_report")
    audit_service.record_change(
        session=session,
        row=report,
        actor=user,
        action="view_phone",
        changes={
            "phone": [None, report.phone],
            "reporter_phone": [None, report.reporter_phone],
        },
    )
    return SelfReportContact(
        phone=report.phone, reporter_name=report.reporter_name, reporter_phone=report.reporter_phone
    )
