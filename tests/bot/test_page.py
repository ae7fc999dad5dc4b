"""The replay page (`threadreplay preview --html`, `/replay plan`'s attachment), read back from the DOM
a real headless browser (Debian's chromium) builds from it, and its markdown converter alone."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from bot import render
from bot.cli import main
from bot.replay.page import markdown_html, replay_page
from bot.replay.plan import build_plan
from storage.models import Article, Comment, Mode, Pace, StoredArticle

DATA = Path(__file__).parents[1] / "data"
T0 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
HOSTILE_NAME = "<b onmouseover=alert(1)>Eve</b>"
HOSTILE_TEXT = "Plain <script>alert(1)</script> & *not bold*"


def chromium() -> str:
    """Debian's chromium (`.ci/run` installs it when missing): no browser is a failure, not a skip."""
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    pytest.fail(
        "the replay page test needs a headless browser and found none: install Debian's chromium"
        " (as root: DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends"
        " chromium; .ci/run does it)"
    )


def rendered_dom(page: Path) -> str:
    """The DOM the browser built from the page, serialised. No network: every host name fails
    to resolve, so the page shows what it shows offline (avatars apart, which then do not load)."""
    command = [
        chromium(),
        "--headless=new",
        "--no-sandbox",  # running as root (CI) needs it
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={page.parent / 'chromium-profile'}",
        "--dump-dom",
        page.as_uri(),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("chromium did not render the page within 120 s")
    assert result.returncode == 0 and "<main>" in result.stdout, result.stderr[-2000:]
    return result.stdout


@dataclasses.dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = dataclasses.field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        """Every element below (document order) with this tag and/or class."""
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                classes = child.attrs.get("class", "").split()
                if (tag is None or child.tag == tag) and (cls is None or cls in classes):
                    found.append(child)
                found += child.all(tag, cls)
        return found


class _Tree(HTMLParser):
    """The browser's serialised DOM back into a tree (it is well formed: the browser wrote it)."""

    VOID = frozenset({"img", "br", "meta", "link", "hr", "input", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        while len(self.stack) > 1 and self.stack.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def dom_of(page: Path) -> Node:
    tree = _Tree()
    tree.feed(rendered_dom(page))
    return tree.root


def stored(article: Article) -> StoredArticle:
    return StoredArticle(
        id=1, article=article, source_path=None, content_hash="h", created_at=T0, updated_at=T0
    )


def comment(
    index: int, author: str, depth: int, parent: int | None, text: str, **kw: Any
) -> Comment:
    return Comment(index=index, key=f"c{index}", author=author, depth=depth, parent=parent, text=text,
                   created_at=T0, **kw)  # fmt: skip


def discussion() -> Article:
    """Two threads and a lone comment: source HTML, Reddit markdown, plain text, hostile text."""
    html = (
        "<p>The <b>bridge</b> report, <code>x &lt; 1</code>.</p>"
        "<blockquote><p>nobody read it</p></blockquote>"
        '<p>See <a href="https://harbour.example/summary">the summary</a>.</p>'
    )
    comments = [
        comment(0, "Mara Quill", 0, None, "The bridge report", markup=html, markup_format="html", score=12),
        comment(1, "Tobias Wren", 1, 0, "spoiler", markup=">!the ending is sad!< and ~~struck~~",
                markup_format="markdown"),
        comment(2, "Ines Hart", 2, 1, HOSTILE_TEXT),
        comment(3, HOSTILE_NAME, 0, None, "Second thread opener"),
        comment(4, "Ola Dev", 1, 3, "A plain reply"),
        comment(5, "Zed Lone", 0, None, "Nobody answered me"),
    ]  # fmt: skip
    return Article(
        key="page-test",
        format="disqus",
        title="Bridge report: what the council <i>did</i> not say",
        caption="Harbour news",
        summary="The council published its report.",
        source_url="https://harbour.example/markup",
        comments=comments,
    )


def test_the_browser_renders_card_threads_faces_names_reply_lines_and_formatting(
    tmp_path: Path,
) -> None:
    article = discussion()
    plan = build_plan(article, Mode.threads)
    plan.steps[4] = dataclasses.replace(plan.steps[4], avatar_url=None)  # the webhook's own face
    page = tmp_path / "page.html"
    page.write_text(replay_page(stored(article), plan, Pace.fast), "utf-8")
    dom = dom_of(page)
    [main_] = dom.all("main")

    assert dom.all("title")[0].text == f"Replay preview: {article.title}"
    [card] = main_.all(cls="card")
    assert card.all(cls="title")[0].text == article.title  # shown as text, not as markup
    assert (
        "Harbour news" in card.text
        and "Participants" in card.text
        and "key: page-test" in card.text
    )

    messages = main_.all("article")[1:]  # the first is the bot's card
    assert [m.attrs["data-seq"] for m in messages] == [str(s.seq) for s in plan.steps]
    names = [m.all(cls="who")[0].text for m in messages]
    assert names == ["Mara Quill", "Tobias Wren", "Ines Hart", HOSTILE_NAME, "Ola Dev", "Zed Lone"]
    faces = [m.all("img")[0].attrs["src"] if m.all("img") else None for m in messages]
    assert faces == [s.avatar_url for s in plan.steps]
    assert all(f.startswith("https://gravatar.com/avatar/") for f in faces if f)
    assert faces[4] is None and messages[4].all("div", "avatar")  # a neutral circle instead

    threads = main_.all("section", "thread")
    assert [t.all(cls="name")[0].text.removeprefix("THREAD") for t in threads] == [
        s.opens_thread for s in plan.steps if s.opens_thread
    ]
    assert [m.all(cls="who")[0].text for m in threads[0].all("article")] == [
        "Tobias Wren",
        "Ines Hart",
    ]
    assert [m.all(cls="who")[0].text for m in threads[1].all("article")] == ["Ola Dev"]
    assert not any(m.attrs["data-seq"] == "5" for t in threads for m in t.all("article"))

    mara, tobias, ines = messages[:3]
    assert [e.text for e in mara.all("strong")] == ["bridge"]
    assert [e.text for e in mara.all("code")] == ["x < 1"]
    assert "nobody read it" in mara.all("blockquote")[0].text
    assert [(a.attrs["href"], a.text) for a in mara.all("a")] == [
        ("https://harbour.example/summary", "the summary")
    ]
    assert mara.all(cls="subtext")[0].text == "12 points · 2024-01-02 03:04 UTC"
    assert [e.text for e in tobias.all("span", "spoiler")] == ["the ending is sad"]
    assert [e.text for e in tobias.all("s")] == ["struck"]
    assert ines.all(cls="subtext")[0].text == "↳ replying to Tobias Wren · 2024-01-02 03:04 UTC"
    assert [e.text for e in ines.all(cls="subtext")[0].all("strong")] == ["Tobias Wren"]
    assert HOSTILE_TEXT in ines.all(cls="part")[0].text  # archive text stays text

    assert not main_.all("script") and not main_.all("b") and not main_.all("i")
    assert not any("onmouseover" in n.attrs for n in dom.all())
    assert not messages[2].all("em")  # `*not bold*` was escaped, and shows as typed
    summary = main_.all("section", "summary")[0].text
    assert "6 comments → 6 messages, 2 threads, about" in summary


def test_single_mode_is_one_thread_named_after_the_article_and_warnings_show(
    tmp_path: Path,
) -> None:
    article = discussion()
    plan = build_plan(article, Mode.single)
    page = tmp_path / "single.html"
    page.write_text(replay_page(stored(article), plan, Pace.natural), "utf-8")
    dom = dom_of(page)
    [thread] = dom.all("section", "thread")
    assert thread.all(cls="name")[0].text == f"THREAD{article.title}"
    assert len(thread.all("article")) == len(plan.steps)
    lone = thread.all("article")[5]
    assert lone.all(cls="subtext")[0].text == "2024-01-02 03:04 UTC"  # top level: no reply line
    warnings = [li.text for li in dom.all("ul", "warnings")[0].all("li")]
    assert warnings == plan.warnings and any("neutralised" in w for w in warnings)


CASES = {
    "**b**": "<p><strong>b</strong></p>",
    "*i* and _j_": "<p><em>i</em> and <em>j</em></p>",
    "***bi***": "<p><strong><em>bi</em></strong></p>",
    "__u__": "<p><u>u</u></p>",
    "~~s~~": "<p><s>s</s></p>",
    "||x||": '<p><span class="spoiler">x</span></p>',
    "||a\nb||": '<p><span class="spoiler">a</span><br><span class="spoiler">b</span></p>',
    "`a<b`": "<p><code>a&lt;b</code></p>",
    "`` a`b ``": "<p><code>a`b</code></p>",
    "`**x**`": "<p><code>**x**</code></p>",
    "```py\nx < 1\n**y**\n```": '<pre><code class="language-py">x &lt; 1\n**y**</code></pre>',
    "> q\n> \n> > r": "<blockquote><p>q</p><p></p><blockquote><p>r</p></blockquote></blockquote>",
    "- a\n- b": "<ul><li><p>a</p></li><li><p>b</p></li></ul>",
    "3. c\n4. d\n   - e": '<ol start="3"><li><p>c</p></li><li><p>d</p><ul><li><p>e</p></li></ul></li></ol>',
    "# H1\n## H2\n### H3": "<h1>H1</h1><h2>H2</h2><h3>H3</h3>",
    "-# small *print*": '<div class="subtext">small <em>print</em></div>',
    "[t **b**](<https://x.example/a?b=1&c=2>)":
        '<p><a href="https://x.example/a?b=1&amp;c=2" rel="noopener noreferrer">t <strong>b</strong></a></p>',
    "go https://x.example/b_c_d.": '<p>go <a href="https://x.example/b_c_d" rel="noopener noreferrer">'
        "https://x.example/b_c_d</a>.</p>",
    "<https://x.example/c>": '<p><a href="https://x.example/c" rel="noopener noreferrer">https://x.example/c</a></p>',
    "<t:1704164645:f>": '<p><time datetime="2024-01-02T03:04:05+00:00">2024-01-02 03:04 UTC</time></p>',
    "\\*not\\* \\_em\\_ \\# \\> \\|\\|": "<p>*not* _em_ # &gt; ||</p>",
    "\\<script>x</script>": "<p>&lt;script&gt;x&lt;/script&gt;</p>",
    '<b onmouseover="x">&amp;': "<p>&lt;b onmouseover=&quot;x&quot;&gt;&amp;amp;</p>",
    "\\[x\\](https://evil.example)": '<p>[x](<a href="https://evil.example" rel="noopener noreferrer">'
        "https://evil.example</a>)</p>",
    "@\u200beveryone |\u200b|": "<p>@\u200beveryone |\u200b|</p>",
    "a\n\nb": "<p>a</p><p></p><p>b</p>",
}  # fmt: skip


@pytest.mark.parametrize(("source", "expected"), CASES.items(), ids=list(CASES))
def test_markdown_html_draws_each_construct_the_bot_writes(source: str, expected: str) -> None:
    assert markdown_html(source) == expected


def test_preview_html_option_writes_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "t.db"
    assert main(["load", str(DATA / "markup_reddit.json"), "--db", str(db)]) == 0
    capsys.readouterr()
    page = tmp_path / "plan.html"
    assert main(["preview", "reddit-mk1", "--db", str(db), "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Replay plan for Bridge tolls, explained (reddit-mk1)")  # text kept
    assert out.endswith(f"The page of this replay is in {page} (open it in any browser).\n")
    text = page.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text
    assert "ben_okafor" in text and "41 points" in text
    assert (
        main(["preview", "reddit-mk1", "--db", str(db), "--html", str(tmp_path / "no" / "x.html")])
        == 2
    )
    assert "cannot write" in capsys.readouterr().err


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: set[tuple[str, str]] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags |= {(tag, name) for name, _ in attrs} | {(tag, "")}

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


DRAWN = {"p", "br", "strong", "em", "u", "s", "span", "code", "pre", "blockquote", "ul", "ol",
         "li", "h1", "h2", "h3", "div", "a", "time"}  # fmt: skip


PIECES = [*"ab <>&\"'\\*_~`|[]()#->!.1@:/\u200b\n", "https://x.example/a_b", "steam://run/1*2*", "<t:1:f>",
          "@everyone", "||", "```", "**", "- ", "1. ", "-# ", "> "]  # fmt: skip


def _lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.replace("\u200b", "").split("\n")).strip()


@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
@example("steam://run/1*2*<t:1:f>")
@example("https://x.example/a_b||||")
def test_escaped_archive_text_shows_exactly_as_written(text: str) -> None:
    """Whatever the archive says, `render.escape` then the page shows those very characters.

    Two shapes `render.escape` leaves to Discord's reading, which the page then shows as Discord
    does: "<" right before an address (`<https://a>` shows as the bare link) and a ">" inside an
    address followed by "<" (escaped as `<https://a/b>c>`, which ends at the first ">")."""
    assume(not re.search(r"<(?:https?|steam)://|://[^\s<]*>[^\s<]*<", text))
    shown = _Text()
    shown.feed(markdown_html(render.escape(text)).replace("<br>", "\n").replace("</p><p>", "\n"))
    assert _lines("".join(shown.parts)) == _lines(text)
    assert {tag for tag, _ in shown.tags} <= DRAWN
    assert {attr for _, attr in shown.tags} <= {"", "href", "rel", "class", "start", "datetime"}
