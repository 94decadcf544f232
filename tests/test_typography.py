"""The screens' Chinese is set like the printed documents (GB/T 15834): every text the front
end shows (template text and attribute values, the strings of {% set %}, JavaScript string
and template literals, CSS `content`, the manifest) is checked with the documents' own rule,
backend.core.chinese.full_width, so an ASCII , : ; ! ? ( ) touching Chinese is a mistake.
Comments, regexes and code are not text and are not read. What the code fills in (${…},
{{ … }}) is a SLOT, neither Chinese nor a mark, and HTML tags are transparent: in
`<span>雷同</span>:${n}` the colon touches 同. Whether a slot is a number or a name the test
cannot know, so the space in "最多 ${n} 张" is for the eye (the sweep that set this test up
removed them from quantities, kept them beside names, dates and codes)."""

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tree_sitter_javascript
from tree_sitter import Language, Parser

from backend import pwa
from backend.core.chinese import full_width

SLOT = "\ue000"
_HAN = r"[\u3400-\u9fff]"
# Besides full_width's rule: a mark with only filled-in parts, white space or the text's ends
# around it (`${name}:${phone}`, `问题${n}(${area})`: people see Chinese on both sides), and a
# space between Chinese and a number in a quantity ("最多 6 张", "6 张": the number runs into
# Chinese).
_MARK_BETWEEN_SLOTS = re.compile(rf"(?<![^\s{SLOT}])[,:;!?()](?![^\s{SLOT}])")
_SPACED_NUMBER = [
    re.compile(rf"\d( +){_HAN}"),
    re.compile(rf"(?<={_HAN})( +)\d[\d.,%]* *{_HAN}"),
]

# Texts that keep their ASCII marks or spaces, each with its reason: (file, text with each
# filled-in part written as ${}) -> why.
ALLOWED: dict[tuple[str, str], str] = {}


@dataclass
class Text:
    """A piece of text people see, and where each of its characters stands in its file."""

    chars: str
    offsets: list[int]

    def __getitem__(self, part: slice) -> "Text":
        return Text(self.chars[part], self.offsets[part])


def _slot(start: int) -> Text:
    return Text(SLOT, [start])


def _source(source: str, start: int, end: int) -> Text:
    return Text(source[start:end], list(range(start, end)))


def _join(parts: list[Text]) -> Text:
    return Text("".join(p.chars for p in parts), [o for p in parts for o in p.offsets])


# --- HTML inside a text: tags are transparent, their attribute values are texts too ---------

_TAG = re.compile(r"<!--.*?-->|<[A-Za-z/][^<>]*>", re.S)
_ATTRIBUTE = re.compile(r"[\w:-]+\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CODE = re.compile(r"<(script|style)\b[^<>]*>.*?</\1\s*>", re.S)


def _markup(text: Text) -> Iterator[Text]:
    kept, at = [], 0
    for tag in _TAG.finditer(text.chars):
        kept.append(text[at : tag.start()])
        at = tag.end()
        for a in _ATTRIBUTE.finditer(tag[0]):
            group = 1 if a[1] is not None else 2
            yield text[tag.start() + a.start(group) : tag.start() + a.end(group)]
    kept.append(text[at:])
    yield _join(kept)


# --- JavaScript: string and template literals, found by the tree-sitter grammar -------------

_JS = Parser(Language(tree_sitter_javascript.language()))


def _js_texts(source: str) -> Iterator[Text]:
    data = source.encode()
    ends = itertools.accumulate((len(c.encode()) for c in source), initial=0)
    char_at = {byte: i for i, byte in enumerate(ends)}  # tree-sitter counts bytes
    tree = _JS.parse(data)
    assert not tree.root_node.has_error, "tree-sitter could not parse it"
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type not in ("string", "template_string"):
            continue
        parts = []
        for part in node.children:
            start, end = char_at[part.start_byte], char_at[part.end_byte]
            if part.type == "template_substitution":
                parts.append(_slot(start))
            elif part.type in ("string_fragment", "escape_sequence"):
                parts.append(_source(source, start, end))
        yield from _markup(_join(parts))


# --- Templates: Jinja's constructs are slots (comments are nothing), the strings in them texts

_JINJA = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
_STRING = re.compile(r"\"([^\"\\\n]*)\"|'([^'\\\n]*)'")


def _template_texts(source: str) -> Iterator[Text]:
    parts, at = [], 0
    for construct in _JINJA.finditer(source):
        parts.append(_source(source, at, construct.start()))
        at = construct.end()
        if construct[0].startswith("{#"):
            continue
        parts.append(_slot(construct.start()))
        for s in _STRING.finditer(construct[0]):
            group = 1 if s[1] is not None else 2
            yield _source(
                source, construct.start() + s.start(group), construct.start() + s.end(group)
            )
    parts.append(_source(source, at, len(source)))
    page = _join(parts)
    kept, at = [], 0
    for code in _CODE.finditer(page.chars):  # what is between <script> or <style> is code
        kept.append(page[at : code.start()])
        at = code.end()
    kept.append(page[at:])
    yield from _markup(_join(kept))


# --- Style sheets (`content: "…"`) and the manifest ----------------------------------------

_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_CSS_CONTENT = re.compile(r"\bcontent\s*:([^;}]*)")


def _css_texts(source: str) -> Iterator[Text]:
    bare = _CSS_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), source)
    for declaration in _CSS_CONTENT.finditer(bare):
        for s in _STRING.finditer(declaration[1]):
            group = 1 if s[1] is not None else 2
            start = declaration.start(1) + s.start(group)
            yield _source(source, start, start + len(s[group]))


