"""Storage on both stores (`target`: a SQLite file, a PostgreSQL database): migrations,
load/read-back, idempotency, atomicity, full-text search. Rows are read through the store."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from storage import queries
from storage.db import Storage, migrations
from storage.loader import load_paths
from storage.parsers import parse_file
from storage.read import fetch_all, fetch_one
from tests.bot.dumps import write_dump
from tests.sqlitefile import connect as sqlite_connect
from tests.sqlitefile import rows

SEED = Path(__file__).parents[2] / "seeds" / "000_e7a44f8a370d07ea.txt"

# The tables of the schema, by the store's own catalogue.
TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgres": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
}

# A real failure inside the load's transaction: inserting a comment by "Boom" aborts.
BOOM = {
    "sqlite": [
        "CREATE TRIGGER boom BEFORE INSERT ON comments WHEN new.author = 'Boom'"
        " BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
    ],
    "postgres": [
        "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
        "CREATE TRIGGER boom BEFORE INSERT ON comments FOR EACH ROW"
        " WHEN (new.author = 'Boom') EXECUTE FUNCTION boom()",
    ],
}


async def snapshot(store: Storage) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every content table and of the search indexes, for before/after comparisons
    (PostgreSQL's comment index is the `search` column of comments)."""
    reads = {
        table: f"SELECT * FROM {table} ORDER BY 1"
        for table in ("articles", "comments", "schema_migrations")
    } | {"articles_fts": "SELECT rowid, title, caption, body FROM articles_fts ORDER BY rowid"}
    if store.dialect == "sqlite":
        reads["fts"] = "SELECT rowid, author, text FROM comments_fts ORDER BY rowid"
    return {
        name: [tuple(r) for r in await fetch_all(store.reader, sql)] for name, sql in reads.items()
    }


async def comment_ids(store: Storage) -> dict[str, int]:
    """Comment key -> row id."""
    return {
        str(k): int(i) for k, i in await fetch_all(store.reader, "SELECT key, id FROM comments")
    }


async def test_migrations_from_empty_create_schema_and_ledger(target: str) -> None:
    async with await Storage.open(target) as store:
        ledger = await fetch_all(
            store.reader, "SELECT version, name FROM schema_migrations ORDER BY version"
        )
        tables = {str(r[0]) for r in await fetch_all(store.reader, TABLES[store.dialect])}
    assert [tuple(r) for r in ledger] == [(n, name) for n, name, _ in migrations(store.dialect)]
    assert {
        "articles", "comments", "articles_fts", "replays", "replay_steps", "guild_settings",
        "announcements", "replay_queue", "bot_state", "schema_migrations",
    } <= tables  # fmt: skip


async def test_a_new_sqlite_file_is_in_wal_mode_with_fts5_indexes(tmp_path: Path) -> None:
    # SQLite only: the journal mode and FTS5's virtual tables are the SQLite file's own.
    db = tmp_path / "new.db"
    async with await Storage.open(db):
        pass
    with sqlite_connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert {"articles", "comments", "articles_fts", "comments_fts"} <= tables
    assert mode == "wal"


async def test_open_twice_applies_each_migration_once(target: str) -> None:
    for _ in range(2):
        async with await Storage.open(target) as store:
            row = await fetch_one(store.reader, "SELECT count(*) FROM schema_migrations")
    assert row is not None and row[0] == len(migrations(store.dialect))


