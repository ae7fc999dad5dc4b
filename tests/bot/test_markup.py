"""bot/markup.py: the source's own formatting as Discord markdown, and `split` into messages.

The expected strings are what Discord needs to show each construct (`**b**` bold, `||s||` a
spoiler, `> ` a quote…) with everything else escaped so that it shows literally; the properties
check, for generated hostile HTML and Reddit markdown, that no message is over the limit, leaves a
code block or a spoiler open, or can ping.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import markup

ZW = "\u200b"  # render.escape's zero-width space: "@\u200beveryone" shows "@everyone", pings nobody
FENCE_LINE = re.compile(r"^(?:> )*```")
# An escape pair, or an inline code span (which Discord shows literally, mentions included).
ESCAPE_OR_CODE = re.compile(r"\\.|``.*?``|`[^`\n]*`", re.DOTALL)
LIVE_MASS_MENTION = re.compile(r"@(?:everyone|here)")  # "@\u200beveryone" does not match
# "<@", "<@&", "<#" after an even number of backslashes ("\\<@1>" is a backslash, then a mention).
LIVE_RAW_MENTION = re.compile(r"(?<!\\)(?:\\\\)*<[@#]")


# ---- helpers ---------------------------------------------------------------------------------


def prose(part: str) -> str:
    """A message's lines outside its fenced code blocks."""
    lines, inside = [], False
    for line in part.split("\n"):
        if FENCE_LINE.match(line):
            inside = not inside
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


def check_message(part: str, limit: int) -> None:
    """Every rule a message must keep, whatever the input."""
    assert 0 < len(part) <= limit, (len(part), part)
    lines = part.split("\n")
    fences = [i for i, line in enumerate(lines) if FENCE_LINE.match(line)]
    assert len(fences) % 2 == 0, part  # every code block closed
    assert all(b - a > 1 for a, b in zip(fences[::2], fences[1::2], strict=True)), (
        part
    )  # and none empty
    text = prose(part)
    assert "```" not in text, part  # three backticks anywhere else would open a code block
    assert text.count("||") % 2 == 0, part  # every spoiler closed
    shown = ESCAPE_OR_CODE.sub(lambda m: m.group() if m.group()[0] == "\\" else " ", text)
    assert not LIVE_MASS_MENTION.search(shown), part
    assert not LIVE_RAW_MENTION.search(shown), part


def content(text: str) -> str:
    """What `split` may not lose: every character but white space, the markers it adds or moves
    (fence lines, `||`, `<…>` around a link, backticks of a cut code span, quote markers)."""
    kept = [line for line in text.split("\n") if not FENCE_LINE.match(line)]
    return re.sub(r"[\s|`<>]", "", "\n".join(kept))


def check_split(rendered: str, limit: int) -> list[str]:
    parts = markup.split(rendered, limit)
    for part in parts:
        check_message(part, limit)
    assert content("\n".join(parts)) == content(rendered)
    return parts


