"""Schemathesis over every operation of /api/v1/openapi.json, as a county officer, as a
village cadre and as an API client of the county holding every scope (so the operations only
a client may call, its webhooks and the warnings it sends, are tested past their refusal),
each against a real `shouwang serve` (uvicorn) on 127.0.0.1 over its own copy of the demo
county: `--checks all`, every phase (examples, coverage, fuzzing, stateful with the links it
infers from the responses), a fixed seed. Zero failures, and no error in the server's log.

Every check runs (schemathesis' default, the `--checks all` of the CLI, which is not passed
because on the command line it would override the per-operation settings below).

Through the CLI against a real server rather than the ASGI app in this process: it is the
tool and the phases a third party runs (the coverage phase is the CLI's), the answers cross
every middleware, gzip and HTTP itself, and the server runs on the wall clock in its own
process, as in production.

A run is its seed and the demo, nothing else: each role's server starts from a fresh copy
of the seeded database (no role reads what another wrote), the path parameters are drawn
from records in an order the demo fixes (not by their random UUIDs), no example database
carries cases from one run to the next, and one worker sends the requests in one order (two
interleave differently on every run, and on Python 3.11 two threads parsing source at once
can fail inside hypothesis: CPython gh-106905).

`make test` runs a quick bounded run as the county officer (the role that reaches most
operations past their refusals): every operation, 4 examples each, the examples, fuzzing and
stateful phases (89 s with its server at a load average of 3; each role's run took one to five
minutes as the shared machine's load went, and CI has forty). `make test-api` runs the full
one for all three roles: the coverage phase too (the boundary and type-confusion cases of every
parameter) and 100 examples an operation."""

import json
import os
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests import clusters, factories
from tests.api.conftest import Seeded, Served, serve

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
PHASES = os.environ.get("SCHEMATHESIS_PHASES", "examples,fuzzing,stateful")
SEED = 20261202
WORKERS = os.environ.get("SCHEMATHESIS_WORKERS", "1")
ROLES = ("county_officer", "village_cadre", "api_client")
# The roles of this run (comma-separated; `make test-api` names all three).
CHOSEN = os.environ.get("SCHEMATHESIS_ROLES", "county_officer").split(",")

# Operations whose refusal of a schema-valid request rests on a rule that JSON Schema cannot
# state: a relation between two fields, or between the request and what is stored. The check
# `positive_data_acceptance` is off for these alone; every other check runs on them, and
# every other operation is held to it.
CROSS_FIELD_RULES = {
    # the head's birth date not after the server's today
    "enroll_self_report": "户主出生日期不能是将来的日期",
    # photo ids must name files stored in the report's village
    "verify_self_report": "照片须是本村已上传的附件",
    # deadline not before issued_on; the batch's own dates
    "create_problem_batch": "整改时限不能早于下发日期",
    "update_problem_batch": "整改时限不能早于下发日期",
    "create_problem": "整改时限不能早于问题清单的下发日期",
    # a client acts as a county, township, village or inspector office, by its area's level
    "create_api_client": "角色与地区级别",
    # the secret must match the client id; grant_type values are OAuth2's to refuse (400)
    "client_token": "OAuth2 的密钥与授权方式",
    "login": "用户名与密码",
    # a measure's members must be this household's members
    "add_measure": "措施的成员属于本户",
    "update_measure": "措施的成员属于本户",
    # the kind allowed depends on the household's state; the visit must be this household's
    "propose": "申请类型取决于户的状态",
    # the risk is cleared today (no back- or forward-dating): relative to the server's clock
    "clear_risk": "风险消除日期只能是今天",
    # a file belongs to a household or an area, one of the two
    "upload_file": "文件属于户或地区",
    # an uploaded sheet must have content that parses
    "import_households": "表格内容",
    "import_problems": "表格内容",
    # a household's export kind decides which filters apply
    "export_records": "导出种类决定可用的筛选",
    # a fixed line takes no dibao figures; a dibao-based one needs them
    "set_monitoring_line": "标准的算法决定需填的数",
    # the whole time limit is not shorter than the village's check
    "set_deadline": "办理总时限不能短于入户核实时限",
    # the helper named must be an existing helper
    "update_household": "帮扶责任人须存在",
    # a member without an ID number needs a birth date and a sex (required-when)
    "create_household": "没有身份证号时须填出生日期和性别",
    "add_member": "没有身份证号时须填出生日期和性别",
    # dates relative to the server's today, or to the stored report
    "enroll": "纳入监测日期不能是将来",
    "put_income": "不能登记将来年度的收入",
    "record_public_notice": "公示不能早于报告日期",
    # the report's own data decide what the decision needs
    "fast_track_self_report": "报告没有身份证号时须填户主出生日期和性别",
    "record_community_review": "评议记录或会议记录附件,二者有一",
    # the assignee must be this village's cadre, helper or grid worker
    "assign_self_report": "被指派人须为本村干部、帮扶责任人或网格员",
    # the area must be one the area table holds
    "create_user": "地区代码须存在",
    "submit_self_report": "地区代码须为存在的村",
    # a checklist item marked as a problem needs its note
    "record_visit": "有问题的项目须写明问题",
    # an ID number's check digit and birth date (GB 11643)
    "create_warning": "身份证号的校验位与出生日期",
    # the URL is http(s) and its host resolves to a public address (DNS, the allowed networks)
    "create_webhook_subscription": "地址须为 http(s) 且解析到公网地址",
}


