"""Household import: the row-by-row account, dry runs, idempotent re-imports with audit, the
household's own dates kept, refusals per row, the API's limits and the CLI."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from backend.accounts.models import Role
from backend.audit.models import AuditEntry
from backend.cli import main as cli
from backend.core import clock, security
from backend.households.models import Household, HouseholdRisk, IncomeRecord, Member
from backend.transfer import service as transfer_service
from tests import factories as f
from tests.transfer.conftest import HEADERS, as_csv, as_xlsx, count_rows, family, post_upload


@pytest.fixture
def county(session: Session) -> dict[str, str]:
    return f.auth(f.user(session, Role.county_officer, f.NINGSHAN))


def test_a_dry_run_accounts_for_every_row_and_writes_nothing(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    rows = family("6109231022170001") + family("6109231022170002", monitored=True)
    response = post_upload(client, county, as_csv(rows), dry_run=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["dry_run"] is True
    assert body["rows"] == 6
    assert body["households"] == {"created": 2, "updated": 0, "unchanged": 0, "refused": 0}
    assert body["members"]["created"] == 6
    assert body["issues"] == []
    assert [o["row"] for o in body["outcomes"]] == [2, 3, 4, 5, 6, 7]
    assert {o["outcome"] for o in body["outcomes"]} == {"created"}
    assert count_rows(session, Household) == 0
    assert count_rows(session, Member) == 0


def test_an_import_keeps_members_dates_risks_and_income_with_ids_encrypted(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    rows = family("6109231022170002", monitored=True, enrolled=date(2022, 4, 12))
    response = post_upload(client, county, as_csv(rows))
    assert response.status_code == 200, response.text
    assert response.json()["households"]["created"] == 1
    session.rollback()
    h = session.exec(select(Household).where(Household.reference == "6109231022170002")).one()
    assert h.area_code == f.LENGSHUIGOU
    assert h.registered_on == date(2014, 10, 1)
    assert h.enrolled_on == date(2022, 4, 12)
    assert h.monitoring_status == "monitored"
    assert h.monitoring_type == "unstable_lifted"
    assert h.category == "lifted"
    risks = session.exec(select(HouseholdRisk.risk_type).where(HouseholdRisk.household_id == h.id))
    assert sorted(risks) == ["illness", "schooling"]
    members = session.exec(select(Member).where(Member.household_id == h.id)).all()
    by_name = {m.name: m for m in members}
    assert by_name["王小梅"].relation == "child"
    assert by_name["王小梅"].schooling == "junior_secondary"
    assert by_name["王小梅"].labour == "none"
    assert by_name["李秀英"].labour == "partial"
    assert by_name["王建国"].health == "chronic"
    head_id = rows[0]["证件号码"]
    assert by_name["王建国"].id_number_cipher != head_id
    assert security.decrypt_id_number(by_name["王建国"].id_number_cipher or "") == head_id
    assert by_name["王建国"].id_number_hash == security.id_number_hash(head_id)
    assert by_name["王建国"].birth_date == date(1968, 2, 3)
    income = session.exec(select(IncomeRecord).where(IncomeRecord.household_id == h.id)).one()
    assert (income.year, income.household_size, income.per_capita_net_income) == (2024, 3, 9800)
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.entity_id == str(h.id), AuditEntry.action == "import")
    ).one()
    shown = str(entry.changes)
    assert head_id not in shown and security.mask_id_number(head_id) in shown
    summary = session.exec(select(AuditEntry).where(AuditEntry.entity == "household_import")).one()
    assert summary.changes["households"]["created"] == 1


def test_the_same_file_twice_changes_nothing_and_a_changed_row_updates_with_audit(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    rows = family("6109231022170003") + family("6109231022170004")
    assert post_upload(client, county, as_csv(rows)).json()["households"]["created"] == 2
    again = post_upload(client, county, as_csv(rows)).json()
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 2, "refused": 0}
    assert again["members"] == {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}
    assert count_rows(session, Household) == 2
    assert count_rows(session, Member) == 6
    assert count_rows(session, IncomeRecord) == 2
    # The second household is now monitored, the daughter is at senior secondary school, and
    # a grandson was born.
    changed = family("6109231022170004", monitored=True)
    for row, old in zip(changed, rows[3:], strict=True):
        row["证件号码"] = old["证件号码"]
    changed[2]["在校生情况"] = "高中"
    changed.append(
        {
            **changed[0],
            "姓名": "王小宝",
            "证件号码": f.id_number(date(2020, 1, 5)),
            "与户主关系": "之孙子",
        }
    )
    third = post_upload(client, county, as_csv(rows[:3] + changed)).json()
    assert third["households"] == {"created": 0, "updated": 1, "unchanged": 1, "refused": 0}
    assert third["members"]["created"] == 1 and third["members"]["updated"] == 1
    session.rollback()
    h = session.exec(select(Household).where(Household.reference == "6109231022170004")).one()
    assert h.monitoring_status == "monitored" and h.enrolled_on == date(2022, 4, 12)
    entry = session.exec(
        select(AuditEntry).where(
            AuditEntry.entity_id == str(h.id), AuditEntry.action == "import_update"
        )
    ).one()
    assert entry.changes["monitoring_status"] == ["not_monitored", "monitored"]
    assert entry.changes["risk_types"] == [[], ["illness", "schooling"]]
    assert any(m.get("schooling") for m in entry.changes["members"])
    income = session.exec(select(IncomeRecord).where(IncomeRecord.household_id == h.id)).one()
    assert income.household_size == 4


def test_columns_in_any_order_under_their_other_names_from_xlsx(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    aliases = {"证件号码": "身份证号码", "所属村": "行政村", "劳动技能": "劳动能力", "年度": "年份"}
    rows = [
        {aliases.get(k, k): v for k, v in row.items()}
        for row in family("6109231022170005", village="江口镇冷水沟村")
    ]
    headers = [aliases.get(h, h) for h in reversed(HEADERS)]
    response = post_upload(client, county, as_xlsx(rows, headers), name="户.xlsx")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issues"] == [] and body["households"]["created"] == 1
    # The title row is row 1 and the header row 2: the members are rows 3 to 5.
    assert [o["row"] for o in body["outcomes"]] == [3, 4, 5]


def test_a_sheet_typed_with_a_chinese_input_method_reads_the_same(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    """Full-width marks, as a Chinese input method types them: 人均纯收入（元） is the income
    column and 因病，因学 two risk types."""
    rows = [
        {**row, "风险类型": "因病，因学"}
        for row in family("6109231022170006", monitored=True, income=8600)
    ]
    headers = ["人均纯收入（元）" if h == "人均纯收入" else h for h in HEADERS]
    rows = [
        {("人均纯收入（元）" if k == "人均纯收入" else k): v for k, v in r.items()} for r in rows
    ]
    response = post_upload(client, county, as_csv(rows, headers))
    assert response.status_code == 200, response.text
    assert response.json()["issues"] == []
    session.rollback()
    h = session.exec(select(Household).where(Household.reference == "6109231022170006")).one()
    risks = session.exec(select(HouseholdRisk.risk_type).where(HouseholdRisk.household_id == h.id))
    assert sorted(risks) == ["illness", "schooling"]
    income = session.exec(select(IncomeRecord).where(IncomeRecord.household_id == h.id)).one()
    assert income.per_capita_net_income == 8600


def test_bad_rows_are_refused_one_by_one_with_the_column_and_why(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    good = family("6109231022170010")
    bad_id = family("6109231022170011")
    bad_id[1]["证件号码"] = bad_id[1]["证件号码"][:17] + (
        "0" if bad_id[1]["证件号码"][17] != "0" else "1"
    )
    outside = family("6109231022170012", village="620422100200")  # 会宁县高家庄村
    unknown = family("6109231022170013", village="月亮村")
    headless = family("6109231022170014")[1:]
    twice = family("6109231022170015")
    twice[2]["证件号码"] = good[2]["证件号码"]
    relation = family("6109231022170016")
    relation[2]["与户主关系"] = "邻居"
    rows = good + bad_id + outside + unknown + headless + twice + relation
    body = post_upload(client, county, as_csv(rows)).json()
    assert body["households"] == {"created": 1, "updated": 0, "unchanged": 0, "refused": 6}
    issues = {(i["row"], i["field"]): i["message"] for i in body["issues"]}
    assert issues[(6, "证件号码")] == "校验位不正确,请核对"
    assert "不在导入范围(610923)内" in issues[(8, "所属村")]
    assert "没有叫“月亮村”的村" in issues[(11, "所属村")]
    assert issues[(14, "与户主关系")] == "本户没有与户主关系为“户主”的行"
    assert issues[(18, "证件号码")] == "此证件号码已出现在本文件的户 6109231022170010 中"
    assert issues[(21, "与户主关系")].startswith("“邻居”不是可选的关系")
    refused = {o["row"] for o in body["outcomes"] if o["outcome"] == "refused"}
    assert refused == set(range(5, 22))
    assert count_rows(session, Household) == 1


def test_a_person_already_in_another_household_is_refused(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    rows = family("6109231022170020")
    existing = f.household(session, members=[f.member("head", id_number=rows[1]["证件号码"])])
    body = post_upload(client, county, as_csv(rows)).json()
    assert body["households"]["refused"] == 1
    assert body["issues"] == [
        {
            "row": 3,
            "reference": "6109231022170020",
            "field": "证件号码",
            "message": f"此证件号码已是户 {existing.reference} 的在册家庭成员",
        }
    ]


def test_dates_that_contradict_each_other_or_lie_ahead_are_refused(
    client: TestClient, county: dict[str, str]
) -> None:
    late = family("6109231022170030", monitored=True, enrolled=date(2022, 4, 12))
    for row in late:
        row["风险消除时间"] = "2021-01-01"
    ahead = family("6109231022170031", registered=clock.today() + timedelta(days=3))
    early = family("6109231022170032", monitored=True, registered=date(2023, 1, 1))
    body = post_upload(client, county, as_csv(late + ahead + early)).json()
    issues = {(i["row"], i["field"]): i["message"] for i in body["issues"]}
    assert issues[(2, "风险消除时间")] == "不能早于纳入监测时间"
    assert issues[(5, "建档时间")] == "不能是将来的日期"
    assert issues[(8, "纳入监测时间")] == "不能早于建档时间"


def test_the_registration_date_kept_lets_earlier_visits_be_recorded(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    from tests.visits.conftest import visit_body

    post_upload(client, county, as_csv(family("6109231022170040", registered=date(2014, 10, 1))))
    session.rollback()
    h = session.exec(select(Household).where(Household.reference == "6109231022170040")).one()
    cadre = f.auth(f.user(session, Role.village_cadre, f.LENGSHUIGOU))
    long_ago = clock.now() - timedelta(days=400)
    response = client.post(
        "/api/v1/visits", headers=cadre, json=visit_body(h, visited_at=long_ago.isoformat())
    )
    assert response.status_code == 201, response.text


def test_only_the_county_imports_and_only_inside_its_area(
    client: TestClient, session: Session, county: dict[str, str]
) -> None:
    data = as_csv(family("6109231022170050"))
    for role, area in ((Role.village_cadre, f.LENGSHUIGOU), (Role.township_officer, f.JIANGKOU)):
        response = post_upload(client, f.auth(f.user(session, role, area)), data)
        assert response.status_code == 403
        assert response.json()["message"] == "只有县级可以批量导入农户"
    outside = post_upload(client, county, data, area="620422")
    assert outside.status_code == 403
    assert outside.json()["message"] == "只能导入本辖区内的农户"
    narrower = post_upload(client, county, data, area=f.YANJIAPING[:9]).json()
    assert narrower["households"]["refused"] == 1
    assert narrower["issues"][0]["message"].startswith("导入范围内没有叫“冷水沟村”的村")


def test_a_file_that_is_not_a_sheet_or_lacks_columns_is_refused(
    client: TestClient, county: dict[str, str]
) -> None:
    missing = post_upload(client, county, "户编号,姓名\n1,王\n".encode())
    assert missing.status_code == 422
    assert missing.json()["message"] == "文件(file):表头缺少这些列:与户主关系、所属村"
    fake = post_upload(client, county, b"PK\x03\x04 not a zip", name="户.xlsx")
    assert fake.status_code == 422
    assert "不是 XLSX 文件" in fake.json()["message"]
    empty = post_upload(client, county, b"")
    assert empty.status_code == 422


def test_an_upload_past_the_limit_goes_to_the_cli(
    client: TestClient, session: Session, county: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer_service, "MAX_API_ROWS", 4)
    rows = family("6109231022170060") + family("6109231022170061")
    response = post_upload(client, county, as_csv(rows))
    assert response.status_code == 413
    assert "shouwang import-households" in response.json()["message"]
    assert count_rows(session, Household) == 0


def test_gb18030_csv_as_excel_saves_it(client: TestClient, county: dict[str, str]) -> None:
    data = as_csv(family("6109231022170070")).decode().encode("gb18030")
    body = post_upload(client, county, data).json()
    assert body["households"]["created"] == 1, body


def test_the_cli_imports_with_a_dry_run_first(
    app_engine: Any, session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "户.csv"
    path.write_bytes(as_csv(family("6109231022170080") + family("6109231022170081")))
    assert cli(["import-households", str(path), "--dry-run", "--quiet"]) == 0
    assert "户:将新建 2" in capsys.readouterr().out
    assert count_rows(session, Household) == 0
    assert cli(["import-households", str(path), "--quiet", "--area", f.JIANGKOU]) == 0
    assert "户:已新建 2" in capsys.readouterr().out
    assert cli(["import-households", str(path), "--quiet"]) == 0
    assert "无变化 2" in capsys.readouterr().out
    assert count_rows(session, Household) == 2
    bad = tmp_path / "坏.csv"
    bad.write_bytes(as_csv(family("6109231022170082", village="620422100200")))
    assert cli(["import-households", str(bad), "--quiet", "--area", f.NINGSHAN]) == 1
    assert "所属村:村代码 620422100200 不在导入范围(610923)内" in capsys.readouterr().out
    session.rollback()
    who = session.exec(
        select(AuditEntry.actor_name).where(col(AuditEntry.entity) == "household_import")
    ).all()
    assert set(who) == {"批量导入(命令行)"}


def test_a_re_import_during_a_data_key_rotation_finds_the_people_stored_before_it(
    client: TestClient, session: Session, county: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.core.settings import get_settings

    rows = family("6109231022170090")
    assert post_upload(client, county, as_csv(rows)).json()["households"]["created"] == 1
    old_key = get_settings().data_key
    monkeypatch.setattr(get_settings(), "data_key", "a-new-data-key-for-the-rotation-0123456789")
    monkeypatch.setattr(get_settings(), "old_data_keys", old_key)
    again = post_upload(client, county, as_csv(rows)).json()
    assert again["households"] == {"created": 0, "updated": 0, "unchanged": 1, "refused": 0}
    other = family("6109231022170091")
    other[0]["证件号码"] = rows[0]["证件号码"]
    refused = post_upload(client, county, as_csv(other)).json()
    assert refused["issues"][0]["message"] == "此证件号码已是户 6109231022170090 的在册家庭成员"
