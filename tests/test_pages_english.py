"""English pages show no untranslated Chinese: every CJK character left in the English
indicators page must sit inside an element marked ``lang="zh"`` (a name shown in its
original language on purpose) or be the language switch."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


class _Untranslated(HTMLParser):
    """Collects text outside ``lang="zh"`` elements, inside <main>."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "rect", "path", "line", "circle"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, zh, in_main)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: D401 - HTMLParser API
        if tag in self.VOID:
            return
        zh = dict(attrs).get("lang") == "zh" or (bool(self.stack) and self.stack[-1][1])
        main = tag == "main" or (bool(self.stack) and self.stack[-1][2])
        self.stack.append((tag, zh, main))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if self.stack and self.stack[-1][2] and not self.stack[-1][1] and CJK.search(data):
            self.found.append(data.strip())


def untranslated(html: str) -> list[str]:
    parser = _Untranslated()
    parser.feed(html)
    return parser.found


def test_the_detector_finds_chinese_outside_lang_zh():
    assert untranslated("<main><p>about 11.2左右</p><p lang='zh'>预期性</p></main>") == ["about 11.2左右"]


@pytest.mark.parametrize("path", ["/indicators?lang=en"])
def test_english_page_has_no_untranslated_chinese(client, path):
    html = client.get(path).get_data(as_text=True)
    assert untranslated(html) == []
    assert "about 11.2" in html and "预期性" not in html and "11.2左右" not in html


def test_chinese_page_keeps_the_plan_words(client):
    html = client.get("/indicators?lang=zh").get_data(as_text=True)
    assert "11.2左右" in html and "预期性" in html
