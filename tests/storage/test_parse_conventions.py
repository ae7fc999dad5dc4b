"""The text-dump conventions and the messy cases real dumps hold, one input file in tests/data/ each."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from storage.errors import ParseError
from storage.models import Article
from storage.parsers import parse_bytes, parse_file

DATA = Path(__file__).resolve().parents[1] / "data"


def parse(name: str, *, strict: bool = False) -> Article:
    """Parse one file of tests/data/."""
    return parse_file(DATA / name, strict=strict)


def tree(article: Article) -> list[tuple[str, int, int | None]]:
    """(author, depth, parent) of every comment, in file order."""
    return [(c.author, c.depth, c.parent) for c in article.comments]


# --- encodings and line endings ------------------------------------------------------------------


def test_parse_plain_reads_article_and_thread() -> None:
    article = parse("plain.txt")
    assert article.title == "Harbour Bridge “Reopens” After Repairs"
    assert article.caption == "FILE IMAGE: The bridge at dawn"
    assert article.paragraphs == [
        "The bridge reopened on Monday after six months of repairs.",
        "Traffic was light in the morning. Officials expect queues by Friday.",
    ]
    assert tree(article) == [
        ("Ana Lima", 0, None),
        ("Ben Okafor", 1, 0),
        ("Ana Lima", 2, 1),
        ("Chris", 0, None),
    ]
    assert article.warnings == []


def test_parse_crlf_and_bom_same_as_plain() -> None:
    plain = parse("plain.txt")
    crlf = parse("crlf_bom.txt")
    assert crlf.warnings == []
    assert crlf.model_dump(exclude={"key"}) == plain.model_dump(exclude={"key"})


def test_parse_cp1252_decodes_text_with_encoding_warning() -> None:
    article = parse("cp1252.txt")
    assert article.title == "The “Euro” Price Rise"
    assert article.paragraphs == ["Prices rose by 5 € – or “so they say”."]
    assert [c.author for c in article.comments] == ["Zoë"]
    assert article.comments[0].text == "It’s “outrageous”: 12 € for bread…"
    assert len(article.warnings) == 1
    assert "Windows-1252" in article.warnings[0].message


# --- structure -------------------------------------------------------------------------------------


def test_parse_indent_jump_attaches_to_nearest_shallower_with_warning() -> None:
    article = parse("indent_jump.txt")
    assert tree(article) == [("Root Author", 0, None), ("Jumper", 1, 0), ("Normal Reply", 1, 0)]
    assert article.comments[1].text == "Indented two levels too deep."
    jumps = [w for w in article.warnings if w.code == "indent-jump"]
    assert len(jumps) == 1
    assert jumps[0].line == 9
    assert "Jumper" in jumps[0].message


def test_parse_indent_jump_strict_raises_naming_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse("indent_jump.txt", strict=True)
    assert caught.value.line == 9
    assert caught.value.path.endswith("indent_jump.txt")
    assert ":9:" in str(caught.value)


def test_parse_deleted_comment_kept_with_replies_under_it() -> None:
    article = parse("deleted.txt")
    assert tree(article) == [
        ("Ghost", 0, None),
        ("First Reply", 1, 0),
        ("Second Reply", 2, 1),
        ("Third Reply", 1, 0),
        ("After", 0, None),
    ]
    assert [c.deleted for c in article.comments] == [True, False, False, False, False]
    assert article.comments[0].text == "This comment was deleted."


def test_parse_deleted_placeholder_as_header_kept_as_deleted() -> None:
    article = parse("deleted_header.txt")
    assert tree(article) == [
        ("This comment was deleted.", 0, None),
        ("First Reply", 1, 0),
        ("After", 0, None),
    ]
    assert [c.deleted for c in article.comments] == [True, False, False]
    assert article.warnings == []


def test_parse_pasted_bullet_list_stays_comment_text() -> None:
    article = parse("bullet_list.txt")
    assert tree(article) == [("Lister", 0, None), ("Replier", 1, 0), ("Next", 0, None)]
    assert article.comments[0].text == (
        "My reasons:\n- it is cheaper\n- it is faster\n• and it is safer\n\n"
        "• it also looks better\n• nobody asked"
    )


def test_parse_wrapped_list_items_stay_text_and_unspaced_reply_found() -> None:
    article = parse("wrapped_list.txt")
    assert tree(article) == [("Lister", 0, None), ("Replier", 1, 0), ("Next", 0, None)]
    assert article.comments[0].text == (
        "Three points:\n- the first point is long and\nwraps onto a second line\n"
        "* the second point\nwraps too\n- the third"
    )
    assert article.comments[1].text == "A reply with no blank lines around it."


def test_parse_quoted_reply_keeps_quote_lines_as_text() -> None:
    article = parse("quoted_reply.txt")
    assert tree(article) == [("Original", 0, None), ("Quoter", 1, 0), ("Quoter Two", 2, 1)]
    assert article.comments[1].text == (
        "> The numbers look wrong to me.\n> Really wrong.\n\nThey match the official report."
    )
    assert article.comments[2].text == "> They match the official report.\nWhich one?"


def test_parse_tab_indentation_reads_same_tree_as_spaces() -> None:
    article = parse("tabs.txt")
    assert tree(article) == [("Tabby", 0, None), ("Tabby Reply", 1, 0), ("Second Root", 0, None)]
    assert article.comments[1].text == "A reply, also with tabs."
    assert article.warnings == []


def test_parse_irregular_blank_lines_between_blocks_same_tree() -> None:
    article = parse("blank_lines.txt")
    assert article.title == "Title Of A Page"
    assert article.paragraphs == ["Some article text."]
    assert tree(article) == [
        ("Zero Gap", 0, None),
        ("Zero Reply", 1, 0),
        ("One Gap", 0, None),
        ("Three Gaps", 1, 2),
        ("Last", 0, None),
    ]
    assert [c.text for c in article.comments] == [
        "No blank line after the header.",
        "No blank line anywhere.",
        "One blank line.",
        "Three blank lines before this body.",
        "The end.",
    ]
    assert article.warnings == []


def test_parse_title_duplicate_and_caption_without_blank_lines_split() -> None:
    text = 'Title “A”\nTitle "A"\nFILE IMAGE: a photo\n\nText.\n\n  • Ann\n    hello\n'
    article = parse_bytes(text.encode(), path="inline.txt", key="inline")
    assert article.title == "Title “A”"
    assert article.caption == "FILE IMAGE: a photo"
    assert article.paragraphs == ["Text."]


# --- comment text ----------------------------------------------------------------------------------


def test_parse_link_and_dollar_amount_not_spam() -> None:
    article = parse("link_dollar.txt")
    assert len(article.comments) == 2
    for c in article.comments:
        assert "http" in c.text and "$" in c.text
        assert not c.spam
        assert c.spam_reasons == []


def test_parse_paragraphs_and_no_break_spaces_at_line_edges_stripped() -> None:
    article = parse("paragraphs_nbsp.txt")
    assert article.paragraphs == ["Some article text with a trailing no-break space."]
    assert article.comments[0].text == (
        "First paragraph, first line.\nFirst paragraph, second line.\n\n"
        "Second paragraph.\n\nThird paragraph after two blank lines."
    )


def test_parse_long_comment_kept_whole() -> None:
    article = parse("long_comment.txt")
    lines = (DATA / "long_comment.txt").read_text(encoding="utf-8").split("\n")
    assert len(article.comments[0].text) == 5000
    assert article.comments[0].text == lines[6].strip()
    assert tree(article) == [("Verbose", 0, None), ("Brief", 1, 0)]


def test_parse_unicode_kept_as_is() -> None:
    article = parse("unicode.txt")
    assert tree(article) == [("Zoë 🦊", 0, None), ("مريم", 1, 0), ("Combining", 2, 1)]
    assert article.comments[0].text == "Emoji 🎉👍🏽 and a family 👨‍👩‍👧 stay whole."
    assert article.comments[1].text == "النص العربي يبقى كما هو"
    # Combining marks stay where they are: no normalisation to composed characters.
    assert (
        article.comments[2].text == "Cafe\u0301 and Z\u0335\u0321a\u0336lgo\u0334 keep their marks"
    )


def test_parse_mentions_kept_verbatim() -> None:
    article = parse("mentions.txt")
    assert (
        article.comments[0].text
        == "@everyone look at this, and <@&123> too, also @here and <@456>."
    )


# --- page shapes -----------------------------------------------------------------------------------


def test_parse_no_comments_reads_article_only() -> None:
    article = parse("no_comments.txt")
    assert article.title == "Only An Article Here"
    assert article.caption == "FILE IMAGE: A quiet street"
    assert len(article.paragraphs) == 2
    assert article.comments == []
    assert article.summary.startswith(article.paragraphs[0])  # made from the article's text
    assert article.warnings == []


def test_parse_no_article_uses_file_name_as_title_with_warning() -> None:
    article = parse("no_article.txt")
    assert article.title == "no_article"
    assert article.paragraphs == []
    assert article.summary == ""
    assert tree(article) == [("Lonely", 0, None), ("Echo", 1, 0)]
    assert [w.code for w in article.warnings] == ["no-title"]


def test_parse_title_once_first_paragraph_not_dropped() -> None:
    article = parse("title_once.txt")
    assert article.title == "A Title Printed Only Once"
    assert article.caption is None
    assert article.paragraphs == [
        "The first paragraph follows the title directly.",
        "The second paragraph.",
    ]


# --- refused files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("empty.txt", "empty"),
        ("blank.txt", "blank"),
        ("binary_png.txt", "binary"),
        ("binary_nul.txt", "binary"),
    ],
)
def test_parse_unusable_file_refused_saying_why(name: str, says: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(name)
    assert says in caught.value.problem
    assert caught.value.path.endswith(name)


# --- CLI -------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `threadreplay` in a child process, the way a user does."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_cli_parse_prints_json_contract() -> None:
    result = run_cli("parse", str(DATA / "plain.txt"))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for key in ("format", "title", "caption", "paragraphs", "summary", "warnings", "comments"):
        assert key in out
    assert out["title"] == "Harbour Bridge “Reopens” After Repairs"
    assert [(c["author"], c["depth"], c["parent"]) for c in out["comments"]] == [
        ("Ana Lima", 0, None),
        ("Ben Okafor", 1, 0),
        ("Ana Lima", 2, 1),
        ("Chris", 0, None),
    ]
    for comment in out["comments"]:
        for key in ("author", "depth", "parent", "text", "spam", "deleted"):
            assert key in comment


@pytest.mark.parametrize(
    ("name", "args", "says"),
    [
        ("binary_nul.txt", (), "binary"),
        ("empty.txt", (), "empty"),
        ("indent_jump.txt", ("--strict",), "indented"),
    ],
)
def test_cli_parse_bad_file_exits_2_with_one_stderr_line(
    name: str, args: tuple[str, ...], says: str
) -> None:
    path = str(DATA / name)
    result = run_cli("parse", path, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"threadreplay: {path}")
    assert says in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_parse_strict_error_names_line() -> None:
    path = str(DATA / "indent_jump.txt")
    result = run_cli("parse", path, "--strict")
    assert result.stderr.startswith(f"threadreplay: {path}:9: ")


def test_cli_parse_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.txt")
    result = run_cli("parse", path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert path in result.stderr
    assert "Traceback" not in result.stderr


def test_parse_four_space_steps_learnt_from_first_header_no_jump_warning() -> None:
    article = parse("four_space_steps.txt", strict=True)
    assert [(c.author, c.depth, c.parent) for c in article.comments] == [
        ("Ann", 0, None),
        ("Bob", 1, 0),
        ("Cy", 2, 1),
    ]
    assert article.warnings == []


# --- only position decides (issue 11) ---------------------------------------------------------------

CTA = "Do you like this content? Consider helping us!"


def dump(*lines: str) -> Article:
    """Parse a dump given as lines."""
    return parse_bytes("\n".join(lines).encode(), path="d.txt", key="d")


@pytest.mark.parametrize(
    "article_list",
    [
        ["  • Lower taxes", "", "    • for families", "", "  • More nurses", ""],
        ["  - First point", "", "  - Second point", "", "    - its detail", ""],
        ["  ◦ Alpha", "", "    ◦ Beta", "", "      ◦ Gamma", ""],
    ],
)
def test_a_list_in_the_article_before_the_call_to_action_is_article_text(
    article_list: list[str],
) -> None:
    article = dump(
        "A Title", "", "Intro paragraph.", "", *article_list, "Closing paragraph.", "", CTA, "",
        "  • Ann", "", "    A real comment.", "",
    )  # fmt: skip
    items = [line.strip() for line in article_list if line.strip()]
    assert article.paragraphs == ["Intro paragraph.", *items, "Closing paragraph."]
    assert [c.author for c in article.comments] == ["Ann"]
    assert not [w for w in article.warnings if w.code == "comments-start-guessed"]


def test_without_a_call_to_action_a_list_item_with_a_sub_list_is_not_a_comment() -> None:
    article = dump(
        "A Title", "", "Intro.", "", "  • Plan A", "", "    • its cost", "", "  • Ann", "",
        "    A real comment.", "", "    • Bob", "", "      A reply.",
    )  # fmt: skip
    assert article.paragraphs == ["Intro.", "• Plan A", "• its cost"]
    assert [(c.author, c.depth) for c in article.comments] == [("Ann", 0), ("Bob", 1)]
    [guess] = [w for w in article.warnings if w.code == "comments-start-guessed"]
    assert guess.line == 9


@pytest.mark.parametrize("amount", ["2,500 $", "$ 40", "1.000 €", "£5"])
def test_widget_shaped_lines_after_the_title_are_kept(amount: str) -> None:
    article = dump("0 $", "2,500 $", "", "A Title", "", "The fund needs:", "", amount, "", CTA)
    assert article.title == "A Title"
    assert article.paragraphs == ["The fund needs:", amount]


@pytest.mark.parametrize(
    "label",
    ["FILE IMAGE: a bridge", "FILE PHOTO: a bridge", "PHOTO: a bridge", "Image: a bridge",
     "REUTERS IMAGE: a bridge", "AFP Photo - a bridge", "Photo credit: Ana"],
)  # fmt: skip
def test_the_caption_is_the_labelled_first_line_after_the_title(label: str) -> None:
    article = dump("A Title", "", label, "First paragraph.", "", "PHOTO: later, a paragraph.")
    assert article.caption == label
    assert article.paragraphs == ["First paragraph.", "PHOTO: later, a paragraph."]


def test_a_labelled_line_that_is_not_first_is_a_paragraph() -> None:
    article = dump("A Title", "", "First paragraph.", "", "FILE IMAGE: not a caption here")
    assert article.caption is None
    assert article.paragraphs == ["First paragraph.", "FILE IMAGE: not a caption here"]


def test_a_header_with_a_very_long_author_stays_a_header_with_a_warning() -> None:
    long_name = "A Person Whose Display Name Goes On " * 4
    article = dump(
        "A Title", "", "Text.", "", CTA, "", "  • Ann", "", "    First.", "",
        f"  • {long_name.strip()}", "", "    Second.",
    )  # fmt: skip
    assert [c.text for c in article.comments] == ["First.", "Second."]
    assert article.comments[1].author == long_name.strip()
    [warning] = [w for w in article.warnings if w.code == "long-author"]
    assert warning.line == 11


def test_control_bytes_make_a_file_binary_only_past_one_in_twenty() -> None:
    """More than max(2, 5 %) stray control bytes in the first 8 KiB is binary; text's own controls
    (tab, line ends, form feed, vertical tab, escape) never count."""
    from storage.parsers.decode import decode_bytes

    def body(controls: bytes) -> bytes:
        return b"Title\n\n" + controls + b"x" * (100 - 7 - len(controls))

    assert decode_bytes(body(b"\x01\x02\x03\x04\x05"), "five.txt")[0].startswith("Title")
    with pytest.raises(ParseError, match=r"six\.txt: file is binary"):
        decode_bytes(body(b"\x01\x02\x03\x04\x05\x06"), "six.txt")
    text, _ = decode_bytes(body(b"\t\r\x0c\x0b\x1b" * 4), "text-controls.txt")
    assert text.startswith("Title")
