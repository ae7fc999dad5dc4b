"""The fake's world: users, guilds, channels, messages, webhooks, commands and interactions."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import errors, payloads
from .clock import Clock, Snowflakes, iso_from_epoch
from .models import (
    Channel,
    Command,
    Guild,
    Interaction,
    Member,
    Message,
    Overwrite,
    Role,
    User,
    Webhook,
)
from .permissions import DEFAULT_BOT, DEFAULT_EVERYONE, P, channel_permissions

#: ``emit(event_name, data)`` sends a gateway dispatch; the gateway applies intents.
Emit = Callable[[str, dict[str, Any]], None]
OverwriteSpec = Mapping[int, tuple[int, int]] | Iterable[Overwrite] | None


class World:
    """All state the REST routes, the gateway and the test helpers share."""

    def __init__(self, *, token: str, app_id: int, bot_name: str, clock: Clock) -> None:
        """Create an empty world containing only the bot user."""
        self.clock = clock
        self.ids = Snowflakes(clock)
        self.token = token
        self.app_id = app_id
        self.bot = User(id=app_id, username=bot_name, bot=True)
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.webhooks: dict[int, Webhook] = {}
        self.commands: dict[int, Command] = {}
        self.interactions: dict[int, Interaction] = {}
        #: (channel id, author id, nonce) -> message id, for ``enforce_nonce`` de-duplication.
        self.nonces: dict[tuple[int, int, str], int] = {}
        self.emit: Emit = lambda event, data: None
        #: What happens to a bot's embeds without EMBED_LINKS: ``"drop"`` (Discord today) or ``"reject"``.
        self.embed_links_policy = "drop"
        # Discord allows 1000 active (unarchived) threads per guild; tests may lower it.
        self.max_active_threads = 1000

    # ----- building the world -------------------------------------------------------------
    def now_iso(self) -> str:
        """The fake clock's current time as an ISO 8601 string."""
        return iso_from_epoch(self.clock.wall())

    def add_user(self, username: str, *, bot: bool = False) -> int:
        """Create a user and return its id."""
        user = User(id=self.ids.next(), username=username, bot=bot)
        self.users[user.id] = user
        return user.id

    def add_guild(
        self,
        name: str,
        *,
        owner_name: str = "owner",
        bot_permissions: int = DEFAULT_BOT,
        everyone_permissions: int = DEFAULT_EVERYONE,
        on_shard: tuple[int, int] | None = None,
    ) -> int:
        """Create a guild with @everyone, the bot's managed role, an owner and the bot as members;
        ``on_shard=(id, count)`` picks an id that Discord's formula puts on that shard."""
        guild_id = self.ids.next() if on_shard is None else self.ids.next_on_shard(*on_shard)
        owner_id = self.add_user(owner_name)
        guild = Guild(id=guild_id, name=name, owner_id=owner_id, joined_at=self.now_iso())
        guild.roles[guild_id] = Role(guild_id, guild_id, "@everyone", everyone_permissions)
        bot_role = Role(
            self.ids.next(),
            guild_id,
            self.bot.username,
            bot_permissions,
            1,
            managed=True,
            bot_id=self.bot.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        self.guilds[guild_id] = guild
        for user_id, roles in ((owner_id, []), (self.bot.id, [bot_role.id])):
            guild.members[user_id] = Member(user_id, guild_id, roles, self.now_iso())
        return guild_id

    def add_role(self, guild_id: int, name: str, permissions: int = 0) -> int:
        """Create a role below the bot's role and return its id."""
        guild = self.guild(guild_id)
        role = Role(self.ids.next(), guild_id, name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        self.emit("GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": payloads.role(role)})
        return role.id

    def add_member(
        self, guild_id: int, user_name: str, *, roles: Iterable[int] = (), owner: bool = False
    ) -> int:
        """Create a user, make them a member with ``roles`` (and the owner if asked); return the id."""
        guild = self.guild(guild_id)
        user_id = self.add_user(user_name)
        guild.members[user_id] = Member(user_id, guild_id, list(roles), self.now_iso())
        if owner:
            guild.owner_id = user_id
        data = payloads.member(guild.members[user_id], self.users[user_id])
        self.emit("GUILD_MEMBER_ADD", {**data, "guild_id": str(guild_id)})
        return user_id

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type: int = 0,
        overwrites: OverwriteSpec = None,
        topic: str | None = None,
        parent_id: int | None = None,
        tags: Iterable[str] = (),
    ) -> int:
        """Create a guild channel of ``type`` (0 text, 4 category, 5 news, 15 forum); return its id."""
        guild = self.guild(guild_id)
        channel = Channel(
            id=self.ids.next(),
            guild_id=guild_id,
            type=type,
            name=name,
            position=len(guild.channel_ids),
            parent_id=parent_id,
            topic=topic,
        )
        channel.overwrites = self._overwrites(guild, overwrites)
        channel.available_tags = [
            {
                "id": str(self.ids.next()),
                "name": tag,
                "moderated": False,
                "emoji_id": None,
                "emoji_name": None,
            }
            for tag in tags
        ]
        self.channels[channel.id] = channel
        self.channel_messages[channel.id] = []
        guild.channel_ids.append(channel.id)
        self.emit("CHANNEL_CREATE", payloads.channel(channel))
        return channel.id

    def _overwrites(self, guild: Guild, spec: OverwriteSpec) -> dict[int, Overwrite]:
        if spec is None:
            return {}
        if isinstance(spec, Mapping):
            return {
                target: Overwrite(target, 0 if target in guild.roles else 1, allow, deny)
                for target, (allow, deny) in spec.items()
            }
        return {o.id: o for o in spec}

    # ----- lookups (raise Discord's errors) ----------------------------------------------
    def guild(self, guild_id: int) -> Guild:
        """Return a guild or raise 10004 Unknown Guild."""
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise errors.unknown("Guild") from None

    def channel(self, channel_id: int) -> Channel:
        """Return a channel or thread or raise 10003 Unknown Channel."""
        try:
            return self.channels[channel_id]
        except KeyError:
            raise errors.unknown("Channel") from None

    def message(self, channel_id: int, message_id: int) -> Message:
        """Return a live message in ``channel_id`` or raise 10008 Unknown Message."""
        msg = self.messages.get(message_id)
        if msg is None or msg.deleted or msg.channel_id != channel_id:
            raise errors.unknown("Message")
        return msg

    def webhook(self, webhook_id: int) -> Webhook:
        """Return a webhook or raise 10015 Unknown Webhook."""
        try:
            return self.webhooks[webhook_id]
        except KeyError:
            raise errors.unknown("Webhook") from None

    def member(self, guild_id: int, user_id: int) -> Member:
        """Return a member or raise 10007 Unknown Member."""
        try:
            return self.guild(guild_id).members[user_id]
        except KeyError:
            raise errors.unknown("Member") from None

    def parent_of(self, channel: Channel) -> Channel:
        """The channel whose overwrites apply: the parent for a thread, else the channel itself."""
        if channel.is_thread and channel.parent_id is not None:
            return self.channels.get(channel.parent_id, channel)
        return channel

    def permissions(self, user_id: int, channel: Channel) -> int:
        """Permissions of ``user_id`` in ``channel``, computed as Discord does."""
        guild = self.guild(channel.guild_id)
        member = guild.members.get(user_id)
        if member is None:
            return 0
        return channel_permissions(guild, member, self.parent_of(channel))

    def bot_permissions(self, channel: Channel) -> int:
        """The bot's permissions in ``channel``."""
        return self.permissions(self.bot.id, channel)

    def require(self, channel: Channel, *needed: P) -> None:
        """Raise 50001 if the bot cannot see ``channel``, 50013 if it lacks any of ``needed``."""
        perms = self.bot_permissions(channel)
        if not perms & P.VIEW_CHANNEL:
            raise errors.missing_access()
        for perm in needed:
            if not perms & perm:
                raise errors.missing_permissions()

    def live_messages(self, channel_id: int) -> list[Message]:
        """Messages of a channel or thread, oldest first, without deleted or ephemeral ones."""
        ids = self.channel_messages.get(channel_id, [])
        found = (self.messages[i] for i in ids)
        return [m for m in found if not m.deleted and not m.ephemeral]

    def threads_of(self, parent_id: int) -> list[Channel]:
        """Threads whose parent is ``parent_id``, oldest first."""
        return [c for c in self.channels.values() if c.is_thread and c.parent_id == parent_id]

    def interaction_by_token(self, token: str) -> Interaction | None:
        """The interaction with this token, if any."""
        return next((i for i in self.interactions.values() if i.token == token), None)

    def commands_for(self, guild_id: int | None) -> list[Command]:
        """Commands registered globally (``None``) or for one guild."""
        return [c for c in self.commands.values() if c.guild_id == guild_id]
