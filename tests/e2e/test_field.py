"""The field app in a real phone-sized browser: a morning offline, nothing lost, sent at noon;
a refused record waits in 「同步失败」 until corrected; an app update keeps the queue."""

import io
import re
import time

import pytest
from PIL import Image

from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e

PASSWORD = "Shouwang2026!"


def _login(page, username: str = "helper_li") -> None:  # type: ignore[no-untyped-def]
    page.goto("/field")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator(".household-row").first.wait_for()
    # The service worker controls the page, so the shell is there when the network is not.
    wait_until(page, "navigator.serviceWorker.controller !== null")


def _photo() -> dict:  # type: ignore[type-arg]
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (120, 160, 90)).save(buf, "PNG")
    return {"name": "house.png", "mimeType": "image/png", "buffer": buf.getvalue()}


def _record(  # type: ignore[no-untyped-def]
    page, row: int, note: str, *, when: str | None = None, photo: bool = False
) -> None:
    page.locator(".household-row").nth(row).click()
    page.get_by_role("link", name="记录走访").click()
    if when:
        page.get_by_label("走访时间").fill(when)
    if photo:
        page.get_by_label("照片（最多6张）").set_input_files(_photo())
        page.get_by_text("已选1张照片（已压缩）").wait_for()
    page.get_by_label("住房安全有保障：有问题").check()
    page.get_by_label("住房安全有保障：问题说明").fill("厨房后墙有裂缝")
    page.get_by_label("本月收支有变化").check()
    page.get_by_label("工资性收入").fill("2400")
    page.get_by_label("医疗支出").fill("600")
    page.get_by_label("走访情况").fill(note)
    page.get_by_label("认可人").fill("户主本人")
    page.get_by_role("button", name="保存走访记录").click()
    page.locator(".household-row").first.wait_for()


def _queued_ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """() => new Promise((resolve) => {
            const req = indexedDB.open("shouwang-field");
            req.onsuccess = () => {
                const t = req.result.transaction("outbox").objectStore("outbox").getAllKeys();
                t.onsuccess = () => resolve(t.result);
            };
        })"""
    )


def test_a_morning_offline_is_kept_across_a_reload_and_sent_when_online(  # type: ignore[no-untyped-def]
    page, context, live_server
) -> None:
    _login(page)
    context.set_offline(True)
    for i in range(3):
        _record(page, i, f"离线走访第 {i + 1} 户:户主在家,谈了春耕和务工", photo=i == 0)
        page.get_by_text("已保存在手机上（离线）").wait_for()
        page.get_by_text(f"待发送{i + 1}条").wait_for()
    assert page.locator(".tag.state.pending").count() == 3
    ids = _queued_ids(page)
    assert len(ids) == 3

    page.reload()  # still offline: the shell comes from the service worker, the queue from IndexedDB
    page.get_by_text("待发送3条").wait_for()
    page.locator(".household-row").nth(2).wait_for()  # the list is drawn from the phone's copy
    assert page.locator(".tag.state.pending").count() == 3
    page.get_by_role("button", name="立即同步").click()
    page.get_by_text("当前离线").wait_for()

    context.set_offline(False)  # noon: the network is back
    page.get_by_text("待发送0条").wait_for(timeout=15000)
    page.get_by_text("已发送3条").wait_for()
    with live_server.api("helper_li") as api:
        photos = []
        for visit_id in ids:
            response = api.get(f"/api/v1/visits/{visit_id}")
            assert response.status_code == 200
            assert response.json()["notes"].startswith("离线走访第")
            assert response.json()["ledger"]["wage"] == 2400
            assert response.json()["checklist"]["housing"] == {
                "ok": False,
                "note": "厨房后墙有裂缝",
            }
            photos += response.json()["photo_ids"]
        # The photo went up before its visit, shrunk on the phone to 1280 px on the long side.
        assert len(photos) == 1
        meta = api.get(f"/api/v1/files/{photos[0]}")
        assert meta.status_code == 200 and meta.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(meta.content)).size == (1280, 960)


