"""The replay engine: posts a replay's frozen steps through the channel's webhook, exactly once.

Write-ahead: before each message the ledger records that it is about to be sent; after it, its id. A
step found "sending" on resume (the process died mid-request, or a request timed out) is reconciled by
reading back the messages posted after the last one the ledger knows, before anything is sent again.

The runner decides what to post next; `Progress` keeps the ledger and its copy in memory equal, and
every Discord call goes through the `Edge`, which paces it and says what a failure means.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot import render
from bot.replay.edge import Edge, PauseReplay, Refused, Transient
from bot.replay.plan import STEADY_INTERVAL, natural_delay
from bot.replay.progress import Progress
from storage.feed import get_settings
from storage.models import Pace, ReplayState, StepStatus
from storage.replays import ReplayStep

log = logging.getLogger(__name__)

MAX_TRANSIENT_RETRIES = 5
BACKOFF = (1.0, 2.0, 4.0, 8.0, 16.0)
# The start of the pause reason when Discord refuses a comment's message with a 400 (AutoMod's
# 200000 "Message was blocked by automatic moderation", or a form error): the same request would
# be refused again, so only a person can decide. `/replay resume skip:true` checks for it.
REFUSED = "Discord refused comment "
# What `/replay resume skip:true` posts in place of the refused message.
PLACEHOLDER = (
    "-# *This comment could not be posted here: Discord refused it. It stays in the archive.*"
)

CardFactory = Callable[[], Awaitable[tuple[discord.Embed, discord.ui.View]]]


async def link_previews(progress: Progress) -> bool:
    """The server's setting: whether replayed comments may show link previews."""
    return (await get_settings(progress.store, progress.replay.guild_id)).link_previews


