"""一键报贫 over HTTP: the farmer's report and look-up, every transition and every refusal."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from backend.accounts.models import Role, User
from backend.audit.models import AuditEntry
from backend.core import clock
from backend.files.models import StoredFile
from backend.households.models import Household, HouseholdRisk, MonitoringStatus
from backend.reports.models import ReportNotice, SelfReport
from tests import factories as f
from tests.reports.conftest import count, get, report_body, rows, submit


def _jpeg(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


class Staff:
    """One account per role around 冷水沟村, and one outside it."""

    def __init__(self, session: Session) -> None:
        self.cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU, full_name="何德福")
        self.helper = f.user(session, Role.helper, f.NINGSHAN, full_name="李春生")
        self.town = f.user(session, Role.township_officer, f.JIANGKOU, full_name="李东晋")
        self.county = f.user(session, Role.county_officer, f.NINGSHAN, full_name="杜明文")
        self.inspector = f.user(session, Role.inspector, f.NINGSHAN)
        self.other_cadre = f.user(session, Role.village_cadre, f.YANJIAPING)
        self.other_county = f.user(session, Role.county_officer, "341182")


@pytest.fixture
def staff(session: Session) -> Staff:
    return Staff(session)


def act(client: TestClient, who: User, report_id: str, action: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/self-reports/{report_id}/{action}", json=body or {}, headers=f.auth(who)
    )


def _to_township(client: TestClient, staff: Staff, **kw) -> str:  # type: ignore[no-untyped-def]
    rid = submit(client, **kw).json()["id"]
    assert (
        act(client, staff.cadre, rid, "assign", {"assignee_id": str(staff.cadre.id)}).status_code
        == 200
    )
    r = act(
        client,
        staff.cadre,
        rid,
        "verify",
        {"risk_confirmed": True, "income_estimate": 5200, "findings": "住院自付 4 万元"},
    )
    assert r.status_code == 200, r.text
    return rid


def _civic(client: TestClient, staff: Staff, rid: str) -> None:
    """民主评议 and a 5-day 公示 from the day of the report (never before it), then the
    clock moves past the notice's end."""
    today = clock.today()
    r = act(
        client,
        staff.cadre,
        rid,
        "community-review",
        {"held_on": str(today), "minutes": "到会 32 人,一致同意"},
    )
    assert r.status_code == 200, r.text
    r = act(client, staff.cadre, rid, "public-notice", {"start_on": str(today), "days": 5})
    assert r.status_code == 200, r.text
    clock.freeze(clock.now() + timedelta(days=5))


def _to_county(client: TestClient, staff: Staff, **kw) -> str:  # type: ignore[no-untyped-def]
    rid = _to_township(client, staff, **kw)
    _civic(client, staff, rid)
    r = act(client, staff.town, rid, "forward", {"note": "同意上报"})
    assert r.status_code == 200, r.text
    return rid


# --- the farmer's report ---------------------------------------------------------------------


def test_a_farmer_reports_without_logging_in_and_gets_a_receipt(
    client: TestClient, session: Session, texts
) -> None:  # type: ignore[no-untyped-def]
    r = submit(client, id_number=f.id_number(date(1961, 2, 3)))
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "receipt_code", "status", "village_due_on", "village_check_days"}
    assert body["status"] == "submitted" and len(body["receipt_code"]) == 8
    stored = get(session, SelfReport, body["id"])
    # The receipt names the village's deadline: the date and the working days it allows.
    assert body["village_due_on"] == stored.village_due_on.isoformat()
    assert body["village_check_days"] == 5
    assert stored.area_code == f.LENGSHUIGOU and stored.risk_types == ["illness"]
    assert stored.id_number_cipher and "1961" not in stored.id_number_cipher
    audit = rows(session, select(AuditEntry).where(AuditEntry.entity_id == body["id"]))
    assert audit[0].action == "submit" and "****" in audit[0].changes["phone"][1]
    # The receipt is texted after the report is stored, and the sending is recorded.
    assert texts.sent[0][0] == "13912345678" and body["receipt_code"] in texts.sent[0][1]
    assert count(session, ReportNotice, ReportNotice.sent) == 1


def test_a_resent_report_is_recognised_not_doubled(client: TestClient, session: Session) -> None:
    rid = "5b0f8a9c-7d7e-4b7a-9d61-3f0c2a9e1d11"
    first = submit(client, id=rid)
    again = submit(client, id=rid)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["receipt_code"] == first.json()["receipt_code"]
    other = submit(client, id=rid, note="别的内容")
    assert other.status_code == 409 and other.json()["error"] == "id_reused"
    assert count(session, SelfReport) == 1


def test_photos_come_with_the_report_in_one_request(client: TestClient, session: Session) -> None:
    import json

    r = client.post(
        "/api/v1/self-reports",
        data={"report": json.dumps(report_body())},
        files=[
            ("photos", ("a.jpg", _jpeg(), "image/jpeg")),
            ("photos", ("b.jpg", _jpeg((50, 50)), "image/jpeg")),
        ],
    )
    assert r.status_code == 201, r.text
    stored = get(session, SelfReport, r.json()["id"])
    assert len(stored.photo_ids) == 2
    files = rows(session, select(StoredFile))
    assert {x.area_code for x in files} == {f.LENGSHUIGOU} and {x.uploaded_by for x in files} == {
        None
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"area_code": "610923102999"}, "area_code"),
        ({"area_code": f.JIANGKOU}, "area_code"),
        ({"phone": "1391234567"}, "phone"),
        ({"phone": "23912345678"}, "phone"),
        ({"id_number": "610923196102031234"}, "id_number"),
        ({"risk_types": []}, "risk_types"),
        ({"risk_types": ["bad_luck"]}, "risk_types.0"),
        ({"note": "很" * 501}, "note"),
        ({"on_behalf": True}, "请求"),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_written(
    client: TestClient, session: Session, change: dict, field: str
) -> None:
    r = submit(client, **change)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == field
    assert count(session, SelfReport) == 0 and count(session, AuditEntry) == 0