def test_a_refused_record_waits_with_its_reason_and_can_be_corrected(  # type: ignore[no-untyped-def]
    page, live_server
) -> None:
    _login(page)
    # A time before the household was registered: the server refuses it (422).
    _record(page, 0, "时间填错了的记录", when="2020-03-01T09:30")
    page.get_by_text("同步失败1条").wait_for()
    page.get_by_text("待发送0条").wait_for()
    page.get_by_text("同步失败1条").click()
    # The server's reason, without its internal field path.
    page.get_by_text("原因：走访时间：走访时间早于该户建档时间").wait_for()
    page.get_by_role("button", name="修改").click()
    page.get_by_text("上次被拒绝").wait_for()
    page.get_by_label("走访时间").fill(_now_local(page))
    page.get_by_role("button", name="保存走访记录").click()
    page.get_by_text("已发送1条").wait_for()
    assert page.locator("#failed-link").is_hidden()


def _now_local(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "(() => { const d = new Date(Date.now() - 60000 - new Date().getTimezoneOffset() * 60000);"
        " return d.toISOString().slice(0, 16); })()"
    )


def test_an_app_update_while_records_wait_loses_none(page, context, live_server) -> None:  # type: ignore[no-untyped-def]
    _login(page)
    # The server cannot be reached for visits: records wait on the phone, backing off.
    context.route("**/api/v1/visits/batch", lambda route: route.abort())
    for i in range(2):
        _record(page, i, f"等待更新时的走访 {i + 1}")
    page.get_by_text("待发送2条").wait_for()
    ids = _queued_ids(page)
    old_caches = page.evaluate("caches.keys()")

    # A new version of the app: a changed sw.js (a new computed version) installs and takes
    # over. (Chromium's update() fetch bypasses routing; a registration's fetch does not, so
    # the new version is registered under a new script URL, as a deploy with a new URL would.)
    def changed_worker(route):  # type: ignore[no-untyped-def]
        body = route.fetch().text()
        body = re.sub(r'"version": "[^"]+"', '"version": "e2e-update"', body, count=1)
        route.fulfill(body=body, content_type="text/javascript")

    context.route("**/sw.js*", changed_worker)
    page.evaluate(
        """async () => {
            const reg = await navigator.serviceWorker.register("/sw.js?release=e2e", { scope: "/" });
            const next = reg.installing || reg.waiting;
            if (!next) throw new Error("no new service worker");
            await new Promise((resolve) => {
                const step = () => {
                    if (next.state === "installed") next.postMessage("skip-waiting");
                    if (next.state === "activated") resolve();
                };
                next.addEventListener("statechange", step);
                step();
            });
        }"""
    )
    page.reload()
    page.get_by_text("待发送2条").wait_for()
    caches = page.evaluate("caches.keys()")
    assert "shouwang-shell-e2e-update" in caches
    assert not [c for c in old_caches if c.startswith("shouwang-shell") and c in caches]
    assert sorted(_queued_ids(page)) == sorted(ids)

    context.unroute("**/api/v1/visits/batch")
    context.unroute("**/sw.js*")
    page.get_by_role("button", name="立即同步").click()
    page.get_by_text("待发送0条").wait_for(timeout=15000)
    with live_server.api("helper_li") as api:
        for visit_id in ids:
            assert api.get(f"/api/v1/visits/{visit_id}").status_code == 200


def test_the_township_sees_who_was_not_visited_this_month(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto("/staff")
    page.get_by_label("用户名").fill("jiangkou_town")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="入户走访").click()
    page.get_by_role("link", name="查看本辖区遍访情况").click()
    page.get_by_text(re.compile(r"未走访\d+户")).wait_for()
    villages = page.locator("#villages").inner_text()
    assert "冷水沟村委会" in villages
    assert "李春生" in page.locator("#helpers").inner_text()
    rows = page.locator("#not-visited tbody tr")
    assert rows.count() >= 1 and "冷水沟村委会" in rows.first.inner_text()
    # Another month, picked on the page.
    page.get_by_label("月份").fill("2020-01")
    page.get_by_role("button", name="查看").click()
    page.get_by_text("2020-01 未走访的农户").wait_for()


