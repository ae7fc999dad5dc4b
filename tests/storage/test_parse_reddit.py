"""The Reddit comments-page parser: post, comment tree, `more` stubs, entities, deleted, errors."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storage.errors import ParseError
from storage.models import Article
from storage.parsers import parse_any, parse_bytes, parse_file

DATA = Path(__file__).resolve().parents[1] / "data"
PAGE = DATA / "reddit_thread.json"


@pytest.fixture(scope="module")
def page() -> Article:
    """The sample comments page, parsed."""
    return parse_file(PAGE)


def doc() -> list[Any]:
    """A fresh copy of the sample page's JSON, to break in a test."""
    return copy.deepcopy(json.loads(PAGE.read_text("utf-8")))


def parse_doc(value: object, name: str = "page.json") -> Article:
    """Parse a JSON value as a file called `name`."""
    return parse_bytes(json.dumps(value).encode(), path=name, key="unused")


def test_reddit_post_becomes_article_keyed_by_post_id(page: Article) -> None:
    assert page.key == "reddit-1abc2d"
    assert page.format == "reddit"
    assert page.title == "Harbour Bridge reopens & tolls stay"
    assert page.source_url == (
        "https://www.reddit.com/r/harbourcity/comments/1abc2d/harbour_bridge_reopens/"
    )
    assert page.paragraphs == [
        "The council says the bridge reopens Monday & tolls stay at <5 €.",
        "Anyone crossing this week?",
    ]


def test_reddit_replies_nested_in_pre_order_with_siblings_by_time(page: Article) -> None:
    assert [(c.key, c.depth, c.parent) for c in page.comments] == [
        ("k0", 0, None),  # 08:13, listed second in the file
        ("k1", 0, None),  # 09:00
        ("k2", 1, 1),  # 09:30, listed after k3
        ("k3", 1, 1),  # 10:00
        ("k4", 2, 3),
        ("k5", 0, None),
        ("k6", 0, None),
    ]
    assert page.comments[1].created_at == datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
    assert page.comments[1].source_id == "k1"


def test_reddit_html_entities_in_body_decoded_once(page: Article) -> None:
    by_key = {c.key: c for c in page.comments}
    assert by_key["k1"].text == "Crossed it this morning. Smooth > the old potholes & no queue."
    assert by_key["k5"].text == "My account is gone but this stays. Use `a < b` in code."
    assert by_key["k4"].author == "zoë_å"
    assert by_key["k4"].text == "Whatever they said — I disagree 🦊"


def test_reddit_deleted_and_removed_bodies_are_deleted_and_keep_their_replies(
    page: Article,
) -> None:
    by_key = {c.key: c for c in page.comments}
    assert by_key["k3"].deleted and by_key["k3"].text == "" and by_key["k3"].author == "[deleted]"
    assert by_key["k0"].deleted and by_key["k0"].author == "dana"  # [removed] by a moderator
    assert by_key["k4"].parent == page.comments.index(by_key["k3"])


def test_reddit_deleted_author_with_text_keeps_the_text(page: Article) -> None:
    survivor = next(c for c in page.comments if c.key == "k5")
    assert survivor.author == "[deleted]" and not survivor.deleted


def test_reddit_more_stub_recorded_as_warning_with_count(page: Article) -> None:
    assert [w.code for w in page.warnings] == ["more-comments"]
    assert "3 more comments" in page.warnings[0].message
    assert "'k1'" in page.warnings[0].message


def test_reddit_has_no_spam_verdict_so_our_heuristics_decide(page: Article) -> None:
    pitch = next(c for c in page.comments if c.key == "k6")
    assert pitch.spam and "job-offer pitch" in pitch.spam_reasons


def test_reddit_continue_this_thread_stub_is_a_warning() -> None:
    value = doc()
    value[1]["data"]["children"].append(
        {"kind": "more", "data": {"count": 0, "id": "_", "parent_id": "t1_k1", "children": []}}
    )
    article = parse_doc(value)
    [warning] = article.warnings  # one warning for every stub of the page
    assert warning.code == "more-comments"
    assert "another page" in warning.message and "not loaded" in warning.message


def test_reddit_many_more_stubs_give_one_warning_with_the_total() -> None:
    value = doc()
    for i, count in enumerate([4, 1, 7]):
        value[1]["data"]["children"].append(
            {"kind": "more", "data": {"count": count, "id": f"m{i}", "children": ["x"]}}
        )
    article = parse_doc(value)
    [warning] = [w for w in article.warnings if w.code == "more-comments"]
    assert warning.message.startswith("15 more comments in 4 places were not loaded")