# ---- Disqus / Hacker News HTML ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<b>bold</b> <strong>strong</strong>", "**bold** **strong**"),
        ("<i>it</i> <em>em</em>", "*it* *em*"),
        ("<u>under</u>", "__under__"),
        ("<s>gone</s> <del>old</del>", "~~gone~~ ~~old~~"),
        ("<b><i>both</i></b> <b>a <i>b</i> c</b>", "***both*** **a *b* c**"),
        ("<code>x = a*b_c</code>", "`x = a*b_c`"),  # nothing is escaped inside code
        ("<code>a`b</code>", "`` a`b ``"),  # a backtick inside: a double-backtick span
        ("<code>a```b</code>", f"`` a`{ZW}`{ZW}`b ``"),  # no "``" inside to close that span
        (
            '<pre><code class="language-python">def f():\n    return "**"\n</code></pre>',
            '```python\ndef f():\n    return "**"\n```',
        ),
        ("<pre>x ``` y</pre>", f"```\nx ``{ZW}` y\n```"),  # cannot close the block
        ("<pre>``````</pre>", f"```\n``{ZW}`{ZW}`{ZW}`{ZW}`\n```"),  # six are not two threes
        ("<blockquote>outer<blockquote>inner</blockquote></blockquote>", "> outer\n> \n> > inner"),
        (
            "<blockquote>a<blockquote>b<blockquote>c</blockquote></blockquote></blockquote>",
            "> a\n> \n> > b\n> > \n> > > c",
        ),
        ("<blockquote><pre>code</pre></blockquote>", "> ```\n> code\n> ```"),
        ("<ul><li>one</li><li>two<ul><li>deep</li></ul></li></ul>", "- one\n- two\n  - deep"),
        ("<ol><li>first</li><li>second</li></ol>", "1. first\n2. second"),
        ("<ol start=5><li>a</li><li>b</li></ol>", "5. a\n6. b"),
        ("<spoiler>the end</spoiler>", "||the end||"),
        ('<span class="spoiler">hidden</span>', "||hidden||"),
        ("<h1>One</h1><h2>Two</h2><h3>Three</h3>", "# One\n\n## Two\n\n### Three"),
        ("<h4>small</h4>", "**small**"),  # Discord has three heading sizes
        ("First paragraph<p>Second, <i>with</i> style<p>Third", "First paragraph\n\nSecond, *with* style\n\nThird"),
        ("line<br>break", "line\nbreak"),
        ("<script>alert(1)</script>kept", "kept"),
    ],
)  # fmt: skip
def test_html_constructs(html: str, expected: str) -> None:
    assert markup.from_html(html) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # The text is its own address: the bare address (Discord links it).
        ('<a href="https://news.example/story">https://news.example/story</a>', "https://news.example/story"),
        ('<a href="https://www.news.example/">news.example</a>', "https://www.news.example/"),
        # Other words: a masked link.
        ('<a href="https://news.example/story">the story</a>', "[the story](https://news.example/story)"),
        ('<a href="https://x.example/"><b>bold</b> words</a>', "[**bold** words](https://x.example/)"),
        # Text that looks like an address but points elsewhere: only where it really goes.
        ('<a href="https://phish.example/login">paypal.com</a>', "https://phish.example/login"),
        ('<a href="https://phish.example/login">https://www.paypal.com/signin</a>', "https://phish.example/login"),
        # Only http(s) becomes a link; an address that could end a masked link early is encoded.
        ('<a href="javascript:alert(1)">click me</a>', "click me"),
        ('<a href="ftp://files.example/x">files</a>', "files"),
        ('<a href="https://x.example/a_(b)">t</a>', "[t](https://x.example/a_%28b%29)"),
        ('<a href="https://x.example/@everyone">t</a>', "[t](https://x.example/%40everyone)"),
        # Images: the direct address on its own line (Discord shows the picture).
        ('<img src="https://img.example/cat.jpg" alt="cat">', "https://img.example/cat.jpg"),
        ('Look <img src="https://img.example/cat.jpg"> here', "Look\nhttps://img.example/cat.jpg\nhere"),
        ('<img src="cat.jpg" alt="a cat">', "\\[image: a cat\\]"),
        ('<a href="https://x.example/"><img src="https://img.example/p.png"></a>', "https://img.example/p.png\nhttps://x.example/"),
    ],
)  # fmt: skip
def test_html_links_and_images(html: str, expected: str) -> None:
    assert markup.from_html(html) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            "@everyone and @here, &lt;@123456&gt; &lt;@&amp;42&gt; &lt;#99&gt;",
            f"@{ZW}everyone and @{ZW}here, \\<@123456> \\<@&42> \\<#99>",
        ),
        ("hi <@123> @everyone", f"hi \\<@123> @{ZW}everyone"),  # raw in the HTML, too
        ("<b>@here</b>", f"**@{ZW}here**"),
        ("<code>@everyone &lt;@1&gt;</code>", "`@everyone <@1>`"),  # code shows it, never pings
        # Markdown typed as text shows literally.
        (
            "*not bold* _nor this_ ~~nor~~ ||nor|| # no heading > no quote [no](link) 1. no",
            "\\*not bold\\* \\_nor this\\_ \\~\\~nor\\~\\~ \\|\\|nor\\|\\| \\# no heading \\> no"
            " quote \\[no\\](link) 1\\. no",
        ),
    ],
)
def test_html_text_is_escaped_and_cannot_mention(html: str, expected: str) -> None:
    assert markup.from_html(html) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # Two like markers side by side read as one `**`: a zero-width space keeps them apart.
        ("<b>a</b><b>b</b>", f"**a**{ZW}**b**"),
        ("<i>a</i><b>b</b>", f"*a*{ZW}**b**"),
        ("<s>a</s><s>b</s>", f"~~a~~{ZW}~~b~~"),
        ("<code>a</code><code>b</code>", f"`a`{ZW}`b`"),
        # A mention made of two pieces of text is kept in two.
        ("&lt;<span>@123&gt;</span>", f"<{ZW}@123>"),
        ("@<span>every</span>one", f"@every{ZW}one"),
        ("@e<b></b>veryone", f"@e{ZW}veryone"),
        ('<a href="">!&lt;@</a>everyone', f"!\\<@{ZW}everyone"),  # both mentions it overlaps
        # A bare link followed by more than a space is closed, or it would take that in.
        ('<a href="https://x.example/a">https://x.example/a</a>end', "<https://x.example/a>end"),
        ('<a href="https://x.example/a">https://x.example/a</a>, then', "https://x.example/a, then"),
        ("<b>see https://x.example</b>", "**see <https://x.example>**"),
        ("<i><b>https://x.example</b></i>", "***<https://x.example>***"),
        ('<a href="https://x.example/a">https://x.example/a</a>\\&lt;@1&gt;', "<https://x.example/a>\\\\\\<@1>"),
        ('<b><a href="https://x.example/a">words</a></b>', "**[words](https://x.example/a)**"),
        # The same markup nested is written once.
        ("<i><em>x</em></i>", "*x*"),
        ("<h4><b>x</b></h4>", "**x**"),
        # Markup around blocks goes on each line of text, never on a code block's fence.
        ("<b>x<pre class='language-py'>code</pre>y</b>", "**x**\n\n```py\ncode\n```\n\n**y**"),
        ("<spoiler>a<pre>secret code</pre>b</spoiler>", "||a||\n\n```\nsecret code\n```\n\n||b||"),
        ("<spoiler>a<p>b</p></spoiler>", "||a||\n\n||b||"),
        ("<span><blockquote>q</blockquote></span>", "> q"),
        # A code block in a list item starts its line, where `split` sees its fence.
        ("<ul><li>run:<pre>make\n\nmake install</pre></li></ul>", "- run:\n```\nmake\n\nmake install\n```"),
        # A `<pre>` in a heading is inline code.
        ("<h2>a <pre>b</pre></h2>", "## a `b`"),
        # Entities encoded twice (WordPress imports) decode like the plain text.
        ("&amp;#8220;quoted&amp;#8221; &amp;amp;", "“quoted” &"),
    ],
)  # fmt: skip
def test_html_pieces_meet_without_making_markup(html: str, expected: str) -> None:
    assert markup.from_html(html) == expected