def test_an_expired_login_keeps_the_records_and_asks_to_log_in_again(page, context) -> None:  # type: ignore[no-untyped-def]
    _login(page)
    context.set_offline(True)
    _record(page, 0, "登录过期前离线记下的走访")
    page.get_by_text("待发送1条").wait_for()
    # The morning is long: the token has expired by the time the network is back.
    page.evaluate("localStorage.setItem('shouwang.token', 'expired-token')")
    context.set_offline(False)
    page.get_by_text("登录已过期，请重新登录").wait_for()
    page.get_by_text("待发送1条").wait_for()
    page.get_by_label("用户名").fill("helper_li")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("待发送0条").wait_for(timeout=15000)
    page.get_by_text("已发送1条").wait_for()


def _store(page, name: str) -> list:  # type: ignore[no-untyped-def,type-arg]
    return page.evaluate(
        """(name) => new Promise((resolve) => {
            const req = indexedDB.open("shouwang-field");
            req.onsuccess = () => {
                const t = req.result.transaction(name).objectStore(name).getAll();
                t.onsuccess = () => resolve(t.result);
            };
        })""",
        name,
    )


def test_logout_clears_the_households_and_another_user_never_sends_the_first_ones_records(  # type: ignore[no-untyped-def]
    page, context, live_server
) -> None:
    _login(page)
    assert _store(page, "households") and _store(page, "meta")
    li = next(m["value"] for m in _store(page, "meta") if m["key"] == "me")
    context.set_offline(True)
    _record(page, 0, "换人之前离线记下的走访")
    page.get_by_text("待发送1条").wait_for()
    ids = _queued_ids(page)

    page.get_by_role("button", name="退出").click()  # offline: logout works without a network
    page.get_by_text("已退出").wait_for()
    assert page.locator(".household-row").count() == 0
    assert _store(page, "households") == [] and _store(page, "meta") == []
    assert _queued_ids(page) == ids
    page.get_by_text("其他账号的待发送记录1条").wait_for()

    context.set_offline(False)
    page.get_by_label("用户名").fill("helper_wang")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.locator(".household-row").first.wait_for()
    page.get_by_text("王海燕").wait_for()
    page.get_by_text("待发送0条").wait_for()
    page.get_by_text("其他账号的待发送记录1条").wait_for()
    page.get_by_role("button", name="立即同步").click()
    page.get_by_text("没有等待发送的记录").wait_for()
    assert _queued_ids(page) == ids
    with live_server.api("helper_li") as api:
        assert api.get(f"/api/v1/visits/{ids[0]}").status_code == 404

    # A stale saved account (李春生) under 王海燕's token, offline: not trusted.
    page.evaluate(
        """(me) => new Promise((resolve) => {
            const req = indexedDB.open("shouwang-field");
            req.onsuccess = () => {
                const t = req.result.transaction("meta", "readwrite");
                t.objectStore("meta").put({ key: "me", value: me });
                t.oncomplete = () => resolve();
            };
        })""",
        li,
    )
    context.set_offline(True)
    page.reload()
    page.get_by_text("其他账号的待发送记录1条").wait_for()
    assert "李春生" not in page.locator("#who").inner_text()
    assert page.locator("#login-view").is_visible()
    assert _queued_ids(page) == ids

    # Back online, 王海燕 logs out and 李春生 in: the record is sent under the right account.
    context.set_offline(False)
    page.reload()
    page.get_by_text("王海燕").wait_for()
    page.get_by_role("button", name="退出").click()
    page.get_by_label("用户名").fill("helper_li")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_text("已发送1条").wait_for(timeout=15000)
    with live_server.api("helper_li") as api:
        visit = api.get(f"/api/v1/visits/{ids[0]}")
        assert visit.status_code == 200 and visit.json()["visitor_name"] == "李春生"


