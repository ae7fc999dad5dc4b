"""The standalone bot in a child process, pointed at a fake Discord (for kill -9 tests).

Reads FAKE_API_URL and FAKE_GATEWAY_URL, and the usual THREADREPLAY_* settings and DISCORD_TOKEN.
"""

from __future__ import annotations

import asyncio
import logging
import os

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.settings import Settings
from bot.standalone import ThreadReplayBot


async def main() -> None:
    """Start the bot like `threadreplay run` does, against the fake."""
    Route.BASE = os.environ["FAKE_API_URL"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKE_GATEWAY_URL"])
    settings = Settings()
    discord.utils.setup_logging(level=logging.INFO)
    async with ThreadReplayBot(settings) as bot:
        bot._connection.guild_ready_timeout = 0.05  # the fake sends every guild at once
        token = settings.discord_token.get_secret_value() if settings.discord_token else ""
        await bot.start(token)


if __name__ == "__main__":
    asyncio.run(main())
