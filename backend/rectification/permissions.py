"""Who may do what to a problem: issue it, work on it, review it, copy it; and the actions a
screen offers the caller (`can`)."""

from sqlmodel import Session

from backend.accounts import service as accounts_service
from backend.accounts.access import CLAIMERS, ISSUERS, REVIEWERS
from backend.accounts.models import User
from backend.core.errors import Forbidden
from backend.core.scope import contains
from backend.rectification.models import OPEN_FOR_WORK, Problem, ProblemStatus


def require_issuer(user: User, area_code: str) -> None:
    if user.role not in ISSUERS:
        raise Forbidden("只有督查员、县乡村振兴局和乡镇干部可以下发问题清单", code="role_forbidden")
    if not contains(user.scope, area_code):
        raise Forbidden("只能向本辖区下发问题", code="outside_scope")


def is_claimant(session: Session, user: User, problem: Problem) -> bool:
    """The person who rectified it: the same account, or another account with the same
    phone number (one person holding a village and a township account)."""
    if problem.claimed_by is None:
        return False
    if problem.claimed_by == user.id:
        return True
    if not user.phone:
        return False
    claimant = accounts_service.get(session=session, user_id=problem.claimed_by)
    return claimant is not None and bool(claimant.phone) and claimant.phone == user.phone


def require_reviewer(
    user: User, problem: Problem, *, session: Session, action: str = "审核销号"
) -> None:
    if user.role not in REVIEWERS:
        raise Forbidden(f"只有督查员、县乡村振兴局和乡镇干部可以{action}", code="role_forbidden")
    if is_claimant(session, user, problem):
        raise Forbidden("不能审核自己整改的问题,请由其他人审核", code="own_rectification")


def require_responsible(user: User, problem: Problem) -> None:
    if problem.claimed_by is None or problem.claimed_by != user.id:
        raise Forbidden("只有认领该问题的责任人可以整改", code="not_responsible")


def may_copy(user: User, problem: Problem, batch_area: str) -> bool:
    """举一反三 is open to an issuer whose area holds the problem's township and whose list
    reaches beyond one village: a township officer may copy a county's or city's problem to
    their own villages (each target is checked again when copying)."""
    if user.role not in ISSUERS or len(problem.area_code) < 9 or len(batch_area) > 9:
        return False
    return contains(user.scope, problem.area_code[:9])


def allowed_actions(
    user: User, problem: Problem, *, session: Session, batch_area: str | None = None
) -> list[str]:
    can: list[str] = []
    mine = problem.claimed_by == user.id
    rectified = is_claimant(session, user, problem)
    if problem.status == ProblemStatus.issued and user.role in CLAIMERS:
        can.append("claim")
    if mine and problem.status in OPEN_FOR_WORK:
        can += ["add_step", "add_note", "add_evidence"]
        if problem.status == ProblemStatus.in_progress:
            can.append("submit_for_closure")
    if user.role in REVIEWERS and not rectified:
        if problem.status == ProblemStatus.submitted_for_closure:
            can += ["close", "return"]
        if problem.status == ProblemStatus.closed:
            can.append("mark_ongoing")
    if batch_area is not None and may_copy(user, problem, batch_area):
        can.append("copy")
    return can
