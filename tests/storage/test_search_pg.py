"""PostgreSQL search's newest-first paths (storage/search_pg.py), against a real throwaway cluster.

A phrase holding a very common word lists its newest matches (as on SQLite): among comments read
from the newest rows first (a sample, then a walk further back, then the index for what is older),
among articles by checking the articles holding every word, newest first. A single word or
prefix whose newest comments already hold more than RANKED_MAX matches is broad without the index.
Each path must give exactly the newest matching rows, newest first: checked against the texts
themselves and against SQLite. The windows are shrunk (monkeypatch of the module's sizes) so a few
thousand comments reach every path; the answers must not depend on them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from storage import fts5_search, queries, search_pg
from storage.articles import save_article
from storage.db import Storage
from storage.models import Article, Comment

ARTICLES, PER_ARTICLE = 10, 400  # 4,000 comments, loaded in order: comment g has the g-th id


def _comment_text(g: int) -> str:
    """Every comment says "alpha" (a very common word); the phrases sit at known comments."""
    # "alpha" is never followed by a word of the phrases. A third of the comments hold "gamma",
    # another third "delta", apart: many candidates, so the index costs more than a walk.
    words = [{0: "gamma alpha", 1: "delta alpha", 2: "alpha"}[g % 3] + f" n{g}"]
    if g % 5 not in (0, 1):
        words.append("epsilon")  # 60 %: a prefix the probe finds broad on its second read
    if g % 40 == 7:
        words.append("alpha beta")  # 100 matches, 25 in the newest 1,000
    if g % 40 == 21:
        words.append("beta sits after alpha")  # both words, not the phrase
    # The newest 1,000 comments are g >= 3000; the walk's 2,000 are 1000 <= g < 3000.
    if g in (3990, 3500, 3200, 3001, 2900, 2500, 2000, 1500, 1200, 1001, 700):
        words.append("alpha gamma")  # 4 in the sample, 6 in the walk: the walk finds them
    if g in (3800, 3700, 3300, 3100, 2800, 2200, 1600, 900, 500, 300, 100, 20):
        words.append("alpha delta")  # 4 in the sample, 3 in the walk, the rest older: the index
    if g in (3333, 2222, 1111, 999, 555, 444, 333, 222, 111, 11, 1):
        words.append("alpha eta")  # 1 in the sample, too sparse to walk: the index at once
    return " ".join(words)


def _article(n: int, comments: list[str], body: str = "nothing to see") -> Article:
    return Article(
        key=f"a{n:02d}",
        format="textdump",
        title=f"Article {n}",
        paragraphs=[body],
        comments=[
            Comment(index=i, key=f"c{n}-{i}", author="someone", depth=0, text=text)
            for i, text in enumerate(comments)
        ],
    )


async def _fill(store: Storage) -> None:
    for n in range(ARTICLES):
        texts = [_comment_text(n * PER_ARTICLE + i) for i in range(PER_ARTICLE)]
        await save_article(store, _article(n, texts), source_path=None, content_hash=f"h{n}")


def _newest(matches: Callable[[int], bool], limit: int = 10) -> list[tuple[str, int | None]]:
    """(article key, position) of the newest `limit` comments g for which `matches(g)` holds."""
    found = [g for g in range(ARTICLES * PER_ARTICLE) if matches(g)]
    return [(f"a{g // PER_ARTICLE:02d}", g % PER_ARTICLE) for g in sorted(found)[::-1][:limit]]


async def _comments(store: Storage, query: str, limit: int = 10) -> list[tuple[str, int | None]]:
    hits = await queries.search(store, query, limit=limit)
    assert all(h.author is not None for h in hits), "no article holds these words"
    return [(h.key, h.position) for h in hits]


def _has(phrase: str) -> Callable[[int], bool]:
    return lambda g: phrase in _comment_text(g)


PHRASES = ['"alpha beta"', '"alpha gamma"', '"alpha delta"', '"alpha eta"']


@pytest.fixture
async def stores(tmp_path: Path, pg_url: str) -> AsyncIterator[tuple[Storage, Storage]]:
    async with await Storage.open(tmp_path / "t.db") as sqlite, await Storage.open(pg_url) as pg:
        for store in (sqlite, pg):
            await _fill(store)
        yield sqlite, pg


@pytest.mark.parametrize("windows", ["as shipped", "shrunk: every path"])
async def test_a_phrase_of_a_very_common_word_lists_exactly_its_newest_matches(
    stores: tuple[Storage, Storage], windows: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite, pg = stores
    if windows != "as shipped":
        monkeypatch.setattr(search_pg, "SAMPLE_WINDOW", 1000)
        monkeypatch.setattr(search_pg, "WALK_ROWS", 2000)
    for query in PHRASES:
        expected = _newest(_has(query.strip('"')))
        assert len(expected) == 10, query
        assert await _comments(pg, query) == expected, query
        assert await _comments(sqlite, query) == expected, query  # the same rule on SQLite
    # Fewer matches than asked for: all of them, newest first, from every path.
    assert await _comments(pg, '"alpha eta"', limit=50) == _newest(_has("alpha eta"), 50)
    # Both words, rarely side by side, the other way round.
    expected = _newest(_has("beta alpha"))
    assert (
        await _comments(pg, '"beta alpha"') == expected == await _comments(sqlite, '"beta alpha"')
    )


@pytest.mark.parametrize("probe_rows", [search_pg.PROBE_ROWS, search_pg.PROBE_FIRST])
@pytest.mark.parametrize("query", ["alp*", "eps*", "epsilon", "alpha"])
async def test_a_word_or_prefix_broad_among_the_newest_comments_lists_its_newest(
    stores: tuple[Storage, Storage], query: str, probe_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`eps*` and `epsilon` (60 %) are read further in the newest comments as shipped; with no
    further read, the index finds them broad (then their newest ids, then their rows)."""
    monkeypatch.setattr(search_pg, "PROBE_ROWS", probe_rows)
    sqlite, pg = stores
    stem = query.rstrip("*")
    expected = _newest(lambda g: any(w.startswith(stem) for w in _comment_text(g).split()))
    if not query.endswith("*"):
        expected = _newest(lambda g: query in _comment_text(g).split())
    assert await _comments(pg, query) == expected
    assert await _comments(sqlite, query) == expected