# ---- Reddit markdown -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        ("**bold** *it* _it2_ ~~gone~~", "**bold** *it* *it2* ~~gone~~"),
        ("***both*** **a *b* c**", "***both*** **a *b* c**"),
        ("__strong__", "**strong**"),  # on Reddit, __ is bold
        ("`x = a*b`", "`x = a*b`"),
        ("`` a`b ``", "`` a`b ``"),
        ("```python\ndef f():\n    return 1\n```", "```python\ndef f():\n    return 1\n```"),
        ("```\nx ``` y\n```", f"```\nx ``{ZW}` y\n```"),
        ("    indented", "```\nindented\n```"),
        ("> outer\n>> inner", "> outer\n> \n> > inner"),
        ("- one\n- two\n\n1. first\n2. second", "- one\n- two\n\n1. first\n2. second"),
        ("- a\n  - b", "- a\n  - b"),
        ("# One\n## Two\n### Three", "# One\n\n## Two\n\n### Three"),
        ("#### Four", "**Four**"),
        (">!spoiler!<", "||spoiler||"),
        (">!**bold** secret!< after", "||**bold** secret|| after"),
        (">!a!< and >!b!<", "||a|| and ||b||"),
        ("> >!quoted spoiler!<", "> ||quoted spoiler||"),
        ("`>!not a spoiler!<`", "`>!not a spoiler!<`"),  # inside code it is code
        ("```\n>!code!<\n```", "```\n>!code!<\n```"),
        ("text >!two\n\nparagraphs!<", "text \\>!two\n\nparagraphs!<"),  # Reddit does not either
        ("line one\nline two", "line one line two"),  # a soft break, as Reddit shows it
        ("a  \nb", "a\nb"),
        ("***", "───"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n1 | 2"),
    ],
)  # fmt: skip
def test_reddit_constructs(md: str, expected: str) -> None:
    assert markup.from_markdown(md) == expected


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        ("[the story](https://news.example/story)", "[the story](https://news.example/story)"),
        ("<https://news.example/story>", "https://news.example/story"),
        ("[https://news.example/story](https://news.example/story)", "https://news.example/story"),
        ("[paypal.com](https://phish.example/login)", "https://phish.example/login"),
        ("[www.bank.example](https://phish.example/)", "https://phish.example/"),
        ("[x](ftp://files.example/x)", "x"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),  # not a link: literal
        ("![cat](https://img.example/cat.jpg)", "https://img.example/cat.jpg"),
        ("see ![cat](https://img.example/cat.jpg) here", "see\nhttps://img.example/cat.jpg\nhere"),
        (
            "[![cat](https://img.example/cat.jpg)](https://site.example/)",
            "https://img.example/cat.jpg\nhttps://site.example/",
        ),
        (">!https://x.example!<", "||<https://x.example>||"),  # "||" would be read into the link
        ("**[docs](https://d.example)**", "**[docs](https://d.example)**"),
    ],
)
def test_reddit_links_and_images(md: str, expected: str) -> None:
    assert markup.from_markdown(md) == expected


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        ("@everyone and @here <@123> <@&4> <#9>", f"@{ZW}everyone and @{ZW}here \\<@123> \\<@&4> \\<#9>"),
        ("`inline <@1> code` and @here", f"`inline <@1> code` and @{ZW}here"),
        ("&lt;@1&gt;", "\\<@1>"),
        ("*literal* \\*stars\\* # no", "*literal* \\*stars\\* \\# no"),
        ("<b>raw html</b>", "<b>raw html\\</b>"),  # shown literally ("<b" means nothing)
        ("&gt; not a quote", "\\> not a quote"),
        ("a ||b|| c", "a \\|\\|b\\|\\| c"),
    ],
)  # fmt: skip
def test_reddit_text_is_escaped_and_cannot_mention(md: str, expected: str) -> None:
    assert markup.from_markdown(md) == expected


