"""The fake Discord against the real discord.py client: login, gateway, REST, interactions."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands

from tests.fakediscord import FakeDiscord, InvocationError, Limit, P
from tests.fakediscord.calls import Fault, Faults
from tests.fakediscord.fixtures import Connect


class World:
    """Ids of the guild and channels most tests use."""

    def __init__(self, fake: FakeDiscord) -> None:
        """Build one guild with a text channel and a forum."""
        self.guild = fake.add_guild("Replay Lab")
        self.channel = fake.add_text_channel(self.guild, "general")
        self.forum = fake.add_forum_channel(self.guild, "articles", tags=["news"])


@pytest.fixture
def world(fake_discord: FakeDiscord) -> World:
    """The guild, text channel and forum most tests use."""
    return World(fake_discord)


def new_client() -> discord.Client:
    """A plain client with default (non-privileged) intents."""
    return discord.Client(intents=discord.Intents.default())


class CommandBot(discord.Client):
    """A client with a few app commands, synced to one guild in ``setup_hook``."""

    def __init__(self, guild_id: int) -> None:
        """Register the commands used by the interaction tests."""
        super().__init__(intents=discord.Intents.default())
        self.guild_id = guild_id
        self.tree = app_commands.CommandTree(self)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        self.late_errors: list[int] = []
        article = app_commands.Group(name="article", description="Articles")

        @article.command(name="show", description="Show an article")
        @app_commands.describe(article="Article id", count="How many")
        async def show(interaction: discord.Interaction, article: str, count: int = 1) -> None:
            view = discord.ui.View(timeout=None)
            view.add_item(discord.ui.Button(label="More", custom_id="more"))
            await interaction.response.send_message(f"{article} x{count}", view=view)

        @show.autocomplete("article")
        async def complete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=f"{current}-{i}", value=f"{current}-{i}") for i in range(3)
            ]

        @article.command(name="slow", description="Defers, then edits")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True, ephemeral=True)
            await interaction.edit_original_response(content="finally")
            await interaction.followup.send("and one more", ephemeral=True)

        @app_commands.command(name="late", description="Answers after the deadline")
        async def late(interaction: discord.Interaction) -> None:
            self.entered.set()
            await self.gate.wait()
            try:
                await interaction.response.send_message("too late")
            except discord.NotFound as exc:
                self.late_errors.append(exc.code)

        self.tree.add_command(article)
        self.tree.add_command(late)

    async def setup_hook(self) -> None:
        """Sync the commands to the test guild and handle the button click."""
        await self.tree.sync(guild=discord.Object(self.guild_id))

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Answer the ``more`` button by editing its message."""
        if interaction.data and interaction.data.get("custom_id") == "more":
            await interaction.response.edit_message(content="clicked", view=None)

    def copy_commands(self) -> None:
        """Register the global commands for the guild (done before ``setup_hook`` syncs)."""
        self.tree.copy_global_to(guild=discord.Object(self.guild_id))


async def start_command_bot(fake: FakeDiscord, connect: Connect[discord.Client]) -> CommandBot:
    """A connected :class:`CommandBot` whose commands are registered for the world's guild."""
    world = World(fake)
    bot = CommandBot(world.guild)
    bot.copy_commands()
    await connect(bot)
    return bot


# ----- login and gateway -------------------------------------------------------------------
async def test_login_with_bad_token_raises_login_failure(fake_discord: FakeDiscord) -> None:
    client = new_client()
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()
    assert fake_discord.calls[-1].status == 401
    assert fake_discord.calls[-1].response == {"message": "401: Unauthorized", "code": 0}


async def test_ready_and_guild_create_fill_the_client_cache(
    fake_discord: FakeDiscord, world: World, discord_client: Connect[discord.Client]
) -> None:
    client = await discord_client(new_client())
    guild = client.get_guild(world.guild)
    assert client.user is not None and client.user.id == fake_discord.app_id
    assert guild is not None and guild.name == "Replay Lab"
    assert isinstance(guild.get_channel(world.channel), discord.TextChannel)
    assert isinstance(guild.get_channel(world.forum), discord.ForumChannel)
    assert guild.me.guild_permissions.manage_webhooks
    assert fake_discord.gateway.received[0]["op"] == 1  # discord.py heartbeats right after HELLO


async def test_reconnect_request_resumes_and_replays_missed_events(
    fake_discord: FakeDiscord, world: World, discord_client: Connect[discord.Client]
) -> None:
    client = await discord_client(new_client())
    fake_discord.request_reconnect()
    late = fake_discord.add_text_channel(world.guild, "created-during-reconnect")
    await fake_discord.wait_for(lambda: fake_discord.gateway.resumes == 1)
    await fake_discord.wait_for(lambda: client.get_channel(late) is not None)
    assert fake_discord.gateway.identifies == 1
    assert fake_discord.gateway.connect_log[-1].startswith("/resume?")
    assert "compress=z" in fake_discord.gateway.connect_log[-1]  # zlib-stream, or zstd-stream


