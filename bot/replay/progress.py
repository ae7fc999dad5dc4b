"""A replay's progress: the ledger's rows in memory, changed only by writing the ledger first.

The runner, `/replay update` and a resume all read and move a replay through this one object, so the
copy in memory never says something the ledger does not (the ledger is what survives a crash).
"""

from __future__ import annotations

from bot.replay.edge import PauseReplay, jump_url
from bot.replay.plan import reply_line
from storage import replays as ledger
from storage.db import Storage
from storage.models import ReplayState, StepStatus
from storage.replays import Replay, ReplayStep


class Progress:
    """One replay and its steps, kept equal to the ledger."""

    def __init__(
        self,
        store: Storage,
        replay: Replay,
        steps: list[ReplayStep],
        lease: tuple[str, float] | None = None,
    ) -> None:
        self.store = store
        self.replay = replay
        self.steps = steps
        self.lease = lease  # (owner, seconds) of the runner's lease: every send renews and checks it

    async def _set(self, **fields: object) -> None:
        await ledger.update_replay(self.store, self.replay.id, **fields)
        self.replay = self.replay.model_copy(update=fields)

    # ---- the replay ------------------------------------------------------------------------------

    @property
    def done(self) -> int:
        """Steps fully posted."""
        return sum(1 for s in self.steps if s.status == StepStatus.done)

    def remaining_messages(self) -> int:
        """Messages still to post."""
        return sum(
            len(s.parts) - len(s.message_ids) for s in self.steps if s.status != StepStatus.done
        )

    async def card_posting(self) -> None:
        """The card is about to be posted: after a crash, look for it before posting again."""
        await self._set(card_posted=True)

    async def card_posted(self, message_id: int) -> None:
        """The card's message (posted now, found after a crash, or the announcement's)."""
        await self._set(card_message_id=message_id)

    async def container(self, thread_id: int) -> None:
        """The thread that holds the whole discussion (single mode, forum posts)."""
        await self._set(container_thread_id=thread_id)

    async def leave(self, state: ReplayState, reason: str | None) -> None:
        """The replay finished, paused or stopped."""
        await self._set(state=state, reason=reason)

    # ---- steps -----------------------------------------------------------------------------------

    async def sending(self, step: ReplayStep, part: int, location: int) -> None:
        """Part `part` of a step is about to be sent into `location` (written ahead)."""
        await ledger.step_sending(
            self.store, self.replay.id, step.seq, part, location, lease=self.lease
        )
        step.status, step.location_id = StepStatus.sending, location

    async def posted(self, step: ReplayStep, ids: list[int]) -> None:
        """These messages of a step are on Discord (all of them: the step is done)."""
        done = len(ids) == len(step.parts)
        await ledger.step_posted(self.store, self.replay.id, step.seq, ids, done=done)
        step.message_ids = list(ids)
        step.status = StepStatus.done if done else StepStatus.pending

    async def thread_opened(self, step: ReplayStep, thread_id: int) -> None:
        """The reply thread a top-level step opened."""
        await ledger.step_thread(self.store, self.replay.id, step.seq, thread_id)
        step.thread_id = thread_id

    async def rewritten(self, step: ReplayStep, parts: list[str], message_ids: list[int]) -> None:
        """A posted step now shows `parts` in `message_ids` (`/replay update`)."""
        await ledger.set_step(
            self.store,
            self.replay.id,
            step.seq,
            parts=parts,
            message_ids=message_ids,
            opens_thread=step.opens_thread,
        )
        step.parts, step.message_ids = parts, list(message_ids)

    async def opens(self, step: ReplayStep, name: str) -> None:
        """A posted top-level step now has replies: it opens a thread named `name`."""
        step.opens_thread = name
        await self.rewritten(step, step.parts, step.message_ids)

    # ---- what a step looks like and where it goes --------------------------------------------------

    def location(self, step: ReplayStep) -> int:
        """The channel or thread a step is posted in."""
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

    def last_known(self, location: int) -> int:
        """The newest message the ledger knows in `location` (0: none): a read-back starts after it."""
        r = self.replay
        return max(
            [m for s in self.steps if s.location_id == location for m in s.message_ids]
            + ([r.card_message_id] if location == r.channel_id and r.card_message_id else [])
            + [location if location != r.channel_id else 0],
            default=0,
        )

    def threads(self) -> list[int]:
        """Every thread the replay made or posted in."""
        found = {s.thread_id for s in self.steps if s.thread_id}
        if self.replay.container_thread_id:
            found.add(self.replay.container_thread_id)
        return sorted(found)
