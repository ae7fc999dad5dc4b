"""Unit tests of the pure rendering module: limits, splitting, escaping."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import discord
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import render
from storage.models import Article, ArticleSummary, Comment, StoredArticle
from storage.queries import HIT_END, HIT_START, ArticleCounts, CorpusStats, SearchHit, TopCommenter

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def stored(
    title: str = "T", caption: str | None = "FILE IMAGE: x", summary: str = "S."
) -> StoredArticle:
    art = Article(key="k1", format="textdump", title=title, caption=caption, summary=summary)
    return StoredArticle(
        id=1, article=art, source_path=None, content_hash="h", created_at=NOW, updated_at=NOW
    )


COUNTS = ArticleCounts(comments=16, threads=5, participants=10, spam=1, deleted=0, max_depth=4)


def embed_ok(embed: discord.Embed) -> None:
    """Every embed limit Discord enforces."""
    assert len(embed.title or "") <= render.EMBED_TITLE
    assert len(embed.description or "") <= render.EMBED_DESCRIPTION
    assert len(embed.fields) <= render.EMBED_FIELDS
    for f in embed.fields:
        assert 0 < len(f.name or "") <= render.EMBED_FIELD_NAME
        assert 0 < len(f.value or "") <= render.EMBED_FIELD_VALUE
    assert len(embed.footer.text or "") <= render.EMBED_FOOTER
    assert len(embed) <= render.EMBED_TOTAL


def test_split_text_short_text_is_one_piece() -> None:
    assert render.split_text("hello", 2000) == ["hello"]


def test_split_text_5000_chars_prefers_paragraph_breaks_and_loses_nothing() -> None:
    paras = [("word " * 180).strip() for _ in range(5)]  # 5 x 899 chars
    text = "\n\n".join(paras)
    pieces = render.split_text(text)
    assert all(len(p) <= render.MESSAGE_CONTENT for p in pieces)
    assert len(pieces) == 3
    assert "\n\n".join(pieces) == text


def test_split_text_single_paragraph_splits_at_sentences() -> None:
    sentence = "This is a sentence of moderate length that ends here. "
    text = (sentence * 100).strip()
    pieces = render.split_text(text)
    assert all(len(p) <= 2000 for p in pieces)
    assert all(p.endswith("ends here.") for p in pieces)
    assert " ".join(pieces) == text


def test_split_text_unbroken_run_is_hard_split_without_loss() -> None:
    text = "x" * 4500
    pieces = render.split_text(text)
    assert [len(p) for p in pieces] == [2000, 2000, 500]
    assert "".join(pieces) == text


def test_split_text_never_ends_piece_on_dangling_escape() -> None:
    text = "a" * 1999 + "\\*" + "b" * 100
    pieces = render.split_text(text)
    assert pieces[0] == "a" * 1999
    assert "".join(pieces) == text


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=6000), st.integers(min_value=20, max_value=2000))
def test_split_text_pieces_fit_and_keep_every_non_space_character(text: str, limit: int) -> None:
    pieces = render.split_text(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert re.sub(r"\s", "", "".join(pieces)) == re.sub(r"\s", "", text)


def test_escape_defuses_mass_role_and_user_mentions() -> None:
    out = render.escape("hi @everyone and @here, <@&123> <@456> <#789>")
    assert "@everyone" not in out and "@here" not in out
    assert re.search(r"(?<!\\)<[@#]", out) is None  # every raw mention form is backslash-escaped
    assert "\\<@&123>" in out  # shown literally, not as a mention chip


def test_escape_cannot_break_out_of_spoiler_or_code() -> None:
    out = render.escape("||end spoiler|| ```code``` **bold** > quote")
    assert "||" not in out.replace("\\|", "")
    assert "```" not in out.replace("\\`", "")
    assert "**" not in out.replace("\\*", "")


def test_article_card_fits_limits_and_shows_counts() -> None:
    embed = render.article_card(stored(title="T" * 400, summary="s " * 3000), COUNTS)
    embed_ok(embed)
    assert embed.title is not None and embed.title.endswith(render.ELLIPSIS)
    values = {f.name: f.value for f in embed.fields}
    assert values == {
        "Comments": "16",
        "Threads": "5",
        "Participants": "10",
        "Flagged as spam": "1",
    }
    assert "k1" in (embed.footer.text or "")


def test_search_embed_many_long_hits_counts_what_does_not_fit() -> None:
    hits = [
        SearchHit(key=f"k{i}", title="t" * 300, author="a" * 90, position=i, snippet="x" * 2000)
        for i in range(40)
    ]
    embed = render.search_embed("q", hits)
    embed_ok(embed)
    shown = len(embed.fields)
    assert 0 < shown < 40
    assert f"{40 - shown} more" in (embed.footer.text or "")


def test_search_embed_bolds_matches_and_escapes_rest() -> None:
    hit = SearchHit(
        key="k", title="T", author="A", position=0, snippet=f"a *b* {HIT_START}word{HIT_END}"
    )
    value = render.search_embed("word", [hit]).fields[0].value or ""
    assert "**word**" in value and "\\*b\\*" in value


def test_search_embed_field_name_escapes_author_and_title() -> None:
    hit = SearchHit(key="k", title="@everyone <@&123>", author="*@here*", position=0, snippet="x")
    name = render.search_embed("x", [hit]).fields[0].name or ""
    assert "@everyone" not in name and "@here" not in name and "\\<@&123>" in name


def test_stats_embed_fits_limits() -> None:
    stats = CorpusStats(
        articles=1,
        comments=16,
        authors=10,
        spam=1,
        deleted=0,
        top_commenters=[TopCommenter(author="x" * 300, comments=5)] * 5,
        deepest_depth=5,
        deepest_key="k",
        deepest_title="t" * 2000,
    )
    embed = render.stats_embed(stats)
    embed_ok(embed)
    fields = {f.name: f.value or "" for f in embed.fields}
    assert list(fields) == [
        "Articles", "Comments", "Authors", "Flagged as spam", "Deleted", "Top commenters",
        "Deepest thread",
    ]  # fmt: skip
    # The over-long author and title are cut to fit, not dropped.
    assert fields["Top commenters"].startswith("1. " + "x" * 40)
    assert fields["Deepest thread"].startswith("5 levels in " + "t" * 40)


def test_tree_lines_indent_by_depth_and_mark_spam() -> None:
    comments = [
        Comment(index=0, key="a", author="A", depth=0, text="top"),
        Comment(index=1, key="b", author="B", depth=1, parent=0, text="reply", spam=True),
    ]
    lines = render.tree_lines(comments)
    assert lines[0].startswith("• **A**")
    assert lines[1].startswith("\u2003↳ **B** ⚠ spam")


def test_paginate_long_outline_pages_within_description_limit() -> None:
    lines = [f"line {i} " + "w" * 100 for i in range(500)]
    pages = render.paginate(lines)
    assert all(len(p) <= render.EMBED_DESCRIPTION for p in pages)
    assert "\n".join(pages).split("\n") == lines


def test_choice_name_fits_100_chars() -> None:
    summary = ArticleSummary(id=1, key="k" * 30, title="T" * 300, comment_count=1, created_at=NOW)
    assert len(render.choice_name(summary)) <= render.CHOICE_NAME


BARE_URL = re.compile(r"(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]")  # Discord's autolink
ANGLE_URL = re.compile(r"<((?:https?|steam)://[^ >]+)>")  # <address>: a link without preview


def visible(markdown: str) -> str:
    """What Discord shows for escaped text: a backslash before ASCII punctuation is hidden, except
    inside a link (bare or in angle brackets), which is shown as it is."""
    shown = []
    links = re.compile(r"(<(?:https?|steam)://[^ >]+>|" + BARE_URL.pattern + ")")
    for piece in links.split(markdown):
        if ANGLE_URL.fullmatch(piece):
            shown.append(piece[1:-1])
        elif BARE_URL.fullmatch(piece):
            shown.append(piece)
        else:
            shown.append(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", piece))
    return "".join(shown).replace("\u200b", "")


def live_markup(markdown: str) -> list[str]:
    """Markup Discord would still act on: emphasis, code, spoilers, masked links (an unescaped `[`;
    a lone `]` opens nothing), outside bare links, and quotes, headings or lists where a line (or
    a message part) starts."""
    bare = ANGLE_URL.sub("u", markdown)
    bare = re.sub(r"(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s\\]", "u", bare)
    tokens = re.findall(r"\\.|.", bare, re.S)  # an escaped character is one literal token
    found = []
    for i, token in enumerate(tokens):
        word_start = i == 0 or tokens[i - 1].isspace()
        if token in ("*", "_", "~", "`", "|", "[") or (word_start and token in (">", "#", "-")):
            found.append(token)
        elif word_start and token.isdigit():
            j = i
            while j < len(tokens) and tokens[j].isdigit():
                j += 1
            if tokens[j : j + 1] == ["."] and j + 1 < len(tokens) and tokens[j + 1].isspace():
                found.append("".join(tokens[i : j + 1]))
    return found


def test_escape_defuses_every_masked_link_and_emphasis_in_a_line() -> None:
    text = "[x](y) [click](https://evil.example) then **bold** and __under__ `code` ~~gone~~"
    out = render.escape(text)
    assert live_markup(out) == []
    assert visible(out) == text
    assert "https://evil.example" in out  # a bare address stays a clickable address


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"ab 1.\n*_~`|[]()<>#-:/\\h@", "https://x.y/a_b", "everyone"]),
        max_size=80,
    ).map("".join)
)
@example("https://x.y/a_b<#")  # the "\\<" would have become part of the link
@example("https://x.y/a_b:]")
@example("[x](y) [click](https://x.y/a_b) **bold**")
def test_escaped_text_shows_exactly_the_source_and_carries_no_live_markup(text: str) -> None:
    out = render.escape(text)
    assert live_markup(out) == []
    assert visible(out) == text


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab #>-1.*\n")), max_size=400))
def test_no_part_of_a_split_message_starts_with_live_markup(text: str) -> None:
    for part in render.split_text(render.escape(text), 40):
        assert live_markup(part) == [], part


def test_tree_of_a_deep_reply_chain_grows_linearly_and_shows_the_depth() -> None:
    def chain(n: int) -> list[Comment]:
        return [
            Comment(
                index=i, key=str(i), author=f"a{i}", depth=i, parent=i - 1 if i else None, text="hi"
            )
            for i in range(n)
        ]

    small, big = render.tree_lines(chain(100)), render.tree_lines(chain(400))
    # Output size, not time: each line is bounded, so 4x the comments is about 4x the text.
    assert sum(map(len, big)) <= 5 * sum(map(len, small))  # quadratic would be 16x
    assert max(map(len, big)) < 300
    assert big[350].startswith("\u2003" * render.TREE_INDENT + "↳ [350] ")
    assert big[3].startswith("\u2003" * 3 + "↳ ")


def test_shown_escapes_only_what_fits() -> None:
    title = "[x](https://e.example) **b** " * 100_000
    out = render.shown(title, 200)
    assert len(out) <= 200 and out.endswith(render.ELLIPSIS)
    assert out == render.clip(render.escape(title), 200)
