"""The same storage behaviour on both stores: a SQLite file, and a PostgreSQL database of a real
throwaway cluster (tests/pgcluster.py). Each test runs once per store (`target`, in conftest.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage import feed, queries, state
from storage import replays as ledger
from storage.db import Storage
from storage.errors import StorageError
from storage.feed import GuildSettings
from storage.loader import load_paths

SEED = Path(__file__).parents[2] / "seeds" / "000_e7a44f8a370d07ea.txt"


async def comment_ids(store: Storage) -> dict[str, int]:
    """Comment key -> row id."""
    rows = await store.reader.execute_fetchall("SELECT key, id FROM comments")
    return {str(r[0]): int(r[1]) for r in rows}


async def test_load_is_idempotent_and_reads_back_the_seed(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        first = await load_paths(store, [seeds])
        again = await load_paths(store, [seeds])
        stored = await queries.get_article(store, SEED.stem)
    assert [f.status for f in first.files] == ["added"]
    assert [f.status for f in again.files] == ["unchanged"]
    assert stored is not None and len(stored.article.comments) == 16
    assert [c.index for c in stored.article.comments] == list(range(16))
    assert sum(c.spam for c in stored.article.comments) == 1


async def test_changed_file_updates_in_place_keeping_comment_ids(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        before = await comment_ids(store)
        path = seeds / SEED.name
        text = path.read_text("utf-8").replace(
            "  • Vitex\n", "  • Newcomer\n\n    A zanzibarish first word.\n\n  • Vitex\n"
        )
        path.write_text(text, "utf-8")
        report = await load_paths(store, [seeds])
        after = await comment_ids(store)
        found = await queries.search(store, "zanzibarish")
    assert [f.status for f in report.files] == ["updated"]
    assert len(before) == 16 and len(after) == 17
    assert all(after[k] == v for k, v in before.items())
    assert [h.author for h in found if h.author] == ["Newcomer"]  # the index followed the update


async def test_a_bad_file_leaves_no_trace_and_the_others_load(target: str, seeds: Path) -> None:
    (seeds / "zz_bad.txt").write_bytes(b"\x00\xff not a dump")
    async with await Storage.open(target) as store:
        report = await load_paths(store, [seeds])
        keys = [r[0] for r in await store.reader.execute_fetchall("SELECT key FROM articles")]
    assert sorted(f.status for f in report.files) == ["added", "failed"]
    assert keys == [SEED.stem]


@pytest.mark.parametrize(
    ("query", "author"),
    [
        ("ranix", "MD Ranix"),  # an author's name
        ("rani*", "MD Ranix"),  # a prefix
        ('"MD Ranix"', "MD Ranix"),  # a phrase
    ],
)
async def test_search_finds_authors_words_prefixes_and_phrases(
    target: str, seeds: Path, query: str, author: str
) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        hits = await queries.search(store, query, limit=50)
    assert author in {h.author for h in hits}
    assert all(h.key == SEED.stem for h in hits)


async def test_search_of_broken_syntax_searches_its_words(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        hits = await queries.search(store, 'ranix" (', limit=50)
        none = await queries.search(store, "zzzunheardofword", limit=50)
    assert "MD Ranix" in {h.author for h in hits}
    assert none == []


async def test_one_active_replay_per_channel_and_its_ledger(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        stored = await queries.get_article(store, SEED.stem)
        assert stored is not None
        fields = dict(
            article_id=stored.id, article_key=SEED.stem, guild_id=2**60, channel_id=2**61,
            channel_kind="text", mode="threads", pace="fast", include_spam=0, started_by=None,
        )  # fmt: skip
        step = dict(
            seq=0, comment_index=0, comment_key="k", username="Ann", parts=["a", "b"], root_seq=0,
            in_thread=False, opens_thread="t", reply_to_seq=None,
        )  # fmt: skip
        replay = await ledger.create_replay(store, steps=[step], **fields)
        with pytest.raises(StorageError, match="already running or paused"):
            await ledger.create_replay(store, steps=[step], **fields)
        await ledger.step_sending(store, replay.id, 0, 0, 2**61)
        await ledger.step_posted(store, replay.id, 0, [2**62 + 1], done=False)
        [saved] = await ledger.get_steps(store, replay.id)
    assert replay.channel_id == 2**61 and replay.state == "running"
    assert (
        saved.message_ids == [2**62 + 1] and saved.status == "pending" and saved.parts == ["a", "b"]
    )


async def test_a_lease_is_held_by_one_process_until_released_or_expired(
    target: str, seeds: Path
) -> None:
    async with await Storage.open(target) as store, await Storage.open(target) as other:
        await load_paths(store, [seeds])
        stored = await queries.get_article(store, SEED.stem)
        assert stored is not None
        replay = await ledger.create_replay(
            store, steps=[], article_id=stored.id, article_key=SEED.stem, guild_id=1,
            channel_id=2, channel_kind="text", mode="threads", pace="fast", include_spam=0,
        )  # fmt: skip
        assert await ledger.take_lease(store, replay.id, "a", 60)
        assert not await ledger.take_lease(other, replay.id, "b", 60)  # held
        assert await ledger.take_lease(store, replay.id, "a", 60)  # its own: taken again
        await ledger.release_lease(store, replay.id, "a")
        assert await ledger.take_lease(other, replay.id, "b", -1)  # free: taken (already expired)
        assert await ledger.take_lease(store, replay.id, "a", 60)  # expired: taken over
        with pytest.raises(ledger.LeaseLost):  # b stalled and lost it: its next send is refused
            await ledger.step_sending(other, replay.id, 0, 0, 2, lease=("b", 60))
        assert not await ledger.renew_lease(other, replay.id, "b", 60)
        assert await ledger.renew_lease(store, replay.id, "a", 60)


async def test_two_processes_racing_for_a_free_lease_one_wins(target: str, seeds: Path) -> None:
    stores = [await Storage.open(target) for _ in range(4)]
    try:
        await load_paths(stores[0], [seeds])
        stored = await queries.get_article(stores[0], SEED.stem)
        assert stored is not None
        replay = await ledger.create_replay(
            stores[0], steps=[], article_id=stored.id, article_key=SEED.stem, guild_id=1,
            channel_id=2, channel_kind="text", mode="threads", pace="fast", include_spam=0,
        )  # fmt: skip
        won = await asyncio.gather(
            *(ledger.take_lease(s, replay.id, f"p{i}", 60) for i, s in enumerate(stores))
        )
    finally:
        for s in stores:
            await s.close()
    assert sorted(won) == [False, False, False, True]


async def test_feed_announces_once_after_the_baseline(target: str, seeds: Path) -> None:
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        saved = await feed.save_settings(store, GuildSettings(guild_id=7, announce_channel_id=8))
        assert await feed.pending(store) == []  # what existed before the feed is not announced
        assert await feed.lower_baseline(store, 7) == 1
        [due] = await feed.pending(store)
        await feed.mark_posting(store, due.article_id, 7, 8)
        await feed.mark_posting(store, due.article_id, 7, 8)  # written ahead once, not twice
        [again] = await feed.pending(store)
        await feed.mark_posted(
            store, due.article_id, 7, message_id=9, thread_id=None, content_hash=due.content_hash
        )
        after = await feed.pending(store)
        await state.set_value(store, "k", "v1")
        await state.set_value(store, "k", "v2")
        value = await state.get_value(store, "k")
    assert saved.baseline_article_id == due.article_id  # the newest article when the feed began
    assert again.state == "posting" and after == [] and value == "v2"


async def test_reopening_applies_no_migration_again(target: str) -> None:
    async with await Storage.open(target) as store:
        first = await store.reader.execute_fetchall("SELECT version FROM schema_migrations")
    async with await Storage.open(target) as store:
        second = await store.reader.execute_fetchall(
            "SELECT version, applied_at FROM schema_migrations"
        )
    assert len(first) == len(second) >= 1
    assert sorted(int(r[0]) for r in first) == sorted(int(r[0]) for r in second)


async def test_feed_hands_a_process_only_the_servers_of_its_shards(
    target: str, seeds: Path
) -> None:
    on_zero, on_one = 4 << 22, 5 << 22  # Discord's formula: (id >> 22) % 2 gives shards 0 and 1
    async with await Storage.open(target) as store:
        await load_paths(store, [seeds])
        for guild in (on_zero, on_one):
            await feed.save_settings(store, GuildSettings(guild_id=guild, announce_channel_id=8))
            await feed.lower_baseline(store, guild)
        everyone = await feed.pending(store)
        shard_one = await feed.pending(store, shards=([1], 2))
        both = await feed.pending(store, shards=([0, 1], 2))
    assert sorted(p.guild_id for p in everyone) == [on_zero, on_one]
    assert [p.guild_id for p in shard_one] == [on_one]
    assert both == everyone