@pytest.mark.parametrize("batch", [search_pg.ARTICLE_BATCH, 1])
async def test_articles_phrase_of_a_very_common_word_lists_its_newest(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Articles: "very common" from the index (at least SAMPLE articles, shrunk here to 3, on both
    engines); the articles holding every word are checked newest first (in one batch as shipped;
    in batches of 1, 2, 4, 8 shrunk, stopping early), and the newest of them (12, 14) do not
    hold the phrase."""
    monkeypatch.setattr(search_pg, "ARTICLE_BATCH", batch)
    monkeypatch.setattr(search_pg, "SAMPLE", 3)
    monkeypatch.setattr(fts5_search, "SAMPLE", 3)
    phrase_in = {1, 4, 5, 9, 11}

    def body(n: int) -> str:
        if n in phrase_in:
            return "omega psi here"
        return "psi then omega" if n % 2 == 0 else "omega alone"  # both words, or one

    expected = [f"a{n:02d}" for n in sorted(phrase_in, reverse=True)]
    async with await Storage.open(tmp_path / "t.db") as sqlite, await Storage.open(pg_url) as pg:
        for store in (sqlite, pg):
            for n in range(15):
                await save_article(store, _article(n, ["a plain comment"], body(n)),
                                   source_path=None, content_hash=f"h{n}")  # fmt: skip
        for store in (pg, sqlite):
            for limit in (1, 3, 5, 10):
                hits = await queries.search(store, '"omega psi"', limit=limit)
                assert [h.key for h in hits] == expected[:limit], (store.dialect, limit)
            # Every word very common, in no article side by side: none.
            assert await queries.search(store, '"psi omega psi"', limit=10) == []
            # Very common words, both in many articles, never in this order: none.
            assert await queries.search(store, '"omega then"', limit=10) == []


async def test_articles_and_comments_side_by_side_give_what_one_connection_gives(
    stores: tuple[Storage, Storage], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a second connection idle, the two parts run on two connections; searches at once (more
    than the pool holds) neither wait for each other for ever nor change an answer."""
    _, pg = stores
    queries_ = [*PHRASES, '"beta alpha"', "alp*", "epsilon", "n3999", "gamma -delta"]
    alone = {
        q: [(h.key, h.position, h.snippet) for h in await queries.search(pg, q)] for q in queries_
    }
    ran: list[int] = []  # how many parts each transaction ran (a spy: the answers are untouched)
    original = search_pg._in_transaction

    async def spy(conn: object, parts: list[object]) -> list[object]:
        ran.append(len(parts))
        return await original(conn, parts)  # type: ignore[arg-type]

    monkeypatch.setattr(search_pg, "_in_transaction", spy)
    for _ in range(2):  # the pool's second connection is open by now, and idle between searches
        for q in queries_:
            assert [(h.key, h.position, h.snippet) for h in await queries.search(pg, q)] == alone[q]
    assert ran.count(1) >= 2 * len(queries_), ran  # side by side: one part per connection
    ran.clear()
    at_once = await asyncio.wait_for(
        asyncio.gather(*(queries.search(pg, q) for q in queries_ * 3)), timeout=60
    )
    assert [[(h.key, h.position, h.snippet) for h in hits] for hits in at_once] == [
        alone[q] for q in queries_ * 3
    ]
    assert 2 in ran  # some found no idle connection: both parts on one
    # A search cancelled half way gives its connections back.
    task = asyncio.ensure_future(queries.search(pg, '"alpha eta"'))
    await asyncio.sleep(0.002)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [(h.key, h.position, h.snippet) for h in await queries.search(pg, "epsilon")] == alone[
        "epsilon"
    ]


async def test_a_narrow_part_is_ranked_best_first_from_where_its_matches_are(pg_url: str) -> None:
    """The ranked path reads the matches found by the first pass again by their ctid."""
    texts = [
        "zorblax zorblax zorblax",
        "a long comment that mentions zorblax once among many other words about the river",
        "another zorblax remark",
        "the newest zorblax comment of the lot",
    ]
    async with await Storage.open(pg_url) as pg:
        await save_article(pg, _article(0, texts, "zorblax in the body only"), source_path=None,
                           content_hash="h0")  # fmt: skip
        await save_article(pg, Article(key="a01", format="textdump", title="Zorblax", paragraphs=[
            "and once more zorblax"], comments=[]), source_path=None, content_hash="h1")  # fmt: skip
        hits = await queries.search(pg, "zorblax", limit=10)
        assert [h.key for h in hits if h.author is None] == ["a01", "a00"]  # the title first
        assert next(h.position for h in hits if h.author is not None) == 0
        assert sorted(h.position for h in hits if h.author is not None) == [0, 1, 2, 3]