def test_reddit_post_removed_by_moderators_is_warned_and_comments_kept() -> None:
    value = doc()
    value[0]["data"]["children"][0]["data"]["removed_by_category"] = "moderator"
    article = parse_doc(value)
    [warning] = [w for w in article.warnings if w.code == "post-removed"]
    assert "removed on Reddit (moderator)" in warning.message
    kept = parse_doc(doc()).comments
    assert kept and article.comments == kept  # every comment, as the page without the removal


def test_reddit_link_post_keeps_the_link_as_its_text() -> None:
    value = doc()
    post = value[0]["data"]["children"][0]["data"]
    post.update(is_self=False, selftext="", url="https://harbour.example/bridge")
    assert parse_doc(value).paragraphs == ["https://harbour.example/bridge"]


@pytest.mark.parametrize(
    ("break_it", "where", "says"),
    [
        (lambda d: d.pop(), "the top level", "expected 2 Listings"),
        (lambda d: d[0].update(kind="t3"), "[0].kind", "expected 'Listing'"),
        (lambda d: d[0]["data"].update(children=[]), "[0].data.children", "empty"),
        (
            lambda d: d[0]["data"]["children"][0].update(kind="t1"),
            "[0].data.children[0].kind",
            "t3",
        ),
        (lambda d: d[1]["data"].update(children=None), "[1].data.children", "found null"),
        (lambda d: d[1]["data"]["children"].insert(3, 7), "[1].data.children[3]", "found a number"),
        (
            lambda d: d[1]["data"]["children"][0]["data"].update(replies=[]),
            "[1].data.children[0].data.replies",
            "expected an object, found an array",
        ),
        (
            lambda d: d[1]["data"]["children"][0]["data"].update(body=5),
            "[1].data.children[0].data.body",
            "expected a string",
        ),
        (
            lambda d: d[1]["data"]["children"][1]["data"].pop("id"),
            "[1].data.children[1].data.id",
            "expected an id",
        ),
    ],
)
def test_reddit_wrong_shape_names_the_json_path(
    break_it: Callable[[list[Any]], object], where: str, says: str
) -> None:
    value = doc()
    break_it(value)
    with pytest.raises(ParseError) as caught:
        parse_doc(value)
    assert caught.value.path == "page.json"
    assert caught.value.problem.startswith(f"at {where}: ")
    assert says in caught.value.problem


def test_reddit_wrong_shape_file_names_nested_path() -> None:
    with pytest.raises(
        ParseError, match=r"\[1\]\.data\.children\[1\]\.data\.replies\.data\.children\[0\]"
    ):
        parse_file(DATA / "reddit_wrong_shape.json")


def test_reddit_invalid_json_names_the_line() -> None:
    text = PAGE.read_text("utf-8").replace('"Same here."', '"Same here.",,', 1)
    with pytest.raises(ParseError) as caught:
        parse_any(text.encode(), "page.json")
    assert caught.value.line == text[: text.index(",,")].count("\n") + 1
    assert "not valid JSON" in caught.value.problem


def test_json_neither_reddit_nor_hn_is_refused() -> None:
    with pytest.raises(ParseError, match="neither a Reddit comments page"):
        parse_any(b'{"hello": "world"}', "other.json")


def test_text_dump_that_starts_with_a_bracket_is_still_a_text_dump() -> None:
    dump = "[Update] Bridge reopens\n\nThe bridge reopened.\n\n  • Ana\n\n    Good.\n"
    (article,) = parse_any(dump.encode(), "update.txt")
    assert article.format == "textdump" and article.key == "update"
    assert article.title == "[Update] Bridge reopens"


def _t1(cid: str, body: str, created: int, replies: list[Any] | None = None) -> dict[str, Any]:
    listing = {"kind": "Listing", "data": {"children": replies}} if replies else ""
    return {
        "kind": "t1",
        "data": {
            "id": cid,
            "author": "u" + cid,
            "body": body,
            "created_utc": created,
            "replies": listing,
        },
    }


def test_reddit_duplicate_ids_keep_each_reply_under_the_comment_it_was_nested_in() -> None:
    page = doc()
    page[1]["data"]["children"] = [
        _t1("dup", "first of two", 1, [_t1("r1", "reply to the first", 3)]),
        _t1("dup", "second of two", 2, [_t1("r2", "reply to the second", 4)]),
    ]
    article = parse_doc(page)
    by_text = {c.text: c for c in article.comments}
    assert by_text["reply to the first"].parent == by_text["first of two"].index
    assert by_text["reply to the second"].parent == by_text["second of two"].index
    assert [w.code for w in article.warnings] == ["duplicate-id"]
    assert "'dup' appears more than once" in article.warnings[0].message
    with pytest.raises(ParseError, match="appears more than once"):
        parse_any(json.dumps(page).encode(), "page.json", strict=True)
