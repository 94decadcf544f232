"""一键报贫 in a real browser on a phone-sized screen: from the poster's link to a receipt
code and the status page, offline filing that arrives when the network returns, and the
staff list that flags overdue reports."""

import re

import pytest

pytestmark = pytest.mark.e2e

LENGSHUIGOU = "610923102217"


def _fill(page, name: str, phone: str) -> int:  # type: ignore[no-untyped-def]
    """Type name and phone, tap one risk chip and send; answers the number of taps."""
    page.get_by_label("姓名", exact=True).fill(name)
    page.get_by_label("手机号", exact=True).fill(phone)
    taps = 0
    page.get_by_text("生病", exact=True).click()
    taps += 1
    page.get_by_role("button", name="发送", exact=True).click()
    taps += 1
    return taps


def test_a_farmer_files_from_the_poster_link_and_follows_the_status(page, live_server) -> None:  # type: ignore[no-untyped-def]
    poster = page.request.get(f"/api/v1/areas/{LENGSHUIGOU}/poster")
    assert poster.ok and f"/report?village={LENGSHUIGOU}" in poster.text()
    page.goto(f"/report?village={LENGSHUIGOU}")
    page.wait_for_function(
        "document.getElementById('village-name').textContent.includes('冷水沟村')"
    )
    taps = _fill(page, "马兰花", "13611112222")
    assert taps <= 6
    code = page.locator("#receipt-code")
    code.wait_for()
    receipt = code.inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{8}", receipt)
    remembered = page.evaluate("JSON.parse(localStorage.getItem('shouwang.receipts'))")
    assert remembered[0]["receipt_code"] == receipt
    page.get_by_role("link", name="查询办理进度").click()
    page.locator("#status-name").wait_for()
    assert page.locator("#status-name").inner_text() == "已受理"
    assert "办理时限" in page.locator("#status-result").inner_text()
    # The village cadre sees it, and can send themselves to verify it.
    with live_server.api("lengshuigou_cadre") as api:
        found = api.get("/api/v1/self-reports", params={"q": receipt}).json()
        assert found["count"] == 1
        me = api.get("/api/v1/auth/me").json()
        r = api.post(
            f"/api/v1/self-reports/{found['data'][0]['id']}/assign", json={"assignee_id": me["id"]}
        )
        assert r.status_code == 200
    page.reload()
    page.wait_for_function("document.getElementById('status-name')?.textContent === '入户核实中'")
    assert page.locator(".steps li").count() == 2


def test_a_report_filed_offline_is_sent_when_the_network_returns(
    page, context, live_server
) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/report?village={LENGSHUIGOU}")
    page.wait_for_function(
        "document.getElementById('village-name').textContent.includes('冷水沟村')"
    )
    context.set_offline(True)
    _fill(page, "离线户", "13622223333")
    page.get_by_text("没有网络,报告已保存在手机上").wait_for()
    assert "联网后打开这个页面" in page.locator("#report-message").inner_text()
    assert "等待发送" in page.locator("#outbox-list").inner_text()
    # Kept on the phone, the form is emptied so a second tap cannot double it.
    assert page.get_by_label("姓名", exact=True).input_value() == ""
    with live_server.api("lengshuigou_cadre") as api:
        assert api.get("/api/v1/self-reports", params={"q": "13622223333"}).json()["count"] == 0
    context.set_offline(False)
    page.get_by_text("之前保存的报告已发送").wait_for(timeout=30_000)
    receipt = page.locator("#receipt-code").inner_text().strip()
    with live_server.api("lengshuigou_cadre") as api:
        found = api.get("/api/v1/self-reports", params={"q": "13622223333"}).json()
        assert found["count"] == 1 and found["data"][0]["receipt_code"] == receipt