def _ids(database_url: str) -> dict[str, list[str]]:
    """Real records of the demo county for the path parameters, so that paths find records
    (the cadre's village first: both roles see those) as well as the 404s of random ones."""
    engine = create_engine(database_url)
    # In an order the demo fixes (its ids are random UUIDs: `ORDER BY id` would draw other
    # records, and so other answers, on every run).
    village = "area_code LIKE '610923102217%' DESC"
    queries = {
        "household_id": f"SELECT id FROM household ORDER BY {village}, created_at",
        "member_id": f"SELECT id FROM member ORDER BY {village}, created_at",
        "measure_id": "SELECT id FROM measure ORDER BY created_at",
        "report_id": f"SELECT id FROM self_report ORDER BY {village}, receipt_code",
        "visit_id": f"SELECT id FROM visit ORDER BY {village}, created_at",
        "batch_id": "SELECT id FROM problem_batch ORDER BY created_at",
        "problem_id": "SELECT id FROM problem ORDER BY created_at",
        "step_id": "SELECT id FROM rectification_step ORDER BY created_at",
        "evidence_id": "SELECT id FROM evidence ORDER BY created_at",
        "file_id": "SELECT id FROM stored_file ORDER BY created_at",
    }
    try:
        with engine.connect() as conn:
            found = {
                name: [str(uuid.UUID(str(row[0]))) for row in conn.execute(text(sql + " LIMIT 5"))]
                for name, sql in queries.items()
            }
    finally:
        engine.dispose()
    found["code"] = ["610923102217", "610923102", "610923"]
    found["area_code"] = ["610923102217", "610923102", "610923"]
    return {name: values for name, values in found.items() if values}


def _if_match_operations() -> set[str]:
    """The operations that read If-Match, from the document itself."""
    from backend.main import create_app

    return {
        operation["operationId"]
        for item in create_app().openapi()["paths"].values()
        for operation in item.values()
        if any(
            p.get("in") == "header" and p.get("name") == "If-Match"
            for p in operation.get("parameters", [])
        )
    }


