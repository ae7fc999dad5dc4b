"""The Discord permissions threadreplay needs, in one place (invite URL and replay pre-checks)."""

from __future__ import annotations

import discord

SCOPES = ("bot", "applications.commands")


def required_permissions() -> discord.Permissions:
    """Exactly what the features use: post cards, replay through webhooks into threads, tidy up."""
    return discord.Permissions(
        view_channel=True,  # see the channels it posts in
        send_messages=True,  # article cards
        embed_links=True,  # the card is an embed
        read_message_history=True,  # reconcile a replay after a crash by reading back messages
        manage_webhooks=True,  # one webhook per channel posts comments under their authors' names
        create_public_threads=True,  # one thread per top-level comment
        send_messages_in_threads=True,  # replies inside those threads
        manage_threads=True,  # archive finished replay threads, undo deletes them
    )


def invite_url(app_id: int) -> str:
    """The OAuth2 URL that adds the bot with `required_permissions()`."""
    return discord.utils.oauth_url(app_id, permissions=required_permissions(), scopes=SCOPES)