def _manifest_texts(source: str) -> Iterator[Text]:
    def strings(value: object) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    for s in strings(json.loads(source)):
        start = source.index(json.dumps(s, ensure_ascii=False)) + 1
        yield _source(source, start, start + len(s))


READERS = {".js": _js_texts, ".html": _template_texts, ".css": _css_texts}
READERS[".webmanifest"] = _manifest_texts


def front_end_files() -> list[Path]:
    static, templates = pwa.FRONTEND / "static", pwa.FRONTEND / "templates"
    pages, scripts, styles = (
        templates.glob("*.html"),
        static.glob("js/**/*.js"),
        static.glob("css/*.css"),
    )
    return sorted([*pages, *scripts, static / "sw.js", *styles, static / "manifest.webmanifest"])


def texts(path: Path) -> Iterator[Text]:
    """The texts people see in `path` that hold Chinese or are filled in (`${a}(${b})` shows
    Chinese when a and b are)."""
    for text in READERS[path.suffix](path.read_text(encoding="utf-8")):
        if re.search(_HAN, text.chars) or SLOT in text.chars:
            yield text


def mistakes(text: Text) -> list[int]:
    """Where in `text` an ASCII mark touches Chinese or a space parts Chinese and a number."""
    fixed = full_width(text.chars)
    found = {i for i, (a, b) in enumerate(zip(text.chars, fixed, strict=True)) if a != b}
    found |= {m.start() for m in _MARK_BETWEEN_SLOTS.finditer(text.chars)}
    found |= {m.start(1) for pattern in _SPACED_NUMBER for m in pattern.finditer(text.chars)}
    return sorted(found)


def _all_mistakes() -> list[str]:
    found = []
    for path in front_end_files():
        source = path.read_text(encoding="utf-8")
        name = str(path.relative_to(pwa.FRONTEND.parent))
        for text in texts(path):
            if (name, text.chars.replace(SLOT, "${}")) in ALLOWED:
                continue
            for i in mistakes(text):
                line = source.count("\n", 0, text.offsets[i]) + 1
                around = text.chars[max(0, i - 12) : i + 13].replace(SLOT, "…")
                found.append(f"{name}:{line}: {text.chars[i]!r} in {around!r}")
    return found


def test_the_screens_chinese_takes_full_width_punctuation() -> None:
    found = _all_mistakes()
    assert not found, (
        "In text people see, write ，：；！？（） next to Chinese and no space between Chinese "
        "and a number (最多6张); if one must stay, add it to ALLOWED with the reason:\n"
        + "\n".join(found)
    )


def _shown(texts: Iterator[Text]) -> list[str]:
    return sorted(t.chars for t in texts)


def test_every_kind_of_text_is_read() -> None:
    """The readers find each kind of text a mistake could hide in, and only those."""
    js = '// 注释:不读\nconst r = /[(（]村:/;\nf("a:b", html`<p title="${t}">${x}:${y}</p>`);\n'
    assert _shown(_js_texts(js)) == ["a:b", SLOT, f"{SLOT}:{SLOT}"]
    page = (
        '{# 注释:不读 #}<p title="如:冷水沟">所在村:<b>{{ "村(组)" }}</b></p>\n'
        '<script>a("x:中")</script><style>p::after { content: "中:" }</style>'
    )
    assert _shown(_template_texts(page)) == ["如:冷水沟", f"所在村:{SLOT}\n", "村(组)"]
    css = '/* "1 件" */ p::before { content: "注:" ; color: red }'
    assert _shown(_css_texts(css)) == ["注:"]
    read = {t.chars for path in front_end_files() for t in texts(path)}
    assert "守望 · 防止返贫监测帮扶" in read  # the manifest


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("没有网络,无法查找", ","),
        ("已选照片(已压缩)", "()"),
        (f"请找村干部 {SLOT}:{SLOT}", ":"),
        (f"问题{SLOT}({SLOT})", "()"),
        ("最多 6 张", "  "),
        (f"最多 {SLOT} 张,共 12 个村", ",  "),
        # Numbers, times, Latin text and a lone number after its label keep theirs.
        ("共1,000元，10:30开会", ""),
        ("下载报告（Word, Excel）", ""),
        (f"已代报 {SLOT} · 待分拣 3", ""),
        ("超过 20 MB", ""),
    ],
)
def test_a_mistake_is_found(text: str, marked: str) -> None:
    assert "".join(text[i] for i in mistakes(Text(text, list(range(len(text)))))) == marked
