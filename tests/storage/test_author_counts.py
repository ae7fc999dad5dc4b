"""SQLite's row per author (migration 0014): always what the comments table says, through added,
updated, unchanged and failing files, and for the comments of a store from before it."""

from __future__ import annotations

import random
from pathlib import Path

from storage import queries
from storage.db import Storage
from storage.loader import iter_load
from storage.queries import CorpusStats, TopCommenter
from tests.bot.dumps import CommentSpec, write_dump
from tests.sqlitefile import connect, rows, store_before

AUTHORS = ("Ann", "Bo", "Cy", "Di", "Émile", "李雷")
SPAM = "Earn $500 a day from home! WhatsApp me at +1 555 123 4567 https://cash-now.xyz"
TEXTS = ("plain words about the article", SPAM, "[deleted]", "another reply, kept")


def truth(db: Path) -> list[tuple[object, ...]]:
    """Each author's (comments, not spam, spam, deleted), counted over the comments themselves."""
    return rows(
        db,
        "SELECT author, count(*), count(*) - sum(spam), sum(spam), sum(deleted) FROM comments"
        " GROUP BY author ORDER BY author",
    )


def kept(db: Path) -> list[tuple[object, ...]]:
    """The same, as author_counts keeps it (authors whose comments are all gone left out)."""
    return rows(
        db,
        "SELECT author, comments, not_spam, spam, deleted FROM author_counts WHERE comments > 0"
        " ORDER BY author",
    )


def stats_of(counted: list[tuple[object, ...]]) -> tuple[int, int, int, int, list[TopCommenter]]:
    """What /article stats must say about authors, from `truth`."""
    by = [(str(a), int(str(n)), int(str(k)), int(str(s)), int(str(d))) for a, n, k, s, d in counted]
    tops = sorted((r for r in by if r[2] > 0), key=lambda r: (-r[2], r[0]))[:5]
    return (
        sum(r[1] for r in by),
        len(by),
        sum(r[3] for r in by),
        sum(r[4] for r in by),
        [TopCommenter(author=r[0], comments=r[2]) for r in tops],
    )


def said(stats: CorpusStats) -> tuple[int, int, int, int, list[TopCommenter]]:
    return stats.comments, stats.authors, stats.spam, stats.deleted, stats.top_commenters


def thread(rng: random.Random) -> list[CommentSpec]:
    """A random comment tree of 1-8 comments by a few authors, some spam, some deleted."""
    comments: list[CommentSpec] = []
    depth = 0
    for _ in range(rng.randint(1, 8)):
        depth = rng.randint(0, depth + 1) if comments else 0
        comments.append((depth, rng.choice(AUTHORS), rng.choice(TEXTS)))
    return comments


async def test_author_counts_follow_every_added_updated_and_unchanged_file(
    tmp_path: Path,
) -> None:
    rng = random.Random(14)
    folder = tmp_path / "dumps"
    folder.mkdir()
    db = tmp_path / "t.db"
    for i in range(7):
        write_dump(folder, f"a{i}", f"Title {i}", thread(rng))
    async with await Storage.open(db) as store:
        for round_ in range(4):
            reports = [r async for r in iter_load(store, [folder], batch=3)]
            assert kept(db) == truth(db), f"round {round_}"
            assert said(await queries.corpus_stats(store)) == stats_of(truth(db))
            if round_:
                assert {r.status for r in reports} == {"updated", "unchanged"}
            for i in rng.sample(range(7), 3):  # edited between loads: authors come and go
                write_dump(folder, f"a{i}", f"Title {i}", thread(rng))
    spam, deleted = rows(db, "SELECT sum(spam), sum(deleted) FROM comments")[0]
    assert spam > 0 and deleted > 0  # the counts were tested on both kinds


async def test_a_file_failing_in_a_batch_is_not_counted(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    for i in range(5):
        author = "Boom" if i == 3 else f"Reader{i}"
        write_dump(folder, f"a{i}", f"Title {i}", [(0, author, "words"), (1, "Ann", SPAM)])
    db = tmp_path / "t.db"
    async with await Storage.open(db) as store:
        # A real database failure half-way through one file: its other comment is written already.
        await store.writer.execute(
            "CREATE TEMP TRIGGER boom BEFORE INSERT ON comments WHEN new.author = 'Boom'"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
        reports = [r async for r in iter_load(store, [folder], batch=5)]
        stats = await queries.corpus_stats(store)
    assert [r.status for r in reports] == ["added", "added", "added", "failed", "added"]
    assert kept(db) == truth(db)
    assert ("Ann", 4, 0, 4, 0) in kept(db)
    assert "Boom" not in {r[0] for r in rows(db, "SELECT author FROM author_counts")}
    assert (stats.comments, stats.authors, stats.spam) == (8, 5, 4)


async def test_migration_0014_counts_the_comments_stored_before_it(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    store_before(db, 14, "top")
    with connect(db) as conn:
        conn.executemany(
            "INSERT INTO comments (article_id, position, key, depth, parent, author, text, spam,"
            " spam_reasons, deleted) VALUES (1, ?, ?, 1, 0, ?, 'reply', ?, '[]', ?)",
            [(1, "c1", "Bo", 1, 0), (2, "c2", "Bo", 0, 1), (3, "c3", "Ann", 0, 0)],
        )
        conn.execute("UPDATE articles SET comment_count = 4")
    async with await Storage.open(db) as store:
        stats = await queries.corpus_stats(store)
    assert kept(db) == truth(db) == [("Ann", 2, 2, 0, 0), ("Bo", 2, 1, 1, 1)]
    assert said(stats) == (
        4, 2, 1, 1, [TopCommenter(author="Ann", comments=2), TopCommenter(author="Bo", comments=1)]
    )  # fmt: skip
    indexes = {r[0] for r in rows(db, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "comments_author_flags" not in indexes
