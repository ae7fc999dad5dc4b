"""What only the PostgreSQL store has: secrets kept out of errors and logs, NOTIFY, migrations under
an advisory lock, and migrate-db's copy from SQLite. Against a real throwaway cluster."""

from __future__ import annotations

import asyncio
import logging
import shutil
from pathlib import Path

import pytest

from storage import feed, queries, state
from storage import replays as ledger
from storage.db import Storage, migrations
from storage.errors import DatabaseUnusable, StorageError
from storage.feed import GuildSettings
from storage.loader import load_paths
from storage.migrate import copy_store
from storage.pg import shown_url
from tests.pgcluster import PASSWORD, Cluster

SEEDS = Path(__file__).parents[2] / "seeds"
DATA = Path(__file__).parents[1] / "data"


async def test_a_wrong_password_is_refused_without_showing_any_password(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = pg_url.replace(PASSWORD, "not-the-" + PASSWORD)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DatabaseUnusable) as refused:
        await Storage.open(wrong)
    message = str(refused.value)
    assert "refused the user name or password" in message
    assert message == f"database {shown_url(pg_url)}: refused the user name or password"
    assert PASSWORD not in message and PASSWORD not in caplog.text
    assert refused.value.__cause__ is None  # asyncpg's own error (and its text) is not chained


async def test_an_unreachable_server_says_so(pg_cluster: Cluster) -> None:
    url = pg_cluster.url().replace(f":{pg_cluster.port}/", ":1/")
    with pytest.raises(DatabaseUnusable, match="cannot be reached") as refused:
        await Storage.open(url)
    assert PASSWORD not in str(refused.value)


