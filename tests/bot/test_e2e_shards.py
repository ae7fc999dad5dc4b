"""Two bots on shards 0 and 1 of 2 (as two processes would run them) sharing one store: each answers
only its own server's commands, and a restart of one never touches the other's replays."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import access
from bot.settings import Settings
from bot.standalone import ThreadReplayBot
from tests.bot.conftest import World
from tests.bot.e2e import visible_text
from tests.bot.replaykit import replay_states, replayed, wait_state, write_dump
from tests.fakediscord import FakeDiscord, running
from tests.fakediscord.results import InteractionResult

pytestmark = pytest.mark.fakediscord(time_scale=0.02)

HOOK_EXECUTE = "POST /webhooks/{webhook_id}/{webhook_token}"
# 90 comments: at 30 webhook messages a minute per channel (scaled) a replay takes three windows,
# so a bot closed right after starting it leaves it running half-way.
COMMENTS = [(f"user{i % 5}", 0, f"Comment {i}.") for i in range(90)]


class Server:
    """A server placed on one shard of two, with a text channel; its owner acts."""

    def __init__(self, fake: FakeDiscord, name: str, shard: int) -> None:
        self.guild = fake.add_guild(name, on_shard=(shard, 2))
        self.channel = fake.add_text_channel(self.guild, "replays")
        self.owner = fake.world.guild(self.guild).owner_id


@contextlib.asynccontextmanager
async def shard_bot(fake: FakeDiscord, shards: str) -> AsyncIterator[ThreadReplayBot]:
    """The standalone bot with THREADREPLAY_SHARDS=`shards`, ready; closed at exit."""
    bot = ThreadReplayBot(Settings(THREADREPLAY_SHARDS=shards))
    async with running(bot, fake):
        yield bot


async def command(
    fake: FakeDiscord, server: Server, name: str, **options: object
) -> InteractionResult:
    """Run a slash command as the server's owner in its channel; the finished result."""
    result = await fake.invoke(
        name, options, user_id=server.owner, guild_id=server.guild, channel_id=server.channel
    )
    await result.wait_done()
    assert result.error is None, result.error
    return result


async def resume_pass(bot: ThreadReplayBot) -> int:
    """One pass of the bot's own resume loop (it runs at start and every half lease): replays resumed."""
    manager = access.replay_manager(bot)
    assert manager is not None
    return await manager.resume_all()


async def test_each_shard_serves_its_server_and_a_restart_leaves_the_others_replay_alone(
    fake_discord: FakeDiscord, world: World, bot_env: Path
) -> None:
    zero, one = Server(fake_discord, "Zero", 0), Server(fake_discord, "One", 1)
    write_dump(bot_env / "seeds" / "ninety.txt", "Ninety", COMMENTS)
    db = bot_env / "bot.db"
    async with contextlib.AsyncExitStack() as first_bot:
        await first_bot.enter_async_context(shard_bot(fake_discord, "0/2"))
        async with shard_bot(fake_discord, "1/2"):
            # Each server's command reaches the bot of its shard, which says so.
            for server, shard in ((zero, 0), (one, 1)):
                status = await command(fake_discord, server, "replayadmin status")
                assert status.message is not None
                assert (
                    f"**Shards**: this process runs {shard} of 2; this server is on shard {shard}"
                    in visible_text(status.message)
                )
            started = await command(fake_discord, one, "replay start", article="ninety")
            assert "Replay started" in (started.content or "")
            await fake_discord.wait_for(lambda: len(replayed(fake_discord, one.channel)) > 0)
        # Shard 1's bot is gone (a process stopped mid-replay): the replay stays "running".
        [(state, _)] = replay_states(db)
        posted = len(replayed(fake_discord, one.channel))
        assert state == "running" and 0 < posted < len(COMMENTS)
        # Shard 0's bot restarts: it resumes what its own servers left, and not server One's replay.
        await first_bot.aclose()
        restarted = await first_bot.enter_async_context(shard_bot(fake_discord, "0/2"))
        assert await resume_pass(restarted) == 0
        assert replay_states(db) == [("running", None)]
        assert len(replayed(fake_discord, one.channel)) == posted
        # Shard 1's bot comes back and finishes it: every comment once, in order.
        async with shard_bot(fake_discord, "1/2"):
            await wait_state(fake_discord, db, "finished")
        assert [c for _, c in replayed(fake_discord, one.channel)] == [c for _, _, c in COMMENTS]
        assert replayed(fake_discord, zero.channel) == []
    assert [r.scope for r in fake_discord.refusals] == []  # no 429 at all, the global one included
