"""How the documents write Chinese: dates as 2023年8月10日, punctuation full-width."""

import re
from datetime import date


def chinese_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# A 公文 is set with full-width punctuation (GB/T 15834); the report's own words and what
# people typed (often on a keyboard without a Chinese input method) both come in ASCII. A mark
# turns full-width when it touches Chinese, brackets as a pair: 1,000, 10:30 and a bracket
# around Latin text between Latin words keep theirs.
_HAN = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’]"
_MARKS = str.maketrans(",:;!?", "，：；！？")
_MARK_TOUCHING_HAN = re.compile(rf"(?<={_HAN})[,:;!?]|[,:;!?](?={_HAN})")
_INNERMOST_PAIR = re.compile(r"\(([^()]*)\)")


def _pair(m: re.Match[str]) -> str:
    before, after = m.string[m.start() - 1 : m.start()], m.string[m.end() : m.end() + 1]
    if re.search(_HAN, before + m[1] + after):
        return f"（{m[1]}）"
    return f"\0{m[1]}\1"  # kept ASCII: set aside so the pair around it can be judged


def full_width(text: str) -> str:
    """`text` with each ASCII , : ; ! ? and ( ) next to Chinese written full-width."""
    while (paired := _INNERMOST_PAIR.sub(_pair, text)) != text:
        text = paired
    text = text.replace("\0", "(").replace("\1", ")")
    return _MARK_TOUCHING_HAN.sub(lambda m: m[0].translate(_MARKS), text)
