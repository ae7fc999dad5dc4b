"""State changes shared by REST routes and the admin helpers; each emits its gateway events."""

from __future__ import annotations

import copy
import re
from typing import Any

from . import errors, messages, payloads, validation
from .clock import new_token
from .errors import ApiError
from .messages import Upload
from .models import MESSAGE_TYPES, Channel, Message, Webhook
from .permissions import P
from .state import World

MAX_WEBHOOKS_PER_CHANNEL = 15


def store_message(world: World, msg: Message) -> Message:
    """Append ``msg`` to its channel, update counters and emit MESSAGE_CREATE (unless ephemeral)."""
    world.messages[msg.id] = msg
    world.channel_messages.setdefault(msg.channel_id, []).append(msg.id)
    if msg.ephemeral:
        return msg
    channel = world.channels.get(msg.channel_id)
    if channel is not None:
        channel.last_message_id = msg.id
        if channel.is_thread:
            msg.position = channel.total_message_sent
            channel.message_count += 1
            channel.total_message_sent += 1
    world.emit("MESSAGE_CREATE", messages.gateway_payload(world, msg))
    return msg


def check_automod(world: World, channel: Channel, content: object, *, title: bool = False) -> None:
    """Raise 400/200000 (200001 for a thread's ``title``) if the guild's AutoMod keyword rules
    block ``content``."""
    guild = world.guilds.get(channel.guild_id) if channel.guild_id else None
    if guild is None or not isinstance(content, str):
        return
    for keyword in guild.automod_keywords:
        if re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", content, re.IGNORECASE):
            if title:
                raise ApiError(400, 200001, "Title was blocked by automatic moderation")
            raise ApiError(400, 200000, "Message was blocked by automatic moderation")


def check_writable(world: World, channel: Channel, *, as_bot: bool) -> None:
    """Raise unless ``channel`` accepts messages from the bot (or from a webhook)."""
    if channel.type not in MESSAGE_TYPES:
        raise errors.non_text_channel()
    if as_bot:
        needed = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
        world.require(channel, needed)
    locked = channel.is_thread and channel.archived and channel.locked
    if locked and not (as_bot and world.bot_permissions(channel) & P.MANAGE_THREADS):
        raise errors.archived_thread()


def unarchive_for_message(world: World, channel: Channel) -> None:
    """A message into an archived thread unarchives it (THREAD_UPDATE), as Discord does."""
    if channel.is_thread and channel.archived:
        update_thread(world, channel, {"archived": False})


def apply_embed_links(world: World, channel: Channel, body: dict[str, Any]) -> dict[str, Any]:
    """Without EMBED_LINKS Discord silently drops a bot's embeds (or refuses, if so configured)."""
    if not body.get("embeds") or world.bot_permissions(channel) & P.EMBED_LINKS:
        return body
    if world.embed_links_policy == "reject":
        raise errors.missing_permissions()
    return {**body, "embeds": []}


def post_bot_message(
    world: World, channel: Channel, body: dict[str, Any], files: list[Upload]
) -> Message:
    """``POST /channels/{id}/messages`` as the bot: permissions, limits, then store."""
    check_writable(world, channel, as_bot=True)
    nonce_key = (channel.id, world.bot.id, str(body.get("nonce")))
    if body.get("enforce_nonce") and nonce_key in world.nonces:
        # Discord returns the message already created with this nonce instead of a duplicate.
        return world.messages[world.nonces[nonce_key]]
    if files:
        world.require(channel, P.ATTACH_FILES)
    validation.validate_message(body, files=len(files))
    body = apply_embed_links(world, channel, body)
    validation.validate_message(body, files=len(files))
    unarchive_for_message(world, channel)
    msg = messages.build(world, channel, body, payloads.user(world.bot), files=files)
    if body.get("nonce") is not None:
        world.nonces[nonce_key] = msg.id
    return store_message(world, msg)


def edit_message(
    world: World, msg: Message, body: dict[str, Any], files: list[Upload], *, clear_flags: int = 0
) -> Message:
    """Apply an edit (and clear ``clear_flags``), keep it in ``msg.edits``, emit MESSAGE_UPDATE."""
    form = errors.FormErrors()
    validation.check_message(form, body)
    form.raise_if_any()
    before = copy.deepcopy(msg.__dict__)
    messages.apply_edit(world, msg, body, files=files)
    msg.flags &= ~clear_flags
    if validation.is_empty(payloads.message(msg), files=len(msg.attachments)):
        msg.__dict__.update(before)  # a refused edit leaves the message as it was
        raise errors.empty_message()
    msg.edits.append(dict(body))
    msg.edited_timestamp = world.now_iso()
    if not msg.ephemeral:
        world.emit("MESSAGE_UPDATE", messages.gateway_payload(world, msg))
    return msg


def delete_message(world: World, msg: Message) -> None:
    """Mark ``msg`` deleted and emit MESSAGE_DELETE."""
    msg.deleted = True
    data = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
    if msg.guild_id is not None:
        data["guild_id"] = str(msg.guild_id)
    if not msg.ephemeral:
        world.emit("MESSAGE_DELETE", data)


