"""Interaction callbacks, the original response and followups (interaction webhooks)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import actions, errors, messages, payloads, validation
from .errors import ApiError, FormErrors
from .models import EPHEMERAL, LOADING, Interaction, Message
from .router import Ctx, Router, json_response, no_content

ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
_COMPONENT_ONLY = (6, 7)


def register(router: Router) -> None:
    """Add this module's routes to ``router``."""
    route = router.add

    @route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        auth=False,
        interaction=True,
    )
    async def callback(ctx: Ctx) -> web.StreamResponse:
        record = ctx.world.interactions.get(ctx.id("interaction_id"))
        if record is None or record.token != ctx.params["interaction_token"]:
            raise errors.unknown("interaction")
        try:
            body = _respond(ctx, record)
        except ApiError as exc:
            record.callback_error = exc.body
            raise
        return json_response(body) if ctx.flag("with_response") else no_content()

    @route("GET", ORIGINAL, auth=False, interaction=True)
    async def get_original(ctx: Ctx) -> web.StreamResponse:
        return json_response(payloads.message(_original(ctx)))

    @route("PATCH", ORIGINAL, auth=False, interaction=True)
    async def edit_original(ctx: Ctx) -> web.StreamResponse:
        return json_response(payloads.message(edit_response(ctx, _original(ctx))))

    @route("DELETE", ORIGINAL, auth=False, interaction=True)
    async def delete_original(ctx: Ctx) -> web.StreamResponse:
        actions.delete_message(ctx.world, _original(ctx))
        return no_content()