def _config(served: Served, path: Path) -> Path:
    ids = _ids(served.database_url)
    lines = []
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for name in ids:
        lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.7 }}')
    lines.append("")
    # 412 answers an If-Match naming an older version (core/versions), whatever the rest of
    # the request: RFC 9110 evaluates preconditions before the content, so a stale tag is
    # refused with 412 for a valid body and for one that would be a 422 alike. One block an
    # operation: schemathesis merges a global check section over an operation's `enabled`.
    guarded = _if_match_operations()
    for operation_id in sorted(set(CROSS_FIELD_RULES) | guarded):
        if operation_id in CROSS_FIELD_RULES:
            lines.append(f"# {CROSS_FIELD_RULES[operation_id]}")
        lines += ["[[operations]]", f'include-operation-id = "{operation_id}"']
        if operation_id in CROSS_FIELD_RULES:
            lines.append("checks.positive_data_acceptance.enabled = false")
        elif operation_id in guarded:
            lines.append(
                "checks.positive_data_acceptance.expected-statuses = "
                '["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]'
            )
        if operation_id in guarded:
            lines.append(
                "checks.negative_data_rejection.expected-statuses = "
                '["400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428",'
                ' "429", "5xx"]'
            )
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def _client_token(served: Served) -> str:
    """The token of an API client of the county holding every scope, made by the
    administrator through the API: the operations only a client may call (its webhooks,
    the warnings it sends) are tested past their refusal."""
    from backend.accounts.models import ApiScope

    admin = {"Authorization": f"Bearer {served.token(served.users['admin'])}"}
    made = httpx.post(
        f"{served.url}/api/v1/api-clients",
        json={
            "name": "schemathesis",
            "area_code": factories.NINGSHAN,
            "scopes": [str(s) for s in ApiScope],
            "rate_limit": "100000/minute",
        },
        headers=admin,
        timeout=60,
    )
    assert made.status_code == 201, made.text
    answer = httpx.post(
        f"{served.url}/api/v1/auth/client-token",
        data={
            "grant_type": "client_credentials",
            "client_id": made.json()["client"]["client_id"],
            "client_secret": made.json()["client_secret"],
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


@pytest.mark.cluster
@pytest.mark.parametrize("role", [r for r in ROLES if r in CHOSEN])
def test_schemathesis_finds_nothing(seeded: Seeded, role: str) -> None:
    # Each role on a server of its own over a fresh copy of the demo: what one run wrote
    # is never what the next one reads.
    with serve(seeded, role) as served:
        token = _client_token(served) if role == "api_client" else served.token(served.users[role])
        done, summary = _run(served, role, token)
        log = (served.workdir / "server.log").read_text()
    # Printed with -s, and kept by pytest on a failure: the numbers of the run.
    print(
        f"schemathesis as {role}: {summary['operations']['tested']} operations, "
        f"{summary['test_cases']['generated']} test cases, {summary['running_time']:.0f} s "
        f"({PHASES}; {EXAMPLES} examples an operation)"
    )
    # What the server logged as an error (an unhandled exception's traceback among them):
    # a 500 is found there, and so is a failure after the answer was sent, which no check
    # of the answer sees.
    errors = [line for line in log.splitlines() if '"level": "ERROR"' in line]
    assert summary["operations"]["tested"] == summary["operations"]["total"], (
        summary["operations"],
        done.stdout,
    )
    assert done.returncode == 0, done.stdout[-20000:] + "\n".join(errors[-10:])
    assert errors == [], "\n".join(errors[-10:])


def _run(served: Served, role: str, token: str) -> tuple[subprocess.CompletedProcess, dict]:
    config = _config(served, served.workdir / "schemathesis.toml")
    report = served.workdir / f"report-{role}"
    done = subprocess.run(
        [
            str(clusters.BIN / "st"),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{served.url}/api/v1/openapi.json",
            "--phases",
            PHASES,
            "--seed",
            str(SEED),
            "--max-examples",
            str(EXAMPLES),
            # One worker: the operations in one order, so each meets the state the ones
            # before it left, the same on every run (two interleave as the machine allows).
            "--workers",
            WORKERS,
            # No examples kept from an earlier run to replay: a run is its seed alone.
            "--generation-database",
            "none",
            "--header",
            f"Authorization: Bearer {token}",
            "--report",
            "json",
            "--report-dir",
            str(report),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("st_hooks.py"))},
        timeout=3600,
        check=False,
        cwd=served.workdir,
    )
    summary = json.loads(next(report.glob("json-*.json")).read_text())
    return done, summary
