"""End to end: threadreplay loaded into someone else's bot, and the card button across a restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from storage.errors import DatabaseUnusable
from tests.bot.conftest import StartBot, World
from tests.bot.e2e import SEED_KEY, button, store_of
from tests.fakediscord import FakeDiscord

OURS = ("article", "replay", "replayadmin")
CODE = Path(__file__).parents[2]
SYNC_ROUTES = (
    "PUT /applications/{application_id}/commands",
    "PUT /applications/{application_id}/guilds/{guild_id}/commands",
    "POST /applications/{application_id}/commands",
    "POST /applications/{application_id}/guilds/{guild_id}/commands",
)


def from_threadreplay(task: asyncio.Task[Any]) -> bool:
    """True if the task runs code from this project's bot/ or storage/ packages."""
    code = getattr(task.get_coro(), "cr_code", None)
    filename = Path(code.co_filename) if code is not None else Path()
    return any(filename.is_relative_to(CODE / pkg) for pkg in ("bot", "storage"))


async def host_error_handler(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """The host bot's own tree error handler (must survive loading the extension)."""


class HostBot(commands.Bot):
    """A bare host bot with one command of its own, loading threadreplay in its setup_hook."""

    def __init__(self) -> None:
        super().__init__(command_prefix="!", intents=discord.Intents.default())
        self.attributes_before_load: set[str] = set()
        self.attributes_after_load: set[str] = set()
        self.tasks_from_load: set[asyncio.Task[Any]] = set()
        self.tree.error(host_error_handler)

        @self.tree.command(name="ping", description="The host's own command")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

    async def setup_hook(self) -> None:
        self.attributes_before_load = set(vars(self))
        before = asyncio.all_tasks()
        await self.load_extension("bot")
        self.tasks_from_load = asyncio.all_tasks() - before
        self.attributes_after_load = set(vars(self))


Connect = Callable[[HostBot], Awaitable[HostBot]]


async def test_extension_in_a_bare_host_bot_adds_commands_without_touching_the_host(
    fake_discord: FakeDiscord, world: World, bot_env: Path, discord_client: Connect
) -> None:
    bot = await discord_client(HostBot())
    names = [c.name for c in bot.tree.get_commands()]
    assert sorted(names) == sorted(["ping", *OURS]) and len(set(names)) == len(names)
    for group in bot.tree.get_commands():
        if isinstance(group, app_commands.Group):
            subs = [c.name for c in group.commands]
            assert len(set(subs)) == len(subs), group.name
    assert bot.tree.on_error is host_error_handler
    assert bot.attributes_after_load == bot.attributes_before_load
    assert not [c.route for c in fake_discord.calls if c.route in SYNC_ROUTES]  # never syncs

    # The host decides when to sync; then the commands answer like in standalone mode.
    await bot.tree.sync()
    card = await fake_discord.invoke("article show", {"article": SEED_KEY}, user_id=world.member)
    await card.wait_done()
    assert card.embeds[0]["footer"]["text"] == f"key: {SEED_KEY}"


async def test_unloading_the_extension_removes_its_commands_closes_storage_and_stops_tasks(
    fake_discord: FakeDiscord,
    world: World,
    bot_env: Path,
    discord_client: Connect,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot = await discord_client(HostBot())
    store = store_of(bot)
    assert any(from_threadreplay(t) for t in bot.tasks_from_load)  # the load started its own tasks
    caplog.set_level(logging.INFO, logger="bot")
    await bot.unload_extension("bot")
    assert [r.getMessage() for r in caplog.records if r.name == "bot"] == [
        "threadreplay extension unloaded"
    ]
    assert [c.name for c in bot.tree.get_commands()] == ["ping"]
    assert bot.cogs == {} and "bot" not in bot.extensions
    with pytest.raises(ValueError, match="no active connection"):
        await store.reader.execute("SELECT 1")
    with pytest.raises(ValueError, match="no active connection"):
        await store.writer.execute("SELECT 1")
    assert all(task.done() for task in bot.tasks_from_load)
    assert [t.get_name() for t in asyncio.all_tasks() if from_threadreplay(t)] == []
    assert set(vars(bot)) == bot.attributes_before_load


async def test_a_failed_load_leaves_the_host_as_it_was_and_never_says_unloaded(
    bot_env: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (bot_env / "a-folder.db").mkdir()
    monkeypatch.setenv("THREADREPLAY_DB", str(bot_env / "a-folder.db"))
    host = HostBot()
    before = set(vars(host))
    caplog.set_level(logging.INFO, logger="bot")
    with pytest.raises(commands.ExtensionFailed) as failed:
        await host.load_extension("bot")
    assert isinstance(failed.value.original, DatabaseUnusable)
    assert "is a directory" in str(failed.value.original)
    assert [c.name for c in host.tree.get_commands()] == ["ping"]
    assert host.cogs == {} and "bot" not in host.extensions and set(vars(host)) == before
    assert [r.getMessage() for r in caplog.records if r.name == "bot"] == []
    assert [t.get_name() for t in asyncio.all_tasks() if from_threadreplay(t)] == []
    await host.close()


async def test_card_button_posted_before_a_restart_reaches_the_new_bot_and_is_answered(
    fake_discord: FakeDiscord, world: World, start_bot: StartBot
) -> None:
    first = await start_bot()
    card = await fake_discord.invoke("article show", {"article": SEED_KEY}, user_id=world.member)
    await card.wait_done()
    custom_id = button(card.message, "Replay discussion")["custom_id"]
    await first.close()
    second = await start_bot()
    assert first.is_closed() and not second.is_closed()
    click = await fake_discord.click(card.message, custom_id, user_id=world.member)
    await click.wait_done()
    # A member without Manage Threads may not start a replay: refused privately, nothing posted.
    assert click.response_type == 4 and click.ephemeral
    assert "Manage Threads" in (click.content or "")
    assert fake_discord.threads(world.channel) == []
    assert fake_discord.webhooks(world.channel) == []