def test_staff_logout_clears_the_field_households_but_not_the_outbox(page, context) -> None:  # type: ignore[no-untyped-def]
    _login(page)
    context.set_offline(True)
    _record(page, 0, "工作台退出前记下的走访")
    ids = _queued_ids(page)
    # Refuse the upload before the network returns, or the page's `online` flush may win.
    context.route("**/api/v1/visits/batch", lambda route: route.abort())
    context.set_offline(False)
    page.goto("/staff")
    page.get_by_role("button", name="退出").click()
    page.get_by_label("用户名").wait_for()
    assert _store(page, "households") == [] and _store(page, "meta") == []
    assert _queued_ids(page) == ids


def test_a_wifi_login_page_answering_200_is_no_network_not_success_nor_refusal(  # type: ignore[no-untyped-def]
    page, context
) -> None:
    _login(page)
    portal = "<html><body>请先登录无线网络</body></html>"
    context.route(
        "**/api/v1/visits/batch",
        lambda route: route.fulfill(status=200, body=portal, content_type="text/html"),
    )
    _record(page, 0, "连着需要网页登录的无线网记下的走访")
    page.get_by_text("稍后自动重试").wait_for()
    page.get_by_text("待发送1条").wait_for()
    assert page.locator("#failed-link").is_hidden()
    [item] = _store(page, "outbox")
    assert item["state"] == "waiting" and item["attempts"] == 1

    context.unroute("**/api/v1/visits/batch")
    page.get_by_role("button", name="立即同步").click()
    page.get_by_text("已发送1条").wait_for(timeout=15000)


# --- the outbox never stalls -------------------------------------------------------------


def test_a_reopened_app_sends_what_waits_without_a_tap(context, live_server) -> None:  # type: ignore[no-untyped-def]
    """Two sends fail, the app is closed and opened again: the new page schedules every
    waiting record's retry itself (it used to wait for 「立即同步」)."""
    page = context.new_page()
    _login(page)
    failures: list[float] = []

    def unreachable(route):  # type: ignore[no-untyped-def]
        failures.append(time.monotonic())
        route.abort()

    context.route("**/api/v1/visits/batch", unreachable)
    _record(page, 0, "重开之前第一条走访")
    page.get_by_text("待发送1条").wait_for()
    _record(page, 1, "重开之前第二条走访")
    page.get_by_text("待发送2条").wait_for()
    # The count shows the second record queued before its send is refused: wait for the refusal.
    deadline = time.monotonic() + 15
    while len(failures) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(failures) >= 2
    ids = _queued_ids(page)
    page.close()  # the app is closed while the records back off

    context.unroute("**/api/v1/visits/batch")
    reopened = context.new_page()
    started = time.monotonic()
    reopened.goto("/field")
    reopened.get_by_text("待发送2条").wait_for()
    # The screen says when they go, never "nothing to send" beside a waiting count.
    assert "没有" not in reopened.locator("#message").inner_text()
    reopened.get_by_text("待发送0条").wait_for(timeout=30_000)  # no tap anywhere
    assert time.monotonic() - started < 30
    reopened.get_by_text("已发送").wait_for()
    with live_server.api("helper_li") as api:
        for visit_id in ids:
            assert api.get(f"/api/v1/visits/{visit_id}").status_code == 200
    reopened.close()


def test_a_503_with_retry_after_waits_as_long_as_the_server_asks(
    page, context, live_server
) -> None:  # type: ignore[no-untyped-def]
    _login(page)
    calls: list[float] = []

    def busy_once(route):  # type: ignore[no-untyped-def]
        calls.append(time.monotonic())
        if len(calls) > 1:
            return route.continue_()
        return route.fulfill(
            status=503,
            headers={"Retry-After": "3", "Content-Type": "application/json"},
            body='{"error": "unavailable", "message": "系统维护中", "detail": null}',
        )

    context.route("**/api/v1/visits/batch", busy_once)
    _record(page, 0, "服务器维护时记下的走访")
    page.get_by_text("稍后自动重试").wait_for()
    # A tap does not send it before the server's time.
    page.get_by_role("button", name="立即同步").click()
    page.get_by_text("按服务器要求稍后再发").wait_for()
    page.get_by_text("已发送1条").wait_for(timeout=15_000)
    waited = calls[1] - calls[0]
    # The server's 3 seconds: not sooner, and not the 5-second back-off of a bare 5xx.
    assert 2.8 <= waited < 5, waited
    assert len(calls) == 2


