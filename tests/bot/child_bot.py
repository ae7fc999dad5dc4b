"""The standalone bot in a child process, pointed at a fake Discord (for kill -9 and SIGTERM tests).

Reads FAKE_API_URL and FAKE_GATEWAY_URL, and the usual THREADREPLAY_* settings and DISCORD_TOKEN; runs
exactly what `threadreplay run` runs (`bot.standalone.serve`, signal handling included).
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
from bot.standalone import serve

if __name__ == "__main__":
    Route.BASE = os.environ["FAKE_API_URL"]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKE_GATEWAY_URL"])
    discord.utils.setup_logging(level=logging.INFO)
    asyncio.run(serve(Settings(), guild_ready_timeout=0.05))  # the fake sends every guild at once