def _respond(ctx: Ctx, record: Interaction) -> dict[str, Any]:
    """Validate and apply a callback; return the ``with_response`` body."""
    fake = ctx.fake
    if record.callback_type is not None:
        raise errors.already_acknowledged()
    if fake.clock.monotonic() - record.dispatched_at > fake.interaction_deadline:
        record.expired = True
        raise errors.unknown("interaction")
    body = ctx.body()
    kind = body.get("type")
    data = body.get("data") or {}
    allowed = {2: (4, 5, 9), 3: (4, 5, 6, 7, 9), 4: (8,), 5: (4, 5, 6, 7)}[record.type]
    if kind in _COMPONENT_ONLY and record.source_message_id is None:
        allowed = ()  # a modal opened from a slash command has no message to update
    if kind not in allowed:
        form = FormErrors()
        form.add(
            ("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "Invalid interaction response type"
        )
        form.raise_if_any()
    result: dict[str, Any] = {"interaction": {"id": str(record.id), "type": record.type}}
    resource: dict[str, Any] = {"type": kind}
    if kind == 8:
        validation.validate_choices(data.get("choices"))
    elif kind == 9:
        _check_modal(data)
    elif kind in (4, 5):
        msg = _create_response(ctx, record, data, loading=kind == 5)
        result["interaction"].update(
            response_message_id=str(msg.id),
            response_message_loading=kind == 5,
            response_message_ephemeral=msg.ephemeral,
        )
        if kind == 4:
            resource["message"] = payloads.message(msg)
    elif kind in _COMPONENT_ONLY:
        source = ctx.world.messages[record.source_message_id or 0]
        if kind == 7:
            actions.edit_message(ctx.world, source, data, ctx.files)
            resource["message"] = payloads.message(source)
        record.original_id = source.id
        result["interaction"].update(
            response_message_id=str(source.id),
            response_message_loading=False,
            response_message_ephemeral=source.ephemeral,
        )
    record.callback_type = kind
    record.callback_body = body
    result["resource"] = resource
    return result


def _check_modal(data: dict[str, Any]) -> None:
    form = FormErrors()
    if not 1 <= len(data.get("custom_id") or "") <= 100:
        form.bad_length(("data", "custom_id"), 1, 100)
    if not 1 <= len(data.get("title") or "") <= 45:
        form.bad_length(("data", "title"), 1, 45)
    if not 1 <= len(data.get("components") or []) <= 5:
        form.bad_length(("data", "components"), 1, 5)
    form.raise_if_any()


def interaction_author(ctx: Ctx) -> dict[str, Any]:
    """Interaction responses are authored by the bot user."""
    return payloads.user(ctx.world.bot)


def _metadata(ctx: Ctx, record: Interaction) -> dict[str, Any]:
    user = payloads.user(ctx.world.users[record.user_id])
    owners = {"0": str(record.guild_id)} if record.guild_id else {"1": str(record.user_id)}
    meta: dict[str, Any] = {
        "id": str(record.id),
        "type": record.type,
        "user": user,
        "authorizing_integration_owners": owners,
    }
    if record.type == 3 and record.source_message_id is not None:
        meta["interacted_message_id"] = str(record.source_message_id)
    return meta


def _new_message(ctx: Ctx, record: Interaction, data: dict[str, Any], *, followup: bool) -> Message:
    world = ctx.world
    channel = world.channel(record.channel_id)
    msg_type = 0 if followup or record.type != 2 else 20
    msg = messages.build(
        world,
        channel,
        data,
        interaction_author(ctx),
        files=ctx.files,
        webhook_id=world.app_id,
        type=msg_type,
    )
    msg.application_id = world.app_id
    msg.interaction_id = record.id
    msg.interaction_metadata = _metadata(ctx, record)
    return msg


def _create_response(
    ctx: Ctx, record: Interaction, data: dict[str, Any], *, loading: bool
) -> Message:
    if loading:
        flags = LOADING | (int(data.get("flags") or 0) & EPHEMERAL)
        msg = _new_message(ctx, record, {}, followup=False)
        msg.flags = flags
    else:
        validation.validate_message(data, files=len(ctx.files))
        msg = _new_message(ctx, record, data, followup=False)
    record.original_id = msg.id
    return actions.store_message(ctx.world, msg)


def _record_for(ctx: Ctx) -> Interaction:
    """The interaction behind ``/webhooks/{app_id}/{token}``; 50027 if the token is dead."""
    if ctx.id("webhook_id") != ctx.world.app_id:
        raise errors.unknown("Webhook")
    record = ctx.world.interaction_by_token(ctx.params["webhook_token"])
    if record is None:
        raise errors.invalid_webhook_token()
    age = ctx.fake.clock.monotonic() - record.dispatched_at
    if age > ctx.fake.interaction_token_ttl or (record.expired and record.callback_type is None):
        raise errors.invalid_webhook_token()
    return record


def _original(ctx: Ctx) -> Message:
    record = _record_for(ctx)
    msg = ctx.world.messages.get(record.original_id or 0)
    if msg is None or msg.deleted:
        raise errors.unknown("Message")
    return msg


def edit_response(ctx: Ctx, msg: Message) -> Message:
    """Edit an original response or followup; the first edit ends a deferred "thinking" state."""
    return actions.edit_message(ctx.world, msg, ctx.body(), ctx.files, clear_flags=LOADING)


async def create_followup(ctx: Ctx) -> web.StreamResponse:
    """``POST /webhooks/{app_id}/{token}``: a followup (``wait`` is implied)."""
    record = _record_for(ctx)
    if record.callback_type is None:
        raise errors.unknown("Webhook")
    original = ctx.world.messages.get(record.original_id or 0)
    if record.callback_type == 5 and original is not None and original.flags & LOADING:
        # Discord: the first followup after a deferred reply edits the loading message.
        return json_response(payloads.message(edit_response(ctx, original)))
    body = ctx.body()
    validation.validate_message(body, files=len(ctx.files))
    msg = _new_message(ctx, record, body, followup=True)
    record.followup_ids.append(msg.id)
    return json_response(payloads.message(actions.store_message(ctx.world, msg)))


async def followup_message(ctx: Ctx) -> web.StreamResponse:
    """GET/PATCH/DELETE ``/webhooks/{app_id}/{token}/messages/{message_id}``."""
    record = _record_for(ctx)
    message_id = ctx.id("message_id")
    msg = ctx.world.messages.get(message_id)
    own = message_id == record.original_id or message_id in record.followup_ids
    if msg is None or msg.deleted or not own:
        raise errors.unknown("Message")
    if ctx.method == "GET":
        return json_response(payloads.message(msg))
    if ctx.method == "PATCH":
        return json_response(payloads.message(edit_response(ctx, msg)))
    actions.delete_message(ctx.world, msg)
    return no_content()
