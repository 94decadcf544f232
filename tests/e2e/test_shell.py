"""The PWA shell in a real browser: installable, in Chinese, one staff shell for every
section, and a release that reaches an installed app without anyone listing its files."""

import re
import time

import pytest

from tests.e2e.conftest import PHONE, wait_until

pytestmark = pytest.mark.e2e


def test_home_page_offers_farmers_and_staff_a_way_in(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("link", name="我要报告困难（一键报贫）").is_visible()
    assert page.get_by_role("link", name="工作人员登录").is_visible()
    manifest = page.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")
    assert manifest["display"] == "standalone" and manifest["lang"] == "zh-CN"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    # The service worker installs and takes control after a reload.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    wait_until(page, "navigator.serviceWorker.controller !== null")


def test_staff_log_in_and_see_their_households(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto("/staff")
    page.get_by_label("用户名").fill("lengshuigou_cadre")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码不正确").wait_for()
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("共8户").wait_for()
    assert "冷水沟村委会" in page.locator("#household-list").inner_text()
    page.locator("#household-list a").first.click()
    page.get_by_role("heading", name="家庭成员").wait_for()
    assert page.get_by_text("← 返回列表").is_visible()


def _staff_login(page, username: str, path: str = "/staff") -> None:  # type: ignore[no-untyped-def]
    page.goto(path)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.locator("#app-view").wait_for()


def test_one_staff_shell_routes_every_section_and_asks_who_once(page, live_server) -> None:  # type: ignore[no-untyped-def]
    asked: list[str] = []
    page.on("request", lambda r: r.url.endswith("/api/v1/auth/me") and asked.append(r.url))
    _staff_login(page, "huining_county")
    # A county officer lands on the dashboard.
    page.locator("#dashboard-view").wait_for()
    assert page.locator("#tiles .tile.current").inner_text() == "统计概览"
    sections = [
        ("农户台账", "#household-list li"),
        ("一键报贫", "#report-list li"),
        ("报贫统计", "#report-numbers-view"),
        ("遍访情况", "#villages"),
        ("整改销号", "#problem-list li"),
    ]
    for tile, shown in sections:
        page.locator("#tiles").get_by_role("link", name=re.compile(tile)).click()
        page.locator(shown).first.wait_for()
        # The tile of the section on screen is marked; one view at a time.
        assert "current" in page.locator("#tiles .tile.current").get_attribute("class")
        assert page.locator("#view").count() == 1
    page.get_by_role("link", name="红黑榜").click()
    page.get_by_role("heading", name="黑榜（逾期、被退回、复核逾期）").wait_for()
    page.get_by_role("link", name="清单与报告").click()
    page.get_by_role("heading", name="问题清单与整改报告").wait_for()
    page.go_back()
    page.get_by_role("heading", name="黑榜（逾期、被退回、复核逾期）").wait_for()
    page.locator("#tiles").get_by_role("link", name="农户台账").click()
    page.locator("#household-list li").first.click()
    page.get_by_role("heading", name="家庭成员").wait_for()
    # Names are the server's: a household's category is shown as the API names it.
    assert re.search("脱贫户|一般农户", page.locator("#view").inner_text())
    assert len(asked) == 1, asked


def test_the_old_addresses_open_the_shell_on_their_section(page, live_server) -> None:  # type: ignore[no-untyped-def]
    _staff_login(page, "huishi_town", "/rectification")
    page.locator("#problem-list li").first.wait_for()
    # (the tile may carry a count of the problems waiting for this person)
    assert page.locator("#tiles .tile.current").inner_text().startswith("整改销号")
    page.goto("/coverage")
    page.locator("#villages").wait_for()
    assert page.locator("#tiles .tile.current").inner_text() == "遍访情况"


def test_a_helper_is_not_offered_coverage_and_logout_clears_the_shell(page, live_server) -> None:  # type: ignore[no-untyped-def]
    _staff_login(page, "helper_li")
    page.get_by_text(re.compile(r"共\d+户")).wait_for()
    assert page.locator("#coverage-tile").is_hidden()
    page.get_by_role("button", name="退出").click()
    page.get_by_label("用户名").wait_for()
    assert page.evaluate("localStorage.getItem('shouwang.token')") is None
    assert page.locator("#app-view").is_hidden()


def test_a_changed_static_file_reaches_an_installed_app(browser, copied_app) -> None:  # type: ignore[no-untyped-def]
    """A release changes one stylesheet: the worker's computed version changes with it, the
    installed app takes the new file, and serves it offline; nobody listed anything."""
    live, frontend = copied_app
    context = browser.new_context(base_url=live.url, locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto("/field")
    wait_until(page, "navigator.serviceWorker.controller !== null")
    first = page.evaluate("fetch('/sw.js').then(r => r.text())")
    old_shell = [k for k in page.evaluate("caches.keys()") if k.startswith("shouwang-shell-")]
    assert len(old_shell) == 1 and "/static/css/app.css" in first

    css = frontend / "static" / "css" / "app.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n:root { --release: 2; }\n", "utf-8")
    second = page.evaluate("fetch('/sw.js', {cache: 'no-store'}).then(r => r.text())")
    assert second != first
    page.reload()  # the browser checks the worker on navigation
    deadline = time.monotonic() + 30
    shells = old_shell
    while (len(shells) != 1 or shells == old_shell) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        keys = page.evaluate("caches.keys()")
        shells = [k for k in keys if k.startswith("shouwang-shell-")]
    # The new worker took over and deleted the old version's cache.
    assert len(shells) == 1 and shells != old_shell, shells
    context.set_offline(True)
    page.reload()
    release = "getComputedStyle(document.documentElement).getPropertyValue('--release').trim()"
    assert page.evaluate(release) == "2"
    context.close()
