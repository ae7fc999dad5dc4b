"""Channel webhooks: create/list/get/delete and executing them (``?wait``, ``?thread_id``)."""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from . import actions, errors, messages, payloads, routes_interactions, validation
from .errors import ApiError, FormErrors
from .models import Channel, Message, Webhook
from .permissions import P
from .router import Ctx, Router, json_response, no_content

HOOK = "/webhooks/{webhook_id}/{webhook_token}"


def register(router: Router) -> None:
    """Add this module's routes to ``router``."""
    route = router.add

    @route("POST", "/channels/{channel_id}/webhooks")
    async def create_webhook(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(channel, P.MANAGE_WEBHOOKS)
        body = ctx.body()
        form = FormErrors()
        validation.check_webhook_name(form, "name", body.get("name"))
        form.raise_if_any()
        avatar = "fakeavatarhash" if body.get("avatar") else None
        hook = actions.create_webhook(ctx.world, channel, body["name"], avatar)
        return json_response(payloads.webhook(hook, ctx.world.bot))

    @route("GET", "/channels/{channel_id}/webhooks")
    async def channel_webhooks(ctx: Ctx) -> web.StreamResponse:
        channel = ctx.world.channel(ctx.id("channel_id"))
        ctx.world.require(channel, P.MANAGE_WEBHOOKS)
        if channel.is_thread:
            raise errors.wrong_channel_type()
        found = [w for w in ctx.world.webhooks.values() if w.channel_id == channel.id]
        return json_response(
            [payloads.webhook(w, ctx.world.users.get(w.creator_id or 0)) for w in found]
        )

    @route("GET", "/webhooks/{webhook_id}")
    async def get_webhook(ctx: Ctx) -> web.StreamResponse:
        hook = _managed(ctx)
        return json_response(payloads.webhook(hook, ctx.world.users.get(hook.creator_id or 0)))

    @route("PATCH", "/webhooks/{webhook_id}")
    async def edit_webhook(ctx: Ctx) -> web.StreamResponse:
        hook = _managed(ctx)
        _edit(ctx, hook, allow_channel=True)
        return json_response(payloads.webhook(hook, ctx.world.users.get(hook.creator_id or 0)))

    @route("DELETE", "/webhooks/{webhook_id}")
    async def delete_webhook(ctx: Ctx) -> web.StreamResponse:
        actions.delete_webhook(ctx.world, _managed(ctx))
        return no_content()

    @route("GET", HOOK, auth=False)
    async def get_with_token(ctx: Ctx) -> web.StreamResponse:
        return json_response(payloads.webhook(_with_token(ctx), None))

    @route("PATCH", HOOK, auth=False)
    async def edit_with_token(ctx: Ctx) -> web.StreamResponse:
        hook = _with_token(ctx)
        _edit(ctx, hook, allow_channel=False)
        return json_response(payloads.webhook(hook, None))

    @route("DELETE", HOOK, auth=False)
    async def delete_with_token(ctx: Ctx) -> web.StreamResponse:
        actions.delete_webhook(ctx.world, _with_token(ctx))
        return no_content()

    @route("POST", HOOK, auth=False)
    async def execute(ctx: Ctx) -> web.StreamResponse:
        if ctx.id("webhook_id") == ctx.world.app_id:
            return await routes_interactions.create_followup(ctx)
        msg = execute_webhook(ctx, _with_token(ctx))
        return json_response(payloads.message(msg)) if ctx.flag("wait") else no_content()

    @route("GET", HOOK + "/messages/{message_id}", auth=False)
    async def get_hook_message(ctx: Ctx) -> web.StreamResponse:
        if ctx.id("webhook_id") == ctx.world.app_id:
            return await routes_interactions.followup_message(ctx)
        return json_response(payloads.message(_hook_message(ctx)))

    @route("PATCH", HOOK + "/messages/{message_id}", auth=False)
    async def edit_hook_message(ctx: Ctx) -> web.StreamResponse:
        if ctx.id("webhook_id") == ctx.world.app_id:
            return await routes_interactions.followup_message(ctx)
        msg = _hook_message(ctx)
        thread = ctx.world.channels.get(msg.channel_id)
        if thread is not None and thread.is_thread and thread.archived:
            raise errors.archived_thread()
        edited = actions.edit_message(ctx.world, msg, ctx.body(), ctx.files)
        return json_response(payloads.message(edited))

    @route("DELETE", HOOK + "/messages/{message_id}", auth=False)
    async def delete_hook_message(ctx: Ctx) -> web.StreamResponse:
        if ctx.id("webhook_id") == ctx.world.app_id:
            return await routes_interactions.followup_message(ctx)
        actions.delete_message(ctx.world, _hook_message(ctx))
        return no_content()


def _managed(ctx: Ctx) -> Webhook:
    hook = ctx.world.webhook(ctx.id("webhook_id"))
    ctx.world.require(ctx.world.channel(hook.channel_id), P.MANAGE_WEBHOOKS)
    return hook


def _with_token(ctx: Ctx) -> Webhook:
    hook = ctx.world.webhook(ctx.id("webhook_id"))
    if hook.token != ctx.params["webhook_token"]:
        raise errors.invalid_webhook_token()
    return hook


def _edit(ctx: Ctx, hook: Webhook, *, allow_channel: bool) -> None:
    body = ctx.body()
    form = FormErrors()
    if "name" in body:
        validation.check_webhook_name(form, "name", body["name"])
    form.raise_if_any()
    if "name" in body:
        hook.name = body["name"]
    if "avatar" in body:
        hook.avatar = "fakeavatarhash" if body["avatar"] else None
    if allow_channel and body.get("channel_id"):
        target = ctx.world.channel(int(body["channel_id"]))
        ctx.world.require(target, P.MANAGE_WEBHOOKS)
        hook.channel_id = target.id
    ctx.world.emit(
        "WEBHOOKS_UPDATE", {"guild_id": str(hook.guild_id), "channel_id": str(hook.channel_id)}
    )


def _hook_message(ctx: Ctx) -> Message:
    """A message this webhook sent; thread messages need the matching ``?thread_id``."""
    hook = _with_token(ctx)
    msg = ctx.world.messages.get(ctx.id("message_id"))
    expected = (
        int(ctx.query["thread_id"]) if ctx.query.get("thread_id", "").isdigit() else hook.channel_id
    )
    if msg is None or msg.deleted or msg.webhook_id != hook.id or msg.channel_id != expected:
        raise errors.unknown("Message")
    return msg


def webhook_author(hook: Webhook, body: dict[str, Any]) -> dict[str, Any]:
    """The pseudo-user Discord shows as a webhook message's author: an `avatar_url` in the body
    replaces the webhook's avatar for this message (Discord fetches the image and shows its hash)."""
    override = body.get("avatar_url")
    avatar = hashlib.md5(override.encode()).hexdigest() if override else hook.avatar
    return {
        "id": str(hook.id),
        "username": body.get("username") or hook.name,
        "avatar": avatar,
        "discriminator": "0000",
        "public_flags": 0,
        "flags": 0,
        "bot": True,
        "global_name": None,
    }


def _target(ctx: Ctx, hook: Webhook, body: dict[str, Any], form: FormErrors) -> Channel | None:
    """Resolve ``?thread_id`` / forum ``thread_name``; ``None`` means "create a forum post"."""
    world = ctx.world
    channel = world.channel(hook.channel_id)
    raw_thread = ctx.query.get("thread_id")
    if raw_thread:
        thread = world.channels.get(int(raw_thread)) if raw_thread.isdigit() else None
        if thread is None or not thread.is_thread or thread.parent_id != channel.id:
            raise errors.unknown("Channel")
        return thread
    if channel.type in (15, 16):
        if not body.get("thread_name"):
            raise ApiError(
                400,
                220001,
                "Webhooks posted to forum channels must have a thread_name or thread_id",
            )
        name_form = validation.validate_thread_name(body["thread_name"])
        if name_form:
            form.bad_length(("thread_name",), 1, validation.THREAD_NAME_MAX)
        return None
    if body.get("thread_name"):
        raise ApiError(400, 220003, "Webhooks can only create threads in forum channels")
    return channel


def execute_webhook(ctx: Ctx, hook: Webhook) -> Message:
    """Post a webhook message (into a thread, or as a new forum post) and store it."""
    world = ctx.world
    body = ctx.body()
    form = FormErrors()
    if body.get("username") is not None:
        validation.check_webhook_name(form, "username", body["username"])
    if body.get("avatar_url") is not None:
        validation.check_url(form, ("avatar_url",), body["avatar_url"])
    validation.check_message(form, body)
    target = _target(ctx, hook, body, form)
    form.raise_if_any()
    if validation.is_empty(body, files=len(ctx.files)):
        raise errors.empty_message()
    actions.check_automod(world, world.channel(hook.channel_id), body.get("content"))
    author = webhook_author(hook, body)
    if target is None:
        forum = world.channel(hook.channel_id)
        target = actions.create_thread(
            world,
            forum,
            body["thread_name"],
            owner_id=hook.id,
            applied_tags=[int(t) for t in body.get("applied_tags") or []],
        )
        msg = messages.build(world, target, body, author, files=ctx.files, webhook_id=hook.id)
        msg.id = target.id
    else:
        actions.check_writable(world, target, as_bot=False)
        actions.unarchive_for_message(world, target)
        msg = messages.build(world, target, body, author, files=ctx.files, webhook_id=hook.id)
    msg.application_id = hook.application_id
    return actions.store_message(world, msg)
