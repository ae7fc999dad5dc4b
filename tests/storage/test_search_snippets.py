"""Search over hostile text: one huge comment, long queries, and snippets that mark the real hits."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from storage import queries
from storage.db import Storage
from storage.loader import load_paths
from storage.queries import HIT_END, HIT_START
from storage.snippet import query_terms, snippet

BIG_WORDS = 200_000  # about 1 MB of text, every fourth word "the"


def hn_story(comment: str) -> str:
    """A Hacker News thread (the API's nested JSON) with one comment."""
    return json.dumps(
        {
            "id": 1,
            "type": "story",
            "by": "op",
            "time": 1_700_000_000,
            "title": "A story",
            "text": "The story text.",
            "kids": [
                {"id": 2, "type": "comment", "by": "writer", "time": 1_700_000_100, "text": comment}
            ],
        }
    )


async def test_one_huge_comment_gets_a_short_snippet_around_its_hit(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    text = " ".join(["the word and more"] * (BIG_WORDS // 4)) + " finally a needle here"
    (folder / "big.json").write_text(hn_story(text))
    async with await Storage.open(tmp_path / "t.db") as store:
        report = await load_paths(store, [folder])
        assert [f.status for f in report.files] == ["added"], report.files
        needle = await queries.search(store, "needle")
        broad = await queries.search(store, "the")
        prefix = await queries.search(store, "NEED*")
    [hit] = [h for h in needle if h.author]
    assert hit.author == "writer"
    assert f"{HIT_START}needle{HIT_END}" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("here")
    assert len(hit.snippet) < 200
    [first] = [h for h in broad if h.author]
    assert first.snippet.startswith(f"{HIT_START}the{HIT_END} word")
    assert len(first.snippet) < 200
    [pre] = [h for h in prefix if h.author]
    assert f"{HIT_START}needle{HIT_END}" in pre.snippet


async def test_queries_are_cut_to_the_storage_limit(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "s.json").write_text(hn_story("a comment about zebras"))
    async with await Storage.open(tmp_path / "t.db") as store:
        await load_paths(store, [folder])
        at_limit = await queries.search(store, "x" * (queries.MAX_QUERY - 7) + " zebras")
        beyond = await queries.search(store, "x" * queries.MAX_QUERY + " zebras")
    assert [h.author for h in at_limit] == []  # both words must match: the x-word does not
    assert [h.author for h in beyond] == []
    async with await Storage.open(tmp_path / "t.db") as store:
        found = await queries.search(store, "zebras OR " + "x" * queries.MAX_QUERY)
    assert [h.author for h in found] == ["writer"]  # the cut query still searches its first words


VOCAB = ["Été", "ete", "ÉTÉ", "naïve", "naive", "the", "théâtre", "Theatre", "x_y", "deja", "déjà"]


def _marked(text: str) -> list[str]:
    """The words between hit markers, in order."""
    out = []
    rest = text
    while HIT_START in rest:
        rest = rest.split(HIT_START, 1)[1]
        word, rest = rest.split(HIT_END, 1)
        out.append(word)
    return out


@given(
    words=st.lists(st.sampled_from(VOCAB), min_size=1, max_size=40),
    seps=st.lists(st.sampled_from([" ", ", ", ". ", "\n", " — "]), min_size=40, max_size=40),
    query=st.sampled_from(["ete", "naive", "the*", "THEA*", "deja OR naive", "x", "y"]),
)
def test_the_linear_snippet_marks_the_words_fts5_matches(
    words: list[str], seps: list[str], query: str
) -> None:
    text = "".join(w + s for w, s in zip(words, seps, strict=False))
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.execute(
            "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='unicode61 remove_diacritics 2')"
        )
        db.execute("INSERT INTO t(rowid, body) VALUES (1, ?)", (text,))
        row = db.execute(
            "SELECT highlight(t, 0, ?, ?) FROM t WHERE t MATCH ?", (HIT_START, HIT_END, query)
        ).fetchone()
    ours = snippet(
        [text], query_terms(query), start=HIT_START, end=HIT_END, ellipsis="…", tokens=10_000
    )
    if row is None:
        assert _marked(ours) == []
    else:
        expected = _marked(row[0])
        assert _marked(ours) == expected
        assert ours.replace(HIT_START, "").replace(HIT_END, "").strip("…") in text
