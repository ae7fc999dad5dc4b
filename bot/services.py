"""What the cogs share: settings and the open storage, closed when the last cog lets go."""

from __future__ import annotations

import asyncio
import logging

from bot.settings import Settings
from storage.db import Storage

log = logging.getLogger(__name__)


class Services:
    """Settings plus storage, reference-counted by the cogs that use them (no state on the host bot)."""

    def __init__(self, settings: Settings, store: Storage) -> None:
        self.settings = settings
        self.store = store
        self._users = 0
        self.tasks: set[asyncio.Task[object]] = set()

    def acquire(self) -> None:
        """A cog starts using the services."""
        self._users += 1

    async def release(self) -> None:
        """A cog stops; the last one out cancels background tasks and closes the storage."""
        self._users -= 1
        if self._users > 0:
            return
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.store.close()
        log.info("storage %s closed", self.store.path)
