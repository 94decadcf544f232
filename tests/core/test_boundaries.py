"""Each domain reaches another only through its service: no module imports another domain's
tables, and nothing private (`_name`) is used outside the module that defines it."""

import ast
import importlib
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"
# Not domains: the shared kernel, and the app-level modules at the package's top.
NOT_DOMAINS = {"core"}

# Another domain's table a module may import, and why (type-only and read-only uses).
ALLOWED_TABLES: dict[tuple[str, str], str] = {
    ("*", "backend.accounts.models.User"): (
        "the caller or actor handed in by accounts/deps.py: its id, role, scope and name are "
        "read; users are looked up only through accounts_service"
    ),
    ("demo", "backend.households.models.Household"): (
        "DemoContext hands the households the demo registered (through households_service) "
        "to the later steps; the story's cleared households get their clearance date set on "
        "the object, since clear_risk would judge them on today's facts"
    ),
    ("demo", "backend.households.models.Member"): (
        "type-only: the findings story reads the members households_service hands in (age, "
        "labour) to plant a household whose clearance proposal the guards accept"
    ),
    ("demo", "backend.areas.models.Area"): (
        "the bench county (demo/county) is written in bulk straight into the tables through "
        "the real schema, 100,000 households in minutes; it reads the county's villages here"
    ),
    ("demo", "backend.households.models.MonitoringLine"): (
        "the bench county writes its monitoring lines in bulk with the rest of the county"
    ),
    ("reports", "backend.households.models.Household"): (
        "type-only: names the household that households_service hands in (open_on_behalf, "
        "the household an enrolment changes); reports load, create and change households "
        "only through households_service and households_workflow"
    ),
    ("visits", "backend.households.models.Household"): (
        "type-only: the household handed in by households_service.get_visible, VisibleHousehold "
        "or households_queries.by_ids (its id, area and registration date are read, and the "
        "visits demo backdates the demo households' registration); visits query households "
        "only through households_queries.visible"
    ),
    ("privacy", "backend.households.models.Household"): (
        "type-only: the household VisibleHousehold hands in; its members, visits and reports "
        "are read through households_service, households reading, visits_service and "
        "reports_queries"
    ),
    ("privacy", "backend.reports.models.SelfReport"): (
        "type-only: the report VisibleReport hands in and the rows reports_queries.of_household "
        "answers; privacy reads their fields for the export and writes nothing of them"
    ),
    ("stats", "backend.areas.models.Area"): (
        "type-only: the areas areas_service hands in (the caller's area, its children and the "
        "way back up), whose code and name label each row of figures"
    ),
}
# 排查 reads every domain's records in bulk: a check is a few set-based SELECTs over an area
# (never a query per household), which no per-row service function could serve. Read-only:
# checks write nothing of another domain's; a finding turns into a report or a problem
# through reports_service and rectification_service.
_CHECKS_READ = (
    "read-only, set-based: the checks' queries over an area (backend/checks/sources.py and "
    "rules/); nothing of this table is written by checks"
)
ALLOWED_TABLES.update(
    {
        ("checks", f"backend.{table}"): _CHECKS_READ
        for table in (
            "households.models.Household",
            "households.models.HouseholdRisk",
            "households.models.IncomeRecord",
            "households.models.Member",
            "households.models.MonitoringLine",
            "households.models.AssistancePlan",
            "households.models.Measure",
            "visits.models.Visit",
            "visits.models.LedgerEntry",
            "reports.models.SelfReport",
        )
    }
)
# Exports (backend/transfer/export_households.py, export_cases.py) stream every domain's
# records of an area: one query over a server-side cursor, a partition of look-ups at a time,
# which no per-row service function could serve in constant memory. Read-only, like the
# checks.
_EXPORTS_READ = (
    "read-only, streamed: an export's one query over an area and its per-partition look-ups "
    "(backend/transfer/export_*.py); nothing of this table is written by transfer"
)
ALLOWED_TABLES.update(
    {
        ("transfer", f"backend.{table}"): _EXPORTS_READ
        for table in (
            "households.models.Household",
            "households.models.HouseholdRisk",
            "households.models.Member",
            "visits.models.Visit",
            "visits.models.LedgerEntry",
            "reports.models.SelfReport",
            "rectification.models.Problem",
            "rectification.models.ProblemBatch",
            "checks.models.Finding",
        )
    }
)
# Uses that the structure work still has to remove; this list only shrinks.
TEMPORARY: dict[tuple[str, str], str] = {}
TEMPORARY_PRIVATE: set[str] = set()


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(BACKEND.rglob("*.py")):
        parts = path.relative_to(BACKEND).parts
        if len(parts) > 1 and parts[0] not in NOT_DOMAINS:
            out.append((parts[0], path))
    return out


def _imports(tree: ast.AST) -> list[tuple[str, str, int]]:
    """(module, name, line) for every `from backend.… import name`, at any depth."""
    return [
        (node.module, alias.name, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("backend.")
        for alias in node.names
    ]


def _is_table(module: str, name: str) -> bool:
    obj = getattr(importlib.import_module(module), name, None)
    return hasattr(obj, "__table__")


def test_no_domain_imports_another_domains_tables() -> None:
    found = []
    for domain, path in _modules():
        for module, name, line in _imports(ast.parse(path.read_text())):
            owner = module.split(".")[1]
            if owner == domain or not module.endswith(".models") or not _is_table(module, name):
                continue
            key = f"{module}.{name}"
            if ("*", key) in ALLOWED_TABLES or (domain, key) in ALLOWED_TABLES:
                continue
            if (domain, key) in TEMPORARY:
                continue
            found.append(f"{path.relative_to(BACKEND.parent)}:{line} imports {key}")
    assert found == [], "go through the owning domain's service instead:\n" + "\n".join(found)


def test_the_temporary_list_only_names_imports_that_still_exist() -> None:
    used = {
        (domain, f"{module}.{name}")
        for domain, path in _modules()
        for module, name, _ in _imports(ast.parse(path.read_text()))
    }
    stale = sorted(k for k in TEMPORARY if k not in used)
    assert stale == [], f"remove these from TEMPORARY: {stale}"


def test_nothing_private_is_used_outside_its_module() -> None:
    found = []
    for _, path in [*_modules(), *((p.parent.name, p) for p in (BACKEND / "core").glob("*.py"))]:
        tree = ast.parse(path.read_text())
        where = str(path.relative_to(BACKEND.parent))
        aliases = {}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("backend")
            ):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{where}: {node.module}.{alias.name}")
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and importlib.util.find_spec(aliases[node.value.id]) is not None
            ):
                found.append(f"{where}: {aliases[node.value.id]}.{node.attr}")
    found = sorted(set(found) - TEMPORARY_PRIVATE)
    assert found == [], "make it public or keep it in its module:\n" + "\n".join(found)
