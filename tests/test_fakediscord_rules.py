"""Discord's rules as the fake enforces them: acknowledgements, permissions, names, limits."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord, InvocationError, Limit, P
from tests.fakediscord.fixtures import Connect


async def connected(
    fake: FakeDiscord, connect: Connect[discord.Client]
) -> tuple[int, discord.TextChannel]:
    """One guild and text channel, and a connected plain client; returns (guild id, channel)."""
    guild_id = fake.add_guild("Rules")
    channel_id = fake.add_text_channel(guild_id, "general")
    client = await connect(discord.Client(intents=discord.Intents.default()))
    channel = client.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return guild_id, channel


async def register(fake: FakeDiscord, guild_id: int, commands: list[dict[str, object]]) -> None:
    """Register guild commands with a raw PUT, as the bot's token."""
    url = f"{fake.api_url}/applications/{fake.app_id}/guilds/{guild_id}/commands"
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.put(url, json=commands, headers=headers) as resp,
    ):
        assert resp.status == 200, await resp.text()


async def test_second_callback_gets_40060(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    guild_id, _ = await connected(fake_discord, discord_client)
    await register(fake_discord, guild_id, [{"name": "ping", "description": "Ping", "type": 1}])
    result = await fake_discord.invoke("ping")
    url = f"{fake_discord.api_url}/interactions/{result.id}/{result.payload['token']}/callback"
    body = {"type": 4, "data": {"content": "pong"}}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body) as first:
            assert first.status == 204
        async with session.post(url, json=body) as second:
            assert second.status == 400
            assert await second.json() == {
                "message": "Interaction has already been acknowledged.",
                "code": 40060,
            }
    assert result.content == "pong"


