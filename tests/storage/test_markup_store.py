"""The source's markup and scores are stored beside the plain text and read back unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from storage import queries
from storage.db import Storage
from storage.loader import load_paths
from storage.parsers import parse_file
from storage.read import fetch_all
from tests.sqlitefile import store_before

DATA = Path(__file__).parents[1] / "data"
FILES = ("markup_disqus.xml", "markup_reddit.json", "markup_hn.json")


async def writes_seen(store: Storage) -> Any:
    """What changes whenever a commit writes a row: SQLite's data_version, read on the reader (it
    moves when another connection, such as the writer, commits a change to the file); on
    PostgreSQL, the transaction id (xmin) and place of every row of every table."""
    if store.dialect == "sqlite":
        return (await fetch_all(store.reader, "PRAGMA data_version"))[0][0]
    tables = await fetch_all(
        store.reader,
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
    )
    seen = {}
    for (table,) in tables:
        found = await fetch_all(
            store.reader, f"SELECT xmin::text, ctid::text FROM {table} ORDER BY 2"
        )
        seen[table] = [tuple(r) for r in found]
    return seen


async def test_markup_format_and_score_round_trip_and_reload_writes_nothing(
    tmp_path: Path, target: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in FILES:
        shutil.copy(DATA / name, folder / name)
    async with await Storage.open(target) as store:
        first = await load_paths(store, [folder])
        assert first.count("added") == 3
        for name in FILES:
            parsed = parse_file(folder / name)
            stored = await queries.get_article(store, parsed.key)
            assert stored is not None
            assert stored.article.comments == parsed.comments  # markup, format, score included
        before = [
            tuple(r) for r in await fetch_all(store.reader, "SELECT * FROM comments ORDER BY id")
        ]
        version = await writes_seen(store)
        again = await load_paths(store, [folder])
        assert await writes_seen(store) == version
        assert again.count("unchanged") == 3
    async with await Storage.open(target) as store:
        after = [
            tuple(r) for r in await fetch_all(store.reader, "SELECT * FROM comments ORDER BY id")
        ]
        kinds: dict[str, set[str]] = {}
        for fmt, markup_format in await fetch_all(
            store.reader,
            "SELECT DISTINCT a.format, c.markup_format FROM comments c"
            " JOIN articles a ON a.id = c.article_id WHERE c.markup_format IS NOT NULL",
        ):
            kinds.setdefault(fmt, set()).add(markup_format)
        scores = [
            tuple(r)
            for r in await fetch_all(
                store.reader,
                "SELECT author, score FROM comments WHERE score IS NOT NULL ORDER BY author",
            )
        ]
    assert after == before
    assert kinds == {"disqus": {"html"}, "reddit": {"markdown"}, "hackernews": {"html"}}
    assert ("ben_okafor", 41) in scores and ("lena", 12) in scores
    assert ("dev_ola", -2) in scores  # a negative score is a score


async def test_plain_text_stays_what_search_finds(target: str) -> None:
    """Search and summaries keep the plain text: markup characters are not words to search."""
    async with await Storage.open(target) as store:
        await load_paths(store, [DATA / "markup_disqus.xml"])
        hits = await queries.search(store, "bridge report")
        stored = await queries.get_article(store, "disqus-5001")
    assert stored is not None
    first = stored.article.comments[0]
    assert "<b>" in (first.markup or "") and "<b>" not in first.text
    assert "bridge report" in first.text.casefold()
    assert any(h.author == "Mara Quill" for h in hits)


async def test_migration_keeps_rows_stored_before_it(tmp_path: Path) -> None:
    """A store made before migration 0006 opens with its comments intact and no markup."""
    # SQLite only: PostgreSQL's schema begins with markup (one migration), so no older store exists.
    db = tmp_path / "old.db"
    store_before(db, 6, "kept **as typed**")
    async with await Storage.open(db) as store:
        stored = await queries.get_article(store, "old")
    assert stored is not None
    (comment,) = stored.article.comments
    assert (comment.text, comment.markup, comment.markup_format, comment.score) == (
        "kept **as typed**",
        None,
        None,
        None,
    )
