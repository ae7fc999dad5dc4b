"""The fake gateway: dropped connections, intents and message-content redaction."""

from __future__ import annotations

import discord

from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import Connect


class Recorder(discord.Client):
    """Keeps every ``on_message`` it sees."""

    def __init__(self, intents: discord.Intents) -> None:
        """Create a client with ``intents``."""
        super().__init__(intents=intents)
        self.seen: list[discord.Message] = []

    async def on_message(self, message: discord.Message) -> None:
        """Record the message."""
        self.seen.append(message)


async def test_dropped_connection_is_resumed(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    guild = fake_discord.add_guild("G")
    fake_discord.add_text_channel(guild, "general")
    await discord_client(discord.Client(intents=discord.Intents.default()))
    await fake_discord.disconnect(4000)
    await fake_discord.wait_for(lambda: fake_discord.gateway.resumes == 1)
    assert fake_discord.gateway.identifies == 1


async def test_without_message_content_intent_other_peoples_content_is_blank(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    guild = fake_discord.add_guild("G")
    channel = fake_discord.add_text_channel(guild, "general")
    user = fake_discord.add_member(guild, "alice")
    client = await discord_client(Recorder(discord.Intents.default()))
    assert isinstance(client, Recorder)
    fake_discord.post_user_message(channel, user, "secret words")
    fake_discord.post_user_message(channel, user, f"hey <@{fake_discord.app_id}>")
    await fake_discord.wait_for(lambda: len(client.seen) == 2)
    assert [m.content for m in client.seen] == ["", f"hey <@{fake_discord.app_id}>"]


async def test_privileged_intents_get_content_and_members(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    guild = fake_discord.add_guild("G")
    channel = fake_discord.add_text_channel(guild, "general")
    user = fake_discord.add_member(guild, "alice")
    client = await discord_client(Recorder(discord.Intents.all()))
    assert isinstance(client, Recorder)
    fake_discord.post_user_message(channel, user, "visible")
    await fake_discord.wait_for(lambda: len(client.seen) == 1)
    assert client.seen[0].content == "visible"
    cached = client.get_guild(guild)
    assert cached is not None and cached.get_member(user) is not None
