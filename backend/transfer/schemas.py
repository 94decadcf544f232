"""What exports take: the kinds of record and the file formats."""

from backend.core.enums import NamedEnum


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
