"""The replay page (`threadreplay preview --html`, `/replay plan`'s attachment) in a real browser."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.cli import main
from bot.replay.page import markdown_html, replay_page
from bot.replay.plan import build_plan
from storage.models import Article, Comment, Mode, Pace, StoredArticle
from storage.parsers import parse_file

DATA = Path(__file__).parents[1] / "data"


def chromium() -> str:
    """Debian's chromium (`.ci/run` installs it when missing): no browser is a failure, not a skip."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.fail("no headless browser: install Debian's chromium (apt-get install chromium)")


def rendered_dom(page: Path) -> str:
    """The DOM the browser built from the page (after parsing, as it renders it)."""
    result = subprocess.run(
        [
            chromium(),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={page.parent / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


class Elements(HTMLParser):
    """Tags with their attributes and text, as the browser's DOM has them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text_in: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("img", "br", "meta", "link"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        for tag in set(self.stack):
            self.text_in.setdefault(tag, []).append(data)


def stored(article: Article) -> StoredArticle:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return StoredArticle(
        id=1, article=article, source_path=None, content_hash="h", created_at=now, updated_at=now
    )


def test_the_browser_renders_faces_names_formatting_and_order(tmp_path: Path) -> None:
    article = parse_file(DATA / "markup_disqus.xml")
    hostile = Comment(
        index=len(article.comments),
        key="x",
        author="<b onmouseover=alert(1)>Eve</b>",
        depth=0,
        text="<script>alert(1)</script> plain",
    )
    article = article.model_copy(update={"comments": [*article.comments, hostile]})
    plan = build_plan(article, Mode.threads)
    page = tmp_path / "page.html"
    page.write_text(replay_page(stored(article), plan, Pace.fast), "utf-8")
    dom = Elements()
    dom.feed(rendered_dom(page))
    articles = [a for t, a in dom.tags if t == "article"]
    assert [a["data-seq"] for a in articles] == [
        str(s.seq) for s in plan.steps for _ in s.parts
    ]  # every message, in order
    avatars = [a["src"] for t, a in dom.tags if t == "img"]
    assert len(avatars) == len(articles)
    assert all(src and src.startswith("https://gravatar.com/avatar/") for src in avatars)
    names = "".join(dom.text_in["div"])
    for who in ("Mara Quill", "Tobias Wren", "Ines Hart", "<b onmouseover=alert(1)>Eve</b>"):
        assert who in names
    assert "bridge" in dom.text_in["strong"] and "nobody" in dom.text_in["u"]
    assert "the ending is sad" in "".join(dom.text_in["span"])  # the spoiler box
    assert any("nobody read it" in t for t in dom.text_in["blockquote"])
    assert any("total_089" in t for t in dom.text_in["pre"])
    assert "in the council's own words" in dom.text_in["a"]
    assert "replying to " in "".join(dom.text_in["p"])
    assert dom.text_in["title"] == ["Replay preview: Bridge report: what the council did not say"]
    assert not any(t == "script" for t, _ in dom.tags)  # archive text never becomes markup
    assert not any("onmouseover" in a for t, a in dom.tags if t == "b")
    assert "<script>alert(1)</script> plain" in "".join(dom.text_in["p"])


def test_markdown_html_draws_each_construct_the_bot_writes() -> None:
    cases = {
        "**b**": "<p><strong>b</strong></p>",
        "*i*": "<p><em>i</em></p>",
        "__u__": "<p><u>u</u></p>",
        "~~s~~": "<p><s>s</s></p>",
        "||x||": '<p><span class="spoiler">x</span></p>',
        "`a<b`": "<p><code>a&lt;b</code></p>",
        "\\*not bold\\*": "<p>*not bold*</p>",
        "> q": "<blockquote><p>q</p></blockquote>",
        "> > q": "<blockquote><blockquote><p>q</p></blockquote></blockquote>",
        "# H": '<p class="heading1">H</p>',
        "-# small": '<p class="sub">small</p>',
        "- item": '<ul style="margin-left:0px"><li>item</li></ul>',
        "[t](https://x.example/a)": '<p><a href="https://x.example/a">t</a></p>',
        "https://x.example/b": '<p><a href="https://x.example/b">https://x.example/b</a></p>',
        "<t:0:f>": "<p>1970-01-01 00:00 UTC</p>",
        "```py\nx < 1\n```": '<pre><code class="language-py">x &lt; 1</code></pre>',
    }
    for source, expected in cases.items():
        assert markdown_html(source) == expected, source


def test_preview_html_option_writes_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "t.db"
    assert main(["load", str(DATA / "markup_reddit.json"), "--db", str(db)]) == 0
    page = tmp_path / "plan.html"
    assert main(["preview", "reddit-mk1", "--db", str(db), "--html", str(page)]) == 0
    assert f"The page of this replay is in {page}" in capsys.readouterr().out
    text = page.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text
    assert "ben_okafor" in text and "41 points" in text
