"""The PWA shell in a real browser: installable, in Chinese, staff can log in."""

import pytest

pytestmark = pytest.mark.e2e


def test_home_page_offers_farmers_and_staff_a_way_in(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("link", name="我要报告困难(一键报贫)").is_visible()
    assert page.get_by_role("link", name="工作人员登录").is_visible()
    manifest = page.evaluate("fetch('/manifest.webmanifest').then(r => r.json())")
    assert manifest["display"] == "standalone" and manifest["lang"] == "zh-CN"
    assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
    # The service worker installs and takes control after a reload.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def test_staff_log_in_and_see_their_households(page, live_server) -> None:  # type: ignore[no-untyped-def]
    page.goto("/staff")
    page.get_by_label("用户名").fill("lengshuigou_cadre")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码不正确").wait_for()
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("共 8 户").wait_for()
    assert "冷水沟村委会" in page.locator("#household-list").inner_text()
    page.locator("#household-list a").first.click()
    page.get_by_role("heading", name="家庭成员").wait_for()
    assert page.get_by_text("← 返回列表").is_visible()
