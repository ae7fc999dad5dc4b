"""The one user-facing error type and the one place that turns errors into ephemeral replies."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.render import NO_MENTIONS

log = logging.getLogger(__name__)

GENERIC = "Something went wrong on our side. The error was logged; please try again later."


class UserError(Exception):
    """An error whose message is written for the person who ran the command (shown ephemerally)."""


class NotAdmin(app_commands.CheckFailure):
    """Raised by the admin check; its message is shown to the user."""


async def answer(interaction: discord.Interaction, text: str) -> None:
    """Answer ephemerally, as the response or (after a deferral) as a follow-up; never pings."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def reply_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """`answer`, for the error path: a failure to answer is logged, not raised again."""
    try:
        await answer(interaction, text)
    except discord.HTTPException as exc:
        log.warning("could not send an error reply for interaction %s: %s", interaction.id, exc)


async def handle_command_error(interaction: discord.Interaction, error: Exception) -> None:
    """Show UserError and check failures as they are; log anything else and show a generic message."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, UserError | NotAdmin):
        await reply_ephemeral(interaction, str(original))
        return
    if isinstance(original, app_commands.CheckFailure):
        await reply_ephemeral(interaction, "You are not allowed to use this command here.")
        return
    command = interaction.command.qualified_name if interaction.command else "?"
    log.error(
        "command /%s failed (interaction %s, user %s, guild %s, channel %s)",
        command,
        interaction.id,
        interaction.user.id,
        interaction.guild_id,
        interaction.channel_id,
        exc_info=original,
    )
    await reply_ephemeral(interaction, GENERIC)
