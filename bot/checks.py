"""Permission checks for the admin commands (on top of the group's default_permissions)."""

from __future__ import annotations

from collections.abc import Iterable

import discord

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
