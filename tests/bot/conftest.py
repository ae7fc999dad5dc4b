"""Fixtures for end-to-end bot tests: a world in the fake Discord and the real bot running against it."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.settings import Settings
from bot.standalone import ThreadReplayBot
from tests.fakediscord import FakeDiscord, P, running

SEEDS = Path(__file__).parents[2] / "seeds"


@dataclass
class World:
    """One server with a text channel, a forum, an admin, a moderator and an ordinary member."""

    guild: int
    channel: int
    forum: int
    admin: int  # has Manage Server
    moderator: int  # has Manage Threads only
    member: int  # ordinary member
    admin_role: int
    owner: int  # owns the server and the application: a bot owner


@pytest.fixture
def world(fake_discord: FakeDiscord) -> World:
    """The server most bot tests act in."""
    guild = fake_discord.add_guild("Replay Lab")
    channel = fake_discord.add_text_channel(guild, "general")
    forum = fake_discord.add_forum_channel(guild, "discussions")
    admin_role = fake_discord.add_role(guild, "Admins", int(P.MANAGE_GUILD))
    mod_role = fake_discord.add_role(guild, "Mods", int(P.MANAGE_THREADS))
    return World(
        guild=guild,
        channel=channel,
        forum=forum,
        admin=fake_discord.add_member(guild, "alice-admin", roles=[admin_role]),
        moderator=fake_discord.add_member(guild, "mo-mod", roles=[mod_role]),
        member=fake_discord.add_member(guild, "bob-member"),
        admin_role=admin_role,
        owner=fake_discord.world.guild(guild).owner_id,
    )


@pytest.fixture
def bot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, world: World) -> Path:
    """Settings for the bot under test: its own database and seeds folder, no stray .env."""
    monkeypatch.chdir(tmp_path)  # Settings reads .env from the working directory
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    for key, value in {
        "DISCORD_TOKEN": "",
        "THREADREPLAY_DB": str(tmp_path / "bot.db"),
        "THREADREPLAY_SEEDS": str(seeds),
        "THREADREPLAY_DEV_GUILD": str(world.guild),
        "THREADREPLAY_OWNER_IDS": "",
        "THREADREPLAY_ADMIN_ROLE_IDS": "",
        "THREADREPLAY_LOG_LEVEL": "INFO",
        "THREADREPLAY_TIME_SCALE": "0.02",
    }.items():
        monkeypatch.setenv(key, value)
    return tmp_path


StartBot = Callable[[], Awaitable[ThreadReplayBot]]


@pytest.fixture
async def start_bot(fake_discord: FakeDiscord, bot_env: Path) -> AsyncIterator[StartBot]:
    """`await start_bot()` runs the standalone bot (extension loaded, commands synced to the dev guild).

    Every bot started is closed at teardown; call it again after closing one to test a restart.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def start() -> ThreadReplayBot:
            bot = ThreadReplayBot(Settings())
            await stack.enter_async_context(running(bot, fake_discord))
            return bot

        yield start
