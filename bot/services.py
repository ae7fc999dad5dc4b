"""What the cogs share: settings and the open storage, closed when the last cog lets go."""

from __future__ import annotations

import logging

import discord

from bot.replay.edge import Edge
from bot.replay.pacer import Pacer
from bot.settings import Settings
from bot.shards import process_share
from bot.tasks import Supervisor
from storage.db import Storage

log = logging.getLogger(__name__)


class Services:
    """Settings plus storage, reference-counted by the cogs that use them (no state on the host bot),
    and the one paced door to Discord that replays and the feed post through."""

    def __init__(self, settings: Settings, store: Storage, client: discord.Client) -> None:
        self.settings = settings
        self.store = store
        # Several processes share the token's global limit: this one paces itself to its shards' share.
        self.edge = Edge(client, Pacer(settings.time_scale, share=process_share(client)))
        self._users = 0
        self.supervisor = Supervisor(time_scale=settings.time_scale)  # every background task

    def acquire(self) -> None:
        """A cog starts using the services."""
        self._users += 1

    async def release(self) -> None:
        """A cog stops; the last one out cancels background tasks and closes the storage."""
        self._users -= 1
        if self._users > 0:
            return
        await self.supervisor.stop()
        await self.store.close()
        log.info("storage %s closed", self.store.shown)