# ---- split -----------------------------------------------------------------------------------

CODE = [f"    total_{i:03d} = compute(step={i}, scale=2)  # line {i}" for i in range(300)]


@pytest.mark.parametrize(
    "rendered",
    [
        markup.from_html('<pre><code class="language-python">' + "\n".join(CODE) + "</code></pre>"),
        markup.from_markdown("```python\n" + "\n".join(CODE) + "\n```"),
    ],
    ids=["html", "markdown"],
)
def test_code_longer_than_a_message_is_closed_and_reopened_with_its_language(
    rendered: str,
) -> None:
    parts = check_split(rendered, 2000)
    assert len(parts) == 9  # 16,280 characters of code
    assert all(p.startswith("```python\n") and p.endswith("\n```") for p in parts)
    assert [line for p in parts for line in p.split("\n")[1:-1]] == CODE


def test_code_in_a_quote_keeps_the_quote_and_the_language_at_every_cut() -> None:
    rendered = markup.from_html(
        '<blockquote>see:<pre class="lang-js">' + "\n".join(CODE) + "</pre>done</blockquote>"
    )
    parts = check_split(rendered, 2000)
    assert parts[0].startswith("> see:\n> \n> ```js\n")
    assert all(p.startswith("> ```js\n") for p in parts[1:])
    assert all(p.endswith("\n> ```") for p in parts[:-1])
    assert parts[-1].endswith("> ```\n> \n> done")
    assert [line[2:] for p in parts for line in p.split("\n") if "total_" in line] == CODE


def test_a_long_quote_keeps_its_marker_on_both_sides_of_a_cut() -> None:
    parts = check_split(markup.from_html("<blockquote>" + "word " * 1200 + "</blockquote>"), 2000)
    assert len(parts) == 4
    assert all(p.startswith("> word") and "\n" not in p for p in parts)
    assert " ".join(w for p in parts for w in p[2:].split()) == " ".join(["word"] * 1200)


