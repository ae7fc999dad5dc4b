"""The one door to Discord for everything threadreplay posts: cards, comments, threads, and undoing them.

Every call goes through the pacer (so nothing runs past Discord's limits) and every failure is mapped
here, once, to what the caller should do about it:

- `Transient` — worth retrying, after reading back what may have reached Discord (5xx, a timeout, a
  connection reset, a webhook someone deleted: it is recreated on the next call);
- `PauseReplay` — only a person can fix it (a deleted channel, a removed permission); `Refused` is the
  400 kind, which the same request would get again (AutoMod, a form error);
- `Gone` — the message is not there any more: nothing left to do for it (the caller gives up on it with
  a reason in the log).

PluralKit keeps its Discord calls behind one such edge; the engine, `/replay update`, `/replay undo`
and the feed's announcements all use this one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import aiohttp
import discord

from bot import render
from bot.replay.pacer import Pacer
from bot.replay.webhooks import WebhookCache

log = logging.getLogger(__name__)

T = TypeVar("T")

THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
THREAD_ALREADY_CREATED = 160004  # "A thread has already been created for this message"
MAX_ACTIVE_THREADS = 160006  # "Maximum number of active threads reached"
CARD_READ_BACK = 50  # messages looked at for a card posted before a crash

Target = discord.TextChannel | discord.ForumChannel


class PauseReplay(Exception):
    """Something only a person can fix (a deleted channel, a removed permission): pause with a reason."""


class Refused(PauseReplay):
    """Discord refused the request itself (400): sending it again would be refused again."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"Discord refused the request (error {code}: {text})")
        self.code = code
        self.text = text


class Transient(Exception):
    """A failure worth retrying after reconciling (5xx, timeout, connection reset)."""


class Gone(Exception):
    """The message is not there any more (deleted by someone): nothing left to do for it."""