async def test_invalid_session_makes_the_client_identify_again(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    class Quick(discord.Client):
        async def before_identify_hook(
            self, shard_id: int | None, *, initial: bool = False
        ) -> None:
            """Skip discord.py's 5-second pause before re-identifying."""

    World(fake_discord)
    await discord_client(Quick(intents=discord.Intents.default()))
    fake_discord.invalidate_session()
    await fake_discord.wait_for(lambda: fake_discord.gateway.identifies == 2)
    assert fake_discord.gateway.resumes == 0  # a new session, not a resumed one


# ----- messages, limits and permissions ----------------------------------------------------
async def test_send_stores_message_and_rejects_2001_characters(
    fake_discord: FakeDiscord, world: World, discord_client: Connect[discord.Client]
) -> None:
    client = await discord_client(new_client())
    channel = client.get_channel(world.channel)
    assert isinstance(channel, discord.TextChannel)
    sent = await channel.send("hello", embed=discord.Embed(title="T", description="D"))
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x" * 2001)
    assert caught.value.code == 50035
    assert caught.value.status == 400
    stored = fake_discord.messages(world.channel)
    assert [m.id for m in stored] == [sent.id]
    assert stored[0].embeds[0]["title"] == "T" and stored[0].embeds[0]["type"] == "rich"
    call = fake_discord.calls_to("POST /channels/{channel_id}/messages")[-1]
    assert call.response["errors"] == {
        "content": {
            "_errors": [
                {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}
            ]
        }
    }


async def test_embed_limits_and_empty_message_are_refused(
    fake_discord: FakeDiscord, world: World, discord_client: Connect[discord.Client]
) -> None:
    client = await discord_client(new_client())
    channel = client.get_channel(world.channel)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send(embed=discord.Embed(title="t" * 257))
    assert too_long.value.code == 50035
    errors = fake_discord.calls[-1].response["errors"]
    assert errors["embeds"]["0"]["title"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    with pytest.raises(discord.HTTPException) as empty:
        await channel.send(content="   ")
    assert empty.value.code == 50006


async def test_ordinary_sends_follow_rate_limit_headers_without_429(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    fake_discord.time_scale = 0.02  # 5 messages per 0.1 s
    world = World(fake_discord)
    client = await discord_client(new_client())
    channel = client.get_channel(world.channel)
    assert isinstance(channel, discord.TextChannel)
    await asyncio.gather(*(channel.send(f"m{i}") for i in range(12)))
    assert fake_discord.refusals == []
    assert len(fake_discord.messages(world.channel)) == 12
    headers = fake_discord.calls_to("POST /channels/{channel_id}/messages")[0].headers
    assert headers["X-RateLimit-Limit"] == "5" and headers["X-RateLimit-Remaining"] == "4"


async def test_unannounced_webhook_channel_limit_answers_shared_429(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    fake_discord.time_scale = 0.01
    fake_discord.ratelimits.webhook_channel = Limit(3, 40.0)  # 3 per 0.4 s: wide enough under load
    world = World(fake_discord)
    client = await discord_client(new_client())
    channel = client.get_channel(world.channel)
    assert isinstance(channel, discord.TextChannel)
    hook = await channel.create_webhook(name="replay")
    for i in range(4):
        await hook.send(f"w{i}", wait=True)
    assert [r.scope for r in fake_discord.refusals] == ["shared"]
    executes = fake_discord.calls_to("POST /webhooks/{webhook_id}/{webhook_token}")
    assert [c.status for c in executes] == [200, 200, 200, 429, 200]
    assert executes[2].headers["X-RateLimit-Remaining"] != "0"  # no warning before the 429
    assert len(fake_discord.messages(world.channel)) == 4


async def test_missing_send_messages_gives_403_50013(
    fake_discord: FakeDiscord, world: World, discord_client: Connect[discord.Client]
) -> None:
    client = await discord_client(new_client())
    channel = client.get_channel(world.channel)
    assert isinstance(channel, discord.TextChannel)
    fake_discord.deny_bot(world.channel, P.SEND_MESSAGES)
    await fake_discord.wait_for(lambda: not channel.permissions_for(channel.guild.me).send_messages)
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send("nope")
    assert caught.value.code == 50013


async def test_injected_faults_and_unknown_routes_are_recorded(
    fake_discord: FakeDiscord, world: World, discord_client: Connect[discord.Client]
) -> None:
    client = await discord_client(new_client())
    channel = client.get_channel(world.channel)
    assert isinstance(channel, discord.TextChannel)
    fake_discord.fail_next("POST /channels/{channel_id}/messages", 429, retry_after=0.01)
    await channel.send("retried after an injected 429")
    assert [c.status for c in fake_discord.calls_to("POST /channels/{channel_id}/messages")] == [
        429,
        200,
    ]
    with pytest.raises(discord.NotFound):
        await client.http.request(
            discord.http.Route("GET", "/guilds/{guild_id}/emojis", guild_id=world.guild)
        )
    assert [c.route for c in fake_discord.unknown_calls()] == [f"GET /guilds/{world.guild}/emojis"]


def test_faults_skip_interaction_replies_unless_asked() -> None:
    route = "POST /webhooks/{webhook_id}/{webhook_token}"
    faults = Faults()
    faults.add(Fault(route, 500, 0, None, 1, 0.0))
    assert faults.take(route, interaction=True) is None  # a follow-up is not what the test meant
    error = faults.take(route)
    assert error is not None and error.status == 500
    assert faults.pending() == []
    faults.add(Fault(route, 404, 10062, None, 1, 0.0, interactions=True))
    error = faults.take(route, interaction=True)
    assert error is not None and error.status == 404


# ----- threads, forums and webhooks ----------------------------------------------------------
async def test_webhook_send_into_thread_uses_thread_id(
    fake_discord: FakeDiscord, world: World, discord_client: Connect[discord.Client]
) -> None:
    client = await discord_client(new_client())
    channel = client.get_channel(world.channel)
    assert isinstance(channel, discord.TextChannel)
    starter = await channel.send("article 000")
    thread = await starter.create_thread(name="Comments on article 000")
    hook = await channel.create_webhook(name="replay")
    sent = await hook.send("first!", username="Alice", thread=thread, wait=True)
    call = fake_discord.calls_to("POST /webhooks/{webhook_id}/{webhook_token}")[-1]
    assert call.query["thread_id"] == str(thread.id) and call.query["wait"] == "1"
    stored = fake_discord.messages(thread.id)
    assert [(m.author_name, m.content, m.webhook_id) for m in stored] == [
        ("Alice", "first!", hook.id)
    ]
    assert sent.channel.id == thread.id
    assert [t.id for t in fake_discord.threads(world.channel)] == [thread.id]
    assert fake_discord.messages(thread.id, system=True)[0].type == 21  # THREAD_STARTER_MESSAGE


async def test_forum_post_and_admin_deletion_reach_the_client(
    fake_discord: FakeDiscord, world: World, discord_client: Connect[discord.Client]
) -> None:
    client = await discord_client(new_client())
    forum = client.get_channel(world.forum)
    assert isinstance(forum, discord.ForumChannel)
    post = await forum.create_thread(
        name="Article 001", content="starter", applied_tags=forum.available_tags
    )
    assert post.message.id == post.thread.id
    assert fake_discord.channel(post.thread.id).applied_tags == [forum.available_tags[0].id]
    await fake_discord.wait_for(lambda: client.get_channel(post.thread.id) is not None)
    fake_discord.delete_channel(world.forum)
    await fake_discord.wait_for(lambda: client.get_channel(world.forum) is None)
    with pytest.raises(discord.NotFound) as caught:
        await forum.create_thread(name="gone", content="x")
    assert caught.value.code == 10003


# ----- interactions --------------------------------------------------------------------------
async def test_slash_command_reaches_callback_and_button_click_edits(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    await start_command_bot(fake_discord, discord_client)
    registered = {c["name"] for c in fake_discord.commands(next(iter(fake_discord.world.guilds)))}
    assert registered == {"article", "late"}
    result = await fake_discord.invoke("article show", {"article": "000_x", "count": 2})
    await result.wait_done()
    assert result.response_type == 4 and not result.ephemeral
    assert result.content == "000_x x2"
    click = await fake_discord.click(result.message, "more")
    await click.wait_done()
    assert click.response_type == 7
    assert result.content == "clicked" and result.components == []
    with pytest.raises(InvocationError, match=r"unknown option\(s\) \['nope'\]"):
        await fake_discord.invoke("article show", {"nope": 1})


async def test_autocomplete_returns_the_bots_choices(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    await start_command_bot(fake_discord, discord_client)
    result = await fake_discord.autocomplete("article show", "article", "00")
    await result.wait_done()
    assert result.response_type == 8
    assert [c["value"] for c in result.choices or []] == ["00-0", "00-1", "00-2"]


async def test_deferred_response_is_edited_then_followed_up(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    await start_command_bot(fake_discord, discord_client)
    result = await fake_discord.invoke("article slow")
    await result.wait_done()
    assert result.response_type == 5
    assert result.content == "finally" and result.ephemeral
    followups = await result.wait_followups(1)
    assert followups[0].content == "and one more"
    assert fake_discord.messages(result.record.channel_id) == []  # ephemeral: nobody else sees them


async def test_answer_after_three_seconds_gets_10062(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    bot = await start_command_bot(fake_discord, discord_client)
    result = await fake_discord.invoke("late")
    await fake_discord.wait_for(bot.entered.is_set)
    fake_discord.advance_time(3.5)
    bot.gate.set()
    await result.wait_response()
    assert result.error == {"message": "Unknown interaction", "code": 10062}
    await fake_discord.wait_for(lambda: bot.late_errors == [10062])