async def test_hidden_admin_command_cannot_be_invoked_without_bypass(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    guild_id, channel = await connected(fake_discord, discord_client)
    admin_only = {
        "name": "admin",
        "description": "Admin",
        "default_member_permissions": str(int(P.MANAGE_GUILD)),
    }
    await register(fake_discord, guild_id, [admin_only])
    member = fake_discord.add_member(guild_id, "reader")
    with pytest.raises(InvocationError, match="hidden"):
        await fake_discord.invoke("admin", user_id=member)
    result = await fake_discord.invoke("admin", user_id=member, bypass_permissions=True)
    assert result.payload["member"]["permissions"] == str(
        fake_discord.world.permissions(member, fake_discord.channel(channel.id))
    )


async def test_embeds_without_embed_links_are_dropped(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    _, channel = await connected(fake_discord, discord_client)
    fake_discord.deny_bot(channel.id, P.EMBED_LINKS)
    sent = await channel.send("text stays", embed=discord.Embed(title="dropped"))
    assert sent.embeds == [] and fake_discord.message(sent.id).embeds == []
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send(embed=discord.Embed(title="only an embed"))
    assert caught.value.code == 50006


async def test_webhook_and_thread_names_are_validated(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    _, channel = await connected(fake_discord, discord_client)
    with pytest.raises(discord.HTTPException) as bad_hook:
        await channel.create_webhook(name="Discord Archive")
    assert bad_hook.value.code == 50035
    assert (
        fake_discord.calls[-1].response["errors"]["name"]["_errors"][0]["code"]
        == "USERNAME_INVALID_CONTAINS"
    )
    hook = await channel.create_webhook(name="replay")
    with pytest.raises(discord.HTTPException) as bad_user:
        await hook.send("x", username="everyone", wait=True)
    assert bad_user.value.code == 50035
    with pytest.raises(discord.HTTPException) as bad_thread:
        await channel.create_thread(name="n" * 101, type=discord.ChannelType.public_thread)
    assert bad_thread.value.code == 50035


async def test_webhook_forum_post_and_deleted_webhook(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    guild_id, channel = await connected(fake_discord, discord_client)
    forum_id = fake_discord.add_forum_channel(guild_id, "forum")
    forum = channel.guild.get_channel(forum_id) or await channel.guild.fetch_channel(forum_id)
    assert isinstance(forum, discord.ForumChannel)
    hook = await forum.create_webhook(name="replay")
    sent = await hook.send("starter", thread_name="Article 7", wait=True)
    [thread] = fake_discord.threads(forum_id)
    assert thread.name == "Article 7" and sent.id == thread.id
    with pytest.raises(discord.HTTPException) as no_thread:
        await hook.send("no thread", wait=True)
    assert no_thread.value.code == 220001
    fake_discord.delete_webhook(hook.id)
    with pytest.raises(discord.NotFound) as gone:
        await hook.send("after delete", thread=discord.Object(thread.id), wait=True)
    assert gone.value.code == 10015


async def test_role_update_and_thread_unarchive_reach_the_client(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    guild_id, channel = await connected(fake_discord, discord_client)
    thread = await channel.create_thread(name="t", type=discord.ChannelType.public_thread)
    guild = channel.guild
    await fake_discord.wait_for(lambda: guild.get_thread(thread.id) is not None)
    fake_discord.archive_thread(thread.id)  # discord.py drops archived threads from its cache
    await fake_discord.wait_for(lambda: guild.get_thread(thread.id) is None)
    await thread.send("wakes it up")
    assert not fake_discord.channel(thread.id).archived
    await fake_discord.wait_for(lambda: guild.get_thread(thread.id) is not None)
    fake_discord.set_bot_permissions(guild_id, 0)
    fake_discord.set_role_permissions(guild_id, guild_id, int(P.VIEW_CHANNEL))  # @everyone
    await fake_discord.wait_for(lambda: not channel.guild.me.guild_permissions.send_messages)
    with pytest.raises(discord.Forbidden) as refused:
        await thread.send("no longer allowed")
    assert refused.value.code == 50013  # Missing Permissions


async def test_global_limit_answers_global_429_and_discord_py_waits(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    fake_discord.time_scale = 0.05
    fake_discord.ratelimits.global_limit = Limit(3, 6.0)  # 3 requests per 0.3 s
    guild_id, channel = await connected(fake_discord, discord_client)
    others = [fake_discord.add_text_channel(guild_id, f"c{i}") for i in range(3)]
    await fake_discord.wait_for(lambda: all(channel.guild.get_channel(c) for c in others))
    targets = [channel, *(channel.guild.get_channel(c) for c in others)]
    fake_discord.limiter.reset()  # the burst opens a fresh window
    await asyncio.gather(*(t.send("hi") for t in targets if isinstance(t, discord.TextChannel)))
    assert {r.scope for r in fake_discord.refusals} == {"global"}
    assert sum(len(fake_discord.messages(t.id)) for t in targets if t) == 4


class ModalBot(discord.Client):
    """Opens a modal from ``/feedback`` and answers its submission."""

    def __init__(self, guild_id: int) -> None:
        """Register ``/feedback`` for ``guild_id``."""
        super().__init__(intents=discord.Intents.default())
        self.tree = discord.app_commands.CommandTree(self)
        self.guild_id = guild_id

        class Feedback(discord.ui.Modal, title="Feedback"):
            text = discord.ui.TextInput(label="Text", custom_id="text")

            async def on_submit(self, interaction: discord.Interaction) -> None:
                await interaction.response.send_message(
                    f"thanks: {self.text.value}", ephemeral=True
                )

        @self.tree.command(
            name="feedback", description="Give feedback", guild=discord.Object(guild_id)
        )
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Feedback(timeout=None))

    async def setup_hook(self) -> None:
        """Sync the guild command."""
        await self.tree.sync(guild=discord.Object(self.guild_id))


async def test_modal_opened_by_a_command_can_be_submitted(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    guild_id = fake_discord.add_guild("Modal")
    fake_discord.add_text_channel(guild_id, "general")
    await discord_client(ModalBot(guild_id))
    opened = await (await fake_discord.invoke("feedback")).wait_done()
    assert opened.response_type == 9 and opened.modal is not None
    with pytest.raises(InvocationError, match="required"):
        await fake_discord.submit_modal(opened, {})
    submitted = await (await fake_discord.submit_modal(opened, {"text": "great"})).wait_done()
    assert submitted.content == "thanks: great" and submitted.ephemeral
