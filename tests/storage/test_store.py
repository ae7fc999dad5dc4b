"""Storage on a real SQLite file: migrations, load/read-back, idempotency, atomicity, FTS."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from storage import queries
from storage.db import Storage, migrations
from storage.loader import load_paths
from storage.parsers import parse_file
from tests.sqlitefile import connect as sqlite_connect
from tests.sqlitefile import rows

SEED = Path(__file__).parents[2] / "seeds" / "000_e7a44f8a370d07ea.txt"


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every row of every content table, for before/after comparisons."""
    with sqlite_connect(db) as conn:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            for table in ("articles", "comments", "schema_migrations")
        } | {
            "fts": conn.execute(
                "SELECT rowid, author, text FROM comments_fts ORDER BY rowid"
            ).fetchall()
        }


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A private copy of the seeds folder, so tests can edit files."""
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


async def test_migrations_from_empty_create_schema_and_ledger(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    async with await Storage.open(db):
        pass
    with sqlite_connect(db) as conn:
        ledger = conn.execute("SELECT version, name FROM schema_migrations").fetchall()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert ledger == [(n, name) for n, name, _ in migrations()]
    assert {"articles", "comments", "articles_fts", "comments_fts"} <= tables
    assert mode == "wal"


async def test_open_twice_applies_each_migration_once(tmp_path: Path) -> None:
    db = tmp_path / "twice.db"
    for _ in range(2):
        async with await Storage.open(db):
            pass
    with sqlite_connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(
            migrations()
        )


async def test_load_then_read_back_equals_parsed_model(tmp_path: Path, seeds: Path) -> None:
    async with await Storage.open(tmp_path / "t.db") as store:
        report = await load_paths(store, [seeds])
        stored = await queries.get_article(store, SEED.stem)
    assert [f.status for f in report.files] == ["added"]
    assert stored is not None
    assert stored.article == parse_file(seeds / SEED.name).model_copy(update={"warnings": []})


async def test_reload_unchanged_file_changes_nothing(tmp_path: Path, seeds: Path) -> None:
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        await load_paths(store, [seeds])
    before = snapshot(db)
    async with await Storage.open(db) as store:
        report = await load_paths(store, [seeds])
    assert [(f.status, f.comments) for f in report.files] == [("unchanged", 16)]
    assert snapshot(db) == before


async def test_changed_file_updates_in_place_keeping_comment_ids(
    tmp_path: Path, seeds: Path
) -> None:
    db = tmp_path / "t.db"
    path = seeds / SEED.name
    async with await Storage.open(db) as store:
        await load_paths(store, [seeds])
        old = dict(rows(db, "SELECT key, id FROM comments"))
        text = path.read_text("utf-8").replace(
            "  • Vitex\n", "  • Newcomer\n\n    A brand new first word.\n\n  • Vitex\n"
        )
        path.write_text(text.replace("End of.", "End of, really."), "utf-8")
        report = await load_paths(store, [seeds])
        stored = await queries.get_article(store, SEED.stem)
    assert [f.status for f in report.files] == ["updated"]
    assert stored is not None and len(stored.article.comments) == 17
    new = dict(rows(db, "SELECT key, id FROM comments"))
    assert len(old) == 16 and len(new) == 17  # the seed's comments, then one more
    assert all(new[k] == old[k] for k in old)  # every old comment kept its row
    assert any("End of, really." in c.text for c in stored.article.comments)


async def test_failure_half_way_through_file_leaves_database_as_it_was(
    tmp_path: Path, seeds: Path
) -> None:
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        await load_paths(store, [seeds])
    before = snapshot(db)
    # A real failure inside the transaction: the 8th comment insert of the new version aborts.
    with sqlite_connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON comments WHEN new.author = 'Boom'"
            " BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        )
    path = seeds / SEED.name
    path.write_text(path.read_text("utf-8").replace("• Ronald", "• Boom"), "utf-8")
    async with await Storage.open(db) as store:
        report = await load_paths(store, [seeds])
    assert report.files[0].status == "failed"
    assert "injected failure" in (report.files[0].error or "")
    assert snapshot(db) == before


async def test_bad_file_fails_alone_and_others_load(tmp_path: Path, seeds: Path) -> None:
    (seeds / "empty.txt").write_bytes(b"")
    async with await Storage.open(tmp_path / "t.db") as store:
        report = await load_paths(store, [seeds])
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["empty.txt"].status == "failed"
    assert "empty" in (by_name["empty.txt"].error or "")
    assert by_name[SEED.name].status == "added"


async def test_two_files_with_same_stem_in_one_load_second_fails(
    tmp_path: Path, seeds: Path
) -> None:
    other = seeds / "sub"
    other.mkdir()
    shutil.copy(SEED, other / SEED.name)
    async with await Storage.open(tmp_path / "t.db") as store:
        report = await load_paths(store, [seeds])
    assert sorted(f.status for f in report.files) == ["added", "failed"]
    assert "already taken" in (next(f for f in report.files if f.status == "failed").error or "")


async def test_fts_finds_comment_by_word_of_its_text(tmp_path: Path, seeds: Path) -> None:
    async with await Storage.open(tmp_path / "t.db") as store:
        await load_paths(store, [seeds])
        hits = await queries.search(store, "ultimatum")
        by_author = await queries.search(store, "Langaniso")
        broken = await queries.search(store, 'ultimatum "unclosed AND (')
    assert [(h.author, h.position) for h in hits] == [("Melotte 22", 12)]
    assert "ultimatum" in hits[0].snippet
    assert [h.author for h in by_author] == ["Langaniso Mhlobo"]
    assert [h.author for h in broken if h.author] == []  # plain words: "unclosed" matches nothing


async def test_fts_invalid_syntax_is_searched_as_plain_words(tmp_path: Path, seeds: Path) -> None:
    async with await Storage.open(tmp_path / "t.db") as store:
        await load_paths(store, [seeds])
        hits = await queries.search(store, 'negotiate "')
    assert {h.author for h in hits if h.author} == {"Melotte 22"}  # not "negotiating"


async def test_corpus_stats_counts_seed(tmp_path: Path, seeds: Path) -> None:
    async with await Storage.open(tmp_path / "t.db") as store:
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
    tmp_path: Path, seeds: Path
) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / SEED.name).write_text("A Different Article\n\nIts own text.\n", "utf-8")
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        await load_paths(store, [seeds])
    before = snapshot(db)
    async with await Storage.open(db) as store:
        report = await load_paths(store, [other])
    [failed] = report.files
    assert failed.status == "failed"
    assert str(other / SEED.name) in (failed.error or "")
    assert str(seeds / SEED.name) in (failed.error or "")
    assert "rename one of the two files" in (failed.error or "")
    assert snapshot(db) == before  # nothing stored changed


async def test_a_moved_file_keeps_its_key_and_updates_in_place(tmp_path: Path, seeds: Path) -> None:
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        await load_paths(store, [seeds])
    moved = tmp_path / "moved"
    moved.mkdir()
    text = (seeds / SEED.name).read_text("utf-8")
    (moved / SEED.name).write_text(text.replace("Eastern Qalamun", "East Qalamun", 1), "utf-8")
    (seeds / SEED.name).unlink()
    async with await Storage.open(db) as store:
        report = await load_paths(store, [moved])
        stored = await queries.get_article(store, SEED.stem)
    assert [f.status for f in report.files] == ["updated"]
    assert stored is not None and stored.source_path == str(moved / SEED.name)


async def test_an_unchanged_file_reports_the_warnings_stored_with_it(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "jump.txt").write_text(
        "A Title\n\nText.\n\n  • Ann\n\n    Hello.\n\n        • Bob\n\n          Too deep.\n",
        "utf-8",
    )
    async with await Storage.open(tmp_path / "t.db") as store:
        first = await load_paths(store, [folder])
        second = await load_paths(store, [folder])
    assert [w.code for w in first.files[0].warnings] == ["indent-jump"]
    assert second.files[0].status == "unchanged"
    assert second.files[0].warnings == first.files[0].warnings
