"""Standalone mode: a plain discord.py bot that loads the threadreplay extension."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Any

import discord
from discord.ext import commands

from bot.render import NO_MENTIONS
from bot.settings import Settings

log = logging.getLogger(__name__)


class ThreadReplayBot(commands.Bot):
    """The bot `threadreplay run` starts: guild events only, no message content, no pings."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            owner_ids=set(settings.owner_ids) or None,
            **options,  # discord.py client options, e.g. guild_ready_timeout
        )
        self.settings = settings

    async def setup_hook(self) -> None:
        await self.load_extension("bot")
        if self.settings.dev_guild:
            # Guild commands show at once; global ones can take a while. Only at start, only here.
            guild = discord.Object(self.settings.dev_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to dev guild %s", len(synced), self.settings.dev_guild)

    async def on_ready(self) -> None:
        log.info(
            "logged in as %s (%s) in %d guilds",
            self.user,
            getattr(self.user, "id", "?"),
            len(self.guilds),
        )


async def serve(settings: Settings, **options: Any) -> None:
    """Run the bot until it is closed (SIGTERM and SIGINT close it cleanly)."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    async with ThreadReplayBot(settings, **options) as bot:
        # SIGTERM (systemd, docker stop) closes the bot cleanly: extensions unload, replays stop at a
        # safe point and stay "running" in the ledger, so the next start resumes them.
        loop = asyncio.get_running_loop()
        closing: list[
            asyncio.Task[None]
        ] = []  # held, so the close is never garbage-collected mid-way
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: closing.append(asyncio.create_task(bot.close())))
        await bot.start(token)
        await asyncio.gather(*closing)


def run(settings: Settings) -> int:
    """Start the bot; a missing, malformed or rejected token is one clear line and exit code 2."""
    problem = settings.token_problem()
    if problem:
        print(f"threadreplay: {problem}", file=sys.stderr)
        return 2
    discord.utils.setup_logging(level=getattr(logging, settings.log_level))
    # threadreplay never joins voice; without this every start, even one refused for a bad token,
    # opens with two WARNINGs about missing voice libraries.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    try:
        asyncio.run(serve(settings))
    except discord.LoginFailure:
        print(
            "threadreplay: Discord rejected DISCORD_TOKEN (401 Unauthorized): reset the token in the"
            " Developer Portal and update your environment or .env",
            file=sys.stderr,
        )
        return 2
    except discord.PrivilegedIntentsRequired:
        print(
            "threadreplay: Discord refused the gateway intents; check the bot's settings",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
