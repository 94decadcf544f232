"""整改销号 in a real browser: a village cadre claims a problem, photographs the evidence
with the phone camera and submits; an inspector reviews and closes it; the boards show."""

import io
import uuid

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import wait_until

pytestmark = pytest.mark.e2e


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/rectification")
    page.evaluate("localStorage.clear()")
    page.goto("/rectification")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("Shouwang2026!")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="问题清单").wait_for()


def test_cadre_evidences_with_the_camera_and_an_inspector_closes(page, live_server) -> None:  # type: ignore[no-untyped-def]
    title = f"村委会卫生厕所脏乱差 {uuid.uuid4().hex[:6]}"
    with live_server.api("huishi_town") as town:
        batch = next(
            b
            for b in town.get("/api/v1/problem-batches").json()["data"]
            if b["source"] == "inspection"
        )
        problem = town.post(
            f"/api/v1/problem-batches/{batch['id']}/problems",
            json={
                "title": title,
                "category": "living_environment",
                "area_code": "620422100200",
                "responsible_unit": "高家庄村委会",
                "description": "没有发挥示范作用。",
            },
        ).json()

    _login(page, "gaojiazhuang_cadre")
    page.get_by_placeholder("问题标题或描述").fill(title)
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name="认领这个问题").wait_for()
    page.get_by_label("整改措施（每行一条）").fill("清扫村委会厕所并建立保洁制度")
    page.get_by_role("button", name="认领").click()
    page.get_by_text("已认领，您是这个问题的责任人").wait_for()
    # Submitting without evidence is refused, naming the step.
    page.get_by_label("记录进展").fill("已安排专人每日保洁")
    page.get_by_role("button", name="保存进展").click()
    page.get_by_text("进展已保存").wait_for()
    page.get_by_role("button", name="申请销号").click()
    page.get_by_text("以下整改措施还没有印证资料").wait_for()

    # A photo without a caption is refused beside the caption box: evidence says what it shows.
    photo = {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    page.get_by_label("拍照：措施1").set_input_files(photo)
    page.locator(".evidence-add .field-error").get_by_text("请先写明照片拍的是什么").wait_for()
    page.get_by_label("照片说明：措施1").fill("村委会厕所清扫后")
    page.get_by_label("拍照：措施1").set_input_files(photo)
    page.get_by_text("照片已上传，作为印证资料").wait_for()
    page.get_by_text("村委会厕所清扫后").wait_for()
    wait_until(
        page,
        "document.querySelector('img.evidence-photo') && document.querySelector('img.evidence-photo').naturalWidth > 0",
    )
    page.get_by_role("button", name="申请销号").click()
    page.get_by_text("已申请销号，等待审核").wait_for()
    assert page.locator(".tag.status-submitted_for_closure").is_visible()

    _login(page, "inspector_huining")
    page.get_by_role("link", name="待审核").click()
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name="审核").wait_for()
    # Returning needs a reason; the screen says so.
    page.get_by_role("button", name="退回").click()
    page.get_by_text("退回必须写明理由").wait_for()
    page.get_by_role("button", name="通过，销号").click()
    page.get_by_text("已审核通过，问题已销号").wait_for()
    assert page.locator(".tag.status-closed").is_visible()

    with live_server.api("inspector_huining") as inspector:
        stored = inspector.get(f"/api/v1/problems/{problem['id']}").json()
    assert stored["status"] == "closed" and stored["closed_by"]["full_name"] == "赵振华"
    photo = stored["steps"][0]["evidence"][0]
    assert photo["kind"] == "file" and photo["content_type"] == "image/jpeg" and photo["frozen"]
    assert photo["caption"] == "村委会厕所清扫后"


def test_county_sees_the_boards_and_overdue_marks(page, live_server) -> None:  # type: ignore[no-untyped-def]
    _login(page, "huining_county")
    page.get_by_label("只看逾期").check()
    page.get_by_role("button", name="查找").click()
    page.locator(".problem-row.is-overdue").first.wait_for()
    assert "逾期" in page.locator(".problem-row.is-overdue .tag.overdue").first.inner_text()
    page.get_by_role("link", name="红黑榜").click()
    page.get_by_role("heading", name="黑榜（逾期、被退回、复核逾期）").wait_for()
    black = page.locator(".board-black").inner_text()
    assert "南十里铺村委会" in black and "会师镇" in black
    assert "红堡子村委会" in page.locator(".board-red").inner_text()


