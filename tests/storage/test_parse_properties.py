"""Property tests of the text-dump parser: it never crashes, and a rendered tree parses back unchanged."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from storage.errors import ParseError
from storage.models import Article
from storage.parsers import parse_bytes
from storage.parsers.textdump import MAX_AUTHOR, parse_text_dump

SETTINGS = settings(max_examples=150, deadline=None)
BULLETS = "•◦▪‣●○■*-–"

# Control characters are not text: the decoder refuses NUL and many controls as binary, and reads a
# lone CR as a line end. Surrogates cannot be encoded at all.
TEXT_CHARS = st.characters(blacklist_categories=("Cc", "Cs"))
WORDS = st.sampled_from(
    [
        "the",
        "bridge",
        "$5",
        "2,500 $",
        "www.example.com",
        "FILE IMAGE:",
        "•",
        "-",
        ">",
        "@everyone",
        "Zoë",
        "🦊",
        "مريم",
        "e\u0301",
        "\u00a0",
        "This comment was deleted.",
        "Load more comments",
    ]
)


def check_tree_shape(article: Article) -> None:
    """Invariants of any successful parse: pre-order indices, parents before children, depth steps of 1."""
    for i, c in enumerate(article.comments):
        assert c.index == i
        if c.parent is None:
            assert c.depth == 0
        else:
            assert 0 <= c.parent < i
            assert c.depth == article.comments[c.parent].depth + 1


def parse_or_refuse(text: str) -> None:
    """Parse `text`; a ParseError is an acceptable answer, any other exception fails the test."""
    try:
        article = parse_text_dump(text, key="fuzz", path="fuzz.txt")
    except ParseError as exc:
        assert exc.path == "fuzz.txt" and exc.problem  # names the file and says why
        return
    check_tree_shape(article)


# --- (a) any input parses or raises ParseError -----------------------------------------------------


@SETTINGS
@given(st.text())
def test_parse_any_text_parses_or_raises_parse_error(text: str) -> None:
    parse_or_refuse(text)


@st.composite
def dump_like_text(draw: st.DrawFn) -> str:
    """Text with the format's ingredients in random order: indentation, bullets, blank lines, words."""
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 40))):
        indent = draw(
            st.sampled_from(["", " ", "  ", "    ", "      ", "\t", "\t\t", "\u00a0 ", "   "])
        )
        bullet = draw(st.sampled_from(["", "• ", "- ", "* ", "◦ ", "•", "> "]))
        words = draw(st.lists(st.one_of(WORDS, st.text(TEXT_CHARS, max_size=8)), max_size=6))
        trail = draw(st.sampled_from(["", " ", "\u00a0", "\t"]))
        lines.append(indent + bullet + " ".join(words) + trail)
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines)


@SETTINGS
@given(dump_like_text())
def test_parse_dump_like_text_parses_or_raises_parse_error(text: str) -> None:
    parse_or_refuse(text)


