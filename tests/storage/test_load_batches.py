"""Batched loading on a real SQLite file: per-file atomicity, the FTS index in step, old stores."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from storage import queries
from storage.db import Storage
from storage.loader import iter_load, load_paths
from storage.models import FileReport
from tests.bot.dumps import write_dump
from tests.sqlitefile import connect, rows, store_before

DATA = Path(__file__).resolve().parents[1] / "data"


def fts_consistent(db: Path) -> None:
    """FTS5's own check that comments_fts matches the comments table (raises if it does not)."""
    with connect(db) as conn:
        conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('integrity-check')")
        conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")


def matching_ids(db: Path, word: str) -> tuple[list[int], list[int]]:
    """(ids the index finds for `word`, ids whose text holds it): equal when the index is in step."""
    found = rows(
        db, "SELECT rowid FROM comments_fts WHERE comments_fts MATCH ? ORDER BY 1", (word,)
    )
    held = rows(db, "SELECT id FROM comments WHERE text LIKE ? ORDER BY 1", (f"%{word}%",))
    return [r[0] for r in found], [r[0] for r in held]


async def test_a_file_failing_in_a_batch_leaves_no_trace_and_the_rest_load(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    for i in range(7):
        author = "Boom" if i == 2 else f"Reader{i}"
        write_dump(
            folder, f"a{i}", f"Title {i}", [(0, author, f"word{i} zebulon"), (1, "Ann", "ok")]
        )
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        # A real database failure half-way through one file: its article row is already written.
        await store.writer.execute(
            "CREATE TEMP TRIGGER boom BEFORE INSERT ON comments WHEN new.author = 'Boom'"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
        reports = [r async for r in iter_load(store, [folder], batch=3)]  # 3 batches, a pool
        hits = await queries.search(store, "zebulon", limit=20)
    assert [(r.key, r.status) for r in reports] == [
        (f"a{i}", "failed" if i == 2 else "added") for i in range(7)
    ]
    assert "database error" in (reports[2].error or "") and "refused by the test" in (
        reports[2].error or ""
    )
    assert rows(db, "SELECT key FROM articles ORDER BY key") == [
        (f"a{i}",) for i in range(7) if i != 2
    ]
    assert rows(
        db, "SELECT count(*) FROM comments WHERE author = 'Boom' OR text = 'word2 zebulon'"
    ) == [(0,)]
    assert sorted(h.key for h in hits) == [f"a{i}" for i in range(7) if i != 2]
    fts_consistent(db)


async def test_many_files_go_through_the_parser_process_and_are_searchable(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    for i in range(40):
        write_dump(folder, f"k{i:02}", f"Headline {i}", [(0, f"Author {i}", f"marmot{i} quokka")])
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        first = await load_paths(store, [folder])
        again = [r async for r in iter_load(store, [folder], batch=8)]
        hits = await queries.search(store, "marmot17")
        authors = await queries.search(store, "Author 33")
    assert [r.status for r in first.files] == ["added"] * 40
    assert [(r.status, r.comments) for r in again] == [("unchanged", 1)] * 40
    assert [(h.key, h.author) for h in hits] == [("k17", "Author 17")]
    assert ("k33", "Author 33") in [(h.key, h.author) for h in authors]
    assert matching_ids(db, "quokka")[0] == matching_ids(db, "quokka")[1]
    assert len(matching_ids(db, "quokka")[0]) == 40
    fts_consistent(db)


async def test_fts_follows_an_update_that_edits_adds_and_removes_comments(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    old = [(0, "Ann", "alpha original"), (1, "Bob", "beta doomed"), (0, "Cy", "gamma kept")]
    write_dump(folder, "art", "Same title", old)
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        await load_paths(store, [folder])
        new = [(0, "Ann", "alpha rewritten"), (0, "Cy", "gamma kept"), (0, "Dee", "delta fresh")]
        write_dump(folder, "art", "Same title", new)
        report = await load_paths(store, [folder])
        gone = await queries.search(store, "doomed")
        fresh = await queries.search(store, "fresh")
        edited = await queries.search(store, "rewritten")
    assert [r.status for r in report.files] == ["updated"]
    assert (
        gone == []
        and [h.author for h in fresh] == ["Dee"]
        and [h.author for h in edited] == ["Ann"]
    )
    for word in ("alpha", "original", "rewritten", "beta", "gamma", "delta"):
        found, held = matching_ids(db, word)
        assert found == held, word
    fts_consistent(db)


async def test_a_store_from_before_0008_keeps_its_search_and_indexes_new_loads(
    tmp_path: Path,
) -> None:
    db = tmp_path / "old.db"
    store_before(db, 8, "wombat before")  # its comment indexed by the old insert trigger
    folder = tmp_path / "dumps"
    folder.mkdir()
    write_dump(folder, "new", "New", [(0, "Bea", "wombat after")])
    async with await Storage.open(db) as store:
        await load_paths(store, [folder])
        hits = await queries.search(store, "wombat")
        prefixed = await queries.search(store, "womb*")
        one_letter = await queries.search(store, "w*")  # no 1-character prefix index since 0012
    assert sorted(h.key for h in hits) == ["new", "old"]
    assert sorted(h.key for h in prefixed) == ["new", "old"]
    assert sorted(h.key for h in one_letter) == ["new", "old"]
    triggers = rows(db, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1")
    assert triggers == [("comments_ad",), ("comments_au",)]
    fts_consistent(db)
    # Migration 0011: segments merge 16 at a time, old stores included (kept through 0012's rebuild).
    assert rows(db, "SELECT v FROM comments_fts_config WHERE k = 'automerge'") == [(16,)]
    (sql,) = rows(db, "SELECT sql FROM sqlite_master WHERE name = 'comments_fts'")
    assert "prefix='2 3'" in sql[0]


async def test_many_batches_merge_sixteen_segments_at_a_time_and_stay_searchable(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    for i in range(40):
        write_dump(folder, f"a{i:02}", f"Title {i}", [(0, f"R{i}", f"quokka{i % 3} shared text")])
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        async for _ in iter_load(store, [folder], batch=2):  # 20 transactions, 20 segments fed
            pass
        hits = await queries.search(store, "quokka1", limit=50)
    assert sorted(h.key for h in hits) == [f"a{i:02}" for i in range(40) if i % 3 == 1]
    assert rows(db, "SELECT v FROM comments_fts_config WHERE k = 'automerge'") == [(16,)]
    for word in ("quokka0", "quokka2", "shared"):
        found, held = matching_ids(db, word)
        assert found == held and found, word
    fts_consistent(db)


async def test_a_load_stopped_early_keeps_whole_articles_and_the_next_load_finishes_it(
    tmp_path: Path,
) -> None:
    """The writer starts the next batch while a batch's reports are handed out: a caller that stops
    there leaves that batch either committed whole or not at all, never a part of an article."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    for i in range(12):
        write_dump(folder, f"s{i:02}", f"Story {i}", [(0, "Ann", f"first {i}"), (1, "Bo", "reply")])
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        async with contextlib.aclosing(iter_load(store, [folder], batch=2)) as reports:
            seen: list[FileReport] = []
            async for report in reports:
                seen.append(report)
                if len(seen) == 3:
                    break
        stored = rows(
            db,
            "SELECT a.key, count(c.id) FROM articles a JOIN comments c"
            " ON c.article_id = a.id GROUP BY a.key ORDER BY a.key",
        )
        again = await load_paths(store, [folder])
    assert [r.key for r in seen] == ["s00", "s01", "s02"]
    assert {k for k, _ in stored} >= {"s00", "s01", "s02"}  # reported: committed
    assert all(n == 2 for _, n in stored)  # no article without its comments
    statuses = {r.key: r.status for r in again.files}
    assert all(statuses[k] == "unchanged" for k, _ in stored)
    assert all(status == "added" for k, status in statuses.items() if (k, 2) not in stored)
    assert rows(db, "SELECT count(*) FROM articles") == [(12,)]
    fts_consistent(db)


async def test_files_claim_keys_in_order_when_a_batch_holds_another_format(tmp_path: Path) -> None:
    """A Disqus export's thread and a later text dump with the same key: the export, first in
    order, keeps the key, although the dump's batch is parsed while the export loads."""
    folder = tmp_path / "mixed"
    (folder / "b").mkdir(parents=True)
    shutil.copy(DATA / "disqus_forum.xml", folder / "a.xml")
    write_dump(folder / "b", "disqus-1002", "Not the thread", [(0, "Cy", "a dump's comment")])
    for i in range(4):
        write_dump(folder / "b", f"z{i}", f"Later {i}", [(0, "Di", "more")])
    async with await Storage.open(tmp_path / "t.db") as store:
        reports = [r async for r in iter_load(store, [folder], batch=1)]
        thread = await queries.get_article(store, "disqus-1002")
    by_key = {(r.key, Path(r.path).name): r for r in reports}
    assert by_key[("disqus-1002", "a.xml")].status == "added"
    dump = by_key[("disqus-1002", "disqus-1002.txt")]
    assert dump.status == "failed" and "already taken" in (dump.error or "")
    assert thread is not None and thread.article.title != "Not the thread"
    assert [r.status for r in reports if (r.key or "").startswith("z")] == ["added"] * 4