def create_thread(
    world: World,
    parent: Channel,
    name: str,
    *,
    type: int = 11,
    owner_id: int,
    auto_archive_duration: int | None = None,
    thread_id: int | None = None,
    applied_tags: list[int] | None = None,
) -> Channel:
    """Create a thread under ``parent`` and emit THREAD_CREATE (``newly_created``)."""
    active = sum(
        1
        for c in world.channels.values()
        if c.guild_id == parent.guild_id and c.type in (10, 11, 12) and not c.archived
    )
    if active >= world.max_active_threads:
        raise errors.ApiError(400, 160006, "Maximum number of active threads reached")
    thread = Channel(
        id=thread_id or world.ids.next(),
        guild_id=parent.guild_id,
        type=type,
        name=name.strip(),
        parent_id=parent.id,
        owner_id=owner_id,
        auto_archive_duration=auto_archive_duration or parent.default_auto_archive_duration,
        archive_timestamp=world.now_iso(),
        create_timestamp=world.now_iso(),
        applied_tags=list(applied_tags or []),
        member_ids={owner_id},
    )
    world.channels[thread.id] = thread
    world.channel_messages[thread.id] = []
    world.guild(parent.guild_id).channel_ids.append(thread.id)
    data = payloads.thread(thread)
    data["newly_created"] = True
    if owner_id == world.bot.id:
        data["member"] = payloads.thread_member(thread, owner_id, world.now_iso())
    world.emit("THREAD_CREATE", data)
    return thread


def system_message(
    world: World, channel: Channel, type: int, content: str, reference: dict[str, Any]
) -> Message:
    """Store a system message (18 thread created, 21 thread starter) authored by the bot."""
    msg = messages.build(world, channel, {"content": content}, payloads.user(world.bot), type=type)
    msg.message_reference = {"type": 0, **reference}
    return store_message(world, msg)


def update_thread(world: World, thread: Channel, changes: dict[str, Any]) -> Channel:
    """Apply thread changes (name, archived, locked, ...) and emit THREAD_UPDATE."""
    if "name" in changes and changes["name"] is not None:
        thread.name = str(changes["name"]).strip()
    if changes.get("archived") is not None and bool(changes["archived"]) != thread.archived:
        thread.archived = bool(changes["archived"])
        thread.archive_timestamp = world.now_iso()
    if changes.get("locked") is not None:
        thread.locked = bool(changes["locked"])
    if changes.get("auto_archive_duration") is not None:
        thread.auto_archive_duration = int(changes["auto_archive_duration"])
    if changes.get("applied_tags") is not None:
        thread.applied_tags = [int(t) for t in changes["applied_tags"]]
    if changes.get("rate_limit_per_user") is not None:
        thread.rate_limit_per_user = int(changes["rate_limit_per_user"])
    world.emit("THREAD_UPDATE", payloads.thread(thread))
    return thread


def delete_channel(world: World, channel: Channel) -> dict[str, Any]:
    """Remove a channel (with its threads and webhooks) or a thread; emit the delete events."""
    data = payloads.channel(channel)
    for thread in world.threads_of(channel.id):
        delete_channel(world, thread)
    for hook in [w for w in world.webhooks.values() if w.channel_id == channel.id]:
        del world.webhooks[hook.id]
    del world.channels[channel.id]
    guild = world.guilds.get(channel.guild_id)
    if guild is not None and channel.id in guild.channel_ids:
        guild.channel_ids.remove(channel.id)
    if channel.is_thread:
        event = {
            "id": str(channel.id),
            "guild_id": str(channel.guild_id),
            "parent_id": str(channel.parent_id),
            "type": channel.type,
        }
        world.emit("THREAD_DELETE", event)
    else:
        world.emit("CHANNEL_DELETE", data)
    return data


def create_webhook(world: World, channel: Channel, name: str, avatar: str | None) -> Webhook:
    """Create an app-owned webhook in ``channel`` and emit WEBHOOKS_UPDATE."""
    if channel.is_thread or channel.type not in (0, 2, 5, 13, 15, 16):
        raise errors.wrong_channel_type()
    if (
        sum(1 for w in world.webhooks.values() if w.channel_id == channel.id)
        >= MAX_WEBHOOKS_PER_CHANNEL
    ):
        raise errors.max_webhooks()
    hook = Webhook(
        id=world.ids.next(),
        token=new_token(),
        channel_id=channel.id,
        guild_id=channel.guild_id,
        name=name,
        avatar=avatar,
        application_id=world.app_id,
        creator_id=world.bot.id,
    )
    world.webhooks[hook.id] = hook
    _webhooks_update(world, hook)
    return hook


def delete_webhook(world: World, hook: Webhook) -> None:
    """Delete ``hook`` and emit WEBHOOKS_UPDATE."""
    world.webhooks.pop(hook.id, None)
    _webhooks_update(world, hook)


def _webhooks_update(world: World, hook: Webhook) -> None:
    world.emit(
        "WEBHOOKS_UPDATE", {"guild_id": str(hook.guild_id), "channel_id": str(hook.channel_id)}
    )
