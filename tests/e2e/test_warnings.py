"""部门预警 on screen, as the demo's 郭城驿镇 officer triages them on a 360 px phone: from 待办's
warnings to the screen filtered by source, a report on the household's behalf (代报) with its
receipt, a dismissal refused without a reason and then made with one, the statuses filtered,
and the API's state after. The server is this module's own: the test changes the demo's
data."""

import re
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import LiveServer, served, wait_until

pytestmark = pytest.mark.e2e

NARROW = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
OFFICER = "guocheng_town"


@pytest.fixture(scope="module")
def own_server() -> Iterator[LiveServer]:
    with served(prefix="shouwang-e2e-warnings-") as live:
        yield live


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing wider than the phone: no sideways scrolling at 360 px."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


def _pending(api, source: str) -> list[dict]:  # type: ignore[no-untyped-def]
    r = api.get("/api/v1/warnings", params={"status": "pending", "source": source})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_a_township_officer_triages_the_warnings_from_the_todo(browser, own_server) -> None:  # type: ignore[no-untyped-def]
    with own_server.api(OFFICER) as api:
        (medical,) = _pending(api, "medical_insurance")
        (school,) = _pending(api, "education")
    ctx = browser.new_context(base_url=own_server.url, locale="zh-CN", **NARROW)
    page = ctx.new_page()
    page.goto("/staff")
    page.get_by_label("用户名").fill(OFFICER)
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.locator("#dashboard-view").wait_for()
    assert page.locator("#warnings-tile").is_visible()

    # 待办 → the 医保 warnings waiting for triage → the warnings screen filtered alike.
    page.locator("#tiles a[data-section=todo]").click()
    todo = page.locator("#todo-warnings")
    todo.wait_for()
    todo.locator("a").filter(has_text="医保").click()
    page.locator("#warnings-view").wait_for()
    assert "source=medical_insurance" in page.url and "status=pending" in page.url
    page.get_by_text("共1条（医保、待分拣）").wait_for()
    assert page.locator("#tiles .tile.current").inner_text().startswith("部门预警")
    item = page.locator(f'.warning-item[data-id="{medical["id"]}"]')
    text = item.inner_text()
    assert "年内自付医疗费用超过 2 万元" in text and "21,500元" in text
    assert medical["id_number"] in text and "预警期间" in text
    assert item.get_by_role("link", name="查看这户的台账").get_attribute("href") == (
        f"#household/{medical['household_id']}"
    )
    _fits(page)

    # 代报: the page says it happened and shows the report's receipt with a link to it.
    item.get_by_role("button", name=re.compile("代报")).click()
    item = page.locator(f'.warning-item[data-id="{medical["id"]}"]')
    item.get_by_text(re.compile("已代报：回执码")).wait_for()
    receipt = item.locator(".said .receipt").inner_text()
    assert receipt and item.get_by_role("button", name=re.compile("代报")).count() == 0
    assert "已代报" in item.locator(".tag.status").inner_text()
    item.get_by_role("link", name="去核实这份报告").click()
    page.locator("#report-view").wait_for()
    assert page.locator("#report-status").inner_text() == "入户核实中"
    page.go_back()
    page.locator("#warnings-view").wait_for()

    # 教育: 不予处理 is refused without a reason, the refusal beside the box; then made.
    page.locator(".source-tabs a").filter(has_text="教育").click()
    page.get_by_text("共1条（教育、待分拣）").wait_for()
    item = page.locator(f'.warning-item[data-id="{school["id"]}"]')
    item.get_by_role("button", name="不予处理").click()
    item.get_by_role("button", name="确认不予处理").click()
    refused = item.locator(".field-message.error")
    refused.wait_for()
    assert "没有办成" in refused.inner_text() and "理由" in refused.inner_text()
    assert item.locator("textarea").get_attribute("aria-invalid") == "true"
    _fits(page)
    item.get_by_label(re.compile("不予处理的理由")).fill("经入户核实,学费已全额减免,家庭收入稳定")
    item.get_by_role("button", name="确认不予处理").click()
    item = page.locator(f'.warning-item[data-id="{school["id"]}"]')
    item.get_by_text("已不予处理，理由已发回教育部门。").wait_for()
    assert "学费已全额减免" in item.locator(".outcome").inner_text()

    # The statuses filter: under 已代报 and 已排除 of all sources, each one found.
    page.locator(".source-tabs a").filter(has_text="全部来源").click()
    page.get_by_text("共1条（待分拣）").wait_for()  # 残联's, still waiting
    page.locator("#warning-filter select[name=status]").select_option("reported")
    page.get_by_text("共1条（已代报）").wait_for()
    assert page.locator(f'.warning-item[data-id="{medical["id"]}"]').count() == 1
    page.locator("#warning-filter select[name=status]").select_option("dismissed")
    page.get_by_text("共1条（已排除）").wait_for()
    wait_until(page, f"!!document.querySelector('.warning-item[data-id=\"{school['id']}\"]')")
    _fits(page)

    # What the API holds after: the report opened on the household's behalf, the reason.
    with own_server.api(OFFICER) as api:
        done = api.get(f"/api/v1/warnings/{medical['id']}").json()
        assert done["status"] == "reported" and done["report_receipt_code"] == receipt
        report = api.get(f"/api/v1/self-reports/{done['report_id']}").json()
        assert report["on_behalf"] is True and report["household_id"] == medical["household_id"]
        gone = api.get(f"/api/v1/warnings/{school['id']}").json()
        assert gone["status"] == "dismissed"
        assert gone["dismiss_reason"] == "经入户核实,学费已全额减免,家庭收入稳定"
        assert _pending(api, "medical_insurance") == _pending(api, "education") == []
    ctx.close()
