"""The replay engine: posts a replay's frozen steps through the channel's webhook, exactly once.

Write-ahead: before each message the ledger records that it is about to be sent; after it, its id. A
step found "sending" on resume (the process died mid-request, or a request timed out) is reconciled by
reading back the messages posted after the last one the ledger knows, before anything is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import aiohttp
import discord

from bot import render
from bot.replay.pacer import Pacer
from bot.replay.plan import STEADY_INTERVAL, natural_delay, reply_line
from bot.replay.webhooks import WebhookCache
from storage import replays as ledger
from storage.db import Storage
from storage.feed import get_settings
from storage.models import Pace, StepStatus
from storage.replays import Replay, ReplayStep

log = logging.getLogger(__name__)

MAX_TRANSIENT_RETRIES = 5
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0)
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
THREAD_ALREADY_CREATED = 160004  # "A thread has already been created for this message"
MAX_ACTIVE_THREADS = 160006  # "Maximum number of active threads reached"
UNKNOWN_WEBHOOK = 10015
# The start of the pause reason when Discord refuses a comment's message with a 400 (AutoMod's
# 200000 "Message was blocked by automatic moderation", or a form error): the same request would
# be refused again, so only a person can decide. `/replay resume skip:true` checks for it.
REFUSED = "Discord refused comment "
# What `/replay resume skip:true` posts in place of the refused message.
PLACEHOLDER = (
    "-# *This comment could not be posted here: Discord refused it. It stays in the archive.*"
)
UNKNOWN_CHANNEL = 10003

T = TypeVar("T")
CardFactory = Callable[[], Awaitable[tuple[discord.Embed, discord.ui.View]]]


class PauseReplay(Exception):
    """Something only a person can fix (a deleted channel, a removed permission): pause with a reason."""


class Transient(Exception):
    """A failure worth retrying after reconciling (5xx, timeout, connection reset)."""


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    """The link to a message (what a "replying to" line points at)."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


