"""The source's markup and scores are stored beside the plain text and read back unchanged."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from storage import queries
from storage.db import Storage, migrations
from storage.loader import load_paths
from storage.parsers import parse_file
from tests.sqlitefile import connect as sqlite_connect

DATA = Path(__file__).parents[1] / "data"
FILES = ("markup_disqus.xml", "markup_reddit.json", "markup_hn.json")


async def test_markup_format_and_score_round_trip_and_reload_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in FILES:
        shutil.copy(DATA / name, folder / name)
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        first = await load_paths(store, [folder])
        assert first.count("added") == 3
        for name in FILES:
            parsed = parse_file(folder / name)
            stored = await queries.get_article(store, parsed.key)
            assert stored is not None
            assert stored.article.comments == parsed.comments  # markup, format, score included
        with sqlite_connect(db) as watcher:
            before = watcher.execute("SELECT * FROM comments ORDER BY id").fetchall()
            version = watcher.execute("PRAGMA data_version").fetchone()[0]
            again = await load_paths(store, [folder])
            # data_version moves whenever another connection commits a change to the file.
            assert watcher.execute("PRAGMA data_version").fetchone()[0] == version
        assert again.count("unchanged") == 3
    with sqlite_connect(db) as conn:
        assert conn.execute("SELECT * FROM comments ORDER BY id").fetchall() == before
        kinds = dict(
            conn.execute(
                "SELECT a.format, group_concat(DISTINCT c.markup_format) FROM comments c"
                " JOIN articles a ON a.id = c.article_id GROUP BY a.format"
            ).fetchall()
        )
        scores = conn.execute(
            "SELECT author, score FROM comments WHERE score IS NOT NULL ORDER BY author"
        ).fetchall()
    assert kinds == {"disqus": "html", "reddit": "markdown", "hackernews": "html"}
    assert ("ben_okafor", 41) in scores and ("lena", 12) in scores
    assert ("dev_ola", -2) in scores  # a negative score is a score


async def test_plain_text_stays_what_search_finds(tmp_path: Path) -> None:
    """Search and summaries keep the plain text: markup characters are not words to search."""
    async with await Storage.open(tmp_path / "t.db") as store:
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
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    try:
        conn.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL)"
        )
        for number, name, sql in migrations():
            if number < 6:
                conn.executescript(sql)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01')", (number, name)
                )
        conn.execute(
            "INSERT INTO articles (key, format, content_hash, title, paragraphs, summary, warnings,"
            " comment_count, created_at, updated_at) VALUES ('old', 'textdump', 'h', 'Old', '[]',"
            " '', '[]', 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
        )
        conn.execute(
            "INSERT INTO comments (article_id, position, key, depth, author, text, spam,"
            " spam_reasons, deleted) VALUES (1, 0, 'c0', 0, 'Ann', 'kept **as typed**', 0, '[]', 0)"
        )
        conn.commit()
    finally:
        conn.close()
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
