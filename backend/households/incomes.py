"""A household's yearly income by component (收入), recorded or corrected per year."""

from sqlmodel import Session, select

from backend.accounts.models import User
from backend.audit import service as audit
from backend.core import clock
from backend.core.errors import Invalid
from backend.core.usecase import use_case
from backend.households import service
from backend.households.models import Household, IncomeRecord
from backend.households.schemas import IncomeInput

# What an audit row compares of an income record: its figures, not its bookkeeping.
_NOT_AUDITED = {"id", "created_at", "updated_at"}


@use_case
def put(
    *, session: Session, household: Household, year: int, data: IncomeInput, actor: User
) -> IncomeRecord:
    """Record `year`'s income, or correct it if it is recorded already."""
    service.require_editor(actor)
    if year > clock.today().year:
        raise Invalid("year", "不能登记将来年度的收入")
    stmt = select(IncomeRecord).where(
        IncomeRecord.household_id == household.id, IncomeRecord.year == year
    )
    record = session.exec(stmt).first()
    before = record.model_dump(exclude=_NOT_AUDITED) if record else {}
    if record is None:
        record = IncomeRecord(household_id=household.id, year=year, **data.model_dump())
    else:
        for key, value in data.model_dump().items():
            setattr(record, key, value)
        record.updated_at = clock.now()
    session.add(record)
    session.flush()
    changes = audit.diff(before, record.model_dump(exclude=_NOT_AUDITED))
    audit.record_change(
        session=session, row=household, actor=actor, action="income", changes=changes
    )
    return record