class ReplayRunner:
    """Runs one replay to its end, a pause or a stop."""

    def __init__(self, edge: Edge, progress: Progress, title: str, card: CardFactory) -> None:
        self.edge = edge
        self.progress = progress
        self.title = title
        self.card = card
        self.link_previews = True  # the server's setting, read when the run starts
        self.halt_reason: str | None = None  # set by pause/stop: leave at the next safe point
        self.halt_state = ReplayState.paused
        self.open_thread: int | None = None  # the reply thread being filled (threads mode)

    @property
    def replay_id(self) -> int:
        """The ledger's id of the replay being run."""
        return self.progress.replay.id

    def request_halt(self, state: ReplayState, reason: str) -> None:
        """Ask the runner to leave after the message in flight, recording `state` ('running': shutdown)."""
        self.halt_state = state
        self.halt_reason = reason

    # ---- the run ---------------------------------------------------------------------------------

    async def run(self) -> ReplayState:
        """Post every remaining step; returns the final state (finished, paused or stopped)."""
        progress = self.progress
        try:
            await self._prepare()
            for step in progress.steps:
                if self.halt_reason:
                    return await self._halt(self.halt_state, self.halt_reason)
                if step.status == StepStatus.done and not (
                    step.opens_thread and step.thread_id is None
                ):
                    continue  # posted; a thread it should open (creation failed before) is made below
                await self._post_step(step)
                await self._pace_delay(step)
            await self._archive_open_thread()
            if progress.replay.container_thread_id:
                await self.edge.set_archived(progress.replay.container_thread_id, True)
            await progress.leave(ReplayState.finished, None)
            log.info("replay %s finished (%d comments)", self.replay_id, len(progress.steps))
            return ReplayState.finished
        except PauseReplay as exc:
            log.warning("replay %s paused: %s", self.replay_id, exc)
            return await self._halt(ReplayState.paused, str(exc))

    async def _halt(self, state: ReplayState, reason: str) -> ReplayState:
        if state == ReplayState.running:
            return state  # shutting down: the ledger keeps it running, so a restart resumes it
        await self.progress.leave(state, reason)
        return state

    async def _pace_delay(self, step: ReplayStep) -> None:
        pace = Pace(self.progress.replay.pace)
        if pace is Pace.steady:
            await self.edge.pacer.sleep(STEADY_INTERVAL)
        elif pace is Pace.natural:
            await self.edge.pacer.sleep(natural_delay("\n".join(step.parts)))

    async def _parent(self) -> discord.TextChannel | discord.ForumChannel:
        return await self.edge.target(self.progress.replay.channel_id)

    # ---- card and container ------------------------------------------------------------------------

    async def _prepare(self) -> None:
        """Post the card (unless the replay started from it) and the container thread if any."""
        self.link_previews = await link_previews(self.progress)
        r = self.progress.replay
        if r.channel_kind == "forum":
            if r.container_thread_id is None:
                await self._post_card()
            return
        if r.card_message_id is None:
            await self._post_card()
        r = self.progress.replay
        if r.mode == "single" and r.container_thread_id is None:
            assert r.card_message_id is not None  # posted just above
            channel = await self._parent()
            assert isinstance(channel, discord.TextChannel)  # forums returned above
            name = render.clip(self.title, render.THREAD_NAME)
            thread = await self.edge.open_thread(channel, r.card_message_id, name, fallback=None)
            await self.progress.container(thread)

    async def _post_card(self) -> None:
        """Post the card (in a forum: the post it starts), adopting one posted before a crash."""
        progress = self.progress
        channel = await self._parent()
        embed, view = await self.card()
        name = render.clip(self.title, render.THREAD_NAME)
        found = None
        if progress.replay.card_posted:  # posted before a crash, maybe: look before posting again
            found = await self.edge.find_card(channel, progress.replay.article_key, name)
        if found is None:
            await progress.card_posting()
            if isinstance(channel, discord.ForumChannel):
                found = await self.edge.post_forum_card(channel, name, embed, view)
            else:
                found = (await self.edge.post_card(channel, embed, view), None)
        message_id, thread_id = found
        await progress.card_posted(message_id)
        if thread_id is not None:
            await progress.container(thread_id)

    # ---- steps -----------------------------------------------------------------------------------

    async def _post_step(self, step: ReplayStep) -> None:
        progress = self.progress
        location = progress.location(step)
        if self.open_thread is not None and self.open_thread != location:
            await self._archive_open_thread()  # the thread we were filling is complete
        if step.in_thread and not progress.replay.container_thread_id:
            self.open_thread = (
                location  # after a resume too: archived when the next top level starts
            )
        for attempt in range(MAX_TRANSIENT_RETRIES + 1):
            try:
                if step.status == StepStatus.sending:
                    found = await self._reconcile(step, location)
                    await progress.posted(step, step.message_ids + found)
                while len(step.message_ids) < len(step.parts):
                    message = await self._send(step, len(step.message_ids), location)
                    await progress.posted(step, [*step.message_ids, message])
                break
            except Transient as exc:
                if attempt == MAX_TRANSIENT_RETRIES:
                    raise PauseReplay(
                        f"Discord kept failing ({exc}); resume to try again"
                    ) from None
                log.info("replay %s: transient error (%s), retrying", self.replay_id, exc)
                await self.edge.pacer.sleep(BACKOFF[attempt])
        step.status, step.location_id = StepStatus.done, location
        if step.opens_thread and step.thread_id is None:
            channel = await self._parent()
            assert isinstance(channel, discord.TextChannel)  # threads mode is text channels only
            thread = await self.edge.open_thread(
                channel,
                step.message_ids[0],
                step.opens_thread,
                fallback=f"Replies to {step.username}",
            )
            await progress.thread_opened(step, thread)

    async def _send(self, step: ReplayStep, part: int, location: int) -> int:
        """Post part `part` of a step through the channel's webhook; returns the message id.

        The step is marked 'sending' only once the webhook is found and the pacer has let the message
        go: a stop that comes while waiting for a slot leaves nothing to read back on the next start.
        """

        async def write_ahead() -> None:
            await self.progress.sending(step, part, location)

        try:
            return await self.edge.send_comment(
                await self._parent(),
                location,
                self.progress.content(step, part),
                username=step.username,
                avatar_url=step.avatar_url,
                suppress_embeds=not self.link_previews,
                before=write_ahead,
            )
        except Refused as exc:
            raise PauseReplay(
                f"{REFUSED}{step.seq + 1} (error {exc.code}: {exc.text}); resume to try again, or"
                " resume with skip:true to post a placeholder for it and go on"
            ) from None

    async def _reconcile(self, step: ReplayStep, location: int) -> list[int]:
        """Ids of this step's parts that reached Discord although the ledger did not learn of them."""
        progress = self.progress
        expected = [
            progress.content(step, k) for k in range(len(step.message_ids), len(step.parts))
        ]
        found: list[int] = []
        for message in await self.edge.history(location, after=progress.last_known(location)):
            if len(found) == len(expected):
                break
            if message.webhook_id is not None and message.content == expected[len(found)]:
                found.append(message.id)
        if found:
            log.info(
                "replay %s: step %d had %d message(s) already posted",
                self.replay_id,
                step.seq,
                len(found),
            )
        return found

    async def _archive_open_thread(self) -> None:
        """Archive a finished reply thread so replays never crowd the server's 1000 active threads."""
        if self.open_thread is not None:
            await self.edge.set_archived(self.open_thread, True)
            self.open_thread = None
