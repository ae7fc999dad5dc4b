"""The feed end to end: two servers with different settings, the watched folder, the CLI in another
process, restarts, the first-run baseline, the backlog, updated articles and bad or half-written files."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.standalone import ThreadReplayBot
from tests.bot.conftest import StartBot, World
from tests.bot.replaykit import replayed, write_dump
from tests.fakediscord import FakeDiscord, P
from tests.sqlitefile import connect as sqlite_connect

pytestmark = pytest.mark.fakediscord(time_scale=0.02)

SEED = "000_e7a44f8a370d07ea"
SETTLE = 1.0


@pytest.fixture
def watching(bot_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Turn the watcher on; returns the watched folder."""
    monkeypatch.setenv("THREADREPLAY_WATCH", "true")
    monkeypatch.setenv("THREADREPLAY_WATCH_SETTLE", str(SETTLE))
    return bot_env / "seeds"


class Server:
    """A second and third server: a text channel and an admin each."""

    def __init__(self, fake: FakeDiscord, name: str) -> None:
        self.guild = fake.add_guild(name)
        self.channel = fake.add_text_channel(self.guild, "news")
        role = fake.add_role(self.guild, "Admins", int(P.MANAGE_GUILD))
        self.admin = fake.add_member(self.guild, f"admin-of-{name}", roles=[role])


async def config(fake: FakeDiscord, guild: int, channel: int, user: int, **options: object) -> str:
    result = await fake.invoke(
        "replayadmin config", options, user_id=user, guild_id=guild, channel_id=channel
    )
    await result.wait_done()
    assert result.error is None and result.ephemeral
    return result.content or ""


def cards(fake: FakeDiscord, channel: int, key: str) -> list[int]:
    """Ids of the article cards for `key` in a channel."""
    return [
        m.id
        for m in fake.messages(channel)
        if m.embeds and m.embeds[0].get("footer", {}).get("text") == f"key: {key}"
    ]


def card_counts(fake: FakeDiscord, message_id: int) -> dict[str, str]:
    embed = fake.message(message_id).embeds[0]
    return {f["name"]: f["value"] for f in embed["fields"]}


async def ticks(bot: ThreadReplayBot, n: int) -> None:
    """Let the feed look at the database `n` more times."""
    announcer = bot.get_cog("Feed").announcer  # type: ignore[union-attr]
    target = announcer.ticks + n
    for _ in range(500):
        if announcer.ticks >= target:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the feed loop is not running")


def article_keys(db: Path) -> list[str]:
    with sqlite_connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT key FROM articles ORDER BY id")]


async def test_two_servers_watched_file_and_cli_load_announced_once_each_and_replayed_where_chosen(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path, watching: Path
) -> None:
    other = Server(fake_discord, "Other")
    quiet = Server(fake_discord, "Quiet")  # never configured: must see nothing
    bot = await start_bot()
    synced = await fake_discord.invoke(
        "replayadmin sync",
        {"scope": "global"},
        user_id=world.admin,
        guild_id=world.guild,
        channel_id=world.channel,
    )
    await synced.wait_done()  # the other servers see the commands once they are global
    answer = await config(
        fake_discord,
        world.guild,
        world.channel,
        world.admin,
        announce_channel=world.channel,
        auto_replay="threads",
    )
    assert "Settings saved" in answer and f"<#{world.channel}>" in answer and "threads" in answer
    await config(
        fake_discord, other.guild, other.channel, other.admin, announce_channel=other.channel
    )

    # 1. a file dropped into the watched folder
    write_dump(
        watching / "dropped.txt",
        "Dropped in",
        [("Ann", 0, "First."), ("Bob", 1, "Reply."), ("Cy", 0, "Top.")],
    )
    await fake_discord.wait_for(lambda: cards(fake_discord, other.channel, "dropped"), timeout=15)
    await fake_discord.wait_for(lambda: len(replayed(fake_discord, world.channel)) == 3, timeout=15)
    assert [c for _, c in replayed(fake_discord, world.channel)] == ["First.", "Reply.", "Top."]
    assert replayed(fake_discord, other.channel) == []  # auto-replay is off there

    # 2. loaded by the CLI in another process while the bot runs
    elsewhere = bot_env / "elsewhere"
    elsewhere.mkdir()
    write_dump(elsewhere / "from_cli.txt", "From the CLI", [("Dee", 0, "Hello.")])
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "load",
        str(elsewhere),
        "--db",
        str(bot_env / "bot.db"),
        stdout=asyncio.subprocess.DEVNULL,
        env=os.environ,
    )
    assert await cli.wait() == 0
    await fake_discord.wait_for(lambda: cards(fake_discord, other.channel, "from_cli"), timeout=15)
    await fake_discord.wait_for(lambda: cards(fake_discord, world.channel, "from_cli"), timeout=15)

    # 3. exactly once each, the seed (older than the feed) never, the unconfigured server nothing
    for channel in (world.channel, other.channel):
        assert len(cards(fake_discord, channel, "dropped")) == 1
        assert len(cards(fake_discord, channel, "from_cli")) == 1
        assert cards(fake_discord, channel, SEED) == []
    assert fake_discord.messages(quiet.channel) == []

    # 4. a restart announces nothing again
    before = {c: len(fake_discord.messages(c)) for c in (world.channel, other.channel)}
    await fake_discord.wait_for(lambda: len(replayed(fake_discord, world.channel)) == 4, timeout=15)
    await bot.close()
    bot = await start_bot()
    await ticks(bot, 3)
    assert len(fake_discord.messages(other.channel)) == before[other.channel]
    assert len(cards(fake_discord, world.channel, "dropped")) == 1
    assert len(cards(fake_discord, world.channel, "from_cli")) == 1