def test_a_spoiler_cut_in_two_is_closed_and_reopened() -> None:
    parts = check_split(markup.from_markdown(">!" + "secret " * 700 + "!<"), 2000)
    assert len(parts) == 3
    assert all(p.startswith("||secret") and p.endswith("secret||") for p in parts)
    assert all(p.count("||") == 2 for p in parts)


def test_a_spoiler_ending_in_a_link_is_closed_after_the_link() -> None:
    rendered = markup.from_html("<spoiler>" + "word " * 60 + "https://x.example/a</spoiler>")
    parts = check_split(rendered, 200)
    assert parts[0].startswith("||word") and parts[0].endswith("word||")
    assert parts[-1].endswith(" <https://x.example/a>||")


def test_a_long_inline_code_span_is_cut_into_spans_not_into_text() -> None:
    rendered = markup.from_markdown("`" + "code <@1> " * 60 + "`")
    parts = check_split(rendered, 200)
    assert len(parts) == 4
    for part in parts:  # each piece is code from end to end: its mention still shows literally
        assert re.fullmatch(r"`[^`]+`", part), part
    assert " ".join(p[1:-1] for p in parts) == " ".join(["code <@1>"] * 60)


def test_a_word_longer_than_a_message_is_cut_but_not_inside_an_escape() -> None:
    rendered = markup.from_html("_" * 500)
    assert rendered == "\\_" * 500
    parts = check_split(rendered, 200)
    assert all(re.fullmatch(r"(?:\\_)+", p) for p in parts)
    assert "".join(parts) == rendered


def test_a_code_block_starts_the_next_message_rather_than_ending_this_one() -> None:
    rendered = "w " * 94 + "w\n```py\nprint(1)\n```"  # the text fills most of the first message
    assert markup.split(rendered, 200) == ["w " * 94 + "w", "```py\nprint(1)\n```"]


def test_short_text_is_one_message_as_it_is() -> None:
    rendered = markup.from_html("<b>hi</b> <spoiler>there</spoiler>")
    assert markup.split(rendered, 2000) == ["**hi** ||there||"]
    assert markup.split("", 2000) == []


# ---- hostile input ---------------------------------------------------------------------------


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


@pytest.mark.parametrize(
    ("html", "end"),
    [
        ("<b><i>" * 10_000 + "x" + "</i></b>" * 10_000, "***x***"),
        ("<blockquote>" * 10_000 + "deep", "deep"),
        ("<spoiler>" * 10_000 + "x", "||x||"),
        ("<ul><li>" * 10_000 + "x", "x"),
        ("<pre><code>" * 10_000 + "x", "x\n```"),
        ("<a href='https://x.example'>" * 10_000 + "x", "(https://x.example)"),
    ],
)
def test_html_nested_ten_thousand_deep_is_cheap_and_keeps_its_words(html: str, end: str) -> None:
    rendered, seconds = timed(markup.from_html, html)
    assert rendered.endswith(end) and seconds < 2
    assert rendered.count("> ") <= markup.MAX_NESTING  # no deeper than the cap
    for part in markup.split(rendered, 2000):
        check_message(part, 2000)


@pytest.mark.parametrize(
    ("md", "end"),
    [
        (">" * 10_000 + " deep", "deep"),
        ("- " * 10_000 + "x", "x"),
        ("*" * 10_000 + "x" + "*" * 10_000, "**x**"),  # bold in bold in bold… is bold
        ("[" * 10_000 + "x" + "]" * 10_000, "\\[" * 10_000 + "x" + "\\]" * 10_000),
        (">!a " * 20_000, "a"),  # one scan, not a regex trying every ">!" to the end
    ],
)
def test_markdown_nested_ten_thousand_deep_is_cheap_and_keeps_its_words(md: str, end: str) -> None:
    rendered, seconds = timed(markup.from_markdown, md)
    assert rendered.endswith(end) and seconds < 3
    assert content(rendered).count("deep") == md.count("deep")


def test_a_hundred_thousand_tags_cost_linear_time() -> None:
    rendered, seconds = timed(markup.from_html, "<b>x</b> " * 100_000)
    assert rendered == " ".join(["**x**"] * 100_000) and seconds < 10
    parts, seconds = timed(markup.split, rendered, 2000)
    assert seconds < 2 and len(parts) == 302  # 332 words of 6 characters to a message
    assert all(len(p) > 1990 for p in parts[:-1])


