"""The documents' Chinese: full-width punctuation where it touches Chinese, and only there."""

import pytest

from backend.core.chinese import full_width


@pytest.mark.parametrize(
    ("typed", "set_as"),
    [
        ("整改完成情况:已完成整改,已销号。", "整改完成情况：已完成整改，已销号。"),
        (
            "已逾期4个工作日(整改时限:2023年9月30日)。",
            "已逾期4个工作日（整改时限：2023年9月30日）。",
        ),
        ("照片:会场(措施一,拍摄于2023年8月8日)", "照片：会场（措施一，拍摄于2023年8月8日）"),
        ("已逾期(见(附件))", "已逾期（见（附件））"),
        ("见附件(photo.png)", "见附件（photo.png）"),
        # Numbers, times and Latin text keep their ASCII marks; a lone bracket is left alone.
        ("共1,000元,10:30开会", "共1,000元，10:30开会"),
        ("Hello, world: ok (a)", "Hello, world: ok (a)"),
        ("(未闭合", "(未闭合"),
        ("已经是全角：，（）", "已经是全角：，（）"),
    ],
)
def test_the_document_is_set_in_full_width_punctuation(typed: str, set_as: str) -> None:
    assert full_width(typed) == set_as
