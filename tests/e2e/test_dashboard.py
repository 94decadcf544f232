"""The officer's dashboard on a 360 px phone: where the county stands at a glance, and a
drill-down from the county through a township and a village to a household, where the list
behind a figure counts what the figure said."""

import re
import subprocess
import sys

import pytest

from tests.e2e.conftest import PHONE, ROOT

pytestmark = pytest.mark.e2e

NARROW = {**PHONE, "viewport": {"width": 360, "height": 740}}


@pytest.fixture
def phone(browser, live_server):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(base_url=live_server.url, locale="zh-CN", **NARROW)
    page = ctx.new_page()
    yield page
    ctx.close()


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width} px wide on a 360 px phone"


def _drill(page, level: str) -> str:  # type: ignore[no-untyped-def]
    """Taps the first child area that has households; answers its name."""
    rows = page.locator(".area-rows li a").filter(has_text=re.compile(r"(^|\s)[1-9]\d*户"))
    rows.first.wait_for()
    name = rows.first.locator("strong").inner_text()
    rows.first.click()
    page.locator("#dashboard-view h2").filter(has_text=name).wait_for()
    assert page.locator(".crumbs").inner_text().endswith(name), level
    return name


def test_a_county_officer_drills_from_the_county_to_a_household(phone, live_server) -> None:  # type: ignore[no-untyped-def]
    page = phone
    page.goto("/staff")
    page.get_by_label("用户名").fill("huining_county")
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    # Lands on the county's dashboard: headline figures and a chart per part.
    page.locator("#dashboard-view").wait_for()
    assert page.locator("#dashboard-view h2").inner_text().startswith("会宁县")
    assert page.locator(".figure").count() >= 8
    assert page.locator(".chart-bars").count() >= 5 and page.locator(".chart-columns").count() == 5
    _fits(page)
    # Department warnings per source (the demo's 医保, 教育, 民政, 残联): what came in and
    # what it led to, the same figures the API gives, readable at 360 px.
    with live_server.api("huining_county") as api:
        yields = api.get("/api/v1/stats/overview").json()["area"]["warnings"]
    medical = yields["medical_insurance"]
    assert medical["received"] >= 3 and medical["enrolled"] >= 1 and medical["unmatched"] >= 1
    part = page.locator("section.part").filter(has_text="部门预警")
    part.scroll_into_view_if_needed()
    rows = part.locator(".warning-yield li")
    assert rows.count() == len(yields)
    first = rows.filter(has_text="医保").inner_text()
    assert f"收到{medical['received']}条" in first
    assert f"促成纳入监测{medical['enrolled']}条" in first
    assert f"待分拣 {medical['open']}" in first and f"未匹配 {medical['unmatched']}" in first
    box = part.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    _fits(page)

    _drill(page, "township")
    _fits(page)
    _drill(page, "village")
    _fits(page)
    # The village's households behind its 户数 figure: the list counts the same.
    figure = page.locator(".figure").filter(has_text="户数（户）")
    count = figure.locator("strong").inner_text()
    figure.click()
    page.get_by_text(f"共{count}户").wait_for()
    assert page.locator("#household-scope").is_visible()
    _fits(page)
    page.locator("#household-list a").first.click()
    page.get_by_role("heading", name="家庭成员").wait_for()
    # Back twice returns to the village's dashboard.
    page.go_back()
    page.go_back()
    page.locator("#dashboard-view").wait_for()


def test_a_helper_sees_no_dashboard(phone, live_server) -> None:  # type: ignore[no-untyped-def]
    page = phone
    page.goto("/staff")
    page.get_by_label("用户名").fill("helper_li")
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.get_by_text(re.compile(r"共\d+户")).wait_for()
    assert page.locator("#dashboard-tile").is_hidden()
    page.goto("/staff#dashboard")
    page.get_by_text("您的角色不能查看统计").wait_for()


def test_the_desk_counts_what_waits_and_lists_it_most_urgent_first(phone, live_server) -> None:  # type: ignore[no-untyped-def]
    # The county's checks run (this server has no worker in it: the command line runs them).
    subprocess.run(
        [sys.executable, "-m", "backend.cli", "run-checks", "--area", "620422"],
        env=live_server.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with live_server.api("huishi_town") as api:
        todo = api.get("/api/v1/todo").json()
    assert todo["count"] > 0
    page = phone
    page.goto("/staff")
    page.get_by_label("用户名").fill("huishi_town")
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    badge = page.locator("#todo-badge")
    badge.wait_for()
    assert badge.inner_text() == str(todo["count"])
    page.locator("#tiles").get_by_role("link", name=re.compile("待办")).click()
    page.locator("#todo-list li").first.wait_for()
    assert page.locator("#todo-list li").count() == len(todo["data"])
    first = todo["data"][0]
    assert first["title"] in page.locator("#todo-list li").first.inner_text()
    # The township's open findings by check, each a tap from the list filtered alike.
    assert todo["findings"], "the demo has open findings in 会师镇"
    groups = page.locator("#todo-findings li")
    assert groups.count() == len(todo["findings"])
    top = todo["findings"][0]
    assert top["check_title"] in groups.first.inner_text()
    assert f"{top['count']}条" in groups.first.inner_text()
    # And its department warnings waiting for triage, by source, the longest waiting first.
    assert todo["warnings"], "the demo has warnings to triage in 会师镇"
    sources = page.locator("#todo-warnings li")
    assert sources.count() == len(todo["warnings"])
    oldest = todo["warnings"][0]
    assert f"{oldest['source_name']} {oldest['count']}条待分拣" in sources.first.inner_text()
    _fits(page)
    groups.first.locator("a").click()
    page.wait_for_url(re.compile(f"#{re.escape(top['route'])}$"))
    page.locator("#finding-count").filter(has_text=f"共{top['count']}条").wait_for()
    page.go_back()
    # A source opens the warnings screen filtered to its 待分拣, counted alike.
    page.locator("#todo-warnings li a").first.click()
    page.wait_for_url(re.compile(f"#{re.escape(oldest['route'])}$"))
    count = page.locator("#warning-count")
    count.filter(has_text=f"共{oldest['count']}条（{oldest['source_name']}、待分拣）").wait_for()
    assert page.locator(".warning-item").count() == oldest["count"]
    page.go_back()
    page.locator("#todo-list li").first.wait_for()
    page.locator("#todo-list li a").first.click()
    page.wait_for_url(re.compile(f"#{first['route']}$"))
    _fits(page)
