"""What imports answer and exports take: the row-by-row account of an import, the kinds of
export."""

from typing import Literal

from pydantic import Field

from backend.core.enums import NamedEnum
from backend.core.schemas import Output


class RowIssue(Output):
    """One thing wrong with one row: the row's number in the sheet, the column (its Chinese
    header) and why, in Chinese."""

    row: int
    reference: str = ""
    field: str
    message: str


class RowOutcome(Output):
    row: int
    reference: str
    outcome: Literal["created", "updated", "unchanged", "refused"]


class Counts(Output):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0


class ImportAccount(Output):
    """What an import did (or, in a dry run, would do): every refused row with its reasons,
    the households and members created, updated and unchanged."""

    dry_run: bool
    area_code: str
    rows: int = 0
    households: Counts = Field(default_factory=Counts)
    members: Counts = Field(default_factory=Counts)
    incomes: Counts = Field(default_factory=Counts)
    issues: list[RowIssue] = Field(default_factory=list)
    # Each row's outcome (its household's); the API answers them, the CLI counts only.
    outcomes: list[RowOutcome] = Field(default_factory=list)
    seconds: float = 0.0


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
