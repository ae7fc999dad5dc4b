"""The feed cog: owns the announcer (feed loop and folder watcher) for the bot's lifetime."""

from __future__ import annotations

from discord.ext import commands

from bot.access import HostBot
from bot.feed import Announcer
from bot.services import Services


class FeedCog(commands.Cog, name="Feed"):
    """No commands of its own (they live under /replayadmin); runs the feed in the background."""

    def __init__(self, bot: HostBot, services: Services) -> None:
        self.bot = bot
        self.services = services
        self.announcer = Announcer(bot, services)

    async def cog_load(self) -> None:
        self.services.acquire()
        self.announcer.start()

    async def cog_unload(self) -> None:
        await self.announcer.stop()
        await self.services.release()