async def test_changed_file_edits_the_card_and_is_not_announced_again(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, watching: Path
) -> None:
    await start_bot()
    await config(
        fake_discord, world.guild, world.channel, world.admin, announce_channel=world.channel
    )
    write_dump(watching / "grows.txt", "Grows", [("Ann", 0, "One.")])
    card = (
        await fake_discord.wait_for(lambda: cards(fake_discord, world.channel, "grows"), timeout=15)
    )[0]
    assert card_counts(fake_discord, card)["Comments"] == "1"
    write_dump(
        watching / "grows.txt",
        "Grows",
        [("Ann", 0, "One."), ("Bob", 1, "Two."), ("Cy", 0, "Three.")],
    )
    await fake_discord.wait_for(
        lambda: card_counts(fake_discord, card)["Comments"] == "3", timeout=15
    )
    assert cards(fake_discord, world.channel, "grows") == [card]


async def test_half_written_file_is_loaded_only_once_complete(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path, watching: Path
) -> None:
    await start_bot()
    comments = [(f"user{i}", 0, f"Comment {i}.") for i in range(30)]
    write_dump(bot_env / "full.txt", "Slowly written", comments)
    data = (bot_env / "full.txt").read_bytes()
    target = watching / "slow.txt"
    chunks = [data[i : i + len(data) // 6 + 1] for i in range(0, len(data), len(data) // 6 + 1)]
    with target.open("wb") as out:
        for chunk in chunks:  # a writer that pauses, but never for as long as the settle time
            out.write(chunk)
            out.flush()
            await asyncio.sleep(SETTLE * 0.4)
            assert "slow" not in article_keys(bot_env / "bot.db")
    await fake_discord.wait_for(lambda: "slow" in article_keys(bot_env / "bot.db"), timeout=15)
    with sqlite_connect(bot_env / "bot.db") as conn:
        (count,) = conn.execute("SELECT comment_count FROM articles WHERE key = 'slow'").fetchone()
    assert count == 30


async def test_bad_file_is_reported_and_the_watcher_keeps_going(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path, watching: Path
) -> None:
    bot = await start_bot()
    (watching / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    write_dump(watching / "fine.txt", "Fine", [("Ann", 0, "Hi.")])
    await fake_discord.wait_for(lambda: "fine" in article_keys(bot_env / "bot.db"), timeout=15)
    # Each file settles on its own: the good one may be in before the bad one was tried.
    watch = bot.get_cog("Feed").announcer.watch  # type: ignore[union-attr]
    await fake_discord.wait_for(
        lambda: any(f.path.endswith("broken.txt") for f in watch.failures), timeout=15
    )
    result = await fake_discord.invoke("replayadmin status", user_id=world.owner)
    await result.wait_done()
    text = "\n".join(e.get("description", "") for e in result.embeds)
    assert "watching" in text and "broken.txt" in text and "binary" in text
    # A server's admin learns that a file failed, not the host's paths.
    result = await fake_discord.invoke("replayadmin status", user_id=world.admin)
    await result.wait_done()
    text = "\n".join(e.get("description", "") for e in result.embeds)
    assert "1 file failed" in text and "broken.txt" not in text and str(watching) not in text
    write_dump(watching / "later.txt", "Later", [("Bob", 0, "Still watching.")])
    await fake_discord.wait_for(lambda: "later" in article_keys(bot_env / "bot.db"), timeout=15)


async def test_baseline_holds_until_announce_backlog_then_paced_once(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    for i in range(7):
        write_dump(bot_env / "seeds" / f"old{i}.txt", f"Old {i}", [("Ann", 0, f"Old comment {i}.")])
    bot = await start_bot()  # first start loads the seeds folder: 8 articles exist before the feed
    await config(
        fake_discord, world.guild, world.channel, world.admin, announce_channel=world.channel
    )
    await ticks(bot, 3)
    assert fake_discord.messages(world.channel) == []  # no flood of old articles
    result = await fake_discord.invoke("replayadmin announce-backlog", user_id=world.admin)
    await result.wait_done()
    assert result.content.startswith("8 earlier articles will be announced")
    await fake_discord.wait_for(lambda: len(fake_discord.messages(world.channel)) == 8, timeout=15)
    await ticks(bot, 3)
    keys = sorted(
        m.embeds[0]["footer"]["text"] for m in fake_discord.messages(world.channel) if m.embeds
    )
    assert keys == sorted(f"key: {k}" for k in [SEED, *(f"old{i}" for i in range(7))])


async def test_config_without_options_shows_settings_and_member_is_refused(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    await start_bot()
    shown = await config(fake_discord, world.guild, world.channel, world.admin)
    assert shown.startswith("Current settings") and "not set" in shown
    refused = await fake_discord.invoke(
        "replayadmin config",
        {"announce_channel": world.channel},
        user_id=world.member,
        bypass_permissions=True,
    )
    await refused.wait_done()
    assert refused.ephemeral and "Only this bot's admins" in (refused.content or "")
    again = await config(fake_discord, world.guild, world.channel, world.admin)
    assert "not set" in again


async def test_reddit_page_dropped_into_watched_folder_is_announced(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, watching: Path
) -> None:
    await start_bot()
    await config(
        fake_discord, world.guild, world.channel, world.admin, announce_channel=world.channel
    )
    data = (Path(__file__).parents[1] / "data" / "reddit_thread.json").read_bytes()
    (watching / "thread.json").write_bytes(data)
    found = await fake_discord.wait_for(
        lambda: [
            m
            for m in fake_discord.messages(world.channel)
            if m.embeds and "reddit-" in m.embeds[0]["footer"]["text"]
        ],
        timeout=15,
    )
    assert len(found) == 1
