"""The order of search results (README: best first; newest first for very broad queries)."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import fts5_search, queries
from storage.db import Storage
from storage.fts5_search import plain_terms
from storage.loader import load_paths
from tests.bot.dumps import write_dump

# Comment texts in load order (so the last is the newest). Only the first says "zorblax" three
# times in few words: bm25 puts it first; the newest match is the last.
TEXTS = [
    "zorblax zorblax zorblax",
    "a long comment that mentions zorblax once among many other words about the river and dams",
    "another zorblax remark with common words like the and of",
    "the newest zorblax comment of the lot with some more words",
]


@pytest.fixture
async def store(tmp_path: Path) -> Storage:
    folder = tmp_path / "dumps"
    folder.mkdir()
    write_dump(folder, "art", "Title", [(0, f"User{i}", t) for i, t in enumerate(TEXTS)])
    opened = await Storage.open(tmp_path / "t.db")
    await load_paths(opened, [folder])
    return opened


async def positions(store: Storage, query: str) -> list[int | None]:
    return [h.position for h in await queries.search(store, query) if h.author is not None]


async def test_a_narrow_query_is_ranked_best_first(store: Storage) -> None:
    try:
        assert (await positions(store, "zorblax"))[0] == 0
        assert (await positions(store, "zorblax the"))[0] == 3  # "the" twice in a short comment
    finally:
        await store.close()


async def test_a_broad_query_lists_its_newest_matches(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fts5_search, "RANKED_MAX", 2)  # four matches: broad
    try:
        assert await positions(store, "zorblax") == [3, 2, 1, 0]
    finally:
        await store.close()


async def test_very_common_words_filter_but_do_not_rank(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every word in the sample looks very common: nothing to rank by, so the newest come first.
    monkeypatch.setattr(fts5_search, "SAMPLE", 1)
    try:
        assert await positions(store, "zorblax zorblax") == [3, 2, 1, 0]
        monkeypatch.setattr(fts5_search, "SAMPLE", 1000)  # rare again: ranked
        assert (await positions(store, "zorblax zorblax"))[0] == 0
    finally:
        await store.close()


def test_plain_terms_are_words_only() -> None:
    assert plain_terms('the "river" dam*') == ["the", '"river"', "dam*"]
    assert plain_terms("the OR river") is None
    assert plain_terms('"two words"') is None
    assert plain_terms("NEAR(a b)") is None and plain_terms("author:ann") is None


async def test_a_phrase_holding_a_very_common_word_lists_its_newest_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listed newest first straight away (no breadth check), exactly the newest `limit` of its
    matches, in order; the same phrase of selective words is ranked best first."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    texts = [
        "the river the river the river",  # the best match by bm25, and the oldest
        *(f"comment {i} says the river rose and the town {i} flooded" for i in range(1, 15)),
        "river the, in the other order",  # no phrase match: must never be listed
    ]
    write_dump(folder, "art", "Title", [(0, f"User{i}", t) for i, t in enumerate(texts)])
    async with await Storage.open(tmp_path / "t.db") as store:
        await load_paths(store, [folder])
        monkeypatch.setattr(fts5_search, "SAMPLE", 1)  # every word looks very common
        hits = await queries.search(store, '"the river"', limit=10)
        assert [h.position for h in hits if h.author is not None] == list(range(14, 4, -1))
        monkeypatch.setattr(fts5_search, "SAMPLE", 1000)  # selective again: ranked
        ranked = await queries.search(store, '"the river"', limit=10)
        ranked_positions = [h.position for h in ranked if h.author is not None]
        assert len(ranked_positions) == 10 and ranked_positions[0] == 0
