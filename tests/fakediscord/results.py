"""What the bot did with one interaction: the callback, the response message and followups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import LOADING, Interaction, Message

if TYPE_CHECKING:
    from .fake import FakeDiscord


class InteractionResult:
    """A live view of an interaction the fake dispatched; read it after awaiting a ``wait_*``."""

    def __init__(self, fake: FakeDiscord, record: Interaction, *, source_edits: int = 0) -> None:
        """Wrap ``record``; ``source_edits`` counts edits the clicked message had beforehand."""
        self.fake = fake
        self.record = record
        self._source_edits = source_edits

    def __repr__(self) -> str:
        """Short summary for assertion messages."""
        return (
            f"<InteractionResult id={self.id} type={self.record.type} response={self.response_type} "
            f"error={self.error} content={self.content!r} followups={len(self.followups)}>"
        )

    @property
    def id(self) -> int:
        """The interaction id."""
        return self.record.id

    @property
    def payload(self) -> dict[str, Any]:
        """The INTERACTION_CREATE data the bot received."""
        return self.record.payload

    @property
    def response_type(self) -> int | None:
        """The callback type the bot answered with (4, 5, 6, 7, 8, 9) or ``None``."""
        return self.record.callback_type

    @property
    def callback(self) -> dict[str, Any] | None:
        """The accepted callback body, as sent."""
        return self.record.callback_body

    @property
    def error(self) -> dict[str, Any] | None:
        """The error body if the callback was refused (e.g. 10062, 40060)."""
        return self.record.callback_error

    @property
    def message(self) -> Message | None:
        """The original response (for 6/7 the clicked message), with every edit applied."""
        msg = self.fake.world.messages.get(self.record.original_id or 0)
        return None if msg is None or msg.deleted else msg

    @property
    def content(self) -> str | None:
        """The response message's content."""
        return None if self.message is None else self.message.content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        """The response message's embeds."""
        return [] if self.message is None else self.message.embeds

    @property
    def components(self) -> list[dict[str, Any]]:
        """The response message's components."""
        return [] if self.message is None else self.message.components

    @property
    def ephemeral(self) -> bool:
        """True if the response is only visible to the user."""
        return self.message is not None and self.message.ephemeral

    @property
    def followups(self) -> list[Message]:
        """Followup messages, in order (deleted ones left out)."""
        found = (self.fake.world.messages.get(i) for i in self.record.followup_ids)
        return [m for m in found if m is not None and not m.deleted]

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """The autocomplete choices the bot answered (type 8)."""
        if self.record.callback_type != 8 or self.callback is None:
            return None
        return list((self.callback.get("data") or {}).get("choices") or [])

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (type 9)."""
        if self.record.callback_type != 9 or self.callback is None:
            return None
        return dict(self.callback.get("data") or {})

    def is_done(self) -> bool:
        """Answered and, for deferrals, followed through (edit or followup)."""
        record = self.record
        if record.callback_error is not None:
            return True
        if record.callback_type == 5:
            msg = self.fake.world.messages.get(record.original_id or 0)
            return (
                msg is None or msg.deleted or not msg.flags & LOADING or bool(record.followup_ids)
            )
        if record.callback_type == 6:
            msg = self.fake.world.messages.get(record.original_id or 0)
            edited = msg is not None and len(msg.edits) > self._source_edits
            return edited or bool(record.followup_ids)
        return record.callback_type is not None

    async def wait_response(self, timeout: float = 5.0) -> InteractionResult:  # noqa: ASYNC109
        """Wait until the bot answered the callback (or it was refused)."""
        await self.fake.wait_for(
            lambda: self.record.callback_type is not None or self.record.callback_error is not None,
            timeout,
            message=f"no callback for interaction {self.id} within {timeout}s",
        )
        return self

    async def wait_done(self, timeout: float = 5.0) -> InteractionResult:  # noqa: ASYNC109
        """Wait for the callback and, after a defer, the edit or followup that completes it."""
        await self.fake.wait_for(self.is_done, timeout, message=f"interaction not done: {self!r}")
        return self

    async def wait_followups(self, count: int, timeout: float = 5.0) -> list[Message]:  # noqa: ASYNC109
        """Wait until at least ``count`` followups exist; return them."""
        await self.fake.wait_for(
            lambda: len(self.followups) >= count,
            timeout,
            message=f"expected {count} followups: {self!r}",
        )
        return self.followups
