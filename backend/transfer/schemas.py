"""What exports take (the kinds of record and the file formats) and what a background
import answers."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from backend.core.enums import NamedEnum
from backend.core.schemas import Output, Page, name_field
from backend.households.schemas import Counts, ImportAccount
from backend.transfer.models import ImportStatus

IMPORT_STATUS_NAMES = ImportStatus.names()


class ExportKind(NamedEnum):
    households = "households", "农户"
    members = "members", "家庭成员"
    visits = "visits", "走访记录"
    ledger = "ledger", "收支登记"
    reports = "reports", "一键报贫报告"
    problems = "problems", "整改问题"
    findings = "findings", "排查发现"


class ExportFormat(NamedEnum):
    csv = "csv", "CSV"
    xlsx = "xlsx", "XLSX"


class ImportBase(Output):
    """What every answer about a household import says: where it is and who started it."""

    id: uuid.UUID
    status: str = Field(description="queued 排队中、running 导入中、done 已完成、failed 失败")
    status_name = name_field(IMPORT_STATUS_NAMES, "status")
    dry_run: bool
    area_code: str
    filename: str
    rows_total: int
    rows_done: int
    issues_total: int
    message: str = Field(description="失败的原因,或中途中断后重新导入的说明")
    created_by: uuid.UUID
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportJob(ImportBase):
    """A household import run by the worker: where it is, and its account when done (every
    row's outcome for a file up to 20,000 rows; the first 2,000 issues, `issues_total` in
    all)."""

    account: ImportAccount | None = None


class ImportFilters(BaseModel):
    """The filters of the list of household imports."""

    area: str | None = Field(
        default=None, pattern=r"^\d{2,12}$", description="地区代码(默认本人辖区)"
    )
    status: ImportStatus | None = Field(default=None, description="导入的状态")
    dry_run: bool | None = Field(default=None, description="只看试导入(true)或正式导入(false)")


class ImportBrief(ImportBase):
    """One household import in the list: where it is and what it did (the households and
    members created, updated, unchanged and refused once it is done), without its
    row-by-row account (`GET /imports/{id}`)."""

    households: Counts | None = Field(default=None, description="户数(完成后)")
    members: Counts | None = Field(default=None, description="成员数(完成后)")

    @model_validator(mode="before")
    @classmethod
    def _counts(cls, row: Any) -> Any:
        """The counts out of a stored import's account."""
        if isinstance(row, dict):
            return row
        account = row.account or {}
        values = {name: getattr(row, name) for name in cls.model_fields if hasattr(row, name)}
        values["households"] = account.get("households")
        values["members"] = account.get("members")
        return values


class ImportsPublic(Page[ImportBrief]):
    pass
