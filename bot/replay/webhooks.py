"""One webhook per channel, owned by the bot: created once, reused, recreated if deleted.

Threads are reached through their parent's webhook with `thread=` (PluralKit's approach); webhooks that
belong to anybody else are never used or touched.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from bot.replay.pacer import Pacer

log = logging.getLogger(__name__)

WEBHOOK_NAME = "threadreplay"


class WebhookCache:
    """The bot's own webhook for each channel it replays into."""

    def __init__(self, client: discord.Client, pacer: Pacer) -> None:
        self.client = client
        self.pacer = pacer
        self._hooks: dict[int, discord.Webhook] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def _ours(self, hook: discord.Webhook) -> bool:
        """A webhook this bot created (it has a token and our user as its creator)."""
        me = self.client.user
        return (
            hook.token is not None
            and hook.user is not None
            and me is not None
            and hook.user.id == me.id
        )

    async def get(self, channel: discord.TextChannel | discord.ForumChannel) -> discord.Webhook:
        """The bot's webhook on `channel`, found or created (one lookup per channel per process)."""
        if channel.id in self._hooks:
            return self._hooks[channel.id]
        async with self._locks.setdefault(channel.id, asyncio.Lock()):
            if channel.id in self._hooks:
                return self._hooks[channel.id]
            await self.pacer.request()
            hook = next((h for h in await channel.webhooks() if self._ours(h)), None)
            if hook is None:
                await self.pacer.request()
                hook = await channel.create_webhook(
                    name=WEBHOOK_NAME, reason="threadreplay posts replays through it"
                )
                log.info("created webhook %s in channel %s", hook.id, channel.id)
            self._hooks[channel.id] = hook
            return hook

    def known(self, channel_id: int) -> bool:
        """True when the channel's webhook is cached (not forgotten after a 10015)."""
        return channel_id in self._hooks

    def forget(self, channel_id: int) -> None:
        """Drop a webhook that Discord says is gone (10015), so the next `get` recreates it."""
        self._hooks.pop(channel_id, None)
