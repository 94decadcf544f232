"""排查 on screen, as the demo's county officer does it on a phone: run the checks over the
county, see every check listed with findings, turn one into a rectification problem and one
into a report on the household's behalf, dismiss one (refused without a reason), change a
check's parameter, and reach the page from the dashboard's figures. The server is this
module's own: the test changes the demo's data."""

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.e2e.conftest import PHONE, LiveServer, served, wait_until

pytestmark = pytest.mark.e2e

CHECKS = 16


@pytest.fixture(scope="module")
def own_server() -> Iterator[LiveServer]:
    """Served as `make run` serves: the worker runs in the process and carries out the runs
    (the suite turns it off for the servers of the other tests)."""
    in_process = {"SHOUWANG_WORKER_IN_PROCESS": "true"}
    with served(prefix="shouwang-e2e-findings-", env=in_process) as live:
        yield live


@pytest.fixture
def officer(browser, own_server: LiveServer):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(base_url=own_server.url, locale="zh-CN", **PHONE)
    page = ctx.new_page()
    page.goto("/staff")
    page.get_by_label("用户名").fill("huining_county")
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.locator("#dashboard-view").wait_for()
    yield page
    ctx.close()


def _group(page, title: str):  # type: ignore[no-untyped-def]
    """Opens the check's group and answers its first finding once drawn."""
    group = page.locator(".check-group").filter(has=page.locator("summary", has_text=title))
    if group.get_attribute("open") is None:
        group.locator(":scope > summary").click()
    finding = group.locator(".finding").first
    finding.wait_for()
    return group, finding


def _count(group) -> int:  # type: ignore[no-untyped-def]
    return int(re.match(r"(\d+)", group.locator(".check-count").inner_text()).group(1))


def test_a_county_officer_runs_the_checks_and_acts_on_findings(officer) -> None:  # type: ignore[no-untyped-def]
    page = officer
    page.locator("#tiles a[data-section=findings]").click()
    page.locator("#findings-view").wait_for()
    page.get_by_role("button", name=re.compile("运行排查")).click()
    # The run goes through the worker; the page follows it and says what it found.
    page.get_by_text(re.compile(r"排查完成：用时[\d.]+秒，新发现\d+条")).wait_for(timeout=60_000)
    wait_until(page, f"document.querySelectorAll('.check-group').length === {CHECKS}")
    counts = page.locator(".check-group .check-count").all_inner_texts()
    assert len(counts) == CHECKS and all(not c.startswith("0 ") for c in counts), counts

    # 收入低于监测标准 → a rectification problem, in one tap; the page says what happened.
    group, finding = _group(page, "收入低于监测标准")
    assert "低于监测收入标准" in finding.locator(".finding-summary").inner_text()
    facts = finding.locator(".facts").inner_text()
    assert "监测收入标准" in facts and "人均纯收入" in facts
    assert finding.locator(".finding-subject").inner_text().endswith("户")
    finding_id = finding.get_attribute("data-id")
    finding.get_by_role("button", name="转为整改问题").click()
    done = page.locator(f'.finding[data-id="{finding_id}"]')
    done.get_by_text("已下发整改问题").wait_for()
    assert done.get_by_role("button", name="转为整改问题").count() == 0
    done.get_by_role("link", name="查看这个问题").click()
    page.get_by_text("收入低于监测标准").first.wait_for()
    assert "#problem/" in page.url
    page.go_back()
    page.locator("#findings-view").wait_for()

    # 应纳未纳 → a report on the household's behalf, waiting for this officer's 核实.
    group, finding = _group(page, "应纳未纳")
    finding_id = finding.get_attribute("data-id")
    finding.get_by_role("button", name="转为代报（报贫）").click()
    done = page.locator(f'.finding[data-id="{finding_id}"]')
    done.get_by_text("已转为代报").first.wait_for()
    done.get_by_role("link", name="去核实这份报告").click()
    page.locator("#report-view").wait_for()
    assert page.locator("#report-status").inner_text() == "入户核实中"
    assert "系统排查发现" in page.locator("#report-view").inner_text()
    page.go_back()
    page.locator("#findings-view").wait_for()

    # 帮扶措施单一 → dismissed: refused without a reason, then dismissed with one.
    group, finding = _group(page, "帮扶措施单一")
    before = _count(group)
    finding_id = finding.get_attribute("data-id")
    finding.get_by_role("button", name="排除").click()
    finding.get_by_role("button", name="确认排除").click()
    refused = finding.locator(".message.error")
    refused.wait_for()
    assert "没有办成" in refused.inner_text() and "理由" in refused.inner_text()
    finding.get_by_label(re.compile("排除理由")).fill("已入户核实,该户另有产业帮扶在办")
    finding.get_by_role("button", name="确认排除").click()
    done = page.locator(f'.finding[data-id="{finding_id}"]')
    done.get_by_text("已排除。").wait_for()
    assert "已排除" in done.locator(".tag").first.inner_text()
    assert _count(group) == before - 1

    # A county officer changes a check's parameter for the county.
    group = page.locator(".check-group").filter(has=page.locator("summary", has_text="收入下降"))
    group.locator(":scope > summary").click()
    group.locator(".params summary").click()
    box = group.get_by_label(re.compile("近 3 个月下降比例"))
    assert box.input_value() == "30"
    box.fill("40")
    group.get_by_role("button", name="保存参数").click()
    group.get_by_text("已保存").wait_for()

    # The filters: the dismissed one is found under 已排除.
    page.locator("#finding-filter select[name=status]").select_option("dismissed")
    page.locator("#finding-filter").get_by_role("button", name="筛选").click()
    page.get_by_text(re.compile(r"共1条发现")).wait_for()


