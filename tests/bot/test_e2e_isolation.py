"""End to end: two servers share one bot and one database, and neither sees the other's replays,
queue or the host's paths in `/replayadmin status`; the bot's owner sees the host."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.conftest import StartBot, World
from tests.bot.replaykit import slash, wait_state, write_dump
from tests.fakediscord import FakeDiscord, P

pytestmark = pytest.mark.fakediscord(time_scale=0.02)


async def status(fake: FakeDiscord, user: int, guild: int, channel: int) -> str:
    result = await fake.invoke(
        "replayadmin status", user_id=user, guild_id=guild, channel_id=channel
    )
    await result.wait_done()
    assert result.ephemeral
    return "\n".join(e.get("description", "") for e in result.embeds)


async def test_each_server_sees_only_its_replays_and_only_owners_see_host_paths(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot, bot_env: Path
) -> None:
    write_dump(
        bot_env / "seeds" / "long.txt", "Long", [(f"u{i}", 0, f"Comment {i}.") for i in range(40)]
    )
    other = fake_discord.add_guild("Elsewhere")
    other_channel = fake_discord.add_text_channel(other, "lounge")
    role = fake_discord.add_role(other, "Admins", int(P.MANAGE_GUILD))
    other_admin = fake_discord.add_member(other, "zed-admin", roles=[role])
    await start_bot()
    await slash(fake_discord, world, "replay start", article="long", pace="steady")
    await slash(fake_discord, world, "replay pause")
    await wait_state(fake_discord, bot_env / "bot.db", "paused")

    ours = await status(fake_discord, world.admin, world.guild, world.channel)
    assert f"**Replay** in <#{world.channel}>: `long` paused" in ours
    theirs = await status(fake_discord, other_admin, other, other_channel)
    assert "**Replays**: none running or queued" in theirs
    assert str(world.channel) not in theirs and "`long`" not in theirs
    for text in (ours, theirs):
        assert str(bot_env) not in text and "bot.db" not in text
    # The application's owner sees where the database lives.
    host = await status(fake_discord, world.owner, world.guild, world.channel)
    assert f"`{bot_env / 'bot.db'}`" in host