def test_staff_see_overdue_reports_flagged_and_take_a_step(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto("/staff")
    page.get_by_label("用户名").fill("jiangkou_town")
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name=re.compile("一键报贫")).click()
    page.locator("#report-list li").first.wait_for()
    first = page.locator("#report-list li").first
    assert "逾期" in first.inner_text()
    page.get_by_text("杨金花").click()
    page.locator("#report-status").wait_for()
    reject = page.locator("form[data-action=reject]")
    reject.locator("textarea").fill("家庭人均纯收入高于监测收入标准")
    reject.get_by_role("button").click()
    page.wait_for_function("document.getElementById('report-status')?.textContent === '不予纳入'")
    assert "家庭人均纯收入高于监测收入标准" in page.locator("#report-view").inner_text()
    page.get_by_role("link", name="报贫统计").click()
    page.get_by_role("heading", name="乡镇").wait_for()
    assert "冷水沟村" in page.locator("#report-numbers-view").inner_text()


def test_without_the_poster_the_village_is_found_by_name(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto("/report")
    page.get_by_label("所在村(输入村名查找)").fill("冷水沟")
    page.get_by_role("button", name=re.compile("冷水沟")).click()
    taps = 1 + _fill(page, "找村户", "13633334444")
    assert taps <= 6
    page.locator("#receipt-code").wait_for()
    # The phone remembers the village for next time.
    page.goto("/report")
    page.wait_for_function(
        "document.getElementById('village-name').textContent.includes('冷水沟村')"
    )


def _open_form(page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/report?village={LENGSHUIGOU}")
    page.wait_for_function(
        "document.getElementById('village-name').textContent.includes('冷水沟村')"
    )


def test_without_phone_storage_the_report_is_sent_directly(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.add_init_script(
        "Object.defineProperty(window, 'indexedDB', {get() {"
        " return {open() { throw new Error('IndexedDB disabled'); }}; }});"
    )
    _open_form(page)
    _fill(page, "无存储户", "13644445555")
    page.locator("#receipt-code").wait_for()
    with live_server.api("lengshuigou_cadre") as api:
        assert api.get("/api/v1/self-reports", params={"q": "13644445555"}).json()["count"] == 1


def test_a_busy_server_is_told_apart_from_no_network(page, live_server) -> None:  # type: ignore[no-untyped-def]
    import json

    answers = [
        (
            429,
            {"Retry-After": "120"},
            "这个手机号提交的报告太多了,请 2 分钟后再试,或直接联系村干部",
        ),
        (503, {}, "系统繁忙,请稍后再试"),
    ]

    def refuse(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.method != "POST":
            return route.continue_()
        status, headers, message = answers[0]
        route.fulfill(
            status=status,
            headers={"Content-Type": "application/json", **headers},
            body=json.dumps({"error": "x", "message": message, "detail": None}),
        )

    page.route("**/api/v1/self-reports", refuse)
    _open_form(page)
    _fill(page, "限流户", "13655556666")
    message = page.locator("#report-message")
    page.get_by_text("报告已保存在手机上,2 分钟后打开这个页面会自动再发").wait_for()
    assert "提交的报告太多了" in message.inner_text() and "没有网络" not in message.inner_text()
    # The form is emptied: a second tap cannot send the same report again as a new one.
    assert page.get_by_label("姓名", exact=True).input_value() == ""
    assert "后自动再发" in page.locator("#outbox-list").inner_text()
    answers.pop(0)
    _fill(page, "出错户", "13655557777")
    page.get_by_text("服务器暂时出了问题。报告已保存在手机上").wait_for()
    assert page.locator("#outbox-list li").count() == 2
    # Told to wait, neither is sent again before its time, even on 「立即发送」.
    page.unroute("**/api/v1/self-reports")
    page.get_by_role("button", name="立即发送").click()
    page.wait_for_timeout(500)
    with live_server.api("lengshuigou_cadre") as api:
        assert api.get("/api/v1/self-reports", params={"q": "13655556666"}).json()["count"] == 0