def mapped(exc: Exception) -> Exception:
    """What a failed Discord call means for the caller (see the module's docstring)."""
    if isinstance(exc, discord.Forbidden):
        return PauseReplay(
            f"missing permission in the channel (Discord error {exc.code}: {exc.text})"
        )
    if isinstance(exc, discord.NotFound):
        if exc.code == UNKNOWN_MESSAGE:
            return Gone("the message was deleted")
        if exc.code == UNKNOWN_WEBHOOK:
            return Transient("the webhook was deleted; recreating it")
        return PauseReplay("the channel or thread was deleted")
    if isinstance(exc, discord.DiscordServerError):
        return Transient(f"Discord error {exc.status}")
    if isinstance(exc, discord.HTTPException) and exc.status == 400:
        return Refused(exc.code, exc.text)
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return Transient(type(exc).__name__)
    return exc


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    """The link to a message (what a "replying to" line points at)."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class Edge:
    """Paced, failure-mapped Discord calls, shared by every replay and the feed of one bot."""

    def __init__(self, client: discord.Client, pacer: Pacer) -> None:
        self.client = client
        self.pacer = pacer
        self.webhooks = WebhookCache(client, pacer)

    @property
    def me(self) -> int | None:
        """The bot's own user id (None before login)."""
        return self.client.user.id if self.client.user is not None else None

    async def _call(self, awaitable: Awaitable[T], *, webhook_of: int | None = None) -> T:
        """Await one Discord call, raising the mapped failure; a deleted webhook is forgotten."""
        try:
            return await awaitable
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            if (
                webhook_of is not None
                and isinstance(exc, discord.NotFound)
                and exc.code == UNKNOWN_WEBHOOK
            ):
                self.webhooks.forget(
                    webhook_of
                )  # deleted by someone: the next call makes a new one
            failure = mapped(exc)
            if failure is exc:
                raise
            raise failure from None

    # ---- channels --------------------------------------------------------------------------------

    async def channel(self, channel_id: int) -> discord.abc.GuildChannel | discord.Thread:
        """A channel or thread of a server, from the cache or asked of Discord."""
        found = self.client.get_channel(channel_id)
        if found is None:
            try:
                await self.pacer.request()
                found = await self.client.fetch_channel(channel_id)
            except discord.NotFound:
                raise PauseReplay("the channel or thread was deleted") from None
            except discord.Forbidden:
                raise PauseReplay(
                    "the bot can no longer see the channel (View Channel was removed)"
                ) from None
        if not isinstance(found, discord.abc.GuildChannel | discord.Thread):
            raise PauseReplay("the channel is not a server channel")  # replays live in servers
        return found

    async def target(self, channel_id: int) -> Target:
        """A channel replays and cards are posted in (a text or forum channel)."""
        channel = await self.channel(channel_id)
        if not isinstance(channel, Target):
            raise PauseReplay("the target is no longer a text or forum channel")
        return channel

    async def history(
        self, location: int, *, after: int, limit: int = 100
    ) -> list[discord.Message]:
        """Messages of a channel or thread posted after message `after` (0: from the start), oldest first."""
        channel = await self.channel(location)
        assert isinstance(channel, discord.TextChannel | discord.Thread)  # where comments go
        await self.pacer.request()

        async def read() -> list[discord.Message]:
            start = discord.Object(after) if after else None
            return [m async for m in channel.history(after=start, limit=limit, oldest_first=True)]

        return await self._call(read())

    # ---- cards -----------------------------------------------------------------------------------

    async def post_card(
        self, channel: discord.TextChannel, embed: discord.Embed, view: discord.ui.View
    ) -> int:
        """Post an article card; returns its message id."""
        await self.pacer.request()
        message = await self._call(
            channel.send(embed=embed, view=view, allowed_mentions=render.NO_MENTIONS)
        )
        return message.id

    async def post_forum_card(
        self, forum: discord.ForumChannel, name: str, embed: discord.Embed, view: discord.ui.View
    ) -> tuple[int, int]:
        """Start a forum post whose first message is the card; returns (message id, thread id)."""
        await self.pacer.request()
        created = await self._call(
            forum.create_thread(
                name=name, embed=embed, view=view, allowed_mentions=render.NO_MENTIONS
            )
        )
        return created.message.id, created.thread.id

    async def find_card(
        self, channel: Target, key: str, name: str
    ) -> tuple[int, int | None] | None:
        """The card of article `key` the bot posted before a crash: (message id, forum thread id).

        A card says which article it shows (`render.card_key`). In a text channel it is among the
        last messages; in a forum it starts a post of the bot's named `name`.
        """
        me = self.me
        if isinstance(channel, discord.ForumChannel):
            for thread in channel.threads:
                if thread.owner_id != me or thread.name != name:
                    continue
                try:
                    await self.pacer.request()
                    starter = await self._call(thread.fetch_message(thread.id))
                except (Gone, PauseReplay, Transient):
                    continue
                if render.card_key(starter) == key:
                    return starter.id, thread.id
            return None
        await self.pacer.request()

        async def read() -> int | None:
            async for message in channel.history(limit=CARD_READ_BACK):
                if message.author.id == me and render.card_key(message) == key:
                    return message.id
            return None

        found = await self._call(read())
        return (found, None) if found is not None else None

    async def edit_card(self, location: int, message_id: int, embed: discord.Embed) -> bool:
        """Show new counts on a posted card; False when the card was deleted."""
        where = self.client.get_partial_messageable(location)
        await self.pacer.request()
        try:
            await self._call(where.get_partial_message(message_id).edit(embed=embed))
        except Gone:
            return False
        return True

    async def delete_message(self, channel_id: int, message_id: int, reason: str) -> bool:
        """Delete one of the bot's own messages (a card); False when it was already gone."""
        await self.pacer.request()
        try:
            await self.client.http.delete_message(channel_id, message_id, reason=reason)
        except discord.NotFound:
            return False
        return True

    # ---- comments (through the channel's webhook) -----------------------------------------------

    async def send_comment(
        self,
        parent: Target,
        location: int,
        content: str,
        *,
        username: str,
        avatar_url: str | None,
        suppress_embeds: bool,
        before: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        """Post one comment message through the parent's webhook into `location` (it or a thread).

        `before` runs once the webhook is found and the pacer has let the message go, right before the
        request (the engine's write-ahead): a stop that comes while waiting leaves nothing sent.
        """
        hook = await self._call(
            self.webhooks.get(parent)
        )  # before pacing: finding it is requests too
        thread = discord.Object(location) if location != parent.id else discord.utils.MISSING
        async with self.pacer.webhook_message(parent.id):
            if before is not None:
                await before()
            message = await self._call(
                hook.send(
                    content,
                    username=username,
                    avatar_url=avatar_url or discord.utils.MISSING,
                    suppress_embeds=suppress_embeds,
                    wait=True,
                    allowed_mentions=render.NO_MENTIONS,
                    thread=thread,
                ),
                webhook_of=parent.id,
            )
        return message.id

    async def edit_comment(
        self, parent: Target, location: int, message_id: int, content: str
    ) -> bool:
        """Edit a posted comment message; False when it is gone."""
        return await self._on_message(parent, location, message_id, content)

    async def delete_comment(self, parent: Target, location: int, message_id: int) -> bool:
        """Delete a posted comment message; False when it was already gone."""
        return await self._on_message(parent, location, message_id, None)

    async def _on_message(
        self, parent: Target, location: int, message_id: int, content: str | None
    ) -> bool:
        thread = discord.Object(location) if location != parent.id else discord.utils.MISSING
        for attempt in range(2):  # a deleted webhook is recreated once
            hook = await self._call(self.webhooks.get(parent))
            await self.pacer.request()
            try:
                if content is None:
                    await self._call(
                        hook.delete_message(message_id, thread=thread), webhook_of=parent.id
                    )
                else:
                    await self._call(
                        hook.edit_message(
                            message_id,
                            content=content,
                            thread=thread,
                            allowed_mentions=render.NO_MENTIONS,
                        ),
                        webhook_of=parent.id,
                    )
                return True
            except Gone:
                return False
            except Transient:
                if attempt or self.webhooks.known(parent.id):
                    raise  # not a deleted webhook, or a second one: the caller decides
            except PauseReplay:
                if location == parent.id:
                    raise
                return False  # its thread was deleted: the message went with it
        return False

    # ---- threads ---------------------------------------------------------------------------------

    async def open_thread(
        self, channel: discord.TextChannel, message_id: int, name: str, *, fallback: str | None
    ) -> int:
        """Start a thread from a message (its id is the message's id, which makes it idempotent).

        A name Discord refuses (AutoMod's 200001 "Title was blocked", say: the name is the comment's
        first words) is replaced by `fallback`, a name made of the author's alone.
        """
        await self.pacer.request()
        try:
            thread = await self._call(
                channel.get_partial_message(message_id).create_thread(
                    name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
                )
            )
        except Refused as exc:
            if exc.code == THREAD_ALREADY_CREATED:
                return message_id  # created before a crash: a message's thread has the message's id
            if exc.code == MAX_ACTIVE_THREADS:
                raise PauseReplay(
                    "this server has reached Discord's limit of 1000 active threads; archive some,"
                    " then resume"
                ) from None
            if fallback is None:
                raise
            log.info("thread name refused (%s); using %r", exc, fallback)
            return await self.open_thread(channel, message_id, fallback[:100], fallback=None)
        return thread.id

    async def set_archived(self, thread_id: int, archived: bool) -> None:
        """Archive a thread, or reopen one (Discord refuses edits in archived threads: 50083).

        Best effort: a thread that cannot be changed is logged and left as it is.
        """
        await self.pacer.request()
        try:
            thread = await self.channel(thread_id)
            # The cache may not know a thread was archived; reopening is cheap, so always ask.
            if isinstance(thread, discord.Thread) and (not archived or not thread.archived):
                await self._call(thread.edit(archived=archived))
        except (PauseReplay, Transient, discord.HTTPException) as exc:
            log.info("could not set thread %s archived=%s: %s", thread_id, archived, exc)

    async def delete_thread(self, thread_id: int, reason: str) -> bool:
        """Delete a thread the bot made; False when it was already gone."""
        await self.pacer.request()
        try:
            await self.client.http.delete_channel(thread_id, reason=reason)
        except discord.NotFound:
            return False
        return True