def test_township_issues_a_problem_and_copies_it_to_every_village(page, live_server) -> None:  # type: ignore[no-untyped-def]
    title = f"一键报贫知晓率不高 {uuid.uuid4().hex[:6]}"
    _login(page, "huishi_town")
    page.get_by_role("link", name="清单与报告").click()
    page.get_by_text("新增一个问题").first.click()
    form = page.locator("form[data-new-problem]").first
    form.get_by_label("问题标题").fill(title)
    form.get_by_label("类别").select_option("policy")
    form.get_by_label("地区").select_option("620422100200")
    form.get_by_role("button", name="下发问题").click()
    page.get_by_text("已下发问题").wait_for()

    page.get_by_role("link", name="问题清单").click()
    page.locator("#area-filter").select_option("620422100200")
    page.get_by_placeholder("问题标题或描述").fill(title)
    page.get_by_role("button", name="查找").click()
    page.get_by_role("link", name=title).click()
    page.get_by_role("button", name="举一反三：下发到本镇其他各村").click()
    page.get_by_text("已举一反三，下发到").wait_for()
    with live_server.api("huishi_town") as town:
        copies = town.get("/api/v1/problems", params={"q": title, "limit": 100}).json()
    # 会师镇 has 21 villages and communities: the original and 20 copies.
    assert copies["count"] == 21
    assert len({p["area_code"] for p in copies["data"]}) == 21


def test_county_issues_a_list_to_a_township_addressed_and_with_next_steps(
    page, live_server
) -> None:  # type: ignore[no-untyped-def]
    title = f"巩固衔接调研督查发现问题 {uuid.uuid4().hex[:6]}"
    _login(page, "huining_county")
    page.get_by_role("link", name="清单与报告").click()
    page.get_by_text("下发新的问题清单").click()
    form = page.locator("#batch-form")
    form.get_by_label("清单名称").fill(title)
    form.get_by_label("下发到（整改的地区）").select_option(label="会师镇")
    form.get_by_label("下发日期").fill("2023-08-01")
    form.get_by_label("整改时限").fill("2023-07-01")
    form.get_by_label("报送对象（主送机关）").fill("县委农村工作领导小组办公室")
    form.get_by_label("报告单位").fill("会师镇党委、政府")
    form.get_by_label("下一步工作打算").fill("我镇将持续巩固整改成效。\n督促各村完善台账资料。")
    # Sent upward: 签发人 puts the 版头 into the 上行文 form.
    form.get_by_label("签发人").fill("张明")
    form.get_by_role("button", name="下发清单").click()
    # The deadline before the issue date is refused beside the form, and nothing is issued.
    form.locator(".field-error").first.wait_for()
    form.get_by_label("整改时限").fill("2023-09-30")
    form.get_by_role("button", name="下发清单").click()
    page.get_by_text("问题清单已下发到会师镇").wait_for()

    item = page.locator("#batches-view li").filter(has_text=title)
    item.get_by_text("报送 县委农村工作领导小组办公室").wait_for()
    item.get_by_text("新增一个问题").click()
    problem = item.locator("form[data-new-problem]")
    # The list's own area is already chosen: nobody picks the township again.
    assert problem.get_by_label("地区").input_value() == "620422100"
    for n, name in enumerate(("思想认识和责任落实上明显松劲懈怠", "人居环境还需持续改善"), 1):
        problem.get_by_label("问题标题").fill(name)
        problem.get_by_role("button", name="下发问题").click()
        page.get_by_text(f"已下发问题{n}（会师镇）").wait_for()
        expect(problem.get_by_label("问题标题")).to_have_value("")
        assert problem.get_by_label("地区").input_value() == "620422100"

    with live_server.api("huining_county") as county:
        batch = next(
            b for b in county.get("/api/v1/problem-batches").json()["data"] if b["title"] == title
        )
        problems = county.get("/api/v1/problems", params={"batch_id": batch["id"]}).json()
        report = county.get(f"/api/v1/problem-batches/{batch['id']}/report").text
    assert batch["area_code"] == "620422100" and batch["report_to"] == "县委农村工作领导小组办公室"
    assert batch["next_steps"] == "我镇将持续巩固整改成效。\n督促各村完善台账资料。"
    assert batch["signer"] == "张明" and "签发人&#xff1a;<b>张明</b>" in report
    assert {p["area_code"] for p in problems["data"]} == {"620422100"} and problems["count"] == 2
    assert "县委农村工作领导小组办公室：" in report and "我镇结合实际情况" in report
    assert "<p>我镇将持续巩固整改成效。</p>" in report and "<p>督促各村完善台账资料。</p>" in report
