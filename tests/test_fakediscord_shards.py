"""The fake gateway shards as Discord does: a guild's events, GUILD_CREATE and interactions go only
to the session on shard ``(guild_id >> 22) % num_shards``; DMs to shard 0; ``/gateway/bot``
recommends a count; a shard outside the count is refused with 4010."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from tests.fakediscord import FakeDiscord
from tests.fakediscord.fixtures import Connect
from tests.fakediscord.gateway import Session


class ShardClient(discord.Client):
    """A client on one shard of two with a global `/where` command; records its interactions."""

    def __init__(self, shard_id: int, shard_count: int = 2) -> None:
        """Identify as shard ``shard_id`` of ``shard_count``."""
        super().__init__(
            intents=discord.Intents.default(), shard_id=shard_id, shard_count=shard_count
        )
        self.tree = app_commands.CommandTree(self)
        self.interactions: list[int | None] = []  # guild id of each interaction received

        @self.tree.command(name="where", description="Which shard answers")
        async def where(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"shard {self.shard_id}")

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Record the interaction's guild (the tree answers it)."""
        self.interactions.append(interaction.guild_id)


class QuickShards(discord.AutoShardedClient):
    """All recommended shards in one client, identifying without discord.py's 5 s pause.

    Discord lets a bot start one session per 5 s (``max_concurrency`` 1) and discord.py waits that
    long before every shard but the first; the fake does not limit session starts.
    """

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Identify at once."""


def test_guild_shard_follows_discords_formula_and_dms_go_to_shard_0() -> None:
    # Discord's documented example: guild 81384788765712384 is on shard 7 of 17 (serenity's doc too).
    assert Session(0, (7, 17)).owns(81384788765712384)
    assert not Session(0, (6, 17)).owns(81384788765712384)
    assert Session(0, (0, 2)).owns(None) and not Session(0, (1, 2)).owns(None)
    assert Session(0, None).owns(81384788765712384) and Session(0, None).owns(None)


def test_guilds_can_be_placed_on_a_shard(fake_discord: FakeDiscord) -> None:
    ids = [fake_discord.add_guild(f"G{i}", on_shard=(i % 3, 3)) for i in range(6)]
    assert [(g >> 22) % 3 for g in ids] == [0, 1, 2, 0, 1, 2]
    assert ids == sorted(ids) and len(set(ids)) == 6  # still new, increasing snowflakes


async def test_two_shards_each_get_only_their_guilds_events(
    fake_discord: FakeDiscord, discord_client: Connect[ShardClient]
) -> None:
    zero = fake_discord.add_guild("Zero", on_shard=(0, 2))
    one = fake_discord.add_guild("One", on_shard=(1, 2))
    first = await discord_client(ShardClient(0))
    second = await discord_client(ShardClient(1))
    assert [g.id for g in first.guilds] == [zero] and [g.id for g in second.guilds] == [one]
    # READY lists only the shard's guilds, and echoes the shard it was identified with.
    readies = {tuple(e["d"]["shard"]): e["d"] for e in _events(fake_discord, "READY")}
    assert {k: [g["id"] for g in d["guilds"]] for k, d in readies.items()} == {
        (0, 2): [str(zero)],
        (1, 2): [str(one)],
    }
    # A channel made in each guild reaches only the client of that guild's shard.
    in_zero = fake_discord.add_text_channel(zero, "zero-news")
    in_one = fake_discord.add_text_channel(one, "one-news")
    await fake_discord.wait_for(
        lambda: first.get_channel(in_zero) is not None and second.get_channel(in_one) is not None
    )
    assert first.get_channel(in_one) is None and second.get_channel(in_zero) is None
    # A guild added later: GUILD_CREATE only to its shard's session.
    later = fake_discord.add_guild("Later", on_shard=(1, 2))
    await fake_discord.wait_for(lambda: second.get_guild(later) is not None)
    assert first.get_guild(later) is None
    by_shard = {
        s.shard: [e["d"]["id"] for e in s.events if e["t"] == "GUILD_CREATE"]
        for s in fake_discord.gateway.sessions.values()
    }
    assert by_shard == {(0, 2): [str(zero)], (1, 2): [str(one), str(later)]}


async def test_interactions_go_only_to_the_shard_of_their_guild(
    fake_discord: FakeDiscord, discord_client: Connect[ShardClient]
) -> None:
    zero = fake_discord.add_guild("Zero", on_shard=(0, 2))
    one = fake_discord.add_guild("One", on_shard=(1, 2))
    zero_channel = fake_discord.add_text_channel(zero, "general")
    one_channel = fake_discord.add_text_channel(one, "general")
    first = await discord_client(ShardClient(0))
    second = await discord_client(ShardClient(1))
    await first.tree.sync()  # global commands belong to the application, whichever shard syncs
    answers = []
    for guild, channel in ((one, one_channel), (zero, zero_channel), (one, one_channel)):
        result = await fake_discord.invoke("where", {}, guild_id=guild, channel_id=channel)
        await result.wait_response()
        answers.append(result.content)
    assert answers == ["shard 1", "shard 0", "shard 1"]
    assert first.interactions == [zero] and second.interactions == [one, one]
    received = {
        s.shard: [e["d"]["guild_id"] for e in s.events if e["t"] == "INTERACTION_CREATE"]
        for s in fake_discord.gateway.sessions.values()
    }
    assert received == {(0, 2): [str(zero)], (1, 2): [str(one), str(one)]}  # once, to one session


async def test_an_interaction_whose_shard_is_not_connected_cannot_be_sent(
    fake_discord: FakeDiscord, discord_client: Connect[ShardClient]
) -> None:
    fake_discord.add_guild("Zero", on_shard=(0, 2))
    one = fake_discord.add_guild("One", on_shard=(1, 2))
    channel = fake_discord.add_text_channel(one, "general")
    first = await discord_client(ShardClient(0))
    await first.tree.sync()
    with pytest.raises(RuntimeError, match="shard is connected"):
        await fake_discord.invoke("where", {}, guild_id=one, channel_id=channel)


async def test_an_auto_sharded_client_runs_the_recommended_shards(
    fake_discord: FakeDiscord, discord_client: Connect[QuickShards]
) -> None:
    zero = fake_discord.add_guild("Zero", on_shard=(0, 3))
    two = fake_discord.add_guild("Two", on_shard=(2, 3))
    fake_discord.recommended_shards = 3
    client = await discord_client(QuickShards(intents=discord.Intents.default()))
    assert client.shard_count == 3 and sorted(client.shards) == [0, 1, 2]
    assert {g.id: g.shard_id for g in client.guilds} == {zero: 0, two: 2}
    sessions = fake_discord.gateway.sessions.values()
    assert sorted((s.shard, len(_guild_creates(s))) for s in sessions) == [
        ((0, 3), 1),
        ((1, 3), 0),
        ((2, 3), 1),
    ]


async def test_gateway_bot_recommends_one_shard_per_thousand_guilds(
    fake_discord: FakeDiscord, discord_client: Connect[discord.Client]
) -> None:
    fake_discord.add_guild("Only")
    client = await discord_client(discord.AutoShardedClient(intents=discord.Intents.default()))
    assert client.shard_count == 1
    [call] = fake_discord.calls_to("GET /gateway/bot")
    assert call.response["shards"] == 1
    for i in range(1000):
        fake_discord.world.add_guild(f"G{i}")  # no gateway traffic: only the count matters here
    assert fake_discord.gateway.recommended_shards() == 2


@pytest.mark.parametrize(("shard_id", "count"), [(2, 2), (0, 0)])
async def test_a_shard_outside_its_count_is_refused_with_4010(
    fake_discord: FakeDiscord, shard_id: int, count: int
) -> None:
    client = discord.Client(intents=discord.Intents.default(), shard_id=shard_id, shard_count=count)
    async with client:
        await client.login(fake_discord.token)
        with pytest.raises(discord.ConnectionClosed) as closed:
            await client.connect(reconnect=True)
    assert closed.value.code == 4010
    assert fake_discord.gateway.identifies == 0 and fake_discord.gateway.sessions == {}


def _events(fake: FakeDiscord, name: str) -> list[dict[str, Any]]:
    """Every dispatch named ``name`` any session received, in session order."""
    return [e for s in fake.gateway.sessions.values() for e in s.events if e["t"] == name]


def _guild_creates(session: Session) -> list[dict[str, Any]]:
    """The GUILD_CREATE dispatches one session received."""
    return [e for e in session.events if e["t"] == "GUILD_CREATE"]
