"""The Hacker News parser: Algolia items and expanded Firebase items, deleted and dead, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.errors import ParseError
from storage.models import Article
from storage.parsers import parse_any, parse_file

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def story() -> Article:
    """The sample Algolia item, parsed."""
    return parse_file(DATA / "hn_story.json")


@pytest.fixture(scope="module")
def firebase() -> Article:
    """The sample Firebase item with expanded kids, parsed."""
    return parse_file(DATA / "hn_firebase.json")


def test_hn_story_becomes_article_keyed_by_item_id(story: Article) -> None:
    assert story.key == "hn-39000001"
    assert story.format == "hackernews"
    assert story.title == "Harbour Bridge reopens after six months of repairs"
    assert story.source_url == "https://news.ycombinator.com/item?id=39000001"
    assert story.paragraphs == ["https://harbour.example/2024/bridge-reopens"]
    assert story.warnings == []


def test_hn_children_in_pre_order_with_siblings_by_time(story: Article) -> None:
    assert [(c.key, c.depth, c.parent) for c in story.comments] == [
        ("39000005", 0, None),  # 08:30, listed last
        ("39000010", 0, None),  # 09:00
        ("39000011", 1, 1),  # 09:10
        ("39000012", 1, 1),  # 09:30, deleted
        ("39000013", 2, 3),
    ]
    assert story.comments[1].created_at == datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def test_hn_html_text_to_paragraphs_links_entities_and_code(story: Article) -> None:
    by_key = {c.key: c for c in story.comments}
    assert by_key["39000010"].text == (
        "Crossed it this morning & it's smooth.\n\nSee https://harbour.example/timeline"
    )
    assert by_key["39000011"].text == "Code:\n\n  if open:\n      cross()"
    assert by_key["39000013"].text == "Replying to a ghost 🦊 — still here."
    assert by_key["39000013"].author == "zoë"


def test_hn_algolia_deleted_item_keeps_its_place_and_replies(story: Article) -> None:
    gone = next(c for c in story.comments if c.key == "39000012")
    assert gone.deleted and gone.text == "" and gone.author == "[deleted]"
    assert story.comments[4].parent == story.comments.index(gone)


def test_hn_firebase_expanded_kids_read_like_children(firebase: Article) -> None:
    assert firebase.key == "hn-8863"
    assert [(c.key, c.depth, c.parent) for c in firebase.comments] == [
        ("8870", 0, None),
        ("8952", 0, None),
        ("8960", 1, 1),
        ("8961", 1, 1),
    ]
    assert firebase.comments[1].text == "Nice & tidy."
    assert firebase.comments[0].created_at == datetime.fromtimestamp(1175715000, UTC)


def test_hn_dead_item_is_the_sources_spam_verdict(firebase: Article) -> None:
    dead = next(c for c in firebase.comments if c.key == "8960")
    assert dead.spam and dead.spam_reasons == ["dead on Hacker News (flagged or killed)"]
    assert not dead.deleted


def test_hn_firebase_deleted_flag_marks_deleted(firebase: Article) -> None:
    gone = next(c for c in firebase.comments if c.key == "8961")
    assert gone.deleted and gone.text == ""


def test_hn_unexpanded_kid_ids_recorded_as_warning(firebase: Article) -> None:
    assert [w.code for w in firebase.warnings] == ["unexpanded"]
    assert firebase.warnings[0].message.startswith("2 replies")


def test_hn_ask_story_text_becomes_paragraphs() -> None:
    item = {
        "id": 5,
        "type": "story",
        "author": "ana",
        "title": "Ask HN: Bridges?",
        "text": "First &amp; foremost.<p>Second.",
        "children": [],
    }
    (article,) = parse_any(json.dumps(item).encode(), "ask.json")
    assert article.paragraphs == ["First & foremost.", "Second."]
    assert article.summary == "First & foremost. Second."


def test_hn_comment_item_without_title_gets_one_with_warning() -> None:
    item = {"id": 77, "type": "comment", "author": "ben", "text": "Root", "children": []}
    (article,) = parse_any(json.dumps(item).encode(), "c.json")
    assert article.title == "Hacker News comment 77 by ben"
    assert [w.code for w in article.warnings] == ["no-title"]


@pytest.mark.parametrize(
    ("item", "where", "says"),
    [
        ({"type": "story", "children": []}, ".id", "expected an id"),
        ({"id": 1, "type": "story", "children": {}}, ".children", "expected an array"),
        ({"id": 1, "type": "story", "children": [None]}, ".children[0]", "found null"),
        (
            {"id": 1, "type": "story", "children": [{"id": 2, "children": [{"id": 3, "text": 4}]}]},
            ".children[0].children[0].text",
            "expected a string",
        ),
        ({"id": 1, "type": "story", "title": ["x"]}, ".title", "expected a string"),
    ],
)
def test_hn_wrong_shape_names_the_json_path(item: dict, where: str, says: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_any(json.dumps(item).encode(), "item.json")
    assert caught.value.problem.startswith(f"at {where}: ")
    assert says in caught.value.problem


def test_hn_invalid_json_file_names_line() -> None:
    with pytest.raises(ParseError) as caught:
        parse_file(DATA / "hn_bad.json")
    assert caught.value.line == 5
    assert caught.value.problem.startswith("not valid JSON")


def test_hn_json_nested_too_deeply_is_parse_error() -> None:
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_any(b"[" * 100_000 + b"]" * 100_000, "deep.json")


def test_hn_reply_chain_hundreds_deep_parses() -> None:
    # Written out by hand: json.dumps recurses, and so does json.loads (about 500 levels of this).
    depth = 400
    opening = "".join(
        f'{{"id": {i}, "type": "comment", "author": "u{i}", "text": "re", "children": ['
        for i in range(1, depth + 1)
    )
    text = '{"id": 0, "type": "story", "title": "Deep", "children": [' + opening
    text += "]}" * (depth + 1)
    (article,) = parse_any(text.encode(), "deep.json")
    assert len(article.comments) == depth
    assert article.comments[-1].depth == depth - 1


def _item(iid: int, text: str, at: int, children: list[dict[str, object]]) -> dict[str, object]:
    return {
        "id": iid,
        "type": "comment",
        "author": f"u{iid}",
        "text": text,
        "created_at_i": at,
        "children": children,
    }


def test_hn_duplicate_ids_and_the_story_id_reused_keep_each_reply_in_place() -> None:
    doc = {
        "id": 1,
        "type": "story",
        "author": "op",
        "title": "A story",
        "created_at_i": 0,
        "children": [
            _item(5, "first five", 1, [_item(6, "under the first five", 4, [])]),
            _item(5, "second five", 2, [_item(7, "under the second five", 5, [])]),
            _item(1, "uses the story id", 3, [_item(8, "under the story-id comment", 6, [])]),
        ],
    }
    [article] = parse_any(json.dumps(doc).encode(), "hn.json")
    by_text = {c.text: c for c in article.comments}
    assert len(article.comments) == 6
    assert by_text["under the first five"].parent == by_text["first five"].index
    assert by_text["under the second five"].parent == by_text["second five"].index
    assert by_text["under the story-id comment"].parent == by_text["uses the story id"].index
    assert by_text["uses the story id"].parent is None  # top level, as it was nested
    messages = sorted(w.message for w in article.warnings if w.code == "duplicate-id")
    assert len(messages) == 2
    assert any("'1' is the story's own id" in m for m in messages)
    assert any("'5' appears more than once" in m for m in messages)


@pytest.mark.parametrize("api", ["algolia", "firebase"])
def test_hn_poll_options_and_points_are_kept_as_paragraphs(api: str) -> None:
    options = [
        {"id": 11, "type": "pollopt", "text": "Tabs", "points": 120, "score": 120},
        {"id": 12, "type": "pollopt", "text": "Spaces &amp; more", "points": 1, "score": 1},
    ]
    comment = {"id": 20, "type": "comment", "author": "ann", "text": "Spaces, obviously."}
    doc: dict[str, object] = {"id": 10, "type": "poll", "title": "Tabs or spaces?"}
    if api == "algolia":
        doc["children"] = [*options, comment]
    else:
        doc["parts"] = options
        doc["kids"] = [comment]
    [article] = parse_any(json.dumps(doc).encode(), "poll.json")
    assert article.paragraphs[-3:] == ["Poll:", "• Tabs — 120 points", "• Spaces & more — 1 point"]
    assert [c.text for c in article.comments] == ["Spaces, obviously."]


def test_hn_poll_options_given_only_as_ids_are_reported() -> None:
    doc = {"id": 10, "type": "poll", "title": "Tabs or spaces?", "parts": [11, 12], "kids": []}
    [article] = parse_any(json.dumps(doc).encode(), "poll.json")
    assert [w.message for w in article.warnings if w.code == "unexpanded"] == [
        "2 poll options are only ids (not expanded into the item); not in this file"
    ]
