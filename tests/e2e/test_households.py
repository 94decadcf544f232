"""The household card on a phone: an officer corrects a member and sees the change in the
audit trail; a village cadre's clearance proposal refused by the guard rules shows each rule
at the form, and nothing is opened."""

import uuid
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest

from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e

GAOJIAZHUANG = "620422100200"


def _login(page, username: str, hash_: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/staff")
    page.evaluate("localStorage.clear()")
    page.goto(f"/staff{hash_}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()


def test_an_officer_edits_a_member_and_sees_the_audit_row(page, live_server) -> None:  # type: ignore[no-untyped-def]
    with live_server.api("huining_county") as county:
        listed = county.get("/api/v1/households", params={"area": GAOJIAZHUANG}).json()
        h = county.get(f"/api/v1/households/{listed['data'][0]['id']}").json()
    member = next(m for m in h["members"] if m["active"] and m["relation"] != "head")
    new_health = "chronic" if member["health"] != "chronic" else "healthy"

    _login(page, "huining_county", f"#household/{h['id']}")
    page.get_by_role("heading", name=f"{h['head_name']} 户").wait_for()
    page.get_by_text(f"修改 {member['name']}").click()
    form = page.locator(f"form[data-member='{member['id']}']")
    form.get_by_label("健康状况").select_option(new_health)
    form.get_by_role("button", name="保存成员").click()
    page.get_by_text(f"成员 {member['name']} 已保存").wait_for()

    # The audit trail on the card names what changed, in words.
    row = page.locator("#household-audit li").first
    row.filter(has_text="修改成员").wait_for()
    assert "健康状况" in row.inner_text() and "马建国" in row.inner_text()
    with live_server.api("huining_county") as county:
        stored = county.get(f"/api/v1/households/{h['id']}").json()
        audit = county.get(
            "/api/v1/audit", params={"entity": "household", "entity_id": h["id"]}
        ).json()
    assert next(m for m in stored["members"] if m["id"] == member["id"])["health"] == new_health
    assert audit["data"][0]["action"] == "update_member"
    assert audit["data"][0]["changes"]["health"] == [member["health"], new_health]

    # A refusal is shown beside its box: a name too long is refused, nothing saved.
    page.get_by_text(f"修改 {member['name']}").click()
    form = page.locator(f"form[data-member='{member['id']}']")
    form.get_by_label("姓名").fill("名" * 60)
    form.get_by_role("button", name="保存成员").click()
    form.locator(".field-error").first.wait_for()
    assert form.locator("[name=name][aria-invalid=true]").count() == 1


def _refused_clearance(cadre):  # type: ignore[no-untyped-def]
    """A monitored household of the village whose clearance the guard rules refuse, with a
    fresh home visit to name: (household, the refusal the API gives)."""
    listed = cadre.get(
        "/api/v1/households", params={"monitoring_status": "monitored", "limit": 50}
    ).json()
    # The server runs on the wall clock (the tests' clock is frozen): its Date header says when.
    now = parsedate_to_datetime(cadre.get("/api/v1/health").headers["date"])
    for row in listed["data"]:
        visit = {
            "id": str(uuid.uuid4()),
            "household_id": row["id"],
            "kind": "home",
            "visited_at": (now - timedelta(minutes=5)).isoformat(),
            "family_agrees": True,
            "agreed_by": "户主本人",
        }
        recorded = cadre.post("/api/v1/visits", json=visit)
        assert recorded.status_code in (200, 201), recorded.text
        body = {"kind": "clearance_proposal", "visit_id": visit["id"], "reason": "收入稳定"}
        r = cadre.post(f"/api/v1/households/{row['id']}/proposals", json=body)
        if r.status_code == 409 and r.json()["error"] == "clear_risk_refused":
            return row, r.json()
    pytest.fail("no monitored household of the demo village is refused clearance")


def test_a_refused_clearance_shows_each_rule_beside_the_form(page, live_server) -> None:  # type: ignore[no-untyped-def]
    with live_server.api("gaojiazhuang_cadre") as cadre:
        h, refusal = _refused_clearance(cadre)
    rules = [d["message"] for d in refusal["detail"]]

    _login(page, "gaojiazhuang_cadre", f"#household/{h['id']}")
    box = page.locator("#proposal-box")
    box.get_by_role("heading", name="申请风险消除").wait_for()
    box.get_by_label("申请理由（走访看到的情况）").fill("走访看到家庭收入稳定")
    box.get_by_role("button", name="申请风险消除").click()
    page.get_by_text("申请没有提交").wait_for()
    notes = box.locator(".field-error")
    wait_until(
        page, f"document.querySelectorAll('#proposal-box .field-error').length === {len(rules)}"
    )
    assert sorted(notes.all_inner_texts()) == sorted(rules)
    with live_server.api("gaojiazhuang_cadre") as cadre:
        again = cadre.get(f"/api/v1/households/{h['id']}").json()
    assert again["monitoring_status"] == "monitored"


def test_a_save_on_a_card_someone_changed_meanwhile_is_refused(page, live_server) -> None:  # type: ignore[no-untyped-def]
    """The card sends the version it was drawn from (If-Match): another officer's change made
    in between is not overwritten, and the page says so."""
    with live_server.api("huining_county") as county:
        listed = county.get("/api/v1/households", params={"area": GAOJIAZHUANG}).json()
        h = county.get(f"/api/v1/households/{listed['data'][1]['id']}").json()
    member = next(m for m in h["members"] if m["active"] and m["relation"] != "head")

    _login(page, "huining_county", f"#household/{h['id']}")
    page.get_by_role("heading", name=f"{h['head_name']} 户").wait_for()
    page.get_by_text(f"修改 {member['name']}").click()
    form = page.locator(f"form[data-member='{member['id']}']")
    form.get_by_label("姓名").fill(member["name"] + "甲")
    # Someone else changes the household first.
    with live_server.api("huining_county") as county:
        other = county.patch(f"/api/v1/households/{h['id']}", json={"address": "别人改的地址"})
        assert other.status_code == 200, other.text
    form.get_by_role("button", name="保存成员").click()
    page.get_by_text("没有保存：这条记录已被其他人修改,请刷新后再改").wait_for()
    with live_server.api("huining_county") as county:
        stored = county.get(f"/api/v1/households/{h['id']}").json()
    assert next(m for m in stored["members"] if m["id"] == member["id"])["name"] == member["name"]
