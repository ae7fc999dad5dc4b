"""The deepest thread of `/article stats`: each article's `max_depth`, kept by the writer on both
stores and filled in by the migrations for articles stored before them; and a new SQLite store's
8 KiB pages."""

from __future__ import annotations

from pathlib import Path

from storage import queries
from storage.db import Storage, migrations
from storage.loader import load_paths
from tests.bot.dumps import write_dump
from tests.pgcluster import Cluster
from tests.sqlitefile import connect, rows, store_before


async def test_the_deepest_thread_follows_each_article_as_it_is_added_and_updated(
    tmp_path: Path, target: str
) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    deep = [(0, "Ann", "top"), (1, "Bo", "reply"), (2, "Cy", "deeper"), (3, "Di", "deepest")]
    write_dump(folder, "a-deep", "Deep", deep)
    write_dump(folder, "b-two", "Two levels", [(0, "Ann", "top"), (1, "Bo", "reply")])
    write_dump(folder, "c-none", "No comments", [])
    async with await Storage.open(target) as store:
        await load_paths(store, [folder])
        before = await queries.corpus_stats(store)
        # The deep article loses its two deepest replies: updated in place, its maximum with it.
        write_dump(folder, "a-deep", "Deep", [*deep[:2], (0, "Eve", "another top")])
        await load_paths(store, [folder])
        after = await queries.corpus_stats(store)
        # Ties go to the first key, as the old query over every comment did.
        write_dump(folder, "b-two", "Two levels", [(0, "Ann", "top")])
        write_dump(folder, "a-deep", "Deep", [(0, "Ann", "flat")])
        await load_paths(store, [folder])
        flat = await queries.corpus_stats(store)
    assert (before.deepest_depth, before.deepest_key, before.deepest_title) == (4, "a-deep", "Deep")
    assert (after.deepest_depth, after.deepest_key) == (2, "a-deep")
    assert (flat.deepest_depth, flat.deepest_key) == (1, "a-deep")


async def test_a_store_without_comments_has_no_deepest_thread(tmp_path: Path, target: str) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    write_dump(folder, "quiet", "Nobody commented", [])
    async with await Storage.open(target) as store:
        await load_paths(store, [folder])
        stats = await queries.corpus_stats(store)
    assert (stats.articles, stats.comments) == (1, 0)
    assert (stats.deepest_depth, stats.deepest_key) == (0, None)


def _deepen(db: Path) -> None:
    """Give the one article of `store_before` replies three levels deep."""
    with connect(db) as conn:
        conn.executemany(
            "INSERT INTO comments (article_id, position, key, depth, parent, author, text, spam,"
            " spam_reasons, deleted) VALUES (1, ?, ?, ?, ?, 'Bo', 'reply', 0, '[]', 0)",
            [(1, "c1", 1, 0), (2, "c2", 2, 1), (3, "c3", 3, 2)],
        )
        conn.execute("UPDATE articles SET comment_count = 4")


async def test_migration_0013_gives_stored_articles_their_deepest_reply(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    store_before(db, 13, "top")
    _deepen(db)
    async with await Storage.open(db) as store:
        stats = await queries.corpus_stats(store)
    assert (stats.deepest_depth, stats.deepest_key, stats.comments) == (4, "old", 4)
    assert rows(db, "SELECT key, max_depth FROM articles") == [("old", 3)]
    indexes = {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "articles_deepest" in indexes and "comments_depth" not in indexes


async def test_postgres_migration_0002_gives_stored_articles_their_deepest_reply(
    pg_url: str, pg_cluster: Cluster
) -> None:
    name = pg_url.rsplit("/", 1)[1]
    ((number, title, first),) = [m for m in migrations("postgres") if m[0] == 1]
    pg_cluster.psql(first, name)  # the store as 0001 left it, with its ledger row
    pg_cluster.psql(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        f" applied_at TEXT NOT NULL); INSERT INTO schema_migrations VALUES ({number}, '{title}', 'x')",
        name,
    )
    pg_cluster.psql(
        "INSERT INTO articles (key, format, content_hash, title, paragraphs, summary, warnings,"
        " comment_count, created_at, updated_at) VALUES ('old', 'textdump', 'h', 'Old', '[]', '',"
        " '[]', 3, 'x', 'x'); INSERT INTO comments (article_id, position, key, depth, parent,"
        " author, text, spam, spam_reasons, deleted) SELECT id, p, 'c' || p, p, NULLIF(p - 1, -1),"
        " 'Bo', 'reply', 0, '[]', 0 FROM articles, generate_series(0, 2) AS p",
        name,
    )
    async with await Storage.open(pg_url) as store:
        stats = await queries.corpus_stats(store)
    assert (stats.deepest_depth, stats.deepest_key, stats.comments) == (3, "old", 3)
    assert pg_cluster.psql("SELECT max_depth FROM articles", name) == "2"
    assert pg_cluster.psql("SELECT to_regclass('comments_depth') IS NULL", name) == "t"


async def test_a_new_sqlite_store_has_8_kib_pages_and_an_old_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    new, old = tmp_path / "new.db", tmp_path / "old.db"
    with connect(old) as conn:  # a store created with SQLite's default pages
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("PRAGMA journal_mode = WAL")
    folder = tmp_path / "dumps"
    folder.mkdir()
    write_dump(folder, "k", "Kept", [(0, "Ann", "wombat"), (1, "Bo", "reply")])
    for db in (new, old):
        async with await Storage.open(db) as store:
            await load_paths(store, [folder])
            hits = await queries.search(store, "wombat")
        assert [h.author for h in hits] == ["Ann"]
    assert rows(new, "PRAGMA page_size") + rows(old, "PRAGMA page_size") == [(8192,), (4096,)]
