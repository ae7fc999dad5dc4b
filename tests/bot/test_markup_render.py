"""The source's formatting as Discord markdown (bot/markup.py): each construct, and properties that
no input yields a message with unbalanced markup, a live mention, or more than Discord's limit."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import markup

FENCE = re.compile(r"^(?:> )*```", re.MULTILINE)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<b>b</b> <strong>s</strong>", "**b** **s**"),
        ("<i>i</i> <em>e</em>", "*i* *e*"),
        ("<u>u</u>", "__u__"),
        ("<s>s</s> <del>d</del>", "~~s~~ ~~d~~"),
        ("<code>a*b</code>", "`a*b`"),
        ("<code>a`b</code>", "`` a`b ``"),
        ("<spoiler>secret</spoiler>", "||secret||"),
        ("<p>one<p>two", "one\n\ntwo"),  # Hacker News leaves <p> open
        ("a<br>b", "a\nb"),
        ("<blockquote>q<blockquote>inner</blockquote></blockquote>", "> q\n> \n> > inner"),
        ("<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul>", "- a\n- b\n  - c"),
        ("<ol start=3><li>x</li><li>y</li></ol>", "3. x\n4. y"),
        ("<h2>Title</h2>", "## Title"),
        ('<pre><code class="language-rust">fn x() {}\n</code></pre>', "```rust\nfn x() {}\n```"),
        ("<pre>a ``` b</pre>", "```\na ``\u200b` b\n```"),  # a fence inside code cannot close it
        ('<a href="https://a.example/x">https://a.example/x</a>', "https://a.example/x"),
        ('<a href="https://a.example/x">the report</a>', "[the report](https://a.example/x)"),
        ('<a href="https://evil.example/">paypal.com</a>', "https://evil.example/"),
        ('<a href="https://evil.example/">https://paypal.com</a>', "https://evil.example/"),
        ('<a href="javascript:alert(1)">click</a>', "click"),
        ('<img src="https://i.example/a.png" alt="x">', "https://i.example/a.png"),
        ('<img src="data:image/png;base64,AAA" alt="pic">', "\\[image: pic\\]"),
        ("*stars* and _under_ typed", "\\*stars\\* and \\_under\\_ typed"),
        ("@everyone &lt;@123&gt; &lt;@&amp;9&gt;", "@\u200beveryone \\<@123> \\<@&9>"),
        ("<script>alert(1)</script>kept", "kept"),
        ("<b>see https://x.example</b>", "**see <https://x.example>**"),
    ],
)
def test_html_constructs(html: str, expected: str) -> None:
    assert markup.from_html(html) == expected


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        ("**b** *i* ~~s~~ `c`", "**b** *i* ~~s~~ `c`"),
        (">!hidden **bold**!< after", "||hidden **bold**|| after"),
        ("> quote\n>> nested", "> quote\n> \n> > nested"),
        ("```py\nx = '**'\n```", "```py\nx = '**'\n```"),
        ("    indented code", "```\nindented code\n```"),
        ("1. a\n2. b", "1. a\n2. b"),
        ("# Big", "# Big"),
        ("[docs](https://d.example)", "[docs](https://d.example)"),
        ("[d.example](https://evil.example)", "https://evil.example"),
        ("![pic](https://i.redd.it/p.png)", "https://i.redd.it/p.png"),
        ("hi @here <@1>", "hi @\u200bhere \\<@1>"),
        ("<b>raw html</b>", "<b>raw html\\</b>"),  # shown literally ("<b" means nothing to Discord)
        ("a\nb", "a b"),  # a single newline is a soft break, as on Reddit
    ],
)
def test_reddit_markdown_constructs(md: str, expected: str) -> None:
    assert markup.from_markdown(md) == expected


def test_long_code_block_is_closed_and_reopened_with_its_language() -> None:
    code = "\n".join(f"let v{i} = {i};" for i in range(300))
    parts = markup.split(markup.from_markdown(f"```js\n{code}\n```"), 2000)
    assert len(parts) >= 3 and all(len(p) <= 2000 for p in parts)
    assert all(p.startswith("```js\n") and p.endswith("\n```") for p in parts)
    inner = [line for p in parts for line in p.split("\n")[1:-1]]
    assert inner == code.split("\n")


def test_long_quote_keeps_its_marker_on_both_sides_of_a_cut() -> None:
    text = markup.from_html("<blockquote>" + "word " * 1200 + "</blockquote>")
    parts = markup.split(text, 2000)
    assert len(parts) >= 3
    assert all(p.startswith("> ") for p in parts)
    assert " ".join(w for p in parts for w in p.replace(">", " ").split()) == " ".join(
        ["word"] * 1200
    )


def test_a_spoiler_cut_in_two_is_closed_and_reopened() -> None:
    parts = markup.split(markup.from_markdown(">!" + "secret " * 700 + "!<"), 2000)
    assert len(parts) >= 2
    assert all(p.startswith("||") and p.rstrip().endswith("||") for p in parts)
    assert all(p.count("||") == 2 for p in parts)


def test_hostile_nesting_is_cheap_and_does_not_recurse() -> None:
    deep = "<b><i>" * 20000 + "x" + "</i></b>" * 20000
    assert "x" in markup.from_html(deep)
    quotes = "<blockquote>" * 5000 + "y"
    assert markup.from_html(quotes).endswith("y")


# ---- properties ------------------------------------------------------------------------------

TEXT = st.sampled_from(
    ["hello", "@everyone", "@here", "<@123>", "<@&7>", "<#5>", "```", "||", "`", "*", "_", "> ",
     "# ", "- ", "1. ", "~~", "\\", "[x](https://e.example)", "https://u.example/a", " ", "\n",
     "é", "&lt;@9&gt;", "!<", ">!"]
)  # fmt: skip
TAGS = ["b", "i", "u", "s", "code", "pre", "blockquote", "spoiler", "p", "li", "ul", "ol", "h1"]


@st.composite
def html_fragment(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 5 if depth < 4 else 1))
        if kind <= 1:
            parts.append(draw(TEXT))
        elif kind == 2:
            parts.append(draw(st.sampled_from(["<br>", '<img src="https://i.example/p.png">'])))
        elif kind == 3:
            href = draw(
                st.sampled_from(["https://a.example/", "javascript:x", "https://b.example/)"])
            )
            parts.append(f'<a href="{href}">{draw(html_fragment(depth + 1))}</a>')
        else:
            tag = draw(st.sampled_from(TAGS))
            close = draw(st.booleans())  # hostile HTML leaves tags open
            parts.append(
                f"<{tag}>{draw(html_fragment(depth + 1))}" + (f"</{tag}>" if close else "")
            )
    return "".join(parts)


def check_message(part: str, limit: int) -> None:
    assert len(part) <= limit
    assert len(FENCE.findall(part)) % 2 == 0, part
    lines, inside = [], False
    for line in part.split("\n"):
        if FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            lines.append(line)
    prose = "\n".join(lines)
    assert prose.count("||") % 2 == 0, part
    prose = re.sub(r"``.*?``|`[^`\n]*`", "", prose)  # inline code shows literally, never pings
    assert not re.search(r"@(everyone|here)", prose), part
    assert not re.search(r"(?<!\\)<(@|#)", prose), part


@settings(max_examples=250, deadline=None)
@given(html_fragment(), st.sampled_from([120, 400, 2000]))
def test_no_html_makes_unbalanced_markup_or_a_mention(html: str, limit: int) -> None:
    for part in markup.split(markup.from_html(html), limit):
        check_message(part, limit)


@settings(max_examples=250, deadline=None)
@given(st.lists(TEXT, max_size=40).map("".join), st.sampled_from([120, 400, 2000]))
def test_no_markdown_makes_unbalanced_markup_or_a_mention(md: str, limit: int) -> None:
    for part in markup.split(markup.from_markdown(md), limit):
        check_message(part, limit)
