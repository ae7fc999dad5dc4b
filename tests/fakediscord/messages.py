"""Turn a create/edit body into a stored :class:`Message`: embeds, mentions, flags, files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import payloads
from .models import Channel, Message
from .state import World

# Flags a sender may set; Discord ignores the rest.
SENDABLE_FLAGS = (1 << 2) | (1 << 6) | (1 << 12) | (1 << 15)
_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


@dataclass
class Upload:
    """A file part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


def normalise_embed(embed: dict[str, Any]) -> dict[str, Any]:
    """Return the embed as Discord stores it (``type`` defaults to ``rich``)."""
    stored = {k: v for k, v in embed.items() if v is not None}
    stored.setdefault("type", "rich")
    for fld in stored.get("fields") or []:
        fld.setdefault("inline", False)
    return stored


def resolve_mentions(world: World, msg: Message, guild_id: int | None) -> None:
    """Fill ``mentions``/``mention_roles``/``mention_everyone`` honouring ``allowed_mentions``.

    Without ``allowed_mentions`` Discord parses everything; with it only the listed kinds/ids.
    """
    allowed = msg.allowed_mentions
    parse = (
        set(allowed.get("parse") or []) if allowed is not None else {"users", "roles", "everyone"}
    )
    users = {int(u) for u in (allowed or {}).get("users") or []}
    roles = {int(r) for r in (allowed or {}).get("roles") or []}
    mentioned: list[dict[str, Any]] = []
    for match in _USER_MENTION.finditer(msg.content):
        user_id = int(match.group(1))
        user = world.users.get(user_id)
        wanted = user is not None and ("users" in parse or user_id in users)
        if wanted and all(m["id"] != str(user_id) for m in mentioned):
            mentioned.append(payloads.user(user))
    msg.mentions = mentioned
    guild = world.guilds.get(guild_id) if guild_id else None
    role_ids = [int(m.group(1)) for m in _ROLE_MENTION.finditer(msg.content)]
    msg.mention_roles = [
        str(r) for r in role_ids if guild and r in guild.roles and ("roles" in parse or r in roles)
    ]
    wants_everyone = "@everyone" in msg.content or "@here" in msg.content
    msg.mention_everyone = wants_everyone and "everyone" in parse


def attachments(
    world: World, channel_id: int, body: dict[str, Any], files: list[Upload]
) -> list[dict[str, Any]]:
    """Attachment objects for uploaded files (URLs point at the fake, which does not serve them)."""
    described = {int(a.get("id", i)): a for i, a in enumerate(body.get("attachments") or [])}
    result = []
    for index, upload in enumerate(files):
        attachment_id = world.ids.next()
        url = f"https://cdn.fake.invalid/attachments/{channel_id}/{attachment_id}/{upload.filename}"
        result.append(
            {
                "id": str(attachment_id),
                "filename": upload.filename,
                "size": len(upload.data),
                "url": url,
                "proxy_url": url,
                "content_type": upload.content_type,
                "description": described.get(index, {}).get("description"),
            }
        )
    return result


def build(
    world: World,
    channel: Channel,
    body: dict[str, Any],
    author: dict[str, Any],
    *,
    files: list[Upload] | None = None,
    webhook_id: int | None = None,
    type: int = 0,
) -> Message:
    """Create (but do not store) a message in ``channel`` from a request ``body``."""
    message_id = world.ids.next()
    msg = Message(
        id=message_id,
        channel_id=channel.id,
        guild_id=channel.guild_id,
        author=author,
        timestamp=world.now_iso(),
        type=type,
        webhook_id=webhook_id,
        sent=dict(body),
    )
    apply_edit(world, msg, body, files=files or [])
    msg.tts = bool(body.get("tts", False))
    msg.nonce = body.get("nonce")
    reference = body.get("message_reference")
    if reference:
        msg.type = 19
        msg.message_reference = {"type": 0, "channel_id": str(channel.id), **reference}
    return msg


def apply_edit(world: World, msg: Message, body: dict[str, Any], *, files: list[Upload]) -> None:
    """Apply the fields present in ``body`` to ``msg`` (absent fields stay as they were)."""
    if "content" in body:
        msg.content = body["content"] or ""
    if "embeds" in body:
        msg.embeds = [normalise_embed(e) for e in body["embeds"] or []]
    if "components" in body:
        msg.components = list(body["components"] or [])
    if "flags" in body and body["flags"] is not None:
        keep = msg.flags & ~SENDABLE_FLAGS
        msg.flags = keep | (int(body["flags"]) & SENDABLE_FLAGS)
    if "allowed_mentions" in body:
        msg.allowed_mentions = body["allowed_mentions"]
    if files or "attachments" in body:
        kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
        kept = [a for a in msg.attachments if a["id"] in kept_ids]
        added = attachments(world, msg.channel_id, body, files)
        msg.attachments = kept + added
        msg.uploads.update({a["id"]: f.data for a, f in zip(added, files, strict=True)})
    resolve_mentions(world, msg, msg.guild_id)


def gateway_payload(world: World, msg: Message) -> dict[str, Any]:
    """MESSAGE_CREATE/UPDATE data: the REST shape plus ``guild_id`` and the author's ``member``."""
    data = payloads.message(msg)
    if msg.guild_id is None:
        return data
    data["guild_id"] = str(msg.guild_id)
    guild = world.guilds.get(msg.guild_id)
    member = guild.members.get(msg.author_id) if guild and msg.webhook_id is None else None
    if member is not None:
        data["member"] = payloads.member(member, None)
    return data
