"""Building the world and acting on it as a guild admin or user would (with gateway events)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import actions, messages, payloads
from . import intents as gi
from .gateway_payloads import guild_create
from .models import CONTENT_MESSAGE_TYPES, Channel, Message, Overwrite, Webhook
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE
from .routes_core import command_payload
from .state import OverwriteSpec

if TYPE_CHECKING:
    from .fake import FakeDiscord


class AdminMixin:
    """World building, admin actions and state reading for :class:`~fakediscord.fake.FakeDiscord`."""

    # ----- building ----------------------------------------------------------------------
    def add_guild(
        self: FakeDiscord,
        name: str,
        *,
        owner_name: str = "owner",
        bot_permissions: int = DEFAULT_BOT,
        everyone_permissions: int = DEFAULT_EVERYONE,
        on_shard: tuple[int, int] | None = None,
    ) -> int:
        """Create a guild (owner, @everyone, the bot's role); GUILD_CREATE to the sessions of its
        shard. ``on_shard=(id, count)`` gives it an id on that shard (``(id >> 22) % count``)."""
        guild_id = self.world.add_guild(
            name,
            owner_name=owner_name,
            bot_permissions=bot_permissions,
            everyone_permissions=everyone_permissions,
            on_shard=on_shard,
        )
        for session in self.gateway.sessions.values():
            if not session.invalid and session.intents & gi.GUILDS and session.owns(guild_id):
                session.dispatch(
                    "GUILD_CREATE", guild_create(self, self.world.guilds[guild_id], session.intents)
                )
        return guild_id

    def add_automod_keyword(self: FakeDiscord, guild_id: int, keyword: str) -> None:
        """Add an AutoMod rule that blocks messages containing ``keyword`` (a whole word, any case).

        Discord refuses such a message with 400 and JSON code 200000, "Message was blocked by
        automatic moderation"; webhooks are not exempt (members with Manage Server would be).
        """
        self.world.guilds[guild_id].automod_keywords.append(keyword)

    def add_text_channel(
        self: FakeDiscord,
        guild_id: int,
        name: str,
        *,
        overwrites: OverwriteSpec = None,
        topic: str | None = None,
        parent_id: int | None = None,
    ) -> int:
        """Create a text channel; ``overwrites`` maps role/user id to ``(allow, deny)``."""
        return self.world.add_channel(
            guild_id, name, type=0, overwrites=overwrites, topic=topic, parent_id=parent_id
        )

    def add_forum_channel(
        self: FakeDiscord,
        guild_id: int,
        name: str,
        *,
        overwrites: OverwriteSpec = None,
        tags: Iterable[str] = (),
        parent_id: int | None = None,
    ) -> int:
        """Create a forum channel with optional tag names."""
        return self.world.add_channel(
            guild_id, name, type=15, overwrites=overwrites, tags=tags, parent_id=parent_id
        )

    def add_category(
        self: FakeDiscord, guild_id: int, name: str, *, overwrites: OverwriteSpec = None
    ) -> int:
        """Create a category channel."""
        return self.world.add_channel(guild_id, name, type=4, overwrites=overwrites)

    def add_thread(
        self: FakeDiscord,
        parent_id: int,
        name: str,
        *,
        owner_id: int | None = None,
        archived: bool = False,
        locked: bool = False,
        private: bool = False,
    ) -> int:
        """Create a thread as a user would (THREAD_CREATE); returns its id."""
        parent = self.world.channel(parent_id)
        owner = owner_id or self.world.guild(parent.guild_id).owner_id
        thread = actions.create_thread(
            self.world, parent, name, type=12 if private else 11, owner_id=owner
        )
        if archived or locked:
            actions.update_thread(self.world, thread, {"archived": archived, "locked": locked})
        return thread.id

    def add_role(self: FakeDiscord, guild_id: int, name: str, permissions: int = 0) -> int:
        """Create a role (GUILD_ROLE_CREATE); returns its id."""
        return self.world.add_role(guild_id, name, permissions)

    def add_member(
        self: FakeDiscord,
        guild_id: int,
        user_name: str,
        *,
        roles: Iterable[int] = (),
        owner: bool = False,
    ) -> int:
        """Create a user and add them to the guild with ``roles``; ``owner`` makes them the owner."""
        return self.world.add_member(guild_id, user_name, roles=roles, owner=owner)

    # ----- admin actions -----------------------------------------------------------------
    def set_role_permissions(
        self: FakeDiscord, guild_id: int, role_id: int, permissions: int
    ) -> None:
        """Change a role's permissions (GUILD_ROLE_UPDATE)."""
        role = self.world.guild(guild_id).roles[role_id]
        role.permissions = permissions
        self.world.emit(
            "GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": payloads.role(role)}
        )

    def set_bot_permissions(self: FakeDiscord, guild_id: int, permissions: int) -> None:
        """Set the permissions of the bot's managed role (GUILD_ROLE_UPDATE)."""
        self.set_role_permissions(guild_id, self.world.guild(guild_id).bot_role_id, permissions)

    def set_overwrite(
        self: FakeDiscord, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set a channel overwrite for a role or member (CHANNEL_UPDATE)."""
        channel = self.world.channel(channel_id)
        kind = 0 if target_id in self.world.guild(channel.guild_id).roles else 1
        channel.overwrites[target_id] = Overwrite(target_id, kind, allow, deny)
        self.world.emit("CHANNEL_UPDATE", payloads.channel(channel))

    def deny_bot(self: FakeDiscord, channel_id: int, permissions: int) -> None:
        """Deny the bot ``permissions`` in one channel through a member overwrite."""
        channel = self.world.channel(channel_id)
        current = channel.overwrites.get(self.world.bot.id)
        allow = current.allow & ~permissions if current else 0
        deny = (current.deny if current else 0) | permissions
        self.set_overwrite(channel_id, self.world.bot.id, allow=allow, deny=deny)

    def delete_channel(self: FakeDiscord, channel_id: int) -> None:
        """Delete a channel or thread as an admin would (CHANNEL_DELETE / THREAD_DELETE)."""
        actions.delete_channel(self.world, self.world.channel(channel_id))

    def delete_webhook(self: FakeDiscord, webhook_id: int) -> None:
        """Delete a webhook as an admin would (WEBHOOKS_UPDATE)."""
        actions.delete_webhook(self.world, self.world.webhook(webhook_id))

    def delete_message(self: FakeDiscord, message_id: int) -> None:
        """Delete a message as a moderator would (MESSAGE_DELETE)."""
        actions.delete_message(self.world, self.world.messages[message_id])

    def archive_thread(self: FakeDiscord, thread_id: int, *, locked: bool = False) -> None:
        """Archive (and optionally lock) a thread as a moderator would (THREAD_UPDATE)."""
        actions.update_thread(
            self.world, self.world.channel(thread_id), {"archived": True, "locked": locked}
        )

    def post_user_message(
        self: FakeDiscord, channel_id: int, user_id: int, content: str
    ) -> Message:
        """A member posts ``content`` (MESSAGE_CREATE), e.g. to trigger the bot."""
        channel = self.world.channel(channel_id)
        author = payloads.user(self.world.users[user_id])
        return actions.store_message(
            self.world, messages.build(self.world, channel, {"content": content}, author)
        )

    # ----- reading -----------------------------------------------------------------------
    def messages(
        self: FakeDiscord, channel_id: int, *, system: bool = False, ephemeral: bool = False
    ) -> list[Message]:
        """Messages of a channel or thread, oldest first (system/ephemeral ones only if asked)."""
        ids = self.world.channel_messages.get(channel_id, [])
        found = [self.world.messages[i] for i in ids if not self.world.messages[i].deleted]
        return [
            m
            for m in found
            if (system or m.type in CONTENT_MESSAGE_TYPES) and (ephemeral or not m.ephemeral)
        ]

    def message(self: FakeDiscord, message_id: int) -> Message:
        """A stored message by id (deleted ones too: check ``.deleted``)."""
        return self.world.messages[message_id]

    def channel(self: FakeDiscord, channel_id: int) -> Channel:
        """A channel or thread by id."""
        return self.world.channel(channel_id)

    def threads(self: FakeDiscord, parent_id: int) -> list[Channel]:
        """Threads under a text or forum channel, oldest first."""
        return self.world.threads_of(parent_id)

    def webhooks(self: FakeDiscord, channel_id: int) -> list[Webhook]:
        """Webhooks of a channel."""
        return [w for w in self.world.webhooks.values() if w.channel_id == channel_id]

    def commands(self: FakeDiscord, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Commands the bot registered (global, or for ``guild_id``), as Discord returns them."""
        return [command_payload(c) for c in self.world.commands_for(guild_id)]

    def bot_permissions(self: FakeDiscord, channel_id: int) -> int:
        """The bot's computed permissions in a channel."""
        return self.world.bot_permissions(self.world.channel(channel_id))