async def test_load_then_read_back_equals_parsed_model(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        report = await load_paths(store, [seeds])
        stored = await queries.get_article(store, SEED.stem)
    assert [f.status for f in report.files] == ["added"]
    assert stored is not None
    assert stored.article == parse_file(seeds / SEED.name).model_copy(update={"warnings": []})


async def test_reload_unchanged_file_changes_nothing(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        before = await snapshot(store)
    async with await Storage.open(target) as store:
        report = await load_paths(store, [seeds])
        after = await snapshot(store)
    assert [(f.status, f.comments) for f in report.files] == [("unchanged", 16)]
    assert after == before


async def test_changed_file_updates_in_place_keeping_comment_ids(target: str, seeds: Path) -> None:
    path = seeds / SEED.name
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        old = await comment_ids(store)
        text = path.read_text("utf-8").replace(
            "  • Vitex\n", "  • Newcomer\n\n    A brand new first word.\n\n  • Vitex\n"
        )
        path.write_text(text.replace("End of.", "End of, really."), "utf-8")
        report = await load_paths(store, [seeds])
        stored = await queries.get_article(store, SEED.stem)
        new = await comment_ids(store)
    assert [f.status for f in report.files] == ["updated"]
    assert stored is not None and len(stored.article.comments) == 17
    assert len(old) == 16 and len(new) == 17  # the seed's comments, then one more
    assert all(new[k] == old[k] for k in old)  # every old comment kept its row
    assert any("End of, really." in c.text for c in stored.article.comments)


async def test_failure_half_way_through_file_leaves_database_as_it_was(
    target: str, seeds: Path
) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        before = await snapshot(store)
        # A real failure inside the transaction: the 8th comment insert of the new version aborts.
        async with store.transaction() as db:
            for sql in BOOM[store.dialect]:
                await db.execute(sql)
    path = seeds / SEED.name
    path.write_text(path.read_text("utf-8").replace("• Ronald", "• Boom"), "utf-8")
    async with await Storage.open(target) as store:
        report = await load_paths(store, [seeds])
        after = await snapshot(store)
    assert report.files[0].status == "failed"
    assert "injected failure" in (report.files[0].error or "")
    assert after == before


async def test_bad_file_fails_alone_and_others_load(target: str, seeds: Path) -> None:
    (seeds / "empty.txt").write_bytes(b"")
    async with await Storage.open(target) as store:
        report = await load_paths(store, [seeds])
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["empty.txt"].status == "failed"
    assert "empty" in (by_name["empty.txt"].error or "")
    assert by_name[SEED.name].status == "added"


async def test_two_files_with_same_stem_in_one_load_second_fails(target: str, seeds: Path) -> None:
    other = seeds / "sub"
    other.mkdir()
    shutil.copy(SEED, other / SEED.name)
    async with await Storage.open(target) as store:
        report = await load_paths(store, [seeds])
    assert sorted(f.status for f in report.files) == ["added", "failed"]
    assert "already taken" in (next(f for f in report.files if f.status == "failed").error or "")


async def test_fts_finds_comment_by_word_of_its_text(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        hits = await queries.search(store, "ultimatum")
        by_author = await queries.search(store, "Langaniso")
        broken = await queries.search(store, 'ultimatum "unclosed AND (')
    assert [(h.author, h.position) for h in hits] == [("Melotte 22", 12)]
    assert "ultimatum" in hits[0].snippet
    assert [h.author for h in by_author] == ["Langaniso Mhlobo"]
    assert [h.author for h in broken if h.author] == []  # plain words: "unclosed" matches nothing


async def test_fts_invalid_syntax_is_searched_as_plain_words(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        hits = await queries.search(store, 'negotiate "')
    assert {h.author for h in hits if h.author} == {"Melotte 22"}  # not "negotiating"


async def test_corpus_stats_counts_seed(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        stats = await queries.corpus_stats(store)
        stored = await queries.get_article(store, SEED.stem)
        assert stored is not None
        counts = await queries.article_counts(store, stored.id)
    assert (stats.articles, stats.comments, stats.spam) == (1, 16, 1)
    assert stats.top_commenters[0].author == "RTA (Bob or Al)"
    assert stats.top_commenters[0].comments == 5
    assert stats.deepest_depth == 5
    assert (counts.comments, counts.threads, counts.participants, counts.spam) == (16, 5, 10, 1)


async def test_a_second_file_of_the_same_name_elsewhere_is_refused_naming_both(
    tmp_path: Path, target: str, seeds: Path
) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / SEED.name).write_text("A Different Article\n\nIts own text.\n", "utf-8")
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        before = await snapshot(store)
    async with await Storage.open(target) as store:
        report = await load_paths(store, [other])
        after = await snapshot(store)
    [failed] = report.files
    assert failed.status == "failed"
    assert str(other / SEED.name) in (failed.error or "")
    assert str(seeds / SEED.name) in (failed.error or "")
    assert "rename one of the two files" in (failed.error or "")
    assert after == before  # nothing stored changed


async def test_a_moved_file_keeps_its_key_and_updates_in_place(
    tmp_path: Path, target: str, seeds: Path
) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
    moved = tmp_path / "moved"
    moved.mkdir()
    text = (seeds / SEED.name).read_text("utf-8")
    (moved / SEED.name).write_text(text.replace("Eastern Qalamun", "East Qalamun", 1), "utf-8")
    (seeds / SEED.name).unlink()
    async with await Storage.open(target) as store:
        report = await load_paths(store, [moved])
        stored = await queries.get_article(store, SEED.stem)
    assert [f.status for f in report.files] == ["updated"]
    assert stored is not None and stored.source_path == str(moved / SEED.name)


async def test_an_unchanged_file_reports_the_warnings_stored_with_it(
    tmp_path: Path, target: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "jump.txt").write_text(
        "A Title\n\nText.\n\n  • Ann\n\n    Hello.\n\n        • Bob\n\n          Too deep.\n",
        "utf-8",
    )
    async with await Storage.open(target) as store:
        first = await load_paths(store, [folder])
        second = await load_paths(store, [folder])
    assert [w.code for w in first.files[0].warnings] == ["indent-jump"]
    assert second.files[0].status == "unchanged"
    assert second.files[0].warnings == first.files[0].warnings


async def test_a_new_article_failing_mid_batch_leaves_no_trace(target: str, tmp_path: Path) -> None:
    """A new article's comments are written in one statement (COPY on PostgreSQL): one that
    fails there rolls back to its file's savepoint, and the files beside it in the batch load."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    for i in range(5):
        author = "Boom" if i == 2 else f"Reader{i}"
        write_dump(folder, f"n{i}", f"Title {i}", [(0, "Ann", "first"), (1, author, f"reply {i}")])
    async with await Storage.open(target) as store:
        async with store.transaction() as db:
            for sql in BOOM[store.dialect]:
                await db.execute(sql)
        report = await load_paths(store, [folder])
        keys = [r[0] for r in await fetch_all(store.reader, "SELECT key FROM articles ORDER BY key")]
        authors = await fetch_all(store.reader, "SELECT count(*) FROM comments WHERE author = 'Boom'")
        total = await fetch_all(store.reader, "SELECT count(*) FROM comments")
    statuses = {Path(f.path).stem: f.status for f in report.files}
    assert statuses == {"n0": "added", "n1": "added", "n2": "failed", "n3": "added", "n4": "added"}
    assert keys == ["n0", "n1", "n3", "n4"]
    assert [tuple(r) for r in authors] == [(0,)] and [tuple(r) for r in total] == [(8,)]


async def test_a_transaction_cancelled_while_it_begins_leaves_the_writer_free(
    tmp_path: Path,
) -> None:
    """Ctrl-C during a load cancels whatever awaits, a BEGIN too: the writer's thread runs that BEGIN
    all the same, and the next transaction must still start (it failed with "cannot start a
    transaction within a transaction", and the load ended with a traceback)."""
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # holds the write lock: the store's BEGIN waits for it

        async def begin() -> None:
            async with store.transaction():
                raise AssertionError("the transaction began while another one held the lock")

        task = asyncio.create_task(begin())
        await asyncio.sleep(0.2)  # the BEGIN is queued or waiting on the writer's thread
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        other.execute("COMMIT")  # the cancelled BEGIN can now go through, then its ROLLBACK
        other.close()
        async with store.transaction() as conn:
            await conn.execute(
                "INSERT INTO bot_state (key, value, updated_at) VALUES ('k', 'v', 'now')"
            )
        assert not store.writer.in_transaction
    assert rows(db, "SELECT key, value FROM bot_state") == [("k", "v")]