# ---- properties ------------------------------------------------------------------------------

TEXT = st.sampled_from(
    ["hello", "@everyone", "@here", "<@123>", "<@&7>", "<#5>", "&lt;@9&gt;", "&amp;lt;@8&amp;gt;",
     "```", "||", "`", "*", "_", "> ", "#", "# ", "- ", "1. ", "~~", "\\", "<", "@", "everyone",
     "[x](https://e.example)", "https://u.example/a", "www.paypal.com", " ", "\n", "é", "e\u0301",
     "!<", ">!", "|", "x" * 150, "word " * 30, "https://long.example/" + "p" * 120]
)  # fmt: skip
HREF = st.sampled_from(
    ["https://a.example/", "https://a.example/x_(y)", "javascript:alert(1)", "https://u.example/a",
     "mailto:x@y.example", "https://e.example/@everyone", "http://b.example/a|b", ""]
)  # fmt: skip
TAG = st.sampled_from(
    ["b", "i", "u", "s", "em", "strong", "del", "code", "pre", "blockquote", "spoiler", "p", "ul",
     "ol", "li", "h1", "h2", "h4", "span", 'span class="spoiler"']
)  # fmt: skip
VOID = st.sampled_from(
    ["<br>", "<p>", "<hr>", '<img src="https://i.example/p.png">', '<img alt="pic" src="p.png">']
)


@st.composite
def html_fragment(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 6 if depth < 5 else 1))
        if kind <= 1:
            parts.append(draw(TEXT))
        elif kind == 2:
            parts.append(draw(VOID))
        elif kind == 3:
            parts.append(f'<a href="{draw(HREF)}">{draw(html_fragment(depth + 1))}</a>')
        elif kind == 4:
            code = draw(html_fragment(depth + 1))
            parts.append(f'<pre><code class="language-py">{code}</code></pre>')
        elif kind == 5:  # deep, and long enough to be cut
            tag = draw(st.sampled_from(["blockquote", "ul><li", "b", "spoiler", "ol><li"]))
            long = draw(st.sampled_from(["", "<pre>" + ("x = 1 " * 30 + "\n") * 12, "w " * 120]))
            parts.append(f"<{tag}>" * draw(st.integers(1, 60)) + draw(html_fragment(5)) + long)
        else:
            tag = draw(TAG)
            # Hostile HTML leaves tags open.
            end = f"</{tag.split()[0]}>" if draw(st.booleans()) else ""
            parts.append(f"<{tag}>{draw(html_fragment(depth + 1))}{end}")
    return "".join(parts)


MARKDOWN = st.sampled_from(
    ["**", "*", "_", "__", "~~", "`", "```", "```py\n", "\n```\n", ">!", "!<", "> ", ">> ", "# ",
     "- ", "1. ", "[x](https://e.example)", "![i](https://i.example/p.png)", "<https://u.example>",
     "https://u.example/a", "@everyone", "@here", "<@123>", "<#5>", "<@&7>", "||", "\\", "\n",
     "\n\n", "    ", "word", " ", "é", "|", "&lt;@1&gt;", "x" * 150, "word " * 30,
     "[p.com](https://e.example)", "`<@1> x`", ">!**b** x!<", "<", "@"]
)  # fmt: skip
LIMIT = st.sampled_from([200, 2000])
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(html_fragment(), LIMIT)
def test_no_html_makes_a_message_too_long_unbalanced_or_pinging(html: str, limit: int) -> None:
    check_split(markup.from_html(html), limit)


@PROPERTY
@given(st.lists(MARKDOWN, max_size=50).map("".join), LIMIT)
def test_no_markdown_makes_a_message_too_long_unbalanced_or_pinging(md: str, limit: int) -> None:
    check_split(markup.from_markdown(md), limit)


def test_the_checks_catch_what_they_are_for() -> None:
    """The property checks are not vacuous: each rejects the message it exists for."""
    bad = [
        "x" * 201,
        "```py\ncode",
        "```py\n```",
        "a ``` b",
        "||open",
        "@everyone",
        "\\\\<@1>",
        "<#5>",
    ]
    for message in bad:
        with pytest.raises(AssertionError):
            check_message(message, 200)
    check_message(f"`<@1>` \\<@2> @{ZW}here\n```py\nx ||\n```", 200)
