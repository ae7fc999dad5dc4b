"""Smoke: the standalone bot starts against the fake Discord, syncs to the dev guild and answers."""

from __future__ import annotations

from tests.bot.conftest import StartBot, World
from tests.fakediscord import FakeDiscord


async def test_bot_start_syncs_commands_to_dev_guild_and_shows_card(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    await start_bot()
    names = {c["name"] for c in fake_discord.commands(world.guild)}
    assert names == {"article", "replayadmin", "replay"}
    result = await fake_discord.invoke(
        "article show",
        {"article": "000_e7a44f8a370d07ea"},
        user_id=world.member,
        guild_id=world.guild,
        channel_id=world.channel,
    )
    await result.wait_done()
    assert result.response_type == 4 and not result.ephemeral
    assert result.embeds[0]["title"].startswith("Syrian Government")