class ReplayRunner:
    """Runs one replay to its end, a pause or a stop."""

    def __init__(
        self,
        client: discord.Client,
        store: Storage,
        pacer: Pacer,
        webhooks: WebhookCache,
        replay: Replay,
        steps: list[ReplayStep],
        title: str,
        card: CardFactory,
    ) -> None:
        self.client = client
        self.store = store
        self.pacer = pacer
        self.webhooks = webhooks
        self.replay = replay
        self.steps = steps
        self.card = card
        self.title = title
        self.link_previews = True  # the server's setting, read when the run starts
        self.halt_reason: str | None = None  # set by pause/stop: leave at the next safe point
        self.halt_state: str = "paused"
        self.open_thread: int | None = (
            None  # the reply thread currently being filled (threads mode)
        )

    # ---- progress -------------------------------------------------------------------------------

    @property
    def done(self) -> int:
        """Steps fully posted."""
        return sum(1 for s in self.steps if s.status == "done")

    def remaining_messages(self) -> int:
        """Messages still to post."""
        return sum(len(s.parts) - len(s.message_ids) for s in self.steps if s.status != "done")

    def request_halt(self, state: str, reason: str) -> None:
        """Ask the runner to leave after the message in flight, recording `state` ('running': shutdown)."""
        self.halt_state = state
        self.halt_reason = reason

    # ---- the run ---------------------------------------------------------------------------------

    async def run(self) -> str:
        """Post every remaining step; returns the final state ('finished', 'paused' or 'stopped')."""
        try:
            await self._prepare()
            for step in self.steps:
                if self.halt_reason:
                    return await self._halt(self.halt_state, self.halt_reason)
                if step.status == "done" and not (step.opens_thread and step.thread_id is None):
                    continue  # posted; a thread it should open (creation failed before) is made below
                await self._post_step(step)
                await self._pace_delay(step)
            await self._archive_open_thread()
            if self.replay.container_thread_id:
                await self._archive(self.replay.container_thread_id)
            await ledger.update_replay(self.store, self.replay.id, state="finished", reason=None)
            log.info("replay %s finished (%d comments)", self.replay.id, len(self.steps))
            return "finished"
        except PauseReplay as exc:
            log.warning("replay %s paused: %s", self.replay.id, exc)
            return await self._halt("paused", str(exc))

    async def _halt(self, state: str, reason: str) -> str:
        if (
            state == "running"
        ):  # shutting down: the ledger keeps it running, so a restart resumes it
            return state
        await ledger.update_replay(self.store, self.replay.id, state=state, reason=reason)
        self.replay = self.replay.model_copy(update={"state": state, "reason": reason})
        return state

    async def _pace_delay(self, step: ReplayStep) -> None:
        pace = Pace(self.replay.pace)
        if pace is Pace.steady:
            await self.pacer.sleep(STEADY_INTERVAL)
        elif pace is Pace.natural:
            await self.pacer.sleep(natural_delay("\n".join(step.parts)))

    # ---- Discord objects ---------------------------------------------------------------------------

    async def _channel(self, channel_id: int) -> discord.abc.GuildChannel | discord.Thread:
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

    async def parent_channel(self) -> discord.TextChannel | discord.ForumChannel:
        channel = await self._channel(self.replay.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise PauseReplay("the target is no longer a text or forum channel")
        return channel

    # ---- card and container ------------------------------------------------------------------------

    async def read_settings(self) -> None:
        """The server's settings that change how comments are posted (link previews)."""
        self.link_previews = (await get_settings(self.store, self.replay.guild_id)).link_previews

    async def _prepare(self) -> None:
        """Post the card (unless the replay started from it) and the container thread if any."""
        r = self.replay
        await self.read_settings()
        if r.channel_kind == "forum":
            if r.container_thread_id is None:
                await self._create_forum_post()
            return
        if r.card_message_id is None:
            await self._post_card()
        if r.mode == "single" and r.container_thread_id is None:
            assert self.replay.card_message_id is not None
            name = render.clip(self.title, render.THREAD_NAME)
            await self._set_container(
                await self._open_thread_from(self.replay.card_message_id, name)
            )

    async def _post_card(self) -> None:
        """Post the article card in the channel, adopting one posted before a crash if there is one."""
        channel = await self.parent_channel()
        assert isinstance(channel, discord.TextChannel)  # a forum's card starts its post instead
        embed, view = await self.card()
        if (
            self.replay.card_posted
        ):  # posted before a crash, maybe: look for it before posting again
            async for message in channel.history(limit=50):
                if message.author.id == getattr(self.client.user, "id", None) and any(
                    e.footer.text == embed.footer.text for e in message.embeds
                ):
                    await self._set_card(message.id)
                    return
        await ledger.update_replay(self.store, self.replay.id, card_posted=1)
        self.replay = self.replay.model_copy(update={"card_posted": True})
        await self.pacer.request()
        message = await self._call(
            channel.send(embed=embed, view=view, allowed_mentions=render.NO_MENTIONS)
        )
        await self._set_card(message.id)

    async def _set_card(self, message_id: int) -> None:
        await ledger.update_replay(self.store, self.replay.id, card_message_id=message_id)
        self.replay = self.replay.model_copy(update={"card_message_id": message_id})

    async def _create_forum_post(self) -> None:
        """A forum replay is one post whose starter message is the card."""
        forum = await self.parent_channel()
        assert isinstance(forum, discord.ForumChannel)
        embed, view = await self.card()
        name = render.clip(self.title, render.THREAD_NAME)
        if self.replay.card_posted:
            for thread in forum.threads:
                if thread.owner_id == getattr(self.client.user, "id", None) and thread.name == name:
                    await self._set_container(thread.id)
                    return
        await ledger.update_replay(self.store, self.replay.id, card_posted=1)
        self.replay = self.replay.model_copy(update={"card_posted": True})
        await self.pacer.request()
        created = await self._call(
            forum.create_thread(
                name=name, embed=embed, view=view, allowed_mentions=render.NO_MENTIONS
            )
        )
        await self._set_card(created.message.id)
        await self._set_container(created.thread.id)

    async def _set_container(self, thread_id: int) -> None:
        await ledger.update_replay(self.store, self.replay.id, container_thread_id=thread_id)
        self.replay = self.replay.model_copy(update={"container_thread_id": thread_id})

    # ---- steps -----------------------------------------------------------------------------------

    def _location(self, step: ReplayStep) -> int:
        if not step.in_thread:
            return self.replay.channel_id
        if self.replay.container_thread_id:
            return self.replay.container_thread_id
        root = self.steps[step.root_seq]
        if root.thread_id is None:
            raise PauseReplay(
                f"the thread for comment #{root.comment_index + 1} is missing from the ledger"
            )
        return root.thread_id

    def content(self, step: ReplayStep, part: int) -> str:
        """Message `part` of a step as posted: the "replying to" line (with its link) then the body."""
        body = step.parts[part]
        if part or (step.reply_to_seq is None and not step.context):
            return body
        if step.reply_to_seq is None:
            return f"{reply_line(None, None, step.context)}\n{body}"
        parent = self.steps[step.reply_to_seq]
        url = (
            jump_url(self.replay.guild_id, parent.location_id, parent.message_ids[0])
            if parent.message_ids and parent.location_id
            else None
        )
        return f"{reply_line(parent.username, url, step.context)}\n{body}"

    async def _post_step(self, step: ReplayStep) -> None:
        location = self._location(step)
        if self.open_thread is not None and self.open_thread != location:
            await self._archive_open_thread()  # the thread we were filling is complete
        if step.in_thread and not self.replay.container_thread_id:
            self.open_thread = (
                location  # after a resume too: archived when the next top level starts
            )
        ids = list(step.message_ids)
        for attempt in range(MAX_TRANSIENT_RETRIES + 1):
            try:
                if step.status == "sending":
                    ids += await self._reconcile(step, location, ids)
                    step.status = StepStatus.pending
                    await ledger.step_posted(
                        self.store, self.replay.id, step.seq, ids, done=len(ids) == len(step.parts)
                    )
                while len(ids) < len(step.parts):
                    message = await self._send(step, len(ids), location)
                    ids.append(message)
                    step.message_ids = list(ids)
                    done = len(ids) == len(step.parts)
                    await ledger.step_posted(self.store, self.replay.id, step.seq, ids, done=done)
                    step.status = StepStatus.done if done else StepStatus.pending
                break
            except Transient as exc:
                if attempt == MAX_TRANSIENT_RETRIES:
                    raise PauseReplay(
                        f"Discord kept failing ({exc}); resume to try again"
                    ) from None
                log.info("replay %s: transient error (%s), retrying", self.replay.id, exc)
                await self.pacer.sleep(BACKOFF[attempt])
        step.status, step.message_ids, step.location_id = StepStatus.done, ids, location
        if step.opens_thread and step.thread_id is None:
            step.thread_id = await self._open_thread_from(
                ids[0], step.opens_thread, fallback=f"Replies to {step.username}"
            )
            await ledger.step_thread(self.store, self.replay.id, step.seq, step.thread_id)

    async def _send(self, step: ReplayStep, part: int, location: int) -> int:
        """Post part `part` of a step through the channel's webhook; returns the message id.

        The step is marked 'sending' only once the webhook is found and the pacer has let the message
        go: a stop that comes while waiting for a slot leaves nothing to read back on the next start.
        """
        content = self.content(step, part)
        parent = await self.parent_channel()
        hook = await self._call(
            self.webhooks.get(parent)
        )  # before pacing: finding it is requests too
        thread = discord.Object(location) if location != parent.id else discord.utils.MISSING
        try:
            async with self.pacer.webhook_message(parent.id):
                await ledger.step_sending(self.store, self.replay.id, step.seq, part, location)
                step.status, step.location_id = StepStatus.sending, location
                message = await self._call(
                    hook.send(
                        content,
                        username=step.username,
                        avatar_url=step.avatar_url or discord.utils.MISSING,
                        suppress_embeds=not self.link_previews,
                        wait=True,
                        allowed_mentions=render.NO_MENTIONS,
                        thread=thread,
                    )
                )
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_WEBHOOK:
                self.webhooks.forget(parent.id)  # deleted by someone: make a new one and try again
                raise Transient("the webhook was deleted; recreating it") from None
            raise
        except discord.HTTPException as exc:
            if exc.status != 400:
                raise
            raise PauseReplay(
                f"{REFUSED}{step.seq + 1} (error {exc.code}: {exc.text}); resume to try again, or"
                " resume with skip:true to post a placeholder for it and go on"
            ) from None
        return message.id

    async def _reconcile(self, step: ReplayStep, location: int, ids: list[int]) -> list[int]:
        """Ids of this step's parts that reached Discord although the ledger did not learn of them."""
        after = max(
            [m for s in self.steps if s.location_id == location for m in s.message_ids]
            + (
                [self.replay.card_message_id]
                if location == self.replay.channel_id and self.replay.card_message_id
                else []
            )
            + [location if location != self.replay.channel_id else 0],
            default=0,
        )
        channel = await self._channel(location)
        assert isinstance(channel, discord.TextChannel | discord.Thread)
        expected = [self.content(step, k) for k in range(len(ids), len(step.parts))]
        found: list[int] = []
        await self.pacer.request()
        history = channel.history(
            after=discord.Object(after) if after else None, limit=100, oldest_first=True
        )
        async for message in history:
            if len(found) == len(expected):
                break
            if message.webhook_id is not None and message.content == expected[len(found)]:
                found.append(message.id)
        if found:
            log.info(
                "replay %s: step %d had %d message(s) already posted",
                self.replay.id,
                step.seq,
                len(found),
            )
        return found

    # ---- threads ---------------------------------------------------------------------------------

    async def _open_thread_from(
        self, message_id: int, name: str, *, fallback: str | None = None
    ) -> int:
        """Start a thread from a message (its id is the message's id, which makes it idempotent).

        A name Discord refuses (AutoMod's 200001 "Title was blocked", say: the name is the
        comment's first words) is replaced by `fallback`, a name made of the author's alone.
        """
        channel = await self.parent_channel()
        assert isinstance(channel, discord.TextChannel)
        await self.pacer.request()
        try:
            thread = await self._call(
                channel.get_partial_message(message_id).create_thread(
                    name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
                )
            )
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_CREATED:
                return message_id  # created before a crash: a message's thread has the message's id
            if exc.code == MAX_ACTIVE_THREADS:
                raise PauseReplay(
                    "this server has reached Discord's limit of 1000 active threads; archive some, then resume"
                ) from None
            if exc.status == 400 and fallback is not None:
                log.info(
                    "replay %s: thread name refused (%s); using %r", self.replay.id, exc, fallback
                )
                return await self._open_thread_from(message_id, fallback[:100])
            raise
        return thread.id

    async def _archive_open_thread(self) -> None:
        if self.open_thread is not None:
            await self._archive(self.open_thread)
            self.open_thread = None

    async def _archive(self, thread_id: int) -> None:
        """Archive a finished thread so replays never crowd the server's 1000 active threads."""
        await self.set_archived(thread_id, True)

    async def set_archived(self, thread_id: int, archived: bool) -> None:
        """Archive a thread, or reopen one (Discord refuses edits in archived threads: 50083)."""
        await self.pacer.request()
        try:
            thread = await self._channel(thread_id)
            # The cache may not know a thread was archived; reopening is cheap, so always ask.
            if isinstance(thread, discord.Thread) and (not archived or not thread.archived):
                await self._call(thread.edit(archived=archived))
        except (PauseReplay, discord.HTTPException) as exc:
            log.info(
                "replay %s: could not set thread %s archived=%s: %s",
                self.replay.id,
                thread_id,
                archived,
                exc,
            )

    # ---- errors ----------------------------------------------------------------------------------

    async def _call(self, awaitable: Awaitable[T]) -> T:
        """Await a Discord call, mapping failures to Transient (retry) or PauseReplay (a person must act)."""
        try:
            return await awaitable
        except discord.Forbidden as exc:
            raise PauseReplay(
                f"missing permission in the channel (Discord error {exc.code}: {exc.text})"
            ) from None
        except discord.NotFound as exc:
            if exc.code == UNKNOWN_WEBHOOK:
                raise
            raise PauseReplay("the channel or thread was deleted") from None
        except discord.DiscordServerError as exc:
            raise Transient(f"Discord error {exc.status}") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Transient(type(exc).__name__) from None
