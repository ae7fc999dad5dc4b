"""Serialise stored models into the JSON shapes Discord sends (see discord/types/*.py)."""

from __future__ import annotations

from typing import Any

from .models import Channel, Guild, Member, Message, Role, User, Webhook


def user(u: User) -> dict[str, Any]:
    """A user object."""
    data: dict[str, Any] = {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": u.avatar,
        "avatar_decoration_data": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
    }
    if u.bot:
        data["bot"] = True
    return data


def role(r: Role) -> dict[str, Any]:
    """A role object."""
    data: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def member(m: Member, u: User | None, *, permissions: int | None = None) -> dict[str, Any]:
    """A guild member object; ``u`` adds the nested user, ``permissions`` the interaction field."""
    data: dict[str, Any] = {
        "roles": [str(r) for r in m.roles],
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "joined_at": m.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if u is not None:
        data["user"] = user(u)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def overwrites(ch: Channel) -> list[dict[str, Any]]:
    """A channel's permission overwrites."""
    return [
        {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
        for o in ch.overwrites.values()
    ]


def _snowflake(value: int | None) -> str | None:
    return None if value is None else str(value)


def channel(ch: Channel, *, with_guild_id: bool = True) -> dict[str, Any]:
    """A guild channel object (text, forum, category...) or a thread object."""
    if ch.is_thread:
        return thread(ch, with_guild_id=with_guild_id)
    data: dict[str, Any] = {
        "id": str(ch.id),
        "type": ch.type,
        "name": ch.name,
        "position": ch.position,
        "parent_id": _snowflake(ch.parent_id),
        "permission_overwrites": overwrites(ch),
        "nsfw": ch.nsfw,
        "flags": ch.flags,
    }
    if with_guild_id:
        data["guild_id"] = str(ch.guild_id)
    if ch.type in (0, 5, 15, 16):
        data.update(
            topic=ch.topic,
            last_message_id=_snowflake(ch.last_message_id),
            rate_limit_per_user=ch.rate_limit_per_user,
            default_auto_archive_duration=ch.default_auto_archive_duration,
            default_thread_rate_limit_per_user=0,
        )
    if ch.type in (15, 16):
        data.update(
            available_tags=ch.available_tags,
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
        )
    return data


def thread(ch: Channel, *, with_guild_id: bool = True) -> dict[str, Any]:
    """A thread channel object with ``thread_metadata``."""
    metadata: dict[str, Any] = {
        "archived": ch.archived,
        "auto_archive_duration": ch.auto_archive_duration,
        "archive_timestamp": ch.archive_timestamp,
        "locked": ch.locked,
        "create_timestamp": ch.create_timestamp,
    }
    if ch.type == 12:
        metadata["invitable"] = ch.invitable
    data: dict[str, Any] = {
        "id": str(ch.id),
        "type": ch.type,
        "name": ch.name,
        "parent_id": _snowflake(ch.parent_id),
        "owner_id": _snowflake(ch.owner_id),
        "last_message_id": _snowflake(ch.last_message_id),
        "rate_limit_per_user": ch.rate_limit_per_user,
        "message_count": ch.message_count,
        "member_count": len(ch.member_ids),
        "total_message_sent": ch.total_message_sent,
        "thread_metadata": metadata,
        "flags": ch.flags,
        "applied_tags": [str(t) for t in ch.applied_tags],
        "nsfw": False,
    }
    if with_guild_id:
        data["guild_id"] = str(ch.guild_id)
    return data


def thread_member(ch: Channel, user_id: int, joined_at: str) -> dict[str, Any]:
    """A thread member object."""
    return {"id": str(ch.id), "user_id": str(user_id), "join_timestamp": joined_at, "flags": 0}


def message(msg: Message) -> dict[str, Any]:
    """A message object as REST returns it (gateway adds ``guild_id`` and ``member``)."""
    data: dict[str, Any] = {
        "id": str(msg.id),
        "channel_id": str(msg.channel_id),
        "author": msg.author,
        "content": msg.content,
        "timestamp": msg.timestamp,
        "edited_timestamp": msg.edited_timestamp,
        "tts": msg.tts,
        "mention_everyone": msg.mention_everyone,
        "mentions": msg.mentions,
        "mention_roles": msg.mention_roles,
        "attachments": msg.attachments,
        "embeds": msg.embeds,
        "pinned": msg.pinned,
        "type": msg.type,
        "flags": msg.flags,
        "components": msg.components,
    }
    if msg.webhook_id is not None:
        data["webhook_id"] = str(msg.webhook_id)
    if msg.application_id is not None:
        data["application_id"] = str(msg.application_id)
    if msg.message_reference is not None:
        data["message_reference"] = msg.message_reference
    if msg.interaction_metadata is not None:
        data["interaction_metadata"] = msg.interaction_metadata
    if msg.position is not None:
        data["position"] = msg.position
    if msg.nonce is not None:
        data["nonce"] = msg.nonce
    return data


def webhook(w: Webhook, creator: User | None, *, with_token: bool = True) -> dict[str, Any]:
    """A webhook object."""
    data: dict[str, Any] = {
        "id": str(w.id),
        "type": w.type,
        "guild_id": str(w.guild_id),
        "channel_id": str(w.channel_id),
        "name": w.name,
        "avatar": w.avatar,
        "application_id": _snowflake(w.application_id),
    }
    if with_token:
        data["token"] = w.token
    if creator is not None:
        data["user"] = user(creator)
    return data


def guild(g: Guild) -> dict[str, Any]:
    """A guild object as ``GET /guilds/{id}`` returns it."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(g.owner_id),
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role(r) for r in sorted(g.roles.values(), key=lambda r: r.position)],
        "emojis": [],
        "stickers": [],
        "features": list(g.features),
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "max_members": 500000,
        "vanity_url_code": None,
        "description": None,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.preferred_locale,
        "public_updates_channel_id": None,
        "max_video_channel_users": 25,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "incidents_data": None,
        "approximate_member_count": len(g.members),
        "approximate_presence_count": 0,
    }
