"""Visits over HTTP: recording, replays, batches, corrections, the ledger, and every refusal."""

import io
import uuid
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, func, select

from backend.accounts.models import Role, User
from backend.audit.models import AuditEntry
from backend.core import clock
from backend.households.models import Household
from backend.visits.models import LedgerEntry, Visit
from backend.visits.service import china_month
from tests import dates
from tests import factories as f
from tests.visits.conftest import visit_body


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_helper_records_a_visit_and_a_replay_answers_the_stored_record(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    body = visit_body(home)
    first = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    assert first.status_code == 201, first.text
    stored = first.json()
    assert stored["id"] == body["id"]
    assert stored["visitor_name"] == "李春生"
    assert stored["month"] == china_month(datetime.fromisoformat(body["visited_at"]))
    assert stored["checklist"]["medical"] == {"ok": False, "note": "慢病卡还没办下来"}
    assert stored["ledger"]["net_income"] == 2900
    assert stored["report_id"] is None

    again = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    assert again.status_code == 200
    assert again.json() == stored
    assert _count(session, Visit) == 1
    assert _count(session, LedgerEntry) == 1
    audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "visit")).all()
    assert [a.action for a in audit] == ["create"]


def test_same_id_with_a_different_payload_is_refused_and_the_original_kept(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    body = visit_body(home)
    assert client.post("/api/v1/visits", json=body, headers=f.auth(helper)).status_code == 201
    changed = {**body, "notes": "改过的内容"}
    response = client.post("/api/v1/visits", json=changed, headers=f.auth(helper))
    assert response.status_code == 409
    assert response.json()["error"] == "visit_id_conflict"
    assert "更正" in response.json()["message"]
    session.expire_all()
    assert session.get(Visit, uuid.UUID(body["id"])).notes == body["notes"]  # type: ignore[union-attr]


def test_the_same_instant_in_another_time_zone_is_the_same_payload(
    client: TestClient, helper: User, home: Household
) -> None:
    at = clock.now() - timedelta(minutes=5)
    body = visit_body(home, visited_at=at.isoformat())
    assert client.post("/api/v1/visits", json=body, headers=f.auth(helper)).status_code == 201
    shanghai = {**body, "visited_at": at.astimezone(clock.CHINA).isoformat()}
    assert client.post("/api/v1/visits", json=shanghai, headers=f.auth(helper)).status_code == 200


def test_the_same_batch_sent_three_times_stores_each_visit_once(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    items = [visit_body(home, notes=f"第{i}次走访,了解到家里近况良好") for i in range(5)]
    statuses = []
    for _ in range(3):
        response = client.post(
            "/api/v1/visits/batch", json={"items": items}, headers=f.auth(helper)
        )
        assert response.status_code == 200, response.text
        statuses.append([r["status"] for r in response.json()["results"]])
    assert statuses == [[201] * 5, [200] * 5, [200] * 5]
    assert _count(session, Visit) == 5
    # Five visits in one month: one current ledger entry, the others kept as superseded.
    current = session.exec(
        select(LedgerEntry).where(LedgerEntry.superseded_at == None)  # noqa: E711
    ).all()
    assert len(current) == 1 and _count(session, LedgerEntry) == 5


def test_a_bad_item_in_a_batch_is_refused_alone(
    client: TestClient, session: Session, helper: User, home: Household, elsewhere: Household
) -> None:
    good = visit_body(home)
    future = visit_body(home, visited_at=(clock.now() + timedelta(days=2)).isoformat())
    unknown_key = visit_body(home, checklist={"wifi": {"ok": True}})
    negative = visit_body(home, ledger={"wage": -5})
    not_mine = visit_body(elsewhere)
    bad_gps = visit_body(home, position={"latitude": 123.0, "longitude": 108.3})
    response = client.post(
        "/api/v1/visits/batch",
        json={"items": [good, future, unknown_key, negative, not_mine, bad_gps, {"id": 3}]},
        headers=f.auth(helper),
    )
    assert response.status_code == 200, response.text
    out = response.json()
    results = out["results"]
    assert [r["status"] for r in results] == [201, 422, 422, 422, 404, 422, 422]
    assert out["stored"] == 1 and out["refused"] == 6
    assert results[0]["id"] == good["id"]
    assert "走访时间不能晚于现在" in results[1]["message"]
    assert results[2]["detail"][0]["field"] == "checklist.wifi"
    assert "不认识" in results[2]["detail"][0]["message"]
    assert results[3]["detail"][0]["field"] == "ledger.wage"
    assert "不能小于 0" in results[3]["detail"][0]["message"]
    assert results[4]["message"] == "没有找到这户"
    assert results[5]["detail"][0]["field"] == "position.latitude"
    assert results[6]["id"] is None
    assert _count(session, Visit) == 1
    assert session.get(Visit, uuid.UUID(good["id"])) is not None


def test_a_batch_over_the_limit_is_refused_whole(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    items = [visit_body(home) for _ in range(201)]
    response = client.post("/api/v1/visits/batch", json={"items": items}, headers=f.auth(helper))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "items"
    assert "最多 200 条" in response.json()["message"]
    assert _count(session, Visit) == 0


def test_bad_input_names_the_field_in_chinese_and_writes_nothing(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    cases = [
        (visit_body(home, visited_at=(clock.now() + timedelta(hours=3)).isoformat()), "visited_at"),
        (
            visit_body(home, visited_at=(clock.now() - timedelta(days=900)).isoformat()),
            "visited_at",
        ),
        (visit_body(home, visited_at="2026-11-01T09:00:00"), "visited_at"),
        (visit_body(home, position={"latitude": 33.3, "longitude": 190}), "position.longitude"),
        (visit_body(home, checklist={"food": {"ok": False}}), "checklist.food"),
        (visit_body(home, checklist={"internet": {"ok": True}}), "checklist.internet"),
        (visit_body(home, ledger={"business": -100}), "ledger.business"),
        (visit_body(home, ledger={"wage": "1200"}), "ledger.wage"),
        (visit_body(home, kind="phone"), "reached"),
        (visit_body(home, kind="letter"), "kind"),
        (visit_body(home, agreed_by=None), "agreed_by"),
        (visit_body(home, new_risks=["bad_luck"]), "new_risks.0"),
        (visit_body(home, photo_ids=[str(uuid.uuid4())]), "photo_ids.0"),
        (visit_body(home, photo_ids=[str(uuid.uuid4()) for _ in range(7)]), "photo_ids"),
        (visit_body(home, corrects_id=str(uuid.uuid4())), "corrects_id"),
        (visit_body(home, mood="good"), "mood"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
        assert response.status_code == 422, (field, response.text)
        detail = response.json()["detail"]
        assert detail[0]["field"] == field, (field, detail)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["message"]), field
    assert _count(session, Visit) == 0
    assert _count(session, LedgerEntry) == 0


def test_refusals_by_scope_and_role_write_nothing(
    client: TestClient, session: Session, helper: User, home: Household, elsewhere: Household
) -> None:
    other_helper = f.user(session, Role.helper, f.NINGSHAN)
    other_cadre = f.user(session, Role.village_cadre, f.YANJIAPING)
    inspector = f.user(session, Role.inspector, f.NINGSHAN)
    # A household of another helper, or in another village: the same 404 as a missing one.
    for user, household in ((other_helper, home), (other_cadre, home), (helper, elsewhere)):
        response = client.post("/api/v1/visits", json=visit_body(household), headers=f.auth(user))
        assert response.status_code == 404
        assert response.json()["message"] == "没有找到这户"
    response = client.post("/api/v1/visits", json=visit_body(home), headers=f.auth(inspector))
    assert response.status_code == 403
    assert response.json()["error"] == "role_forbidden"
    response = client.post("/api/v1/visits", json=visit_body(home))
    assert response.status_code == 401
    assert _count(session, Visit) == 0
    assert session.exec(select(AuditEntry).where(AuditEntry.entity == "visit")).all() == []


def test_a_correction_is_a_new_visit_and_the_original_stays(
    client: TestClient, session: Session, helper: User, cadre: User, home: Household
) -> None:
    original = visit_body(home, notes="户主外出务工,妻子在家")
    assert client.post("/api/v1/visits", json=original, headers=f.auth(helper)).status_code == 201
    fix = visit_body(home, notes="户主在县城务工,妻子在家照顾老人", corrects_id=original["id"])
    response = client.post("/api/v1/visits", json=fix, headers=f.auth(helper))
    assert response.status_code == 201
    assert response.json()["corrects_id"] == original["id"]
    read = client.get(f"/api/v1/visits/{original['id']}", headers=f.auth(cadre))
    assert read.status_code == 200
    assert read.json()["notes"] == "户主外出务工,妻子在家"
    assert read.json()["corrected_by"] == [fix["id"]]
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "visit")).all()
    assert sorted(actions) == ["correct", "create"]


def test_a_later_ledger_entry_supersedes_and_a_late_older_one_does_not(
    client: TestClient, session: Session, helper: User, cadre: User, home: Household
) -> None:
    now = clock.now()
    early, middle, latest = dates.this_month(3)
    first = visit_body(home, visited_at=early.isoformat())
    second = visit_body(home, visited_at=latest.isoformat(), ledger={"wage": 3000})
    # Synced late from a phone: made before `second`, arrives after it.
    late = visit_body(home, visited_at=middle.isoformat(), ledger={"wage": 100})
    for body in (first, second, late):
        assert client.post("/api/v1/visits", json=body, headers=f.auth(helper)).status_code == 201
    year = int(china_month(now)[:4])
    ledger = client.get(
        f"/api/v1/households/{home.id}/ledger", params={"year": year}, headers=f.auth(cadre)
    ).json()
    current = [e for e in ledger["entries"] if e["superseded_at"] is None]
    assert len(ledger["entries"]) == 3 and len(current) == 1
    assert current[0]["wage"] == 3000
    assert ledger["ledger_net_income"] == 3000
    actions = session.exec(
        select(AuditEntry.action).where(AuditEntry.entity == "ledger_entry")
    ).all()
    assert sorted(actions) == ["create", "create", "create", "supersede"]


def test_the_year_ledger_sits_beside_the_declared_income_and_flags_copies(
    client: TestClient, session: Session, helper: User, cadre: User, home: Household
) -> None:
    from tests.visits.conftest import backdate

    # Two whole past years, whatever today is: the household existed before both.
    backdate(session, home, days=1200)
    older, newer = clock.today().year - 2, clock.today().year - 1
    declared = client.put(
        f"/api/v1/households/{home.id}/incomes/{older}",
        json={"wage": 24000, "business": 6000, "household_size": 2},
        headers=f.auth(cadre),
    )
    assert declared.status_code == 200, declared.text
    march_older = datetime(older, 3, 10, 2, 0, tzinfo=clock.CHINA)
    march_newer = datetime(newer, 3, 12, 2, 0, tzinfo=clock.CHINA)
    april_older = datetime(older, 4, 10, 2, 0, tzinfo=clock.CHINA)
    same = {"wage": 2000, "business": 500, "business_cost": 100}
    for at, ledger in ((march_older, same), (april_older, {"wage": 1800}), (march_newer, same)):
        body = visit_body(home, visited_at=at.isoformat(), ledger=ledger)
        assert client.post("/api/v1/visits", json=body, headers=f.auth(helper)).status_code == 201
    first = client.get(
        f"/api/v1/households/{home.id}/ledger", params={"year": older}, headers=f.auth(cadre)
    ).json()
    assert first["months_recorded"] == [f"{older}-03", f"{older}-04"]
    assert f"{older}-01" in first["months_missing"] and len(first["months_missing"]) == 10
    assert first["ledger_net_income"] == 2400 + 1800
    assert first["ledger_per_capita_net_income"] == 2100
    assert first["declared_per_capita_net_income"] == 15000
    assert first["copied_months"] == []
    second = client.get(
        f"/api/v1/households/{home.id}/ledger", params={"year": newer}, headers=f.auth(cadre)
    ).json()
    assert second["copied_months"] == [f"{newer}-03"]
    coverage = client.get(
        "/api/v1/visits/coverage", params={"month": f"{newer}-03"}, headers=f.auth(cadre)
    ).json()
    assert [c["month"] for c in coverage["copied_ledgers"]] == [f"{newer}-03"]
    other = f.user(session, Role.village_cadre, f.YANJIAPING)
    response = client.get(
        f"/api/v1/households/{home.id}/ledger", params={"year": newer}, headers=f.auth(other)
    )
    assert response.status_code == 404


def test_pasted_notes_across_households_are_flagged(
    client: TestClient, session: Session, helper: User, cadre: User
) -> None:
    from tests.visits.conftest import backdate

    households = [backdate(session, f.household(session, helper=helper)) for _ in range(3)]
    pasted = "该户两不愁三保障均有保障,家庭收入稳定,无返贫风险。"
    for h in households:
        body = visit_body(h, notes=pasted)
        assert client.post("/api/v1/visits", json=body, headers=f.auth(helper)).status_code == 201
    own = visit_body(households[0], notes="这一户的情况是自己写的,和别人不一样,孩子刚上初中")
    client.post("/api/v1/visits", json=own, headers=f.auth(helper))
    # The same text for one household again and again, or for two: not pasted.
    again = "本户老人腿脚不便,已联系村医每周上门,下次带降压药过来"
    for h in (households[1], households[1], households[1], households[2]):
        body = visit_body(h, notes=again)
        assert client.post("/api/v1/visits", json=body, headers=f.auth(helper)).status_code == 201
    listed = client.get("/api/v1/visits", headers=f.auth(cadre)).json()
    flags = {v["notes"]: v["pasted_notes"] for v in listed["data"]}
    assert flags[pasted] is True and flags[own["notes"]] is False and flags[again] is False
    coverage = client.get("/api/v1/visits/coverage", headers=f.auth(cadre)).json()
    assert coverage["pasted_notes"][0]["households"] == 3
    assert coverage["pasted_notes"][0]["visitor_names"] == ["李春生"]


def test_photos_uploaded_first_are_referenced_by_id(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "JPEG")
    up = client.post(
        "/api/v1/files",
        files={"file": ("a.jpg", buf.getvalue(), "image/jpeg")},
        data={"area_code": home.area_code},
        headers=f.auth(helper),
    )
    assert up.status_code == 201, up.text
    pdf = client.post(
        "/api/v1/files",
        files={"file": ("a.pdf", b"%PDF-1.4 test", "application/pdf")},
        data={"area_code": home.area_code},
        headers=f.auth(helper),
    )
    body = visit_body(home, photo_ids=[pdf.json()["id"]])
    response = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    assert response.status_code == 422 and "只接受照片" in response.json()["message"]
    body = visit_body(home, photo_ids=[up.json()["id"]])
    response = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    assert response.status_code == 201
    assert response.json()["photo_ids"] == [up.json()["id"]]
    not_image = client.post(
        "/api/v1/files",
        files={"file": ("x.jpg", b"this is not a picture", "image/jpeg")},
        data={"area_code": home.area_code},
        headers=f.auth(helper),
    )
    assert not_image.status_code == 422


def test_list_visits_by_household_visitor_village_and_month(
    client: TestClient,
    session: Session,
    helper: User,
    cadre: User,
    home: Household,
    elsewhere: Household,
) -> None:
    body = visit_body(home)
    client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    far_cadre = f.user(session, Role.village_cadre, f.YANJIAPING)
    client.post("/api/v1/visits", json=visit_body(elsewhere), headers=f.auth(far_cadre))
    month = china_month(datetime.fromisoformat(body["visited_at"]))
    for params, expected in (
        ({"household_id": str(home.id)}, 1),
        ({"visitor_id": str(helper.id)}, 1),
        ({"helper_id": str(helper.id)}, 1),
        ({"visitor_id": str(far_cadre.id)}, 0),
        ({"area": f.LENGSHUIGOU, "month": month}, 1),
        ({"month": "2020-01"}, 0),
    ):
        page = client.get("/api/v1/visits", params=params, headers=f.auth(cadre)).json()
        assert page["count"] == expected, params
    # Township sees both villages' visits; the other village's cadre sees only theirs.
    town = f.user(session, Role.township_officer, f.NINGSHAN)
    assert client.get("/api/v1/visits", headers=f.auth(town)).json()["count"] == 2
    assert client.get("/api/v1/visits", headers=f.auth(far_cadre)).json()["count"] == 1
    hidden = client.get(f"/api/v1/visits/{body['id']}", headers=f.auth(far_cadre))
    assert hidden.status_code == 404
    bad = client.get("/api/v1/visits", params={"month": "2026-13"}, headers=f.auth(cadre))
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "month"


def test_my_households_most_urgent_first_and_only_ones_own(
    client: TestClient,
    session: Session,
    helper: User,
    cadre: User,
    home: Household,
    elsewhere: Household,
) -> None:
    second = f.household(session, helper=helper)
    unassigned = f.household(session)
    from tests.visits.conftest import backdate

    backdate(session, second)
    backdate(session, unassigned)
    # Visited `second` last month, `home` this month: `second` is due, `unassigned`'s none.
    last_month = dates.in_month(-1)
    client.post(
        "/api/v1/visits",
        json=visit_body(second, visited_at=last_month.isoformat()),
        headers=f.auth(helper),
    )
    client.post("/api/v1/visits", json=visit_body(home), headers=f.auth(helper))
    mine = client.get("/api/v1/visits/my-households", headers=f.auth(helper)).json()
    assert [(c["id"], c["state"]) for c in mine["data"]] == [
        (str(second.id), "due"),
        (str(home.id), "visited"),
    ]
    card = mine["data"][1]
    assert card["members"][0]["relation"] == "head"
    assert "id_number" not in card["members"][0]
    assert card["last_visits"][0]["visitor_name"] == "李春生"
    village = client.get("/api/v1/visits/my-households", headers=f.auth(cadre)).json()
    states = {c["id"]: c["state"] for c in village["data"]}
    assert set(states) == {str(home.id), str(second.id), str(unassigned.id)}
    assert states[str(unassigned.id)] == "overdue"
    assert village["data"][0]["state"] == "overdue"
    inspector = f.user(session, Role.inspector, f.NINGSHAN)
    response = client.get("/api/v1/visits/my-households", headers=f.auth(inspector))
    assert response.status_code == 403


def test_coverage_per_helper_and_village_with_the_households_not_visited(
    client: TestClient, session: Session, helper: User, home: Household, elsewhere: Household
) -> None:
    missed = f.household(session, helper=helper)
    f.household(session)  # ordinary, no helper: the grid worker's, not the helper's
    client.post("/api/v1/visits", json=visit_body(home), headers=f.auth(helper))
    town = f.user(session, Role.township_officer, f.JIANGKOU)
    cover = client.get("/api/v1/visits/coverage", headers=f.auth(town))
    assert cover.status_code == 200, cover.text
    data = cover.json()
    assert data["area_code"] == f.JIANGKOU
    # The household without a helper is the village's to visit, not the helper's.
    assert data["helpers"] == [
        {
            "helper_id": str(helper.id),
            "full_name": "李春生",
            "unit": None,
            "due": 2,
            "visited": 1,
            "not_visited": 1,
        }
    ]
    assert data["not_visited_total"] == 2
    village = data["villages"][0]
    assert (village["area_code"], village["due"], village["visited"]) == (f.LENGSHUIGOU, 3, 1)
    assert village["area_name"] == "冷水沟村委会"
    assert str(missed.id) in {n["household_id"] for n in data["not_visited"]}
    assert str(home.id) not in {n["household_id"] for n in data["not_visited"]}
    # Another township's area is not found; a helper may not watch coverage.
    response = client.get(
        "/api/v1/visits/coverage", params={"area": f.YANJIAPING}, headers=f.auth(town)
    )
    assert response.status_code == 404
    response = client.get("/api/v1/visits/coverage", headers=f.auth(helper))
    assert response.status_code == 403


def test_the_phone_card_shows_this_years_ledger_and_the_quality_signs(
    client: TestClient, session: Session, helper: User
) -> None:
    from tests.visits.conftest import backdate

    households = [backdate(session, f.household(session, helper=helper)) for _ in range(3)]
    pasted = "该户两不愁三保障均有保障,家庭收入稳定,无返贫风险。"
    now = clock.now()
    same = {"wage": 2000, "business": 500}
    local = now.astimezone(clock.CHINA)
    a_year_ago = local.replace(year=local.year - 1, day=min(local.day, 28))
    # Same month last year, same figures: the seed-000 copy.
    body = visit_body(households[0], visited_at=a_year_ago.isoformat(), ledger=same)
    assert client.post("/api/v1/visits", json=body, headers=f.auth(helper)).status_code == 201
    for h in households:
        body = visit_body(h, notes=pasted, ledger=same)
        assert client.post("/api/v1/visits", json=body, headers=f.auth(helper)).status_code == 201
    cards = {
        c["id"]: c
        for c in client.get("/api/v1/visits/my-households", headers=f.auth(helper)).json()["data"]
    }
    first = cards[str(households[0].id)]
    assert first["ledger_months"] == 1
    assert first["ledger_per_capita_net_income"] == 1250  # 2500 ÷ 2 members
    assert first["copied_months"] == [china_month(now)]
    assert first["last_visits"][0]["pasted_notes"] is True
    assert cards[str(households[1].id)]["copied_months"] == []
    # The latest month's figures ride along, offered when the next visit records money; and
    # every code the card shows comes with the server's name for it.
    assert first["latest_ledger"]["month"] == china_month(now)
    assert (first["latest_ledger"]["wage"], first["latest_ledger"]["business"]) == (2000, 500)
    assert first["category_name"] in ("脱贫户", "一般农户")
    assert first["monitoring_status_name"] and first["members"][0]["relation_name"] == "户主"
    assert {m["health_name"] for m in first["members"]} <= {"健康", "长期慢性病", "大病", "残疾"}


def test_in_a_batch_a_reused_id_with_new_content_is_a_409_for_that_item(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    body = visit_body(home)
    client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    other = visit_body(home, notes="另一条,新的内容")
    items = [{**body, "notes": "被改过的旧记录"}, other, body]
    response = client.post("/api/v1/visits/batch", json={"items": items}, headers=f.auth(helper))
    out = response.json()
    assert [r["status"] for r in out["results"]] == [409, 201, 200]
    assert out["results"][0]["error"] == "visit_id_conflict"
    assert (out["stored"], out["already_had"], out["refused"]) == (1, 1, 1)
    assert _count(session, Visit) == 2


def test_a_correction_must_name_a_visit_of_the_same_household(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    second = f.household(session, helper=helper)
    from tests.visits.conftest import backdate

    backdate(session, second)
    original = visit_body(second)
    client.post("/api/v1/visits", json=original, headers=f.auth(helper))
    wrong = visit_body(home, corrects_id=original["id"])
    response = client.post("/api/v1/visits", json=wrong, headers=f.auth(helper))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "corrects_id"
    assert _count(session, Visit) == 1


def test_a_photo_from_another_village_cannot_be_attached(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 0)).save(buf, "PNG")
    up = client.post(
        "/api/v1/files",
        files={"file": ("b.png", buf.getvalue(), "image/png")},
        data={"area_code": f.YANJIAPING},
        headers=f.auth(helper),
    )
    assert up.status_code == 201
    body = visit_body(home, photo_ids=[up.json()["id"]])
    response = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "photo_ids.0"


def test_grid_worker_sees_the_village_coverage_and_records_phone_visits(
    client: TestClient, session: Session, home: Household
) -> None:
    grid = f.user(session, Role.grid_worker, f.LENGSHUIGOU)
    body = visit_body(home, kind="phone", reached="户主妻子")
    response = client.post("/api/v1/visits", json=body, headers=f.auth(grid))
    assert response.status_code == 201
    assert response.json()["reached"] == "户主妻子"
    cover = client.get("/api/v1/visits/coverage", headers=f.auth(grid)).json()
    assert cover["villages"][0]["visited"] == 1
    # The helper's own duty is not met by the grid worker's visit.
    assert cover["helpers"][0]["visited"] == 0


def test_a_new_risk_seen_on_a_visit_opens_a_report_in_verifying(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    from backend.reports.models import SelfReport

    body = visit_body(home, new_risks=["illness"], notes="户主腰伤,不能干重活")
    stored = client.post("/api/v1/visits", json=body, headers=f.auth(helper)).json()
    assert stored["report_id"] is not None
    session.rollback()  # a fresh snapshot: the API wrote since
    report = session.get(SelfReport, uuid.UUID(stored["report_id"]))
    assert report is not None
    assert report.status == "verifying" and report.on_behalf is True
    assert report.household_id == home.id and report.risk_types == ["illness"]
    # A replay opens nothing more; a later visit with another risk joins the open report.
    assert (
        client.post("/api/v1/visits", json=body, headers=f.auth(helper)).json()["report_id"]
        == stored["report_id"]
    )
    later = visit_body(home, new_risks=["schooling"])
    joined = client.post("/api/v1/visits", json=later, headers=f.auth(helper)).json()
    assert joined["report_id"] == stored["report_id"]
    assert _count(session, SelfReport) == 1
    session.rollback()  # a fresh snapshot: the API wrote since
    assert set(session.get(SelfReport, uuid.UUID(stored["report_id"])).risk_types) == {
        "illness",
        "schooling",
    }  # type: ignore[union-attr]


def test_a_correction_in_another_month_is_refused_and_writes_nothing(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    original = visit_body(home, ledger={"wage": 1000})
    assert client.post("/api/v1/visits", json=original, headers=f.auth(helper)).status_code == 201
    earlier = dates.in_month(-1)
    fix = visit_body(
        home, visited_at=earlier.isoformat(), corrects_id=original["id"], ledger={"wage": 9}
    )
    response = client.post("/api/v1/visits", json=fix, headers=f.auth(helper))
    assert response.status_code == 409
    assert response.json()["error"] == "correction_month_differs"
    assert "同一个月" in response.json()["message"]
    assert _count(session, Visit) == 1
    assert _count(session, LedgerEntry) == 1
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "visit")).all()
    assert actions == ["create"]
    # The same correction dated in the original's month is stored, its ledger in that month.
    same_month = visit_body(home, corrects_id=original["id"], ledger={"wage": 1200})
    stored = client.post("/api/v1/visits", json=same_month, headers=f.auth(helper))
    assert stored.status_code == 201, stored.text
    assert stored.json()["ledger"]["month"] == stored.json()["month"] == china_month(clock.now())


def test_a_correction_is_not_counted_as_a_visit(
    client: TestClient, session: Session, helper: User, cadre: User, home: Household
) -> None:
    # A correction stored before the same-month rule: the original last month, the
    # correction this month. Neither coverage nor the phone may count it as this month's visit.
    last = dates.in_month(-1)
    original = visit_body(home, visited_at=last.isoformat(), ledger=None)
    assert client.post("/api/v1/visits", json=original, headers=f.auth(helper)).status_code == 201
    (at,) = dates.this_month(1)
    session.add(
        Visit(
            id=uuid.uuid4(),
            household_id=home.id,
            area_code=home.area_code,
            visitor_id=helper.id,
            kind="home",
            visited_at=at,
            month=china_month(at),
            checklist={},
            family_agrees=False,
            corrects_id=uuid.UUID(original["id"]),
            payload_hash="0" * 64,
        )
    )
    session.commit()
    cover = client.get("/api/v1/visits/coverage", headers=f.auth(cadre)).json()
    assert cover["villages"][0]["visited"] == 0
    assert cover["helpers"][0]["visited"] == 0
    assert [n["household_id"] for n in cover["not_visited"]] == [str(home.id)]
    mine = client.get("/api/v1/visits/my-households", headers=f.auth(helper)).json()
    assert [(c["id"], c["state"]) for c in mine["data"]] == [(str(home.id), "due")]


def test_a_replay_is_recognised_even_after_the_household_was_reassigned(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    body = visit_body(home)
    first = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    assert first.status_code == 201
    other = f.user(session, Role.helper, f.NINGSHAN)
    session.rollback()
    household = session.get(Household, home.id)
    assert household is not None
    household.helper_id = other.id
    session.add(household)
    session.commit()
    again = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    assert again.status_code == 200, again.text
    assert again.json()["id"] == body["id"]
    batch = client.post("/api/v1/visits/batch", json={"items": [body]}, headers=f.auth(helper))
    assert batch.json()["results"][0]["status"] == 200
    # A new visit to the household that is no longer the helper's is refused, and another
    # helper sending the same id and payload is not handed someone else's record.
    assert (
        client.post("/api/v1/visits", json=visit_body(home), headers=f.auth(helper)).status_code
        == 404
    )
    stolen = client.post("/api/v1/visits", json=body, headers=f.auth(other))
    assert stolen.status_code == 409
    assert _count(session, Visit) == 1


def test_a_batch_from_a_role_that_does_not_visit_is_refused(
    client: TestClient, session: Session, home: Household
) -> None:
    inspector = f.user(session, Role.inspector, f.NINGSHAN)
    response = client.post(
        "/api/v1/visits/batch", json={"items": [visit_body(home)]}, headers=f.auth(inspector)
    )
    assert response.status_code == 403
    assert response.json()["error"] == "role_forbidden"
    assert _count(session, Visit) == 0


def test_non_object_batch_items_and_visits_before_the_household_are_refused_alone(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    good = visit_body(home)
    before = visit_body(home, visited_at=(home.created_at - timedelta(days=2)).isoformat())
    items = [3, good, "visit", None, before, [1]]
    response = client.post("/api/v1/visits/batch", json={"items": items}, headers=f.auth(helper))
    assert response.status_code == 200, response.text
    out = response.json()
    assert [r["status"] for r in out["results"]] == [422, 201, 422, 422, 422, 422]
    assert (out["stored"], out["refused"]) == (1, 5)
    assert out["results"][0]["id"] is None
    assert out["results"][0]["message"].startswith("第 1 条:")
    assert "早于该户建档时间" in out["results"][4]["message"]
    assert out["results"][4]["id"] == before["id"]
    assert _count(session, Visit) == 1
    assert _count(session, LedgerEntry) == 1


def test_a_risk_the_household_already_has_opens_no_report(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    from backend.households.models import HouseholdRisk
    from backend.reports.models import SelfReport

    session.add(HouseholdRisk(household_id=home.id, risk_type="illness"))
    session.commit()
    known = visit_body(home, new_risks=["illness"])
    stored = client.post("/api/v1/visits", json=known, headers=f.auth(helper))
    assert stored.status_code == 201, stored.text
    assert stored.json()["report_id"] is None
    assert _count(session, SelfReport) == 0
    # Only the part that is new goes into the report.
    mixed = visit_body(home, new_risks=["illness", "schooling"])
    report_id = client.post("/api/v1/visits", json=mixed, headers=f.auth(helper)).json()[
        "report_id"
    ]
    assert report_id is not None
    session.rollback()
    assert session.get(SelfReport, uuid.UUID(report_id)).risk_types == ["schooling"]  # type: ignore[union-attr]


def test_a_helper_cannot_attach_another_helpers_household_photo(
    client: TestClient, session: Session, helper: User, home: Household
) -> None:
    other = f.user(session, Role.helper, f.NINGSHAN)
    theirs = f.household(session, helper=other)
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (90, 0, 0)).save(buf, "PNG")
    up = client.post(
        "/api/v1/files",
        files={"file": ("c.png", buf.getvalue(), "image/png")},
        data={"household_id": str(theirs.id)},
        headers=f.auth(other),
    )
    assert up.status_code == 201, up.text
    body = visit_body(home, photo_ids=[up.json()["id"]])
    response = client.post("/api/v1/visits", json=body, headers=f.auth(helper))
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "photo_ids.0"
    assert _count(session, Visit) == 0


def test_coverage_pages_the_households_not_visited_and_says_how_many(
    client: TestClient, session: Session, helper: User, cadre: User, home: Household
) -> None:
    for _ in range(4):
        f.household(session, helper=helper)
    page = client.get(
        "/api/v1/visits/coverage", params={"limit": 2, "offset": 0}, headers=f.auth(cadre)
    ).json()
    rest = client.get(
        "/api/v1/visits/coverage", params={"limit": 2, "offset": 2}, headers=f.auth(cadre)
    ).json()
    assert page["not_visited_total"] == rest["not_visited_total"] == 5
    assert len(page["not_visited"]) == 2 and len(rest["not_visited"]) == 2
    seen = {n["household_id"] for n in page["not_visited"] + rest["not_visited"]}
    assert len(seen) == 4
    assert page["villages"][0]["due"] == 5
    mine = client.get("/api/v1/visits/my-households", headers=f.auth(helper)).json()
    assert (mine["count"], mine["total"]) == (5, 5)