# --- the helper's screen ----------------------------------------------------------------

NARROW = {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True}


def test_the_top_bar_fits_one_line_at_360_px(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", **NARROW)
    page = context.new_page()
    _login(page, "helper_wang")
    context.set_offline(True)
    page.locator("#net-state").wait_for()
    bar = page.locator("header.bar").bounding_box()
    assert bar is not None and bar["height"] <= 61  # its one-line minimum (3rem)
    for selector in ("#logout", "#net-state", ".brand"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] + box["width"] <= 360, selector
        # One line each: 退出 and 离线 never wrap onto a second line.
        assert page.locator(selector).evaluate("e => e.getClientRects().length") == 1
        assert box["height"] < 45, (selector, box)
    context.close()


def test_the_household_order_stays_after_an_offline_reload(page, context) -> None:  # type: ignore[no-untyped-def]
    _login(page, "helper_wang")
    online = page.locator(".household-row strong").all_inner_texts()
    assert len(online) >= 3
    context.set_offline(True)
    page.reload()
    page.get_by_text("离线：显示").wait_for()
    assert page.locator(".household-row strong").all_inner_texts() == online


def test_the_visit_form_is_short_with_large_toggles_and_last_figures_offered(
    page, live_server
) -> None:  # type: ignore[no-untyped-def]
    _login(page)
    _record(page, 2, "先登记一次收支")  # wage 2400 this month
    page.get_by_text("已发送1条").wait_for()
    # The list redrawn with what was sent: the flush is over.
    page.locator(".household-row", has_text="本月已走访").first.wait_for()
    # No stale message follows to the next screen.
    page.locator(".household-row").nth(0).click()
    assert page.locator("#message").inner_text() == ""
    page.get_by_role("link", name="返回名单").click()
    row = page.locator(".household-row", has_text="本月已走访").first
    row.click()
    page.get_by_role("link", name="记录走访").click()
    form = page.locator("#visit-form")
    # Money is folded away until it changed; the form is far shorter than the old 3,650 px.
    assert page.get_by_label("工资性收入").is_hidden()
    height = form.evaluate("f => f.getBoundingClientRect().height")
    assert height < 2300, height
    # The checklist: six large toggles.
    toggles = page.locator(".need .toggle-face")
    assert toggles.count() == 6
    for i in range(6):
        assert toggles.nth(i).bounding_box()["height"] >= 48
    # The latest month's figures are offered when money changed.
    assert "工资性收入2400" in page.locator("#last-ledger").inner_text()
    page.get_by_label("本月收支有变化").check()
    assert page.get_by_label("工资性收入").input_value() == "2400"
    assert page.get_by_label("医疗支出").input_value() == ""


def test_the_photo_box_shows_the_apps_words_only(page) -> None:  # type: ignore[no-untyped-def]
    _login(page)
    page.locator(".household-row").first.click()
    page.get_by_role("link", name="记录走访").click()
    native = page.get_by_label("照片（最多6张）")
    # The browser's own "No file chosen" never shows: the input is transparent under the
    # app's button, which says what it does.
    assert native.evaluate("e => getComputedStyle(e).opacity") == "0"
    assert page.get_by_text("拍照或选照片（最多6张）").is_visible()
    assert page.locator("#photo-state").inner_text() == "还没有照片"
    native.set_input_files(_photo())
    page.get_by_text("已选1张照片（已压缩）").wait_for()


def test_the_checklist_follows_the_servers_order_and_words(page) -> None:  # type: ignore[no-untyped-def]
    _login(page)
    page.locator(".household-row").first.click()
    page.get_by_role("link", name="记录走访").click()
    names = page.locator(".need .toggle-face b").all_inner_texts()
    assert names[:2] == ["不愁吃", "不愁穿"] and len(names) == 6
