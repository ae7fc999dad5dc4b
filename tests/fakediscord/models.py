"""The fake's stored objects: plain dataclasses; :mod:`payloads` turns them into Discord JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

THREAD_TYPES = frozenset({10, 11, 12})
#: Channel types that hold messages directly (text, voice, news and the three thread types).
MESSAGE_TYPES = frozenset({0, 2, 5, 10, 11, 12, 13})
#: Message types a person would read as content (default, reply, slash-command response, ...).
CONTENT_MESSAGE_TYPES = frozenset({0, 19, 20, 23})
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class User:
    """A Discord user (the bot, a guild owner, a test member)."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    avatar: str | None = None


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None


@dataclass
class Member:
    """A guild member: a user plus their role ids."""

    user_id: int
    guild_id: int
    roles: list[int]
    joined_at: str
    nick: str | None = None


@dataclass
class Overwrite:
    """A channel permission overwrite; ``type`` 0 is a role, 1 a member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


@dataclass
class Channel:
    """A guild channel or thread (threads have ``parent_id`` and thread metadata)."""

    id: int
    guild_id: int
    type: int
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    flags: int = 0
    default_auto_archive_duration: int = 4320
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    # thread-only fields
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 4320
    archive_timestamp: str | None = None
    create_timestamp: str | None = None
    message_count: int = 0
    total_message_sent: int = 0
    member_ids: set[int] = field(default_factory=set)
    applied_tags: list[int] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        """True for public, private and announcement threads."""
        return self.type in THREAD_TYPES


@dataclass
class Message:
    """A stored message, with what the sender asked for kept next to what Discord shows."""

    id: int
    channel_id: int
    guild_id: int | None
    author: dict[str, Any]
    timestamp: str
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    mention_roles: list[str] = field(default_factory=list)
    mention_everyone: bool = False
    flags: int = 0
    type: int = 0
    tts: bool = False
    pinned: bool = False
    webhook_id: int | None = None
    application_id: int | None = None
    allowed_mentions: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    interaction_metadata: dict[str, Any] | None = None
    edited_timestamp: str | None = None
    thread_id: int | None = None
    position: int | None = None
    nonce: str | int | None = None
    interaction_id: int | None = None
    sent: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)  # attachment id -> the bytes sent
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def author_id(self) -> int:
        """Id of the author (the webhook id for webhook messages)."""
        return int(self.author["id"])

    @property
    def author_name(self) -> str:
        """Display name: the webhook username override, else the author's username."""
        return str(self.author.get("global_name") or self.author["username"])

    @property
    def ephemeral(self) -> bool:
        """True when only the interaction's user can see this message."""
        return bool(self.flags & EPHEMERAL)

    @property
    def is_webhook(self) -> bool:
        """True for messages posted through a webhook (channel webhooks and interactions)."""
        return self.webhook_id is not None


@dataclass
class Webhook:
    """An incoming webhook (type 1) bound to a channel."""

    id: int
    token: str
    channel_id: int
    guild_id: int
    name: str
    avatar: str | None = None
    application_id: int | None = None
    creator_id: int | None = None
    type: int = 1


@dataclass
class Guild:
    """A guild: roles, members and the ids of its channels and threads."""

    id: int
    name: str
    owner_id: int
    bot_role_id: int = 0
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    preferred_locale: str = "en-US"
    features: list[str] = field(default_factory=list)
    joined_at: str = ""
    # AutoMod keyword rules (trigger type KEYWORD, action BLOCK_MESSAGE): words matched whole and
    # case-insensitively, as Discord matches a keyword without wildcards.
    automod_keywords: list[str] = field(default_factory=list)


@dataclass
class Command:
    """An application command as the bot registered it, with the id the fake assigned."""

    id: int
    application_id: int
    guild_id: int | None
    version: int
    data: dict[str, Any]

    @property
    def name(self) -> str:
        """The command's top-level name."""
        return str(self.data["name"])

    @property
    def type(self) -> int:
        """1 chat input, 2 user, 3 message."""
        return int(self.data.get("type", 1))


@dataclass
class Interaction:
    """An interaction the fake dispatched and everything the bot did with it."""

    id: int
    token: str
    type: int
    payload: dict[str, Any]
    dispatched_at: float
    guild_id: int | None
    channel_id: int
    user_id: int
    source_message_id: int | None = None
    callback_type: int | None = None
    callback_body: dict[str, Any] | None = None
    callback_error: dict[str, Any] | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    expired: bool = False
