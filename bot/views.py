"""Interactive components: a page flipper for long answers and the card's persistent replay button."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.errors import handle_command_error
from bot.render import NO_MENTIONS, page_embed

log = logging.getLogger(__name__)

PAGE_TIMEOUT = 600.0  # seconds; ephemeral answers can be edited for 15 minutes after the command


class Pager(discord.ui.View):
    """◀ / ▶ buttons over pre-rendered pages; only the person who asked can flip them."""

    def __init__(self, owner_id: int, title: str, pages: list[str], index: int = 0) -> None:
        super().__init__(timeout=PAGE_TIMEOUT)
        self.owner_id = owner_id
        self.title = title
        self.pages = pages
        self.index = max(0, min(index, len(pages) - 1))
        self.interaction: discord.Interaction | None = None
        self._sync_buttons()

    def embed(self) -> discord.Embed:
        """The embed of the current page."""
        return page_embed(self.title, self.pages, self.index)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def send(self, interaction: discord.Interaction) -> None:
        """Send the first page ephemerally (as the response or, after a deferral, as a follow-up)."""
        self.interaction = interaction
        view = self if len(self.pages) > 1 else discord.utils.MISSING
        if interaction.response.is_done():
            await interaction.followup.send(
                embed=self.embed(), view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.response.send_message(
                embed=self.embed(), view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
            )
        if len(self.pages) <= 1:
            self.stop()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "These buttons belong to someone else's command.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return False
        return True

    async def _flip(self, interaction: discord.Interaction, step: int) -> None:
        self.index = max(0, min(self.index + step, len(self.pages) - 1))
        self._sync_buttons()
        await interaction.response.edit_message(
            embed=self.embed(), view=self, allowed_mentions=NO_MENTIONS
        )

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, _button: discord.ui.Button[Pager]
    ) -> None:
        """Show the previous page."""
        await self._flip(interaction, -1)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction, _button: discord.ui.Button[Pager]
    ) -> None:
        """Show the next page."""
        await self._flip(interaction, 1)

    async def on_timeout(self) -> None:
        """Remove the buttons when they stop working, so nobody clicks a dead button."""
        if self.interaction is not None:
            # The message may be dismissed or the token expired: then there is nothing left to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.interaction.edit_original_response(view=None)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_command_error(interaction, error)


ReplayHandler = Callable[[discord.Interaction, int], Awaitable[None]]

REPLAY_TEMPLATE = re.compile(r"threadreplay:replay:(?P<article_id>[0-9]{1,18})")


class ReplayButtonBase(discord.ui.DynamicItem[discord.ui.Button[Any]], template=REPLAY_TEMPLATE):
    """The card's button; its custom_id carries the article's id (see make_replay_button)."""

    def __init__(self, article_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Replay discussion",
                style=discord.ButtonStyle.primary,
                emoji="💬",
                custom_id=f"threadreplay:replay:{article_id}",
            )
        )
        self.article_id = article_id


def make_replay_button(handler: ReplayHandler) -> type[ReplayButtonBase]:
    """A persistent "Replay discussion" button class bound to `handler` (kept on the cog, not the bot).

    Dynamic items are matched by custom_id, so cards posted before a restart keep working.
    """

    class ReplayButton(ReplayButtonBase, template=REPLAY_TEMPLATE):
        """The button bound to this cog's handler."""

        @classmethod
        async def from_custom_id(
            cls,
            interaction: discord.Interaction,
            item: discord.ui.Item[Any],
            match: re.Match[str],
            /,
        ) -> ReplayButton:
            return cls(int(match["article_id"]))

        async def callback(self, interaction: discord.Interaction) -> None:
            try:
                await handler(interaction, self.article_id)
            except Exception as exc:  # one error path for components too
                await handle_command_error(interaction, exc)

    return ReplayButton
