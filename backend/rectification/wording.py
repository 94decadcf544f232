"""Joining typed text to the report's fixed words without saying a word twice: a progress
note that starts with 目前 after the report's own "目前,", a measure typed as "一是……" after
the report's "一是", a list titled "……问题清单" before the report's "问题清单"."""

import re

# Words that already say "as of now": a note starting with one needs no "目前," before it.
_NOW = ("目前", "截至目前", "截止目前", "截至当前", "当前", "现已", "至今")
# An ordinal the writer typed: 一是 / 一、 / 1. / 1、 / (一) / (1) / 第一,
_ORDINAL = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是[,，:：]?|[一二三四五六七八九十]+[、.．]|\d+[.．、)）]"
    r"|[(（][一二三四五六七八九十\d]+[)）]|第[一二三四五六七八九十]+[,，、])\s*"
)
_PROBLEM_LABEL = re.compile(r"^\s*问题\s*\d+\s*[:：、.．]\s*")
# Punctuation that may trail a label or a name (any of the characters).
LABEL_PUNCTUATION = ",，:：、 "
END_PUNCTUATION = "。;；"
BRACKETS = "()（）"
_NEXT_STEPS_HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+、)?\s*下一步工作(?:打算|计划)?[:：]?\s*"
)


def now_said(note: str) -> str:
    """整改措施及成效's "目前," and the notes after it: "目前," only if the first does not
    already say it."""
    note = note.strip()
    return note if note.startswith(_NOW) else "目前," + note


def without_ordinal(text: str) -> str:
    """A measure as typed, without the 一是 / 1. the report puts before it itself."""
    return _ORDINAL.sub("", text, count=1).strip()


def without_problem_label(title: str) -> str:
    """A problem's title without a typed 问题3:, which the report writes itself."""
    return _PROBLEM_LABEL.sub("", title, count=1).strip()


def without_prefix(text: str, *prefixes: str) -> str:
    """`text` without a leading label the report writes itself (理由:, 文字记录:)."""
    text = text.strip()
    for prefix in prefixes:
        if text.startswith(prefix):
            return text[len(prefix) :].lstrip(LABEL_PUNCTUATION).strip()
    return text


def list_name(title: str) -> str:
    """What the report calls the list: "……发现问题" → "……发现问题清单", a title that already
    ends in 清单 as it is, anything else + "问题清单"."""
    title = title.strip()
    if title.endswith("清单"):
        return title
    return title + ("清单" if title.endswith("问题") else "问题清单")


def report_title(title: str) -> str:
    """关于上报{the list}整改情况的报告, whether or not the title starts with 关于 or ends with
    整改情况 already."""
    core = without_prefix(title, "关于上报", "关于")
    for tail in ("整改情况的报告", "整改情况报告", "整改情况", "的报告"):
        if core.endswith(tail):
            core = core[: -len(tail)]
            break
    return f"关于上报{core}整改情况的报告"


def addressee(report_to: str) -> str:
    """主送机关 followed by one colon, however it was typed."""
    name = report_to.strip().rstrip(LABEL_PUNCTUATION).strip()
    return f"{name}:" if name else ""


def in_brackets(document_number: str) -> str:
    """(市农领办发〔2023〕38号), whether or not it was typed in brackets."""
    number = document_number.strip().strip(BRACKETS).strip()
    return f"({number})" if number else ""


def next_steps_paragraphs(text: str) -> list[str]:
    """The typed 下一步工作打算, a paragraph per line, without a typed heading of its own."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines:
        lines[0] = _NEXT_STEPS_HEADING.sub("", lines[0], count=1).strip()
    return [line for line in lines if line]
