"""一键报贫 in a real browser on a phone-sized screen: from the poster's link to a receipt
code and the status page, offline filing that arrives when the network returns, the staff
list that flags overdue reports, and each fix of the farmer's page (the receipt's real
deadline, 大病, errors at their box, phones typed as people type them, the note's counter,
photos checked on the phone, no internal field names, one A4 poster, labelled buttons)."""

import json
import re

import pytest

from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e

LENGSHUIGOU = "610923102217"
FARMER_PHONE = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}


def _fill(page, name: str, phone: str, risk: str = "生病（常年吃药）") -> int:  # type: ignore[no-untyped-def]
    """Type name and phone, tap one risk chip and send; answers the number of taps."""
    page.get_by_label("姓名", exact=True).fill(name)
    page.get_by_label("手机号", exact=True).fill(phone)
    taps = 0
    page.get_by_text(risk, exact=True).click()
    taps += 1
    page.get_by_role("button", name="发送", exact=True).click()
    taps += 1
    return taps


def _open_form(page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/report?village={LENGSHUIGOU}")
    wait_until(page, "document.getElementById('village-name').textContent.includes('冷水沟村')")


def _reports(live_server, q: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    with live_server.api("lengshuigou_cadre") as api:
        return api.get("/api/v1/self-reports", params={"q": q}).json()


def test_a_farmer_files_from_the_poster_link_and_follows_the_status(page, live_server) -> None:  # type: ignore[no-untyped-def]
    poster = page.request.get(f"/api/v1/areas/{LENGSHUIGOU}/poster")
    assert poster.ok and f"/report?village={LENGSHUIGOU}" in poster.text()
    _open_form(page)
    taps = _fill(page, "马兰花", "13611112222")
    assert taps <= 6
    code = page.locator("#receipt-code")
    code.wait_for()
    receipt = code.inner_text().strip()
    assert re.fullmatch(r"[2-9A-Z]{8}", receipt)
    # The receipt names the real number of working days and the date, never a placeholder.
    due = page.locator("#receipt-due").inner_text()
    stored = _reports(live_server, receipt)["data"][0]
    y, m, d = (int(x) for x in stored["step_due_on"].split("-"))
    assert f"5个工作日内（{y}年{m}月{d}日前）" in due and "几个" not in due
    remembered = page.evaluate("JSON.parse(localStorage.getItem('shouwang.receipts'))")
    assert remembered[0]["receipt_code"] == receipt
    page.get_by_role("link", name="查询办理进度").click()
    page.locator("#status-name").wait_for()
    assert page.locator("#status-name").inner_text() == "已受理"
    assert "办理时限" in page.locator("#status-result").inner_text()
    # The phone's own reports are labelled buttons, not a bare code.
    assert page.get_by_role("button", name=f"查询 {receipt} 的进度").is_visible()
    assert page.get_by_role("heading", name="这部手机报过的").is_visible()
    # The village cadre sees it, and can send themselves to verify it.
    with live_server.api("lengshuigou_cadre") as api:
        me = api.get("/api/v1/auth/me").json()
        r = api.post(f"/api/v1/self-reports/{stored['id']}/assign", json={"assignee_id": me["id"]})
        assert r.status_code == 200
    page.reload()
    wait_until(page, "document.getElementById('status-name')?.textContent === '入户核实中'")
    assert page.locator(".steps li").count() == 2


def test_a_report_filed_offline_is_sent_when_the_network_returns(
    page, context, live_server
) -> None:  # type: ignore[no-untyped-def]
    _open_form(page)
    wait_until(page, "navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    page.reload()  # the farmer's page itself comes from the installed shell
    wait_until(page, "document.getElementById('village-name').textContent.includes('冷水沟村')")
    _fill(page, "离线户", "13622223333")
    page.get_by_text("现在没有网络，报告已保存在手机上").wait_for()
    assert "联网后会自动发送" in page.locator("#report-message").inner_text()
    assert "等待发送" in page.locator("#outbox-list").inner_text()
    # Kept on the phone, the form is emptied so a second tap cannot double it.
    assert page.get_by_label("姓名", exact=True).input_value() == ""
    assert _reports(live_server, "13622223333")["count"] == 0
    context.set_offline(False)
    page.get_by_text("之前保存的报告已发送").wait_for(timeout=30_000)
    receipt = page.locator("#receipt-code").inner_text().strip()
    found = _reports(live_server, "13622223333")
    assert found["count"] == 1 and found["data"][0]["receipt_code"] == receipt


_CACHED = """async () => {
    const out = [];
    for (const k of await caches.keys()) {
        if (!k.startsWith("shouwang-shell-")) continue;
        for (const r of await (await caches.open(k)).keys()) out.push(new URL(r.url).pathname);
    }
    return out;
}"""


def test_a_farmers_first_visit_caches_only_the_farmers_pages(page, context) -> None:  # type: ignore[no-untyped-def]
    """On 3G the farmer pays for the form, not for the staff shell; the staff shell opened
    later on the same phone caches itself and opens offline."""
    _open_form(page)
    wait_until(page, "navigator.serviceWorker.controller !== null")
    cached = page.evaluate(_CACHED)
    assert {"/", "/report", "/report/status", "/static/js/report/main.js"} <= set(cached)
    assert not [u for u in cached if "/staff" in u or "/field" in u or "rectification" in u]
    # The status page opens offline too: it was precached with the form.
    context.set_offline(True)
    page.goto("/report/status")
    page.get_by_role("heading", name="查询办理进度").wait_for()
    context.set_offline(False)
    page.goto("/staff")
    wait_until(page, "navigator.serviceWorker.controller !== null")
    for _ in range(100):
        cached = page.evaluate(_CACHED)
        if "/static/js/staff/main.js" in cached and "/staff" in cached:
            break
        page.wait_for_timeout(100)
    assert {"/staff", "/static/js/staff/main.js"} <= set(cached), cached
    assert "/field" not in cached
    context.set_offline(True)
    page.reload()
    page.get_by_role("heading", name="工作人员登录").wait_for()
    context.set_offline(False)


def test_staff_see_overdue_reports_flagged_and_take_a_step(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto("/staff")
    page.get_by_label("用户名").fill("jiangkou_town")
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.locator(
        'a.tile[data-section="reports"]'
    ).click()  # the desk tile, not the dashboard figure
    page.locator("#report-list li").first.wait_for()
    first = page.locator("#report-list li").first
    assert "逾期" in first.inner_text()
    # The status filter offers the server's names (已纳入监测帮扶, not a drifted copy).
    assert "已纳入监测帮扶" in page.get_by_label("状态").inner_text()
    page.get_by_text("杨金花").click()
    page.locator("#report-status").wait_for()
    reject = page.locator("form[data-action=reject]")
    reject.locator("textarea").fill("家庭人均纯收入高于监测收入标准")
    reject.get_by_role("button").click()
    # (a locator, not a string predicate: the strict CSP forbids evaluating strings)
    page.locator("#report-status").filter(has_text="不予纳入").wait_for()
    assert "家庭人均纯收入高于监测收入标准" in page.locator("#report-view").inner_text()
    page.get_by_role("link", name="报贫统计").click()
    page.get_by_role("heading", name="乡镇").wait_for()
    # The villages are folded under their township: open it.
    page.locator("#report-numbers-view details summary").first.click()
    assert "冷水沟村" in page.locator("#report-numbers-view").inner_text()


def test_without_the_poster_the_village_is_found_by_name(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto("/report")
    page.get_by_label("所在村（输入村名查找）").fill("冷水沟")
    page.get_by_role("button", name=re.compile("冷水沟")).click()
    taps = 1 + _fill(page, "找村户", "13633334444")
    assert taps <= 6
    page.locator("#receipt-code").wait_for()
    # The phone remembers the village for next time.
    page.goto("/report")
    wait_until(page, "document.getElementById('village-name').textContent.includes('冷水沟村')")


def test_without_phone_storage_the_report_is_sent_directly(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.add_init_script(
        "Object.defineProperty(window, 'indexedDB', {get() {"
        " return {open() { throw new Error('IndexedDB disabled'); }}; }});"
    )
    _open_form(page)
    _fill(page, "无存储户", "13644445555")
    page.locator("#receipt-code").wait_for()
    assert _reports(live_server, "13644445555")["count"] == 1


def test_a_busy_server_is_told_apart_from_no_network(page, live_server) -> None:  # type: ignore[no-untyped-def]
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
    page.get_by_text("报告已保存在手机上，2分钟后自动再发").wait_for()
    assert "提交的报告太多了" in message.inner_text() and "没有网络" not in message.inner_text()
    # The form is emptied: a second tap cannot send the same report again as a new one.
    assert page.get_by_label("姓名", exact=True).input_value() == ""
    assert "自动再发" in page.locator("#outbox-list").inner_text()
    answers.pop(0)
    _fill(page, "出错户", "13655557777")
    page.get_by_text("服务器暂时出了问题。报告已保存在手机上").wait_for()
    assert page.locator("#outbox-list li").count() == 2
    # Told to wait (Retry-After), it is not sent again before its time, even on 「立即发送」.
    page.unroute("**/api/v1/self-reports")
    page.get_by_role("button", name="立即发送").click()
    page.get_by_text("之前保存的报告已发送").wait_for()
    assert _reports(live_server, "13655557777")["count"] == 1
    assert _reports(live_server, "13655556666")["count"] == 0


def test_a_wifi_login_page_keeps_the_report_waiting(page, live_server) -> None:  # type: ignore[no-untyped-def]
    portal = "<html><body>请先登录无线网络</body></html>"

    def captive(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.method != "POST":
            return route.continue_()
        route.fulfill(status=200, body=portal, content_type="text/html")

    page.route("**/api/v1/self-reports", captive)
    _open_form(page)
    _fill(page, "网页登录户", "13677778888")
    # Not 「出了点问题」, not a receipt, not refused: no network yet, kept to send.
    page.get_by_text("现在的无线网要先在网页上登录").wait_for()
    assert "等待发送" in page.locator("#outbox-list").inner_text()
    assert page.locator("#receipt").is_hidden()
    page.unroute("**/api/v1/self-reports")
    page.get_by_role("button", name="立即发送").click()
    page.get_by_text("之前保存的报告已发送").wait_for()
    assert _reports(live_server, "13677778888")["count"] == 1


def test_serious_illness_is_a_choice_of_its_own(page, live_server) -> None:  # type: ignore[no-untyped-def]
    _open_form(page)
    page.get_by_text("补充说明、照片、身份证号（可以不填）").click()
    page.get_by_label("补充说明").fill("父亲住院做手术")
    _fill(page, "大病户", "13688889999", risk="大病（住院、重病）")
    page.locator("#receipt-code").wait_for()
    with live_server.api("lengshuigou_cadre") as api:
        row = api.get("/api/v1/self-reports", params={"q": "13688889999"}).json()["data"][0]
        report = api.get(f"/api/v1/self-reports/{row['id']}").json()
    assert report["risk_types"] == ["illness"] and report["note"] == "大病：父亲住院做手术"


def test_a_mistake_is_marked_at_its_box_and_scrolled_to(page, live_server) -> None:  # type: ignore[no-untyped-def]
    _open_form(page)
    page.get_by_label("姓名", exact=True).fill("漏填户")
    page.get_by_text("生病（常年吃药）", exact=True).click()
    page.get_by_role("button", name="发送", exact=True).click()
    phone = page.get_by_label("手机号", exact=True)
    page.locator(".field-error").get_by_text("手机号应为11位数字").wait_for()
    assert phone.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "phone"
    box = phone.bounding_box()
    assert box is not None and 0 <= box["y"] <= page.viewport_size["height"]
    # Typing clears the mark.
    phone.type("1")
    assert phone.get_attribute("aria-invalid") is None and page.locator(".field-error").count() == 0


def test_phones_typed_with_spaces_dashes_or_full_width_digits(page, live_server) -> None:  # type: ignore[no-untyped-def]
    _open_form(page)
    page.get_by_label("姓名", exact=True).fill("空格户")
    phone = page.get_by_label("手机号", exact=True)
    phone.fill("139 1234 5671")
    assert phone.input_value() == "139 1234 5671"  # nothing cut while typing
    phone.blur()
    assert phone.input_value() == "13912345671"
    phone.fill("+86 139 1234 5670")
    phone.blur()
    assert phone.input_value() == "13912345670"
    _fill(page, "空格户", "139-1234-5672")
    page.locator("#receipt-code").wait_for()
    assert _reports(live_server, "13912345672")["count"] == 1
    page.get_by_role("button", name="再报一户").click()
    _fill(page, "全角户", "１３９１２３４５６７３")
    page.locator("#receipt").wait_for()
    assert _reports(live_server, "13912345673")["count"] == 1


def test_the_note_counts_down_and_is_never_cut_silently(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sent: list[str] = []
    page.on("request", lambda r: r.method == "POST" and sent.append(r.url))
    _open_form(page)
    page.get_by_text("补充说明、照片、身份证号（可以不填）").click()
    note = page.get_by_label("补充说明")
    note.fill("家里情况" * 10)
    assert page.locator("#note-count").inner_text() == "还能写460字"
    note.fill("很长的说明" * 224)  # 1,120 characters
    assert "多了620字" in page.locator("#note-count").inner_text()
    assert len(note.input_value()) == 1120
    _fill(page, "长说明户", "13611110000")
    page.locator(".field-error").get_by_text("补充说明最多500字").wait_for()
    assert note.get_attribute("aria-invalid") == "true" and not sent


def test_a_file_that_is_not_a_photo_is_refused_on_the_phone(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sent: list[str] = []
    page.on("request", lambda r: r.method == "POST" and sent.append(r.url))
    _open_form(page)
    page.get_by_text("补充说明、照片、身份证号（可以不填）").click()
    page.get_by_label("照片（最多3张）").set_input_files(
        {"name": "说明.txt", "mimeType": "text/plain", "buffer": "不是照片".encode()}
    )
    page.locator(".field-error").get_by_text("「说明.txt」不是照片").wait_for()
    # A picture-named file that is no picture is found out on the phone too.
    page.get_by_label("照片（最多3张）").set_input_files(
        {"name": "假的.jpg", "mimeType": "image/jpeg", "buffer": b"not a jpeg at all"}
    )
    page.locator(".field-error").get_by_text("「假的.jpg」打不开").wait_for()
    assert page.locator("#photo-state").inner_text() == "还没有照片" and not sent


def test_server_refusals_name_the_box_never_an_internal_field(page, live_server) -> None:  # type: ignore[no-untyped-def]
    _open_form(page)
    page.get_by_text("补充说明、照片、身份证号（可以不填）").click()
    page.get_by_label("身份证号").fill("610923196102031234")  # wrong check digit
    _fill(page, "身份证户", "13622220000")
    error = page.locator(".field-error")
    error.wait_for()
    assert error.inner_text().startswith("身份证号：")
    assert "id_number" not in error.inner_text() and "(" not in error.inner_text()
    assert page.get_by_label("身份证号").get_attribute("aria-invalid") == "true"
    # The form still holds the report, to correct and send.
    assert page.get_by_label("姓名", exact=True).input_value() == "身份证户"


def test_the_farmer_page_stays_small_on_first_load(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    """360×640, the first visit: the page and everything it loads before it is usable."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **FARMER_PHONE)
    page = context.new_page()
    sizes: dict[str, int] = {}
    page.on("response", lambda r: sizes.setdefault(r.url, len(r.body())) if r.ok else None)
    page.goto(f"/report?village={LENGSHUIGOU}", wait_until="load")
    wait_until(page, "document.getElementById('village-name').textContent.includes('冷水沟村')")
    pages = [u for u in sizes if "/static/js/staff" in u or "/static/js/rectification" in u]
    assert not pages, "the farmer's page loads no staff code"
    assert sum(sizes.values()) < 90_000, sizes
    context.close()


def test_the_poster_prints_on_one_a4_page(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"/api/v1/areas/{LENGSHUIGOU}/poster")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_reports_kept_by_the_previous_version_are_carried_over_and_sent(page, live_server) -> None:  # type: ignore[no-untyped-def]
    """Phones updated with reports waiting in the old outbox's shape lose none of them."""
    page.goto("/")
    page.evaluate(
        """(village) => new Promise((resolve, reject) => {
            const req = indexedDB.open("shouwang-report", 1);
            req.onupgradeneeded = () => req.result.createObjectStore("outbox", { keyPath: "id" });
            req.onsuccess = () => {
                const db = req.result;
                const t = db.transaction("outbox", "readwrite");
                const record = (id, name, phone) => ({
                    id, area_code: village, name, phone, risk_types: ["illness"], note: "",
                    on_behalf: false,
                });
                const a = "1d7c0a5e-7d2b-4c33-9a7e-5e0f7a6b1c01";
                const b = "1d7c0a5e-7d2b-4c33-9a7e-5e0f7a6b1c02";
                t.objectStore("outbox").put({ id: a, record: record(a, "旧版户", "13600001111"),
                    photos: [], saved_at: new Date().toISOString(), attempts: 2,
                    next_try_at: Date.now() - 1000 });
                t.objectStore("outbox").put({ id: b, record: record(b, "旧版拒绝户", "13600002222"),
                    photos: [], saved_at: new Date().toISOString(), failed: "村代码不对" });
                t.oncomplete = () => { db.close(); resolve(); };
                t.onerror = () => reject(t.error);
            };
        })""",
        LENGSHUIGOU,
    )
    page.goto(f"/report?village={LENGSHUIGOU}")
    page.get_by_text("之前保存的报告已发送").wait_for()
    assert _reports(live_server, "13600001111")["count"] == 1
    # The one refused before stays in sight with its reason, never dropped.
    page.get_by_role("button", name="再报一户").click()
    assert "「旧版拒绝户」的报告发送失败：村代码不对" in page.locator("#outbox-list").inner_text()
    assert _reports(live_server, "13600002222")["count"] == 0
