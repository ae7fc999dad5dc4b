"""Thread creation (from a message, standalone, forum posts), archives and membership."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import actions, errors, messages, payloads, validation
from .errors import ApiError, FormErrors
from .permissions import P
from .router import Ctx, Router, json_response, no_content

_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


def _thread_fields(body: dict[str, Any], form: FormErrors) -> None:
    validation.validate_thread_name(body.get("name"), form)
    duration = body.get("auto_archive_duration")
    if duration is not None and duration not in _ARCHIVE_DURATIONS:
        form.add(
            ("auto_archive_duration",),
            "BASE_TYPE_CHOICES",
            f"Value must be one of {_ARCHIVE_DURATIONS}.",
        )


def register(router: Router) -> None:
    """Add this module's routes to ``router``."""
    route = router.add

    @route("POST", "/channels/{channel_id}/messages/{message_id}/threads")
    async def thread_from_message(ctx: Ctx) -> web.StreamResponse:
        world = ctx.world
        channel = world.channel(ctx.id("channel_id"))
        if channel.type not in (0, 5):
            raise errors.wrong_channel_type()
        world.require(channel, P.CREATE_PUBLIC_THREADS)
        msg = world.message(channel.id, ctx.id("message_id"))
        body = ctx.body()
        form = FormErrors()
        _thread_fields(body, form)
        form.raise_if_any()
        if msg.thread_id is not None or msg.id in world.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        actions.check_automod(world, channel, body["name"], title=True)
        thread = actions.create_thread(
            world,
            channel,
            body["name"],
            type=10 if channel.type == 5 else 11,
            owner_id=world.bot.id,
            auto_archive_duration=body.get("auto_archive_duration"),
            thread_id=msg.id,
        )
        msg.thread_id = thread.id
        reference = {
            "message_id": str(msg.id),
            "channel_id": str(channel.id),
            "guild_id": str(channel.guild_id),
        }
        actions.system_message(world, thread, 21, "", reference)
        return json_response(payloads.thread(thread), 201)

    @route("POST", "/channels/{channel_id}/threads")
    async def start_thread(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        if channel.type in (15, 16):
            return await _forum_post(ctx, channel)
        if channel.type not in (0, 5):
            raise errors.wrong_channel_type()
        body = ctx.body()
        kind = int(body.get("type") or 12)
        needed = P.CREATE_PRIVATE_THREADS if kind == 12 else P.CREATE_PUBLIC_THREADS
        ctx.world.require(channel, needed)
        form = FormErrors()
        _thread_fields(body, form)
        if kind not in (10, 11, 12):
            form.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {10, 11, 12}.")
        form.raise_if_any()
        thread = actions.create_thread(
            ctx.world,
            channel,
            body["name"],
            type=kind,
            owner_id=ctx.world.bot.id,
            auto_archive_duration=body.get("auto_archive_duration"),
        )
        thread.invitable = bool(body.get("invitable", True))
        if kind != 12:
            reference = {"channel_id": str(thread.id), "guild_id": str(channel.guild_id)}
            actions.system_message(ctx.world, channel, 18, thread.name, reference)
        return json_response(payloads.thread(thread), 201)

    @route("GET", "/channels/{channel_id}/threads/archived/public")
    async def archived_public(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(channel, P.READ_MESSAGE_HISTORY)
        found = [t for t in ctx.world.threads_of(channel.id) if t.archived and t.type != 12]
        found.sort(key=lambda t: t.archive_timestamp or "", reverse=True)
        limit = int(ctx.query.get("limit", "50"))
        before = ctx.query.get("before")
        if before:
            found = [t for t in found if (t.archive_timestamp or "") < before]
        return json_response(
            {
                "threads": [payloads.thread(t) for t in found[:limit]],
                "members": [],
                "has_more": len(found) > limit,
            }
        )

    @route("PUT", "/channels/{channel_id}/thread-members/@me")
    async def join_thread(ctx: Ctx) -> web.StreamResponse:
        thread = ctx.world.channel(ctx.id("channel_id"))
        if not thread.is_thread:
            raise errors.wrong_channel_type()
        ctx.world.require(thread)
        if thread.archived:
            raise errors.archived_thread()
        thread.member_ids.add(ctx.world.bot.id)
        member = payloads.thread_member(thread, ctx.world.bot.id, ctx.world.now_iso())
        ctx.world.emit("THREAD_MEMBER_UPDATE", {**member, "guild_id": str(thread.guild_id)})
        return no_content()

    @route("DELETE", "/channels/{channel_id}/thread-members/@me")
    async def leave_thread(ctx: Ctx) -> web.StreamResponse:
        thread = ctx.world.channel(ctx.id("channel_id"))
        if not thread.is_thread:
            raise errors.wrong_channel_type()
        thread.member_ids.discard(ctx.world.bot.id)
        return no_content()


async def _forum_post(ctx: Ctx, forum: Any) -> web.StreamResponse:
    """A forum post: a thread whose starter message has the thread's id."""
    world = ctx.world
    world.require(forum, P.SEND_MESSAGES)
    body = ctx.body()
    form = FormErrors()
    _thread_fields(body, form)
    message_body = body.get("message")
    if not isinstance(message_body, dict):
        form.required(("message",))
    else:
        validation.check_message(form, message_body, ("message",))
    tags = [int(t) for t in body.get("applied_tags") or []]
    known = {int(t["id"]) for t in forum.available_tags}
    for index, tag in enumerate(tags):
        if tag not in known:
            form.add(("applied_tags", index), "BASE_TYPE_CHOICES", "Unknown tag")
    form.raise_if_any()
    assert isinstance(message_body, dict)
    if validation.is_empty(message_body, files=len(ctx.files)):
        raise errors.empty_message()
    message_body = actions.apply_embed_links(world, forum, message_body)
    thread = actions.create_thread(
        world,
        forum,
        body["name"],
        type=11,
        owner_id=world.bot.id,
        auto_archive_duration=body.get("auto_archive_duration"),
        applied_tags=tags,
    )
    starter = messages.build(world, thread, message_body, payloads.user(world.bot), files=ctx.files)
    starter.id = thread.id  # a forum post's starter message shares the thread's id
    actions.store_message(world, starter)
    data = payloads.thread(thread)
    data["message"] = payloads.message(starter)
    data["member"] = payloads.thread_member(thread, world.bot.id, world.now_iso())
    return json_response(data, 201)