async def test_the_store_never_shows_its_password(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with await Storage.open(pg_url) as store:
        await load_paths(store, [SEEDS])
        assert store.shown == shown_url(pg_url) and PASSWORD not in store.shown
        assert await store.size_bytes() > 1_000_000  # the server's figure, not a file's
    assert "applied migration 0001_initial" in caplog.text
    assert PASSWORD not in caplog.text


async def test_processes_starting_together_migrate_once(pg_url: str, pg_cluster: Cluster) -> None:
    stores = await asyncio.gather(*(Storage.open(pg_url) for _ in range(4)))
    for store in stores:
        await store.close()
    name = pg_url.rsplit("/", 1)[1]
    applied = pg_cluster.psql("SELECT version, name FROM schema_migrations ORDER BY version", name)
    # Each migration once, though four processes ran them.
    assert applied.splitlines() == [f"{n}|{title}" for n, title, _ in migrations("postgres")]
    assert applied.splitlines()[:2] == ["1|0001_initial", "2|0002_article_max_depth"]


async def test_a_store_from_a_newer_version_is_refused_unchanged(
    pg_url: str, pg_cluster: Cluster
) -> None:
    async with await Storage.open(pg_url):
        pass
    name = pg_url.rsplit("/", 1)[1]
    pg_cluster.psql("INSERT INTO schema_migrations VALUES (9999, '9999_future', 'x')", name)
    with pytest.raises(DatabaseUnusable, match="newer threadreplay"):
        await Storage.open(pg_url)
    expected = len(migrations("postgres")) + 1  # ours and the newer one, nothing added or dropped
    assert pg_cluster.psql("SELECT count(*) FROM schema_migrations", name) == str(expected)


async def test_another_process_hears_of_every_stored_article(pg_url: str) -> None:
    heard: list[str] = []
    got = asyncio.Event()

    def hear(key: str) -> None:
        heard.append(key)
        got.set()

    async with (
        await Storage.open(pg_url) as bot,
        await Storage.open(pg_url) as loader,
        bot.articles_stored(hear),
    ):
        await load_paths(loader, [SEEDS])
        await asyncio.wait_for(got.wait(), 10)
    assert heard == ["000_e7a44f8a370d07ea"]


async def test_migrate_db_copies_everything_with_its_ids_and_checks_the_counts(
    tmp_path: Path, pg_url: str
) -> None:
    source = tmp_path / "old.db"
    folder = tmp_path / "in"
    shutil.copytree(SEEDS, folder)
    for name in ("disqus_forum.xml", "reddit_thread.json", "hn_story.json"):
        shutil.copy(DATA / name, folder / name)
    async with await Storage.open(source) as old:
        await load_paths(old, [folder])
        seed = await queries.get_article(old, "000_e7a44f8a370d07ea")
        assert seed is not None
        step = dict(
            seq=0, comment_index=0, comment_key="k", username="Ann", parts=["a"], root_seq=0,
            in_thread=False, opens_thread=None, reply_to_seq=None,
        )  # fmt: skip
        replay = await ledger.create_replay(
            old, steps=[step], article_id=seed.id, article_key=seed.article.key, guild_id=1,
            channel_id=2, channel_kind="text", mode="threads", pace="fast", include_spam=0,
        )  # fmt: skip
        await ledger.step_posted(old, replay.id, 0, [2**62], done=True)
        await feed.save_settings(old, GuildSettings(guild_id=1, announce_channel_id=3))
        await state.set_value(old, "commands", "abc")
        before_hits = await queries.search(old, "ranix", limit=50)
    report = await copy_store(source, pg_url)
    async with await Storage.open(pg_url) as new:
        moved = await queries.get_article(new, "000_e7a44f8a370d07ea")
        steps = await ledger.get_steps(new, replay.id)
        settings = await feed.get_settings(new, 1)
        hits = await queries.search(new, "ranix", limit=50)
        value = await state.get_value(new, "commands")
        # Ids carry on after the copied ones.
        (next_id,) = (await new.reader.execute_fetchall("SELECT max(id) FROM articles"))[0]
        extra = tmp_path / "more"
        extra.mkdir()
        (extra / "zz_new.txt").write_text(
            (folder / "000_e7a44f8a370d07ea.txt").read_text("utf-8"), "utf-8"
        )
        await load_paths(new, [extra])
        newest = await queries.get_article(new, "zz_new")
    counts = {c.table: (c.source, c.target) for c in report}
    assert all(s == t for s, t in counts.values()) and counts["comments"][0] >= 16
    assert counts["replays"] == (1, 1) and counts["replay_steps"] == (1, 1)
    assert moved is not None and seed.id == moved.id and moved.article == seed.article
    assert [s.message_ids for s in steps] == [[2**62]] and steps[0].status == "done"
    assert settings.announce_channel_id == 3 and value == "abc"
    assert {h.author for h in hits} == {h.author for h in before_hits} != set()
    assert newest is not None and newest.id == next_id + 1


async def test_migrate_db_refuses_a_database_that_holds_rows(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "old.db"
    async with await Storage.open(source) as old:
        await load_paths(old, [SEEDS])
    async with await Storage.open(pg_url) as new:
        await state.set_value(new, "mine", "kept")
    with pytest.raises(StorageError, match="is not empty"):
        await copy_store(source, pg_url)
    async with await Storage.open(pg_url) as new:
        assert await state.get_value(new, "mine") == "kept"
        assert await queries.count_articles(new) == 0


async def test_two_processes_loading_the_same_files_at_once_store_each_once(pg_url: str) -> None:
    first, second = await Storage.open(pg_url), await Storage.open(pg_url)
    try:
        reports = await asyncio.gather(load_paths(first, [SEEDS]), load_paths(second, [SEEDS]))
        count = await queries.count_articles(first)
    finally:
        await first.close()
        await second.close()
    assert sorted(f.status for r in reports for f in r.files) == ["added", "unchanged"]
    assert count == 1


async def test_postgres_scheme_selects_postgresql_and_sqlite_urls_select_a_file(
    pg_url: str, tmp_path: Path
) -> None:
    short = pg_url.replace("postgresql://", "postgres://", 1)
    async with await Storage.open(short) as store:
        assert store.dialect == "postgres" and store.path is None
    async with await Storage.open(f"sqlite:///{tmp_path}/by-url.db") as store:
        assert store.dialect == "sqlite" and store.path == tmp_path / "by-url.db"
    assert (tmp_path / "by-url.db").is_file()


# Prefixes of 1 to 6 characters, phrases of 2 to 4 words, and both inside OR and NOT: PostgreSQL
# finds exactly the comments and articles that SQLite finds.
SAME_AS_SQLITE = [
    "s*", "sy*", "syr*", "syri*", "syria*", "go*", "goo*", "ag*", "zq*",
    '"the region"', '"syrian government"', '"the syrian government"', '"google is paying"',
    '"region the"', '"got a brand new"', '"zzz region"', '"per hour"', '"is paying"', '"it is"',
    "goo* OR reg*", '"the region" OR "google is"', "the NOT goo*", 'region NOT "the region"',
    'agree* "syrian government"', "qa* gov*",
]  # fmt: skip


async def _hit_sets(store: Storage, query: str) -> tuple[set[str], set[tuple[str, int | None]]]:
    hits = await queries.search(store, query, limit=50)
    articles = {h.key for h in hits if h.author is None}
    return articles, {(h.key, h.position) for h in hits if h.author is not None}


async def test_prefixes_and_phrases_find_what_sqlite_finds(tmp_path: Path, pg_url: str) -> None:
    async with await Storage.open(tmp_path / "t.db") as sqlite, await Storage.open(pg_url) as pg:
        for store in (sqlite, pg):
            await load_paths(store, [SEEDS])
        for query in SAME_AS_SQLITE:
            expected = await _hit_sets(sqlite, query)
            assert await _hit_sets(pg, query) == expected, query
        found = [await _hit_sets(pg, q) for q in ("syr*", '"google is paying"', "go* OR reg*")]
    assert all(comments for _, comments in found)  # not a comparison of empty answers only