def test_photos_are_checked_by_content_and_counted(
    client: TestClient, session: Session, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import json

    report = {"report": json.dumps(report_body())}
    fake = client.post(
        "/api/v1/self-reports",
        data=report,
        files=[("photos", ("x.jpg", b"MZ\x90\x00not an image", "image/jpeg"))],
    )
    assert fake.status_code == 422 and fake.json()["detail"][0]["field"] == "photos.0"
    pdf = client.post(
        "/api/v1/self-reports",
        data=report,
        files=[("photos", ("x.jpg", b"%PDF-1.4 x", "image/jpeg"))],
    )
    assert pdf.status_code == 422
    four = [("photos", (f"{i}.jpg", _jpeg(), "image/jpeg")) for i in range(4)]
    many = client.post("/api/v1/self-reports", data=report, files=four)
    assert many.status_code == 422 and many.json()["detail"][0]["field"] == "photos"
    monkeypatch.setattr(settings, "upload_max_bytes", 500)
    big = client.post(
        "/api/v1/self-reports",
        data=report,
        files=[("photos", ("big.jpg", _jpeg((400, 400)), "image/jpeg"))],
    )
    assert big.status_code == 413
    assert count(session, SelfReport) == 0 and count(session, StoredFile) == 0


def test_too_many_reports_from_one_phone_or_one_address_get_429(
    client: TestClient, session: Session, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "report_limit_per_phone", "2/day")
    monkeypatch.setattr(settings, "report_limit_per_address", "3/hour")
    assert submit(client, name="甲").status_code == 201
    assert submit(client, name="乙").status_code == 201
    third = submit(client, name="丙")
    assert third.status_code == 429 and int(third.headers["Retry-After"]) > 3600
    assert third.json()["error"] == "too_many_reports"
    assert submit(client, name="丁", phone="13900000002").status_code == 201
    fifth = submit(client, name="戊", phone="13900000003")
    assert fifth.status_code == 429 and 0 < int(fifth.headers["Retry-After"]) <= 3600
    assert count(session, SelfReport) == 3


def test_a_neighbour_reporting_for_others_is_counted_by_their_own_phone(
    client: TestClient, session: Session, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "report_limit_per_phone", "2/day")
    neighbour = {"on_behalf": True, "reporter_name": "李邻居", "reporter_phone": "13800000000"}
    for i in range(2):
        assert submit(client, name=f"户{i}", phone=f"1390000050{i}", **neighbour).status_code == 201
    third = submit(client, name="户3", phone="13900000503", **neighbour)
    assert third.status_code == 429 and "Retry-After" in third.headers


def test_the_lookup_answers_only_to_the_right_phone(client: TestClient, texts) -> None:  # type: ignore[no-untyped-def]
    code = submit(client).json()["receipt_code"]
    r = client.get(
        "/api/v1/self-reports/lookup", params={"receipt_code": code, "phone": "13912345678"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "submitted" and body["due_on"] and body["decision"] is None
    assert body["steps"][0]["status"] == "submitted"
    assert "name" not in body and "phone" not in body and "note" not in body
    wrong = client.get(
        "/api/v1/self-reports/lookup", params={"receipt_code": code, "phone": "13912345679"}
    )
    unknown = client.get(
        "/api/v1/self-reports/lookup", params={"receipt_code": "ZZZZZZZZ", "phone": "13912345678"}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


def test_a_second_report_from_the_same_person_joins_the_open_one(
    client: TestClient, session: Session
) -> None:
    first = submit(client).json()
    second = submit(client, risk_types=["schooling"], note="孩子要交学费").json()
    assert second["status"] == "merged"
    primary = get(session, SelfReport, first["id"])
    assert primary.risk_types == ["illness", "schooling"] and "学费" in primary.note
    r = client.get(
        "/api/v1/self-reports/lookup",
        params={"receipt_code": second["receipt_code"], "phone": "13912345678"},
    )
    assert r.json()["status"] == "submitted" and "合并" in r.json()["step"]


def test_reporting_for_someone_else(client: TestClient, session: Session, texts) -> None:  # type: ignore[no-untyped-def]
    r = submit(
        client,
        on_behalf=True,
        reporter_name="李邻居",
        reporter_phone="13800000000",
        phone="13912340000",
    )
    assert r.status_code == 201, r.text
    stored = get(session, SelfReport, r.json()["id"])
    assert stored.on_behalf and stored.reporter_name == "李邻居"
    assert texts.sent[0][0] == "13800000000"
    for phone in ("13800000000", "13912340000"):
        found = client.get(
            "/api/v1/self-reports/lookup",
            params={"receipt_code": stored.receipt_code, "phone": phone},
        )
        assert found.status_code == 200


# --- the workflow ---------------------------------------------------------------------------


def test_staff_carry_a_report_to_enrolled_and_the_farmer_sees_each_step(
    client: TestClient, session: Session, staff: Staff, texts
) -> None:  # type: ignore[no-untyped-def]
    rid = submit(client, id_number=f.id_number(date(1961, 2, 3), male=False)).json()["id"]
    r = act(client, staff.town, rid, "assign", {"assignee_id": str(staff.helper.id)})
    assert r.status_code == 200 and r.json()["status"] == "verifying"
    assert r.json()["assignee"]["full_name"] == "李春生"
    r = act(
        client,
        staff.helper,
        rid,
        "verify",
        {"risk_confirmed": True, "income_estimate": 5200, "findings": "住院自付 4 万元"},
    )
    assert r.status_code == 200 and r.json()["status"] == "township_review"
    _civic(client, staff, rid)
    r = act(client, staff.town, rid, "forward", {})
    assert r.status_code == 200 and r.json()["status"] == "county_approval"
    detail = client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(staff.county)).json()
    assert {"enroll", "reject", "refer", "fast_track"} <= set(detail["actions"])
    r = act(client, staff.county, rid, "enroll", {"monitoring_type": "sudden_hardship"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "enrolled" and r.json()["household_id"]
    household = get(session, Household, r.json()["household_id"])
    assert household.monitoring_status == MonitoringStatus.monitored
    assert household.area_code == f.LENGSHUIGOU and household.plan_due_on is not None
    risks = rows(
        session, select(HouseholdRisk.risk_type).where(HouseholdRisk.household_id == household.id)
    )
    assert risks == ["illness"]
    code = get(session, SelfReport, rid).receipt_code
    look = client.get(
        "/api/v1/self-reports/lookup", params={"receipt_code": code, "phone": "13912345678"}
    ).json()
    assert look["decision"] == "enrolled" and look["due_on"] is None
    assert [s["status"] for s in look["steps"]] == [
        "submitted",
        "verifying",
        "township_review",
        "county_approval",
        "enrolled",
    ]
    assert any("纳入" in t for _, t in texts.sent)
    actions = [
        a.action for a in rows(session, select(AuditEntry).where(AuditEntry.entity_id == rid))
    ]
    assert {
        "submit",
        "assign",
        "verify",
        "community_review",
        "public_notice",
        "forward",
        "enroll",
    } <= set(actions)


def test_enrolling_an_existing_household_found_by_id_number(
    client: TestClient, session: Session, staff: Staff
) -> None:
    head = f.member("head")
    household = f.household(session, members=[head])
    rid = _to_county(client, staff, id_number=head.id_number)
    assert get(session, SelfReport, rid).household_id == household.id
    r = act(
        client,
        staff.county,
        rid,
        "enroll",
        {"monitoring_type": "marginal", "risk_types": ["illness", "schooling"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["household_id"] == str(household.id)
    assert count(session, Household) == 1


def test_a_new_household_without_id_number_needs_the_heads_birth_date(
    client: TestClient, session: Session, staff: Staff
) -> None:
    rid = _to_county(client, staff)
    r = act(client, staff.county, rid, "enroll", {"monitoring_type": "marginal"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "head_birth_date"
    assert (
        get(session, SelfReport, rid).status == "county_approval" and count(session, Household) == 0
    )
    r = act(
        client,
        staff.county,
        rid,
        "enroll",
        {"monitoring_type": "marginal", "head_birth_date": "1960-05-01", "head_sex": "female"},
    )
    assert r.status_code == 200, r.text


def test_rejection_needs_a_reason_the_farmer_then_reads(
    client: TestClient, session: Session, staff: Staff, texts
) -> None:  # type: ignore[no-untyped-def]
    rid = _to_township(client, staff)
    before = count(session, AuditEntry)
    r = act(client, staff.town, rid, "reject", {"reason": "  "})
    assert r.status_code == 422
    assert act(client, staff.town, rid, "reject", {}).status_code == 422
    assert count(session, AuditEntry) == before
    r = act(client, staff.town, rid, "reject", {"reason": "家庭人均纯收入 1.2 万元,高于监测标准"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    code = get(session, SelfReport, rid).receipt_code
    look = client.get(
        "/api/v1/self-reports/lookup", params={"receipt_code": code, "phone": "13912345678"}
    ).json()
    assert look["decision"] == "rejected" and "1.2 万元" in look["reason"]
    assert "1.2 万元" in texts.sent[-1][1]


def test_referral_by_the_county_names_the_other_help(client: TestClient, staff: Staff) -> None:
    rid = _to_county(client, staff)
    # Once with the county, the township no longer decides.
    assert (
        act(
            client,
            staff.town,
            rid,
            "refer",
            {"referred_to": "民政临时救助", "reason": "一次性困难"},
        ).status_code
        == 403
    )
    r = act(
        client, staff.county, rid, "refer", {"referred_to": "民政临时救助", "reason": "一次性困难"}
    )
    assert (
        r.status_code == 200
        and r.json()["status"] == "referred"
        and r.json()["referred_to"] == "民政临时救助"
    )


def test_fast_track_enrolls_first_and_owes_the_civic_steps(
    client: TestClient, session: Session, staff: Staff
) -> None:
    rid = submit(client, id_number=f.id_number(date(1958, 1, 1))).json()["id"]
    r = act(client, staff.county, rid, "fast-track", {"monitoring_type": "sudden_hardship"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "enrolled" and body["fast_track"] and body["backfill_due_on"]
    assert body["step_due_on"] == body["backfill_due_on"]
    assert set(body["actions"]) == {"community_review", "public_notice"}
    # No 公告 while the 评议 and 公示 are still owed.
    early = act(client, staff.cadre, rid, "announce", {"announced_on": str(clock.today())})
    assert early.status_code == 409 and early.json()["error"] == "backfill_first"
    _civic(client, staff, rid)
    done = client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(staff.county)).json()
    # Nothing owed; what is left is the 公告 of the county's decision.
    assert done["step_due_on"] is None and done["actions"] == ["announce"]
    again = act(
        client, staff.cadre, rid, "public-notice", {"start_on": str(clock.today()), "days": 5}
    )
    assert again.status_code == 409


def test_forwarding_needs_the_civic_steps_and_a_finished_notice(
    client: TestClient, staff: Staff
) -> None:
    rid = _to_township(client, staff)
    r = act(client, staff.town, rid, "forward", {})
    assert r.status_code == 409 and r.json()["error"] == "civic_steps_missing"
    today = clock.today()
    act(client, staff.cadre, rid, "community-review", {"held_on": str(today), "minutes": "同意"})
    short = act(client, staff.cadre, rid, "public-notice", {"start_on": str(today), "days": 3})
    assert short.status_code == 422
    act(client, staff.cadre, rid, "public-notice", {"start_on": str(today), "days": 5})
    r = act(client, staff.town, rid, "forward", {})
    assert r.status_code == 409 and r.json()["error"] == "public_notice_running"
    review = act(client, staff.cadre, rid, "community-review", {"held_on": str(today)})
    assert review.status_code == 422  # neither minutes nor an attachment


def test_risk_not_confirmed_cannot_go_to_the_county(client: TestClient, staff: Staff) -> None:
    rid = submit(client).json()["id"]
    act(client, staff.cadre, rid, "assign", {"assignee_id": str(staff.cadre.id)})
    act(
        client,
        staff.cadre,
        rid,
        "verify",
        {"risk_confirmed": False, "findings": "已外出务工,收入稳定"},
    )
    _civic(client, staff, rid)
    r = act(client, staff.town, rid, "forward", {})
    assert r.status_code == 409 and r.json()["error"] == "risk_not_confirmed"


def test_transitions_from_the_wrong_state_are_refused_naming_it(
    client: TestClient, session: Session, staff: Staff
) -> None:
    rid = submit(client).json()["id"]
    before = count(session, AuditEntry)
    r = act(client, staff.cadre, rid, "verify", {"risk_confirmed": True, "findings": "x"})
    assert r.status_code == 409
    assert r.json()["error"] == "wrong_state" and "已受理" in r.json()["message"]
    assert r.json()["detail"]["status"] == "submitted"
    assert (
        act(client, staff.county, rid, "enroll", {"monitoring_type": "marginal"}).status_code == 409
    )
    assert act(client, staff.town, rid, "forward", {}).status_code == 409
    assert count(session, AuditEntry) == before


def test_wrong_role_and_outside_scope_are_refused(
    client: TestClient, session: Session, staff: Staff
) -> None:
    rid = submit(client).json()["id"]
    # A helper verifies only what they were sent to; an inspector only reads.
    act(client, staff.cadre, rid, "assign", {"assignee_id": str(staff.cadre.id)})
    assert (
        act(
            client, staff.helper, rid, "verify", {"risk_confirmed": True, "findings": "x"}
        ).status_code
        == 404
    )
    assert act(client, staff.inspector, rid, "withdraw", {"reason": "x"}).status_code == 403
    assert (
        client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(staff.inspector)).status_code
        == 200
    )
    # Another village, another county: the same 404 as a missing report.
    for outsider in (staff.other_cadre, staff.other_county):
        assert (
            client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(outsider)).status_code == 404
        )
        assert act(client, outsider, rid, "withdraw", {"reason": "x"}).status_code == 404
    # The village cadre cannot decide for the township or the county.
    act(client, staff.cadre, rid, "verify", {"risk_confirmed": True, "findings": "x"})
    r = act(client, staff.cadre, rid, "forward", {})
    assert r.status_code == 403 and r.json()["error"] == "role_forbidden"
    assert (
        act(client, staff.town, rid, "fast-track", {"monitoring_type": "marginal"}).status_code
        == 403
    )
    # Only a village's own cadre, helper or grid worker can be sent to verify.
    rid2 = submit(client, phone="13900000009", name="赵").json()["id"]
    bad = act(client, staff.town, rid2, "assign", {"assignee_id": str(staff.other_cadre.id)})
    assert bad.status_code == 422
    assert client.get(f"/api/v1/self-reports/{rid}").status_code == 401


def test_withdraw_and_merge_by_staff(
    client: TestClient, session: Session, staff: Staff, texts
) -> None:  # type: ignore[no-untyped-def]
    # The same household reported twice under different names (the wife, then the husband):
    # not joined by itself, so staff merge them; same village, so it is allowed.
    a = submit(client).json()["id"]
    b = submit(client, name="王桂兰", phone="13900000011").json()["id"]
    assert act(client, staff.cadre, b, "merge", {"into_id": a}).status_code == 422  # no reason
    r = act(client, staff.cadre, b, "merge", {"into_id": a, "reason": "同一户,夫妻分别上报"})
    assert (
        r.status_code == 200 and r.json()["status"] == "merged" and r.json()["merged_into_id"] == a
    )
    assert texts.sent[-1][0] == "13900000011" and "合并办理" in texts.sent[-1][1]
    again = act(client, staff.cadre, a, "merge", {"into_id": b, "reason": "x"})
    assert again.status_code == 409
    r = act(client, staff.cadre, a, "withdraw", {"reason": "家里已自行解决"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert texts.sent[-2] == (
        "13912345678",
        f"【守望】您的报告({get(session, SelfReport, a).receipt_code})已撤回,"
        "原因:家里已自行解决。如仍有困难,可以重新报告或联系村干部。",
    )
    # The merged report's farmer hears the outcome, without the other report's reason.
    assert texts.sent[-1][0] == "13900000011" and "已撤回" in texts.sent[-1][1]
    assert "自行解决" not in texts.sent[-1][1]
    assert act(client, staff.cadre, a, "withdraw", {"reason": "再撤一次"}).status_code == 409
    kinds = [n.kind for n in rows(session, select(ReportNotice).order_by(ReportNotice.at))]
    assert kinds[-3:] == ["merged", "withdrawn", "merged_outcome"]


def test_staff_merge_only_within_the_same_household_or_village(
    client: TestClient, session: Session, staff: Staff
) -> None:
    here = submit(client).json()["id"]
    there = submit(client, area_code=f.YANJIAPING, name="严", phone="13900000200").json()["id"]
    before = count(session, AuditEntry)
    r = act(client, staff.county, here, "merge", {"into_id": there, "reason": "同一人"})
    assert r.status_code == 409 and r.json()["error"] == "merge_other_village"
    assert get(session, SelfReport, here).status == "submitted"
    assert count(session, AuditEntry) == before


def test_a_village_cadre_withdraws_only_while_the_report_is_the_villages(
    client: TestClient, session: Session, staff: Staff, texts
) -> None:  # type: ignore[no-untyped-def]
    early = submit(client, name="早", phone="13900000401").json()["id"]
    assert act(client, staff.cadre, early, "withdraw", {"reason": "本人要求"}).status_code == 200
    rid = _to_township(client, staff)
    r = act(client, staff.cadre, rid, "withdraw", {"reason": "本人要求"})
    assert r.status_code == 403 and r.json()["error"] == "role_forbidden"
    other = submit(client, name="王桂兰", phone="13900000011").json()["id"]
    r = act(client, staff.cadre, rid, "merge", {"into_id": other, "reason": "同一户"})
    assert r.status_code == 403
    detail = client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(staff.cadre)).json()
    assert "withdraw" not in detail["actions"] and "merge" not in detail["actions"]
    assert get(session, SelfReport, rid).status == "township_review"
    _civic(client, staff, rid)
    assert act(client, staff.town, rid, "forward", {}).status_code == 200
    # At county approval the county (or the township) may still record the farmer's wish.
    r = act(client, staff.county, rid, "withdraw", {"reason": "本人外出务工,不再需要"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert "不再需要" in texts.sent[-1][1]


def test_a_decision_texts_the_reporters_of_merged_reports_status_only(
    client: TestClient, session: Session, staff: Staff, texts
) -> None:  # type: ignore[no-untyped-def]
    rid = _to_township(client, staff)
    joined = submit(client, name="王桂兰", phone="13900000011").json()
    r = act(client, staff.cadre, joined["id"], "merge", {"into_id": rid, "reason": "同一户"})
    assert r.status_code == 200, r.text
    r = act(
        client, staff.town, rid, "refer", {"referred_to": "民政临时救助", "reason": "一次性困难"}
    )
    assert r.status_code == 200, r.text
    to_joined = [t for p, t in texts.sent if p == "13900000011"]
    assert "已转介其他帮扶" in to_joined[-1]
    assert "民政" not in to_joined[-1] and "一次性困难" not in to_joined[-1]
    look = client.get(
        "/api/v1/self-reports/lookup",
        params={"receipt_code": joined["receipt_code"], "phone": "13900000011"},
    )
    body = look.json()
    assert body["status"] == "referred" and "合并办理" in body["step"]
    assert body["reason"] is None and body["referred_to"] is None
    assert "民政" not in look.text and "一次性困难" not in look.text


def test_an_overdue_report_closed_or_merged_still_shows_its_lateness(
    client: TestClient, session: Session, staff: Staff
) -> None:
    town, county = f.auth(staff.town), f.auth(staff.county)  # tokens made by the real clock
    clock.freeze(datetime(2024, 9, 27, 2, 0, tzinfo=UTC))
    late = submit(client).json()["id"]
    late_too = submit(client, name="迟", phone="13900000501").json()["id"]
    clock.freeze(datetime(2024, 10, 9, 2, 0, tzinfo=UTC))
    fresh = submit(client, name="王桂兰", phone="13900000011").json()["id"]
    clock.freeze(datetime(2024, 10, 11, 2, 0, tzinfo=UTC))  # the first two were due 10-10
    r = client.post(
        f"/api/v1/self-reports/{late}/withdraw", json={"reason": "本人要求"}, headers=town
    )
    assert r.status_code == 200 and r.json()["closed_overdue"] is True
    assert "逾期 1 天" in r.json()["events"][-1]["note"]
    # Merged into a fresher report, the late one passes its deadline on.
    r = client.post(
        f"/api/v1/self-reports/{late_too}/merge",
        json={"into_id": fresh, "reason": "同一户"},
        headers=town,
    )
    assert r.status_code == 200, r.text
    page = client.get("/api/v1/self-reports", params={"overdue": "true"}, headers=county).json()
    assert [x["id"] for x in page["data"]] == [fresh] and page["overdue_count"] == 1
    numbers = client.get("/api/v1/self-reports/numbers", headers=county).json()
    village = next(v for v in numbers["villages"] if v["area_code"] == f.LENGSHUIGOU)
    assert (village["overdue"], village["withdrawn"], village["withdrawn_overdue"]) == (1, 1, 1)
    town_row = next(t for t in numbers["townships"] if t["area_code"] == f.JIANGKOU)
    assert town_row["withdrawn_overdue"] == 1


def test_reject_or_refer_before_verification_is_refused(
    client: TestClient, session: Session, staff: Staff
) -> None:
    rid = submit(client).json()["id"]
    before = count(session, AuditEntry)
    refer = {"referred_to": "民政临时救助", "reason": "一次性困难"}
    for state in ("submitted", "verifying"):
        r = act(client, staff.town, rid, "reject", {"reason": "收入高于标准"})
        assert r.status_code == 409 and r.json()["detail"]["status"] == state
        r = act(client, staff.county, rid, "refer", refer)
        assert r.status_code == 409 and r.json()["error"] == "wrong_state"
        if state == "submitted":
            act(client, staff.cadre, rid, "assign", {"assignee_id": str(staff.cadre.id)})
    assert get(session, SelfReport, rid).status == "verifying"
    assert count(session, AuditEntry) == before + 1  # only the assignment


def test_referral_needs_the_other_help_named(
    client: TestClient, session: Session, staff: Staff
) -> None:
    rid = _to_township(client, staff)
    before = count(session, AuditEntry)
    for body in ({"reason": "一次性困难"}, {"referred_to": "  ", "reason": "一次性困难"}):
        r = act(client, staff.town, rid, "refer", body)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "referred_to"
    assert get(session, SelfReport, rid).status == "township_review"
    assert count(session, AuditEntry) == before


def test_overdue_reports_are_flagged_listed_and_counted(
    client: TestClient, session: Session, staff: Staff
) -> None:
    town, county = f.auth(staff.town), f.auth(staff.county)  # tokens made by the real clock
    clock.freeze(datetime(2024, 9, 27, 2, 0, tzinfo=UTC))
    late = submit(client).json()["id"]
    clock.freeze(datetime(2024, 10, 9, 2, 0, tzinfo=UTC))
    fresh = submit(client, name="新", phone="13900000012").json()["id"]
    clock.freeze(datetime(2024, 10, 11, 2, 0, tzinfo=UTC))  # the first was due 10-10
    page = client.get("/api/v1/self-reports", headers=town).json()
    assert page["count"] == 2 and page["overdue_count"] == 1
    assert (
        page["data"][0]["id"] == late
        and page["data"][0]["overdue"]
        and page["data"][0]["overdue_days"] == 1
    )
    assert page["data"][1]["id"] == fresh and not page["data"][1]["overdue"]
    only = client.get("/api/v1/self-reports", params={"overdue": "true"}, headers=county).json()
    assert [x["id"] for x in only["data"]] == [late]
    numbers = client.get("/api/v1/self-reports/numbers", headers=county).json()
    village = next(v for v in numbers["villages"] if v["area_code"] == f.LENGSHUIGOU)
    assert (village["received"], village["in_progress"], village["overdue"]) == (2, 2, 1)
    town = next(t for t in numbers["townships"] if t["area_code"] == f.JIANGKOU)
    assert town["overdue"] == 1
    code = get(session, SelfReport, late).receipt_code
    look = client.get(
        "/api/v1/self-reports/lookup", params={"receipt_code": code, "phone": "13912345678"}
    ).json()
    assert look["overdue"] is True


def test_numbers_show_uptake_and_silent_villages(
    client: TestClient, session: Session, staff: Staff
) -> None:
    for i in range(3):
        submit(client, name=f"户{i}", phone=f"1390000010{i}")
    submit(client, area_code=f.YANJIAPING, name="严", phone="13900000200")
    rid = _to_township(client, staff, name="拒", phone="13900000300")
    act(client, staff.town, rid, "reject", {"reason": "收入高于标准"})
    r = client.get(
        "/api/v1/self-reports/numbers", params={"area": f.NINGSHAN}, headers=f.auth(staff.county)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    villages = {v["area_code"]: v for v in body["villages"]}
    lsg = villages[f.LENGSHUIGOU]
    assert (lsg["received"], lsg["rejected"], lsg["in_progress"]) == (4, 1, 3)
    assert lsg["median_days_to_decision"] is not None
    avg = body["county_average_per_village"]
    assert avg == round(5 / len(villages), 2)
    assert lsg["uptake"] > 1 and not lsg["silent"]
    silent = [v for v in body["villages"] if v["received"] == 0]
    assert silent and all(v["silent"] for v in silent)
    assert (
        client.get(
            "/api/v1/self-reports/numbers", params={"area": "341182"}, headers=f.auth(staff.county)
        ).status_code
        == 404
    )


# --- poster and pages -----------------------------------------------------------------------


def test_the_village_poster_is_printable_with_a_qr_code_and_the_cadres_phone(
    client: TestClient, session: Session
) -> None:
    cadre = f.user(session, Role.village_cadre, f.LENGSHUIGOU, full_name="何德福")
    cadre.phone = "13909150011"
    session.add(cadre)
    session.commit()
    r = client.get(f"/api/v1/areas/{f.LENGSHUIGOU}/poster")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "冷水沟村" in html and "<svg" in html and "13909150011" in html
    # One A4 sheet: its print stylesheet is a file (the Content-Security-Policy runs no
    # inline style).
    assert '<link rel="stylesheet" href="/static/css/poster.css">' in html
    assert "size: A4" in client.get("/static/css/poster.css").text
    assert f"/report?village={f.LENGSHUIGOU}" in html
    assert client.get(f"/api/v1/areas/{f.JIANGKOU}000/poster").status_code == 404
    # A village without a cadre's phone still gets a poster that says where to go.
    other = client.get(f"/api/v1/areas/{f.YANJIAPING}/poster")
    assert other.status_code == 200 and "村委会" in other.text


def test_the_farmers_pages_are_served(client: TestClient) -> None:
    page = client.get("/report", params={"village": f.LENGSHUIGOU})
    assert page.status_code == 200 and "一键报贫" in page.text
    assert client.get("/report/status").status_code == 200


# --- enrolment touches only the report's own village ----------------------------------------


def test_an_id_number_of_another_countys_household_links_nothing_and_enrols_nothing(
    client: TestClient, session: Session, staff: Staff
) -> None:
    head = f.member("head")
    elsewhere = f.household(session, area=f.SHANNAN, members=[head])
    rid = _to_county(client, staff, id_number=head.id_number)
    assert get(session, SelfReport, rid).household_id is None
    detail = client.get(f"/api/v1/self-reports/{rid}", headers=f.auth(staff.county))
    assert detail.json()["household_id"] is None and str(elsewhere.id) not in detail.text
    before = count(session, AuditEntry)
    r = act(client, staff.county, rid, "enroll", {"monitoring_type": "marginal"})
    assert r.status_code == 409 and r.json()["error"] == "household_in_other_village"
    assert str(elsewhere.id) not in r.text and elsewhere.reference not in r.text
    named = act(
        client,
        staff.county,
        rid,
        "enroll",
        {"monitoring_type": "marginal", "household_id": str(elsewhere.id)},
    )
    assert named.status_code == 422 and named.json()["detail"][0]["field"] == "household_id"
    stored = get(session, Household, elsewhere.id)
    assert stored.monitoring_status == MonitoringStatus.not_monitored
    assert get(session, SelfReport, rid).status == "county_approval"
    assert count(session, AuditEntry) == before and count(session, Household) == 1


def test_a_household_of_another_village_in_the_county_cannot_be_named(
    client: TestClient, session: Session, staff: Staff
) -> None:
    neighbour = f.household(session, area=f.YANJIAPING)
    rid = _to_county(client, staff)
    body = {"monitoring_type": "marginal", "household_id": str(neighbour.id)}
    r = act(client, staff.county, rid, "enroll", body)
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "household_id"
    assert get(session, Household, neighbour.id).monitoring_status == "not_monitored"


def test_a_new_report_joins_only_an_open_report_of_the_same_village(
    client: TestClient, session: Session
) -> None:
    first = submit(client).json()
    elsewhere = submit(client, area_code=f.YANJIAPING).json()
    assert elsewhere["status"] == "submitted"
    assert get(session, SelfReport, first["id"]).note == "老伴住院,花了很多钱"
    r = client.get(
        "/api/v1/self-reports/lookup",
        params={"receipt_code": elsewhere["receipt_code"], "phone": "13912345678"},
    )
    assert "合并" not in r.json()["step"]


def _monitored(session: Session, household: Household, risks: list[str]) -> None:
    from backend.households import workflow as households_workflow

    households_workflow.enroll(
        session=session,
        household=household,
        monitoring_type="unstable_lifted",
        risk_types=risks,
        actor=None,
        enrolled_on=date(2024, 1, 5),
    )


def test_enrolling_a_cleared_household_puts_it_back_under_monitoring(
    client: TestClient, session: Session, staff: Staff
) -> None:
    head = f.member("head")
    household = f.household(session, members=[head], registered_on=date(2023, 6, 1))
    _monitored(session, household, ["illness"])
    household.monitoring_status = MonitoringStatus.risk_cleared
    household.risk_cleared_on = date(2025, 3, 1)
    session.add(household)
    session.commit()
    rid = _to_county(client, staff, id_number=head.id_number, risk_types=["disaster"])
    r = act(client, staff.county, rid, "enroll", {"monitoring_type": "sudden_hardship"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "enrolled" and r.json()["household_id"] == str(household.id)
    stored = get(session, Household, household.id)
    assert stored.monitoring_status == MonitoringStatus.monitored
    assert stored.monitoring_type == "sudden_hardship" and stored.risk_cleared_on is None
    risks = rows(
        session, select(HouseholdRisk.risk_type).where(HouseholdRisk.household_id == household.id)
    )
    assert risks == ["disaster"]
    actions = rows(
        session, select(AuditEntry.action).where(AuditEntry.entity_id == str(household.id))
    )
    assert "revert" in actions


def test_enrolling_a_monitored_household_adds_the_reports_risks(
    client: TestClient, session: Session, staff: Staff
) -> None:
    head = f.member("head")
    household = f.household(session, members=[head], registered_on=date(2023, 6, 1))
    _monitored(session, household, ["illness"])
    rid = _to_county(client, staff, id_number=head.id_number, risk_types=["schooling"])
    r = act(client, staff.county, rid, "enroll", {"monitoring_type": "marginal"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "enrolled"
    stored = get(session, Household, household.id)
    assert stored.monitoring_status == "monitored" and stored.monitoring_type == "unstable_lifted"
    assert stored.enrolled_on == date(2024, 1, 5)  # still monitored since then
    risks = rows(
        session,
        select(HouseholdRisk.risk_type)
        .where(HouseholdRisk.household_id == household.id)
        .order_by(HouseholdRisk.risk_type),
    )
    assert risks == ["illness", "schooling"]
    audit = rows(
        session,
        select(AuditEntry).where(
            AuditEntry.entity_id == str(household.id), AuditEntry.action == "add_risk_types"
        ),
    )
    assert len(audit) == 1 and audit[0].changes["risk_types"][1] == ["illness", "schooling"]


# --- rate limits ------------------------------------------------------------------------------


def test_ipv6_clients_are_counted_by_their_64() -> None:
    from backend.reports import throttle

    a = throttle.address_key("2408:8207:1850:7b0::1")
    b = throttle.address_key("2408:8207:1850:7b0:dead:beef:1:2")
    assert a == b == "2408:8207:1850:7b0::/64"
    assert throttle.address_key("2408:8207:1850:7b1::1") != a
    assert throttle.address_key("::ffff:10.1.2.3") == "10.1.2.3"
    assert throttle.address_key("10.1.2.3") == "10.1.2.3"


def test_one_ipv6_subscriber_cannot_dodge_the_address_limit(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from backend.core.errors import TooMany
    from backend.reports import throttle

    monkeypatch.setattr(settings, "report_limit_per_address", "2/hour")
    throttle.admit_report(phone="13900000001", address="2408:8207:1850:7b0::1")
    throttle.admit_report(phone="13900000002", address="2408:8207:1850:7b0::2")
    with pytest.raises(TooMany) as refused:
        throttle.admit_report(phone="13900000003", address="2408:8207:1850:7b0:ffff::3")
    assert int(refused.value.headers["Retry-After"]) > 0
    throttle.admit_report(phone="13900000004", address="2408:8207:1850:7b1::1")


def test_a_refused_report_stores_no_photo(
    client: TestClient, session: Session, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import json

    monkeypatch.setattr(settings, "report_limit_per_address", "1/hour")
    assert submit(client).status_code == 201
    files_dir = settings.data_dir / "files"
    on_disk = sorted(files_dir.rglob("*")) if files_dir.exists() else []
    r = client.post(
        "/api/v1/self-reports",
        data={"report": json.dumps(report_body(name="丙", phone="13900000003"))},
        files=[("photos", ("a.jpg", _jpeg((33, 77)), "image/jpeg"))],
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert count(session, SelfReport) == 1 and count(session, StoredFile) == 0
    assert (sorted(files_dir.rglob("*")) if files_dir.exists() else []) == on_disk


def test_the_status_lookup_is_rate_limited(
    client: TestClient, session: Session, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    code = submit(client).json()["receipt_code"]
    monkeypatch.setattr(settings, "lookup_limit_per_code", "3/hour")
    monkeypatch.setattr(settings, "lookup_limit_per_address", "5/hour")
    url = "/api/v1/self-reports/lookup"
    for phone in ("13900000001", "13900000002", "13912345678"):
        client.get(url, params={"receipt_code": code, "phone": phone})
    # The right phone, after guesses: refused too, the code is being tried.
    r = client.get(url, params={"receipt_code": code, "phone": "13912345678"})
    assert r.status_code == 429 and r.json()["error"] == "too_many_lookups"
    assert 0 < int(r.headers["Retry-After"]) <= 3600 and "查询" in r.json()["message"]
    # Three counted from this address so far (a refused look-up is not counted).
    other = submit(client, name="乙", phone="13900000009").json()["receipt_code"]
    for _ in range(2):
        r = client.get(url, params={"receipt_code": other, "phone": "13900000009"})
        assert r.status_code == 200
    r = client.get(url, params={"receipt_code": other, "phone": "13900000009"})
    assert r.status_code == 429 and "Retry-After" in r.headers


# --- the same report twice at once ------------------------------------------------------------


@pytest.mark.parametrize("stored_before", ["the_insert", "the_join_search"])
def test_the_same_id_arriving_twice_at_once_stores_one_report(
    client: TestClient, session: Session, monkeypatch, stored_before: str
) -> None:  # type: ignore[no-untyped-def]
    from backend.reports import service

    rid = "5b0f8a9c-7d7e-4b7a-9d61-3f0c2a9e1d12"
    assert submit(client, id=rid).status_code == 201
    # The second request looked for the id before the first had stored it; the first
    # committed either before the second's search for an open report to join (which then
    # finds the report itself) or only before its insert (which then collides).
    monkeypatch.setattr(service, "_stored", lambda session, report_id: None)
    if stored_before == "the_insert":
        monkeypatch.setattr(service, "_open_report_of", lambda **kw: None)
    again = submit(client, id=rid)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == rid and count(session, SelfReport) == 1
    other = submit(client, id=rid, note="别的内容")
    assert other.status_code == 409 and other.json()["error"] == "id_reused"
    assert count(session, SelfReport) == 1


def test_concurrent_resends_of_one_report_never_fail(client: TestClient, session: Session) -> None:
    from concurrent.futures import ThreadPoolExecutor

    rid = "5b0f8a9c-7d7e-4b7a-9d61-3f0c2a9e1d13"
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: submit(client, id=rid), range(4)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["receipt_code"] for a in answers}) == 1
    assert count(session, SelfReport) == 1


# --- numbers -----------------------------------------------------------------------------------


def test_reports_opened_by_cadres_are_counted_apart_from_farmers_own(
    client: TestClient, session: Session, staff: Staff
) -> None:
    from backend.reports import service

    cadre = f.user(session, Role.village_cadre, f.YANJIAPING)
    for _ in range(2):
        household = f.household(session, area=f.YANJIAPING)
        service.open_on_behalf(
            session=session, household=household, risk_types=["illness"], actor=cadre, note=""
        )
        session.commit()
    submit(client)
    body = client.get(
        "/api/v1/self-reports/numbers", params={"area": f.NINGSHAN}, headers=f.auth(staff.county)
    ).json()
    villages = {v["area_code"]: v for v in body["villages"]}
    quiet = villages[f.YANJIAPING]
    assert (quiet["received"], quiet["from_farmers"], quiet["opened_by_staff"]) == (2, 0, 2)
    assert quiet["silent"] and quiet["uptake"] == 0
    lsg = villages[f.LENGSHUIGOU]
    assert (lsg["from_farmers"], lsg["opened_by_staff"]) == (1, 0) and not lsg["silent"]
    assert body["county_average_per_village"] == round(1 / len(villages), 2)


def test_a_stranger_guessing_a_receipt_code_cannot_lock_the_farmer_out(
    client: TestClient, session: Session, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    code = submit(client, phone="13912345678").json()["receipt_code"]
    monkeypatch.setattr(settings, "lookup_limit_per_code", "3/hour")
    url = "/api/v1/self-reports/lookup"
    with TestClient(client.app, client=("203.0.113.7", 4000)) as stranger:
        for n in range(4):
            r = stranger.get(url, params={"receipt_code": code, "phone": f"1390000000{n}"})
        assert r.status_code == 429  # the stranger's own network is stopped…
    with TestClient(client.app, client=("198.51.100.20", 4000)) as farmer:
        r = farmer.get(url, params={"receipt_code": code, "phone": "13912345678"})
    assert r.status_code == 200  # …and the farmer's phone still gets its answer
    assert r.json()["receipt_code"] == code


def test_a_heads_birth_date_in_the_future_is_refused_and_nothing_made(
    client: TestClient, session: Session, staff: Staff
) -> None:
    rid = _to_county(client, staff)
    body = {
        "monitoring_type": "sudden_hardship",
        "head_birth_date": (clock.today() + timedelta(days=7)).isoformat(),
        "head_sex": "male",
        "risk_types": ["accident", "housing", "accident"],
        "category": "lifted",
    }
    r = act(client, staff.county, rid, "enroll", body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["field"] == "head_birth_date"
    assert (
        get(session, SelfReport, rid).status == "county_approval" and count(session, Household) == 0
    )
