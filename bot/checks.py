"""Permission checks for the admin commands (on top of the group's default_permissions)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import discord

from bot.access import HostBot
from bot.errors import NotAdmin
from bot.settings import Settings

REFUSAL = "Only this bot's admins (Manage Server, an admin role, or an owner) can use this command."


def is_admin(
    settings: Settings, interaction: discord.Interaction, extra_role_ids: Iterable[int] = ()
) -> bool:
    """Owner ids, admin role ids (from the environment or the server's settings), or Manage Server."""
    user = interaction.user
    if user.id in settings.owner_ids:
        return True
    if not isinstance(user, discord.Member):
        return False
    allowed = {*settings.admin_role_ids, *extra_role_ids}
    if any(role.id in allowed for role in user.roles):
        return True
    return bool(interaction.permissions.manage_guild or interaction.permissions.administrator)


def require_admin(
    settings: Settings, interaction: discord.Interaction, extra_role_ids: Iterable[int] = ()
) -> None:
    """Raise NotAdmin (shown ephemerally) unless the user is an admin."""
    if not is_admin(settings, interaction, extra_role_ids):
        raise NotAdmin(REFUSAL)


def permissions_in(
    interaction: discord.Interaction, channel: discord.abc.GuildChannel | discord.Thread
) -> discord.Permissions:
    """What the member may do in `channel`, as Discord computed it for this interaction.

    For the channel the command was used in that is `interaction.permissions`; for a channel given as
    an option Discord sends the member's permissions there in `resolved.channels[id].permissions`.
    Anything else (a channel reached another way) is computed from the cache.
    """
    if channel.id == interaction.channel_id:
        return interaction.permissions
    payload: Any = interaction.data or {}  # Discord's JSON, as sent
    resolved = payload.get("resolved") or {}
    data = (resolved.get("channels") or {}).get(str(channel.id))
    if data is not None and "permissions" in data:
        return discord.Permissions(int(data["permissions"]))
    if isinstance(interaction.user, discord.Member):
        return channel.permissions_for(interaction.user)
    return discord.Permissions.none()


def can_post(
    perms: discord.Permissions, channel: discord.abc.GuildChannel | discord.Thread
) -> bool:
    """May post a message there: Send Messages, or Send Messages in Threads inside a thread."""
    if isinstance(channel, discord.Thread):
        return perms.view_channel and perms.send_messages_in_threads
    return perms.view_channel and perms.send_messages


OWNERS_ONLY = (
    "Only the bot's owners can {what}: it reaches every server the bot is in."
    " (Owners are THREADREPLAY_OWNER_IDS, or the application's owner or team when that is unset.)"
)


async def is_owner(bot: HostBot, settings: Settings, user: discord.abc.User) -> bool:
    """A bot owner: THREADREPLAY_OWNER_IDS when set, otherwise the application's owner or team
    (discord.py's `Bot.is_owner`, which also honours a host bot's own `owner_ids`)."""
    if settings.owner_ids:
        return user.id in settings.owner_ids
    return await bot.is_owner(user)


async def require_owner(
    bot: HostBot, settings: Settings, interaction: discord.Interaction, what: str
) -> None:
    """Raise NotAdmin (shown ephemerally) unless the user is one of the bot's owners."""
    if not await is_owner(bot, settings, interaction.user):
        raise NotAdmin(OWNERS_ONLY.format(what=what))