def test_the_dashboard_figures_drill_into_the_findings(officer, own_server) -> None:  # type: ignore[no-untyped-def]
    with own_server.api("huining_county") as api:
        run = api.post("/api/v1/checks/runs", json={"area_code": "620422"}).json()
        deadline = 60
        while api.get(f"/api/v1/checks/runs/{run['id']}").json()["status"] != "done":
            officer.wait_for_timeout(500)
            deadline -= 0.5
            assert deadline > 0, "the run did not finish"
    page = officer
    page.reload()
    page.locator("#dashboard-view").wait_for()
    figure = page.locator(".figure").filter(has_text="待处理排查发现")
    total = figure.locator("strong").inner_text()
    assert int(total) > 0
    # A bar of one check opens that check's findings, counted the same.
    bar = page.locator(".chart-bars a").filter(has_text="应消未消")
    bar.click()
    page.locator("#findings-view").wait_for()
    group = page.locator(".check-group[open]")
    group.locator(".finding").first.wait_for()
    assert group.locator(":scope > summary").inner_text().startswith("应消未消")
    # The headline figure: every open finding in the county.
    page.go_back()
    page.locator(".figure").filter(has_text="待处理排查发现").click()
    page.get_by_text(re.compile(rf"共{total}条发现")).wait_for()


def _run_checks(own_server: LiveServer, page) -> None:  # type: ignore[no-untyped-def]
    with own_server.api("huining_county") as api:
        run = api.post("/api/v1/checks/runs", json={"area_code": "620422"}).json()
        for _ in range(120):
            if api.get(f"/api/v1/checks/runs/{run['id']}").json()["status"] == "done":
                return
            page.wait_for_timeout(500)
    raise AssertionError("the run did not finish")


def test_a_household_due_for_review_goes_into_the_clearance_chain(browser, own_server) -> None:  # type: ignore[no-untyped-def]
    """应消未消 → the village proposes clearance with its home visit (the household card's
    part, here through the API), then records 民主评议 and 公示 on the report's page and
    prints the 公示."""
    ctx = browser.new_context(
        base_url=own_server.url, locale="zh-CN", accept_downloads=True, **PHONE
    )
    page = ctx.new_page()
    _run_checks(own_server, page)
    with own_server.api("huining_county") as county:
        (due,) = county.get("/api/v1/findings", params={"check": "overdue_clearance"}).json()[
            "data"
        ]
    with own_server.api("gaojiazhuang_cadre") as cadre:
        card = cadre.get(f"/api/v1/households/{due['household_id']}").json()
        visit = {
            "id": str(uuid.uuid4()),
            "household_id": due["household_id"],
            "kind": "home",
            # The served app runs on the wall clock, not the tests frozen one.
            "visited_at": datetime.now(UTC).isoformat(),  # noqa: TID251
            "checklist": {k: {"ok": True} for k in card["basic_needs"]},
            "notes": "入户核实:患者已康复,务工收入稳定,住房饮水安全",
            "family_agrees": True,
            "agreed_by": "户主本人",
        }
        assert cadre.post("/api/v1/visits", json=visit).status_code == 201
        proposal = cadre.post(
            f"/api/v1/households/{due['household_id']}/proposals",
            json={"kind": "clearance_proposal", "visit_id": visit["id"], "reason": "务工稳定"},
        )
        assert proposal.status_code == 201, proposal.text
    page.goto("/staff")
    page.get_by_label("用户名").fill("gaojiazhuang_cadre")
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.locator("#tiles").wait_for()
    page.goto(f"/staff#report/{proposal.json()['id']}")
    page.locator("#report-view h2 .tag").filter(has_text="风险消除申请").wait_for()
    review = page.locator("form[data-action=community_review]")
    review.get_by_label("评议记录").fill("村民代表一致同意")
    review.get_by_role("button", name="记录民主评议").click()
    notice = page.locator("form[data-action=public_notice]")
    notice.wait_for()
    notice.get_by_role("button", name="记录村内公示").click()
    button = page.get_by_role("button", name=re.compile("下载公示"))
    button.wait_for()
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename.endswith("公示.docx")
    page.get_by_text("已下载，打印后张贴在村务公开栏").wait_for()
    # The county's decision waits for the township and the 5-day 公示.
    assert page.locator("form[data-action=clear]").count() == 0
    ctx.close()
