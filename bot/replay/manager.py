"""The replay service: one runner per channel, started, paused, resumed, stopped, updated, undone, and
resumed at start. Every Discord call it makes goes through the edge."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import discord

from bot.errors import UserError
from bot.replay.edge import Edge, PauseReplay, Transient
from bot.replay.engine import PLACEHOLDER, REFUSED, CardFactory, ReplayRunner, link_previews
from bot.replay.plan import Plan, build_plan, estimate_seconds, ledger_row
from bot.replay.progress import Progress
from bot.replay.update import REMOVED_PLACEHOLDER, UpdateReport, diff
from bot.shards import serves
from storage import queries
from storage import replays as ledger
from storage.db import Storage
from storage.errors import StorageError
from storage.models import Mode, Pace, ReplayState, StepStatus
from storage.replays import LEASE_SECONDS, LeaseLost, Replay, ReplayStep

log = logging.getLogger(__name__)

CardFactoryMaker = Callable[[Replay], CardFactory]
HALT_GRACE = 5.0  # seconds a runner gets to finish the message in flight when the bot shuts down
DISCORD_EPOCH_MS = 1420070400000  # snowflakes count milliseconds from 2015-01-01 (Discord's epoch)


@dataclass
class Status:
    """What `/replay status` shows."""

    replay: Replay
    done: int
    total: int
    remaining_messages: int
    eta_seconds: float
    running: bool


def plan_steps(plan: Plan) -> list[dict[str, object]]:
    """A plan as ledger rows (frozen when the replay starts)."""
    seq_of = {s.comment.index: s.seq for s in plan.steps}
    return [
        ledger_row(s, s.seq, seq_of[s.root], seq_of[s.reply_to] if s.reply_to is not None else None)
        for s in plan.steps
    ]


class ReplayManager:
    """Owns the running replays of one bot (held by the replay cog, never by the bot)."""

    def __init__(
        self, edge: Edge, store: Storage, card: CardFactoryMaker, avatars: str = "generated"
    ) -> None:
        self.edge = edge
        self.store = store
        self.avatars = avatars  # THREADREPLAY_AVATARS: how comment authors get their faces
        self.card = card
        self.runners: dict[int, ReplayRunner] = {}
        self.tasks: dict[int, asyncio.Task[ReplayState]] = {}
        # This process's name on the leases it takes (several processes may share one store), and
        # how long a lease lasts: a process killed mid-replay hands it over after that long.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.lease_seconds = max(LEASE_SECONDS * edge.pacer.time_scale, 3.0)

    async def start(
        self,
        *,
        article_key: str,
        guild_id: int,
        channel: discord.TextChannel | discord.ForumChannel,
        mode: Mode,
        pace: Pace,
        include_spam: bool,
        started_by: int | None,
        card_message_id: int | None = None,
        container_thread_id: int | None = None,
    ) -> Replay:
        """Record a new replay in the ledger and start running it."""
        stored = await queries.get_article(self.store, article_key)
        if stored is None:
            raise UserError("That article is no longer stored.")
        kind = "forum" if isinstance(channel, discord.ForumChannel) else "text"
        if kind == "forum":
            mode = Mode.single  # a forum post holds the whole discussion
        # Planning a big article takes a while: off the loop, like everything large.
        plan = await asyncio.to_thread(
            build_plan, stored.article, mode, include_spam=include_spam, avatars=self.avatars
        )
        if not plan.steps:
            raise UserError("This article has no comments to replay.")
        try:
            replay = await ledger.create_replay(
                self.store,
                steps=plan_steps(plan),
                article_id=stored.id,
                article_key=article_key,
                guild_id=guild_id,
                channel_id=channel.id,
                channel_kind=kind,
                mode=mode.value,
                pace=pace.value,
                include_spam=int(include_spam),
                started_by=started_by,
                card_message_id=card_message_id,
                container_thread_id=container_thread_id,
            )
        except StorageError:
            raise UserError(
                f"A replay is already running or paused in {channel.mention}. "
                "Use `/replay status`, `/replay resume` or `/replay stop` there first."
            ) from None
        await self.launch(replay)
        return replay

    async def launch(self, replay: Replay) -> bool:
        """Run a replay the ledger says should be running, unless another process holds its lease."""
        if not await ledger.take_lease(self.store, replay.id, self.owner, self.lease_seconds):
            log.info("replay %s is being run by another process; not started here", replay.id)
            return False
        stored = await queries.get_article(self.store, replay.article_key)
        title = stored.article.title if stored else replay.article_key
        steps = await ledger.get_steps(self.store, replay.id)
        now = time.time()
        self.edge.pacer.seed(
            replay.channel_id, [now - snowflake_time(m) for s in steps for m in s.message_ids]
        )
        lease = (self.owner, self.lease_seconds)
        runner = ReplayRunner(
            self.edge, Progress(self.store, replay, steps, lease), title, self.card(replay)
        )
        self.runners[replay.channel_id] = runner
        task = asyncio.create_task(self._run(runner), name=f"threadreplay-replay-{replay.id}")
        self.tasks[replay.channel_id] = task
        return True

    async def _run(self, runner: ReplayRunner) -> ReplayState:
        keeper = asyncio.create_task(
            self._keep_lease(runner), name=f"threadreplay-lease-{runner.replay_id}"
        )
        try:
            return await runner.run()
        except asyncio.CancelledError:
            raise
        except LeaseLost:
            log.warning(
                "replay %s: another process took it over (this one's lease expired); left to it",
                runner.replay_id,
            )
            return ReplayState.running
        except Exception:
            log.exception("replay %s crashed; pausing it", runner.replay_id)
            await runner.progress.leave(ReplayState.paused, "an internal error (see the bot's log)")
            return ReplayState.paused
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            # Shielded: a cancelled runner still hands its replay over at once, not after expiry.
            await asyncio.shield(ledger.release_lease(self.store, runner.replay_id, self.owner))

    async def _keep_lease(self, runner: ReplayRunner) -> None:
        """Renew the lease while the runner waits between messages (each message renews it too)."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            if not await ledger.renew_lease(
                self.store, runner.replay_id, self.owner, self.lease_seconds
            ):
                runner.request_halt(ReplayState.running, "another process runs this replay now")
                return

    async def resume_all(self) -> int:
        """Restart every replay the ledger says is running (after a crash or a restart) in the
        servers this process serves, unless another process holds its lease; the other shards'
        processes resume theirs. Called again every lease period: a replay whose process died or
        shut down (a rolling restart) is taken over once its lease is released or expires."""
        count = 0
        for replay in await ledger.replays_in_state(self.store, ReplayState.running):
            if not serves(self.edge.client, replay.guild_id):
                continue
            task = self.tasks.get(replay.channel_id)
            if (task is None or task.done()) and await self.launch(replay):
                log.info("resumed replay %s in channel %s", replay.id, replay.channel_id)
                count += 1
        return count

    async def is_busy(self, channel_id: int) -> bool:
        """True while a replay is running or paused in the channel (one per channel)."""
        return await ledger.latest_replay(self.store, channel_id, active_only=True) is not None

    async def active(self, channel_id: int) -> Replay:
        """The running or paused replay in a channel, or a UserError saying there is none."""
        replay = await ledger.latest_replay(self.store, channel_id, active_only=True)
        if replay is None:
            raise UserError("No replay is running or paused in this channel.")
        return replay

    async def pause(self, channel_id: int, who: str) -> Replay:
        """Pause after the message in flight."""
        replay = await self.active(channel_id)
        if replay.state == ReplayState.paused:
            raise UserError(f"This replay is already paused ({replay.reason}).")
        reason = f"paused by {who}"
        await self._halt(channel_id, ReplayState.paused, reason)
        await ledger.update_replay(self.store, replay.id, state=ReplayState.paused, reason=reason)
        return replay

    async def resume(self, channel_id: int, *, skip: bool = False) -> Replay:
        """Continue a paused replay where it stopped; with `skip`, the comment Discord refused is
        posted as a short placeholder instead (recorded in the ledger first, so a crash cannot
        post both)."""
        replay = await self.active(channel_id)
        if (
            replay.state == ReplayState.running
            and channel_id in self.tasks
            and not self.tasks[channel_id].done()
        ):
            raise UserError("This replay is already running.")
        if skip:
            if not (replay.reason or "").startswith(REFUSED):
                raise UserError(
                    "`skip` is for a replay that paused because Discord refused a comment;"
                    " this one did not. Use `/replay resume` without it."
                )
            steps = await ledger.get_steps(self.store, replay.id)
            step = next((s for s in steps if s.status != "done"), None)
            if step is None:
                raise UserError("Every comment of this replay is posted; nothing to skip.")
            parts = list(step.parts)
            parts[len(step.message_ids)] = PLACEHOLDER
            await ledger.set_step_parts(self.store, replay.id, step.seq, parts)
            log.info("replay %s: comment #%d skipped with a placeholder", replay.id, step.seq + 1)
        await ledger.update_replay(self.store, replay.id, state=ReplayState.running, reason=None)
        replay = replay.model_copy(update={"state": ReplayState.running, "reason": None})
        await self.launch(replay)
        return replay

    async def stop(self, channel_id: int, who: str) -> Replay:
        """End a replay for good (what was posted stays; `/replay undo` removes it)."""
        replay = await self.active(channel_id)
        await self._halt(channel_id, ReplayState.stopped, f"stopped by {who}")
        await ledger.update_replay(
            self.store, replay.id, state=ReplayState.stopped, reason=f"stopped by {who}"
        )
        return replay

    async def _halt(self, channel_id: int, state: ReplayState, reason: str) -> None:
        runner = self.runners.get(channel_id)
        task = self.tasks.get(channel_id)
        if runner is None or task is None or task.done():
            return
        runner.request_halt(state, reason)
        try:
            await asyncio.wait_for(asyncio.shield(task), HALT_GRACE)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def status(self, channel_id: int) -> Status:
        """Progress of the newest replay in a channel."""
        replay = await ledger.latest_replay(self.store, channel_id)
        if replay is None:
            raise UserError("No replay has run in this channel.")
        steps = await ledger.get_steps(self.store, replay.id)
        progress = Progress(self.store, replay, steps)
        done, remaining = progress.done, progress.remaining_messages()
        task = self.tasks.get(channel_id)
        running = (
            task is not None and not task.done() and self.runners[channel_id].replay_id == replay.id
        )
        pending = [s.parts[len(s.message_ids) :] for s in steps if s.status != StepStatus.done]
        eta = estimate_seconds(Pace(replay.pace), pending)
        return Status(replay, done, len(steps), remaining, eta, running)

    async def undo(self, channel_id: int, who: str) -> tuple[int, int]:
        """Delete exactly what the newest replay posted (messages and threads), from its ledger."""
        replay = await ledger.latest_replay(self.store, channel_id)
        if replay is None or replay.state == ReplayState.undone:
            raise UserError("There is no replay to undo in this channel.")
        if replay.state in (ReplayState.running, ReplayState.paused):
            await self._halt(channel_id, ReplayState.stopped, f"undone by {who}")
        steps = await ledger.get_steps(self.store, replay.id)
        try:
            messages, threads = await self._undo(replay, steps)
        except (PauseReplay, Transient) as exc:
            raise UserError(
                f"Discord refused part of the undo ({exc}); run `/replay undo` again to finish it."
            ) from None
        await ledger.update_replay(
            self.store, replay.id, state=ReplayState.undone, reason=f"undone by {who}"
        )
        return messages, threads

    async def _undo(self, replay: Replay, steps: list[ReplayStep]) -> tuple[int, int]:
        """Delete the replay's threads, its messages in the channel and the card it posted; count them."""
        messages = threads = 0
        reason = "threadreplay: /replay undo"
        thread_ids = [s.thread_id for s in steps if s.thread_id] + (
            [replay.container_thread_id] if replay.container_thread_id else []
        )
        for thread_id in thread_ids:
            threads += await self.edge.delete_thread(thread_id, reason)  # False: already gone
        in_channel = [m for s in steps if s.location_id == replay.channel_id for m in s.message_ids]
        if in_channel:
            channel = await self.edge.target(replay.channel_id)
            for message_id in in_channel:
                messages += await self.edge.delete_comment(channel, channel.id, message_id)
        if replay.card_posted and replay.card_message_id and replay.channel_kind == "text":
            messages += await self.edge.delete_message(
                replay.channel_id, replay.card_message_id, reason
            )
        messages += sum(len(s.message_ids) for s in steps if s.location_id != replay.channel_id)
        return messages, threads

    async def update(self, replay: Replay) -> UpdateReport:
        """Bring a finished replay up to date with its changed source, without reposting anything."""
        if replay.state in (ReplayState.running, ReplayState.paused):
            raise UserError(
                "This replay has not finished: let it finish (or stop it) before updating it."
            )
        stored = await queries.get_article(self.store, replay.article_key)
        if stored is None:
            raise UserError("The article of this replay is no longer stored.")
        plan = await asyncio.to_thread(
            build_plan,
            stored.article,
            Mode(replay.mode),
            include_spam=replay.include_spam,
            avatars=self.avatars,
        )
        progress = Progress(self.store, replay, await ledger.get_steps(self.store, replay.id))
        changes = diff(stored.article, plan, progress.steps)
        previews = await link_previews(progress)
        # Discord refuses edits in archived threads: reopen the replay's threads first, archive after
        # (the engine reopens any it posts new comments into).
        threads = progress.threads()
        try:
            for thread_id in threads:
                await self.edge.set_archived(thread_id, False)
            for step, parts in changes.edited:
                await self._rewrite(progress, step, parts, previews)
            for step, name in changes.opened:
                await progress.opens(step, name)
            for step in changes.removed:
                await self._rewrite(progress, step, [REMOVED_PLACEHOLDER], previews)
            for thread_id in threads:
                await self.edge.set_archived(thread_id, True)
        except (PauseReplay, Transient) as exc:
            raise UserError(
                f"Discord refused part of the update ({exc}); what changed so far is recorded:"
                " run `/replay update` again to finish it."
            ) from None
        if changes.added:
            await ledger.add_steps(self.store, replay.id, changes.added, reopen=True)
            fresh = await ledger.get_replay(self.store, replay.id)
            assert fresh is not None  # it was read above; replays are never deleted
            await self.launch(fresh)
        report = changes.report()
        log.info(
            "replay %s updated: %d added, %d edited, %d removed",
            replay.id,
            report.added,
            report.edited,
            report.removed,
        )
        return report

    async def _rewrite(
        self, progress: Progress, step: ReplayStep, parts: list[str], previews: bool
    ) -> None:
        """Show `parts` in a posted step's messages: edited in place, surplus deleted, more appended.

        A message someone deleted stays deleted (it is not posted again); its place is kept.
        """
        channel = await self.edge.target(progress.replay.channel_id)
        location = step.location_id or channel.id
        new = step.model_copy(update={"parts": parts})
        kept: list[int] = []
        for k, message_id in enumerate(step.message_ids):
            if k >= len(parts):
                await self.edge.delete_comment(channel, location, message_id)
                continue
            kept.append(message_id)
            if not await self.edge.edit_comment(
                channel, location, message_id, progress.content(new, k)
            ):
                log.info(
                    "replay %s: message %s is gone; not edited", progress.replay.id, message_id
                )
        for k in range(len(kept), len(parts)):  # more parts than before: they follow at the end
            kept.append(
                await self.edge.send_comment(
                    channel,
                    location,
                    progress.content(new, k),
                    username=step.username,
                    avatar_url=step.avatar_url,
                    suppress_embeds=not previews,
                )
            )
        await progress.rewritten(step, parts, kept)

    async def shutdown(self) -> None:
        """Stop every runner at a safe point; the ledger keeps them 'running' so a restart resumes them."""
        for channel_id, task in list(self.tasks.items()):
            if not task.done():
                self.runners[channel_id].request_halt(
                    ReplayState.running, "the bot is shutting down"
                )
        pending = [t for t in self.tasks.values() if not t.done()]
        if pending:
            _done, late = await asyncio.wait(pending, timeout=HALT_GRACE)
            for task in late:
                log.warning(
                    "replay task %s did not reach a safe point within %.0f s; cancelled (the next"
                    " start reads back what it was sending)",
                    task.get_name(),
                    HALT_GRACE,
                )
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


def snowflake_time(snowflake: int) -> float:
    """When Discord made an id (Unix seconds): ids carry their creation time in their top bits."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000
