"""Every place the report joins typed text to its own words says no word twice."""

import pytest

from backend.rectification import wording


@pytest.mark.parametrize(
    ("note", "said"),
    [
        ("全镇累计召开会议6次。", "目前,全镇累计召开会议6次。"),
        ("目前,全镇累计召开会议6次。", "目前,全镇累计召开会议6次。"),
        ("目前全镇累计召开会议6次。", "目前全镇累计召开会议6次。"),
        ("截至目前,全镇共清理垃圾94吨。", "截至目前,全镇共清理垃圾94吨。"),
        ("截止目前,开展交叉演练1次。", "截止目前,开展交叉演练1次。"),
    ],
)
def test_a_note_that_says_now_gets_no_second_now(note: str, said: str) -> None:
    assert wording.now_said(note) == said


@pytest.mark.parametrize(
    "typed",
    [
        "一是加强业务培训",
        "一是,加强业务培训",
        "1.加强业务培训",
        "1、加强业务培训",
        "(一)加强业务培训",
        "(1)加强业务培训",
        "一、加强业务培训",
        "加强业务培训",
    ],
)
def test_a_measure_loses_the_ordinal_the_report_writes_itself(typed: str) -> None:
    assert wording.without_ordinal(typed) == "加强业务培训"


def test_a_measure_that_merely_starts_with_a_number_keeps_it() -> None:
    assert wording.without_ordinal("100户完成改厕") == "100户完成改厕"
    assert wording.without_ordinal("一户一策制定精准") == "一户一策制定精准"


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("调研督查发现问题", "调研督查发现问题清单"),
        ("调研督查发现问题清单", "调研督查发现问题清单"),
        ("交叉检查反馈清单", "交叉检查反馈清单"),
        ("2023年交叉检查", "2023年交叉检查问题清单"),
    ],
)
def test_the_list_is_named_without_a_second_list(title: str, name: str) -> None:
    assert wording.list_name(title) == name


@pytest.mark.parametrize(
    "title",
    [
        "2023调研督查发现问题",
        "关于2023调研督查发现问题",
        "关于上报2023调研督查发现问题整改情况的报告",
        "2023调研督查发现问题整改情况",
    ],
)
def test_the_title_says_about_and_report_once(title: str) -> None:
    assert wording.report_title(title) == "关于上报2023调研督查发现问题整改情况的报告"


def test_labels_typed_by_hand_are_not_repeated() -> None:
    assert wording.addressee("县委农村工作领导小组办公室:") == "县委农村工作领导小组办公室:"
    assert wording.addressee("县委农村工作领导小组办公室") == "县委农村工作领导小组办公室:"
    assert wording.addressee("  ") == ""
    assert wording.in_brackets("(市农领办发〔2023〕38号)") == "(市农领办发〔2023〕38号)"
    assert wording.in_brackets("市农领办发〔2023〕38号") == "(市农领办发〔2023〕38号)"
    assert wording.without_problem_label("问题2:防止返贫监测不扎实") == "防止返贫监测不扎实"
    assert wording.without_prefix("理由:缺少照片", "退回理由", "理由") == "缺少照片"
    assert wording.without_prefix("文字记录:会议记录已归档", "文字记录") == "会议记录已归档"


def test_typed_next_steps_lose_their_own_heading_and_keep_their_paragraphs() -> None:
    typed = "二、下一步工作打算\n我镇将按照工作主线推进。\n\n 紧紧围绕“七个重点”。 "
    assert wording.next_steps_paragraphs(typed) == [
        "我镇将按照工作主线推进。",
        "紧紧围绕“七个重点”。",
    ]
    assert wording.next_steps_paragraphs("下一步工作打算:我镇将持续推进。") == ["我镇将持续推进。"]
    assert wording.next_steps_paragraphs("") == []


@pytest.mark.parametrize(
    "typed", ["一是，加强业务培训", "1）加强业务培训", "（一）加强业务培训", "第一，加强业务培训"]
)
def test_an_ordinal_typed_with_a_chinese_input_method_is_recognised(typed: str) -> None:
    assert wording.without_ordinal(typed) == "加强业务培训"


def test_labels_typed_with_a_chinese_input_method_are_not_repeated() -> None:
    assert wording.addressee("县委农村工作领导小组办公室：") == "县委农村工作领导小组办公室:"
    assert wording.in_brackets("（市农领办发〔2023〕38号）") == "(市农领办发〔2023〕38号)"
    assert wording.without_problem_label("问题2：防止返贫监测不扎实") == "防止返贫监测不扎实"
    assert wording.without_prefix("理由：缺少照片", "理由") == "缺少照片"
    assert wording.next_steps_paragraphs("下一步工作打算：我镇将持续推进。") == ["我镇将持续推进。"]
