"""Channels and their messages: ``/channels/{channel_id}`` and ``.../messages``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import actions, errors, payloads, validation
from .errors import FormErrors
from .models import Channel, Message
from .permissions import P
from .router import Ctx, Router, json_response, no_content

_CHANNEL_FIELDS = (
    "name",
    "topic",
    "nsfw",
    "rate_limit_per_user",
    "position",
    "parent_id",
    "default_auto_archive_duration",
)


def register(router: Router) -> None:
    """Add this module's routes to ``router``."""
    route = router.add

    @route("GET", "/channels/{channel_id}")
    async def get_channel(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(channel)
        return json_response(payloads.channel(channel))

    @route("PATCH", "/channels/{channel_id}")
    async def edit_channel(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        if channel.is_thread:
            return json_response(payloads.thread(edit_thread(ctx, channel)))
        ctx.world.require(channel, P.MANAGE_CHANNELS)
        body = ctx.body()
        if "name" in body:
            form = FormErrors()
            if not isinstance(body["name"], str) or not 1 <= len(body["name"]) <= 100:
                form.bad_length(("name",), 1, 100)
            form.raise_if_any()
        for key in _CHANNEL_FIELDS:
            if key in body:
                setattr(channel, key, body[key])
        ctx.world.emit("CHANNEL_UPDATE", payloads.channel(channel))
        return json_response(payloads.channel(channel))

    @route("DELETE", "/channels/{channel_id}")
    async def delete_channel(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(channel, P.MANAGE_THREADS if channel.is_thread else P.MANAGE_CHANNELS)
        return json_response(actions.delete_channel(ctx.world, channel))

    @route("GET", "/channels/{channel_id}/messages")
    async def history(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(channel)
        # Discord answers an empty list, not 403, without READ_MESSAGE_HISTORY.
        if not ctx.world.bot_permissions(channel) & P.READ_MESSAGE_HISTORY:
            return json_response([])
        found = select_history(ctx.world.live_messages(channel.id), ctx.query)
        return json_response([payloads.message(m) for m in found])

    @route("POST", "/channels/{channel_id}/messages")
    async def create_message(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        msg = actions.post_bot_message(ctx.world, channel, ctx.body(), ctx.files)
        return json_response(payloads.message(msg))

    @route("GET", "/channels/{channel_id}/messages/{message_id}")
    async def get_message(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(channel, P.READ_MESSAGE_HISTORY)
        msg = _visible(ctx.world.message(channel.id, ctx.id("message_id")))
        return json_response(payloads.message(msg))

    @route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    async def edit_message(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(channel)
        msg = _visible(ctx.world.message(channel.id, ctx.id("message_id")))
        if msg.author_id != ctx.world.bot.id or msg.webhook_id is not None:
            raise errors.cannot_edit_others()
        if channel.is_thread and channel.archived:
            raise errors.archived_thread()
        body = actions.apply_embed_links(ctx.world, channel, ctx.body())
        return json_response(
            payloads.message(actions.edit_message(ctx.world, msg, body, ctx.files))
        )

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def delete_message(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(channel)
        msg = _visible(ctx.world.message(channel.id, ctx.id("message_id")))
        if msg.author_id != ctx.world.bot.id or msg.webhook_id is not None:
            ctx.world.require(channel, P.MANAGE_MESSAGES)
        actions.delete_message(ctx.world, msg)
        return no_content()

    @route("POST", "/channels/{channel_id}/typing")
    async def typing(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(
            channel, P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
        )
        return no_content()


def _visible(msg: Message) -> Message:
    if msg.ephemeral:
        raise errors.unknown("Message")
    return msg


def select_history(ordered: list[Message], query: dict[str, str]) -> list[Message]:
    """Apply ``limit``/``before``/``after``/``around``; newest first, as Discord returns them."""
    form = FormErrors()
    raw_limit = query.get("limit", "50")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100:
        form.add(("limit",), "NUMBER_TYPE_MAX", "int value should be less than or equal to 100.")
    form.raise_if_any()
    limit = int(raw_limit)
    if "around" in query:
        pivot = int(query["around"])
        older = [m for m in ordered if m.id < pivot][-(limit // 2) :] if limit > 1 else []
        newer = [m for m in ordered if m.id >= pivot][: limit - len(older)]
        return list(reversed(older + newer))
    if "after" in query:
        after = int(query["after"])
        return list(reversed([m for m in ordered if m.id > after][:limit]))
    before = int(query["before"]) if "before" in query else None
    older = [m for m in ordered if before is None or m.id < before]
    return list(reversed(older[-limit:]))


def edit_thread(ctx: Ctx, thread: Channel) -> Channel:
    """``PATCH /channels/{thread_id}``: the creator or MANAGE_THREADS; locking needs MANAGE_THREADS."""
    world = ctx.world
    body: dict[str, Any] = ctx.body()
    world.require(thread)
    perms = world.bot_permissions(thread)
    manage = bool(perms & P.MANAGE_THREADS)
    owner = thread.owner_id == world.bot.id
    if "name" in body:
        validation.validate_thread_name(body["name"]).raise_if_any()
    if thread.archived and thread.locked and not manage:
        raise errors.archived_thread()
    if body.get("locked") is not None and bool(body["locked"]) != thread.locked and not manage:
        raise errors.missing_permissions()
    only_unarchive = set(body) <= {"archived"} and body.get("archived") is False
    if only_unarchive:
        if not perms & P.SEND_MESSAGES_IN_THREADS and not manage:
            raise errors.missing_permissions()
    elif not (owner or manage):
        raise errors.missing_permissions()
    return actions.update_thread(world, thread, body)