@SETTINGS
@given(dump_like_text(), st.booleans())
def test_parse_dump_like_text_strict_parses_or_raises_parse_error(text: str, bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    try:
        article = parse_bytes(data, path="fuzz.txt", key="fuzz", strict=True)
    except ParseError as exc:
        assert exc.path == "fuzz.txt" and exc.problem
        return
    check_tree_shape(article)
    assert not any(w.code == "indent-jump" for w in article.warnings)


@SETTINGS
@given(st.binary())
def test_parse_bytes_any_bytes_parses_or_raises_parse_error(data: bytes) -> None:
    try:
        article = parse_bytes(data, path="fuzz.bin", key="fuzz")
    except ParseError as exc:
        assert exc.path == "fuzz.bin" and exc.problem
        return
    check_tree_shape(article)


@SETTINGS
@given(dump_like_text(), st.sampled_from(["utf-8", "cp1252", "latin-1", "utf-16"]))
def test_parse_bytes_dump_like_text_any_encoding_parses_or_raises(text: str, encoding: str) -> None:
    data = text.encode(encoding, errors="replace")
    try:
        article = parse_bytes(data, path="fuzz.txt", key="fuzz")
    except ParseError as exc:
        assert exc.path == "fuzz.txt" and exc.problem
        return
    check_tree_shape(article)


# --- (b) a rendered tree parses back to the same tree ----------------------------------------------


@dataclass
class Node:
    """One generated comment: its place in the tree and its text as paragraphs of lines."""

    author: str
    depth: int
    parent: int | None
    paragraphs: list[list[str]]

    @property
    def text(self) -> str:
        """The text the parser must give back."""
        return "\n\n".join("\n".join(p) for p in self.paragraphs)


# Authors: a header's name is one line, stripped, and a name starting with a bullet would read as a
# nested bullet. Names longer than MAX_AUTHOR are read as sentences of a pasted list, by design.
authors = st.text(TEXT_CHARS, min_size=1, max_size=MAX_AUTHOR).filter(
    lambda a: a == a.strip() and a[0] not in BULLETS
)
# Body lines are stored stripped, so a line is any text that is non-empty and equal to its strip.
# Lines that look like headers (`• x`, `- x`) are allowed: inside a body they are never followed by
# deeper text, which is what tells a reply header from a pasted list item.
line_text = (
    st.one_of(
        st.text(TEXT_CHARS, min_size=1, max_size=60),
        st.builds(
            lambda b, w: b + " ".join(w),
            st.sampled_from(["", "• ", "- ", "> ", "* "]),
            st.lists(WORDS, min_size=1, max_size=8),
        ),
    )
    .map(str.strip)
    .filter(bool)
)
paragraphs = st.lists(st.lists(line_text, min_size=1, max_size=3), min_size=1, max_size=3)


@st.composite
def comment_trees(draw: st.DrawFn) -> list[Node]:
    """A random comment tree in pre-order: each comment at most one level deeper than the previous."""
    nodes: list[Node] = []
    last_at_depth: list[int] = []  # index of the latest comment at each depth, for parents
    for i in range(draw(st.integers(1, 12))):
        depth = 0 if i == 0 else draw(st.integers(0, nodes[-1].depth + 1))
        parent = last_at_depth[depth - 1] if depth else None
        nodes.append(Node(draw(authors), depth, parent, draw(paragraphs)))
        last_at_depth[depth:] = [i]
    return nodes


TITLE_CURLY = "A “Quoted” Headline For The Round Trip"
TITLE_STRAIGHT = 'A "Quoted" Headline For The Round Trip'
CAPTION = "FILE IMAGE: a picture of the place"
ARTICLE = ["The first paragraph\u00a0of the article.", "The second one. It has two sentences."]
CALL_TO_ACTION = "Do you like this content? Consider helping us!"
blank_runs = st.lists(st.sampled_from(["", " ", "  \u00a0", "\t"]), max_size=3)


@st.composite
def rendered_dumps(draw: st.DrawFn) -> tuple[list[Node], bytes]:
    """A comment tree and the text-dump file a scraper would have written for it."""
    nodes = draw(comment_trees())
    unit = draw(st.sampled_from(["  ", "\t"]))  # one nesting level: two spaces, or a tab
    trail = st.sampled_from(["", " ", "\u00a0", "\u00a0\u00a0", "\t"])
    lines = ["0 $", "2,500 $", "5,000 $", "", TITLE_CURLY, "", "", TITLE_STRAIGHT, "", CAPTION, ""]
    for para in ARTICLE:
        lines += [para + draw(trail), ""]
    lines += ["", CALL_TO_ACTION]
    for node in nodes:
        lines += draw(blank_runs)
        lines.append(unit * (1 + node.depth) + "• " + node.author)
        lines += draw(blank_runs)
        for k, para in enumerate(node.paragraphs):
            if k:  # paragraphs are told apart by blank lines, so at least one
                lines += ["", *draw(blank_runs)]
            lines += [unit * (2 + node.depth) + line + draw(trail) for line in para]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return nodes, newline.join(lines).encode("utf-8")


@SETTINGS
@given(rendered_dumps())
def test_parse_rendered_tree_round_trips(dump: tuple[list[Node], bytes]) -> None:
    nodes, data = dump
    article = parse_bytes(data, path="round.txt", key="round", strict=True)
    assert [(c.author, c.depth, c.parent) for c in article.comments] == [
        (n.author, n.depth, n.parent) for n in nodes
    ]
    assert [c.text for c in article.comments] == [n.text for n in nodes]
    assert article.title == TITLE_CURLY
    assert article.caption == CAPTION
    assert article.paragraphs == ARTICLE
    assert article.warnings == []


# --- article bodies with lists ---------------------------------------------------------------------

ITEM_WORDS = [
    "apples",
    "Pears",
    "the",
    "city",
    "council",
    "2024",
    "budget",
    "€5",
    "plan",
    "—",
    "Zoë",
]
list_items = st.lists(st.sampled_from(ITEM_WORDS), min_size=1, max_size=5).map(" ".join)


@st.composite
def article_lists(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """An HTML list flattened as scrapes write it: `  • item` at 2, sub-items at 4, blank lines
    between. Returns its lines and the paragraphs it must become (bullet kept, nesting flat)."""
    lines: list[str] = []
    paragraphs: list[str] = []
    bullet = draw(st.sampled_from(["•", "◦", "-", "*"]))
    for _ in range(draw(st.integers(1, 4))):
        item = draw(list_items)
        lines += [f"  {bullet} {item}", ""]
        paragraphs.append(f"{bullet} {item}")
        for sub in draw(st.lists(list_items, max_size=2)):
            lines += [f"    {bullet} {sub}", ""]
            paragraphs.append(f"{bullet} {sub}")
    return lines, paragraphs


@st.composite
def dumps_with_article_lists(draw: st.DrawFn) -> tuple[list[Node], bytes, list[str], bool]:
    """A dump whose article holds lists, with or without the call to action before the comments."""
    nodes = draw(comment_trees())
    with_cta = draw(st.booleans())
    if not with_cta:  # without it, a first comment whose text starts as a list item is ambiguous
        first = nodes[0].paragraphs[0][0]
        assume(not re.match(r"[•◦▪‣●○■*\-–][ \t\u00a0]", first))
    lines = [TITLE_CURLY, "", CAPTION, ""]
    expected: list[str] = []
    for para in ARTICLE:
        lines += [para, ""]
        expected.append(para)
        if draw(st.booleans()):
            list_lines, list_paragraphs = draw(article_lists())
            lines += list_lines
            expected += list_paragraphs
    if not expected[-1].startswith(("•", "◦", "-", "*")):
        list_lines, list_paragraphs = draw(article_lists())  # at least one list, maybe at the end
        lines += list_lines
        expected += list_paragraphs
    if with_cta:
        lines += ["", CALL_TO_ACTION]
    for node in nodes:
        lines += ["", "  " * (1 + node.depth) + "• " + node.author, ""]
        for k, para in enumerate(node.paragraphs):
            if k:
                lines.append("")
            lines += ["  " * (2 + node.depth) + line for line in para]
    return nodes, "\n".join(lines).encode("utf-8"), expected, with_cta


@SETTINGS
@given(dumps_with_article_lists())
def test_article_lists_stay_article_text_and_invent_no_comment(
    dump: tuple[list[Node], bytes, list[str], bool],
) -> None:
    nodes, data, expected, with_cta = dump
    article = parse_bytes(data, path="lists.txt", key="lists")
    assert article.paragraphs == expected
    assert [(c.author, c.depth, c.parent) for c in article.comments] == [
        (n.author, n.depth, n.parent) for n in nodes
    ]
    assert [c.text for c in article.comments] == [n.text for n in nodes]
    guessed = [w for w in article.warnings if w.code == "comments-start-guessed"]
    assert bool(guessed) == (not with_cta)  # the boundary is said to be a guess exactly then
