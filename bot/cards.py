"""Article cards the feed posts: announced once (found again after a crash), edited when counts change.

Every call goes through the edge (paced, failures mapped), like a replay's own card.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import discord

from bot import access, render
from bot.replay.edge import Edge
from storage import feed
from storage.db import Storage
from storage.queries import get_article

log = logging.getLogger(__name__)


@dataclass
class Posted:
    """Where a card is: its message, the forum post it starts (if any), and whether it was new."""

    message_id: int
    thread_id: int | None
    new: bool


class CardPoster:
    """Posts and edits the feed's cards through the edge."""

    def __init__(self, bot: discord.Client, store: Storage, edge: Edge) -> None:
        self.bot = bot
        self.store = store
        self.edge = edge

    async def _card(self, key: str) -> tuple[discord.Embed, discord.ui.View] | None:
        cog = access.articles(self.bot)
        if cog is None:
            return None
        return await cog.card(key)

    async def _name(self, key: str) -> str:
        """A forum post's name: the article's title (its key if the article is gone)."""
        stored = await get_article(self.store, key)
        return render.clip(stored.article.title if stored else key, render.THREAD_NAME)

    async def announce(self, item: feed.Pending) -> Posted | None:
        """Post the card of `item` in its channel (written ahead in the ledger); None: nowhere to post."""
        channel = self.bot.get_channel(item.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            return None  # the channel is gone or not visible: status shows it; nothing to post into
        card = await self._card(item.key)
        if card is None:
            return None
        embed, view = card
        forum = isinstance(channel, discord.ForumChannel)
        name = await self._name(item.key) if forum else ""
        found = None
        if item.state == "posting":  # posted before a crash, maybe: look before posting again
            found = await self.edge.find_card(channel, item.key, name)
        await feed.mark_posting(self.store, item.article_id, item.guild_id, channel.id)
        if found is not None:
            posted = Posted(*found, new=False)
        elif isinstance(channel, discord.ForumChannel):
            posted = Posted(*await self.edge.post_forum_card(channel, name, embed, view), new=True)
        else:
            posted = Posted(await self.edge.post_card(channel, embed, view), None, new=True)
        await feed.mark_posted(
            self.store,
            item.article_id,
            item.guild_id,
            message_id=posted.message_id,
            thread_id=posted.thread_id,
            content_hash=item.content_hash,
        )
        log.info("announced %s in guild %s channel %s", item.key, item.guild_id, channel.id)
        return posted

    async def refresh(self, item: feed.Pending) -> None:
        """The article changed: the card shows the new counts; it is not announced again."""
        card = await self._card(item.key)
        if card is None or item.message_id is None:
            return
        embed, _view = card
        if not await self.edge.edit_card(item.thread_id or item.channel_id, item.message_id, embed):
            log.info(
                "feed: the card of %s in %s was deleted; not reposting", item.key, item.channel_id
            )
        await feed.mark_posted(
            self.store,
            item.article_id,
            item.guild_id,
            message_id=item.message_id,
            thread_id=item.thread_id,
            content_hash=item.content_hash,
        )
