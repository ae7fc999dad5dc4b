"""Users, gateway discovery, application info and application command registration."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import errors, payloads, validation
from .errors import FormErrors
from .models import Command
from .router import Ctx, Router, json_response, no_content
from .state import World

_COMMAND_LIMITS = {1: 100, 2: 5, 3: 5}


def register(router: Router) -> None:
    """Add this module's routes to ``router``."""
    route = router.add

    @route("GET", "/users/@me")
    async def me(ctx: Ctx) -> web.StreamResponse:
        data = payloads.user(ctx.world.bot)
        data.update(verified=True, mfa_enabled=False, email=None, locale="en-US", premium_type=0)
        return json_response(data)

    @route("GET", "/users/{user_id}")
    async def get_user(ctx: Ctx) -> web.StreamResponse:
        user = ctx.world.users.get(ctx.id("user_id"))
        if user is None:
            raise errors.unknown("User")
        return json_response(payloads.user(user))

    @route("GET", "/gateway", auth=False)
    async def gateway(ctx: Ctx) -> web.StreamResponse:
        return json_response({"url": ctx.fake.gateway_url})

    @route("GET", "/gateway/bot")
    async def gateway_bot(ctx: Ctx) -> web.StreamResponse:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return json_response(
            {
                "url": ctx.fake.gateway_url,
                "shards": ctx.fake.gateway.recommended_shards(),
                "session_start_limit": limit,
            }
        )

    async def app_info(ctx: Ctx) -> web.StreamResponse:
        return json_response(application(ctx.world))

    route("GET", "/oauth2/applications/@me")(app_info)
    route("GET", "/applications/@me")(app_info)

    for prefix in (
        "/applications/{application_id}",
        "/applications/{application_id}/guilds/{guild_id}",
    ):
        _register_commands(router, prefix + "/commands")


def application(world: World) -> dict[str, Any]:
    """The application object for the bot (``GET /oauth2/applications/@me``)."""
    owner = world.users.get(next(iter(world.guilds.values())).owner_id) if world.guilds else None
    return {
        "id": str(world.app_id),
        "name": world.bot.username,
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": payloads.user(owner or world.bot),
        "team": None,
        "bot": payloads.user(world.bot),
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "integration_types_config": {"0": {}},
        "approximate_guild_count": len(world.guilds),
    }


def _scope(ctx: Ctx) -> int | None:
    """Check the application id (and guild) in the path; return the guild id or ``None``."""
    if ctx.id("application_id") != ctx.world.app_id:
        raise errors.missing_access()
    if "guild_id" not in ctx.params:
        return None
    guild_id = ctx.id("guild_id")
    if guild_id not in ctx.world.guilds:
        raise errors.missing_access()
    return guild_id


def command_payload(command: Command) -> dict[str, Any]:
    """The command as Discord returns it: what was registered plus ids and defaults."""
    data: dict[str, Any] = {
        "type": 1,
        "description": "",
        "options": [],
        "default_member_permissions": None,
        "nsfw": False,
        "contexts": None,
        "integration_types": [0],
        "name_localizations": None,
        "description_localizations": None,
        **command.data,
        "id": str(command.id),
        "application_id": str(command.application_id),
        "version": str(command.version),
    }
    if data["default_member_permissions"] is not None:
        data["default_member_permissions"] = str(data["default_member_permissions"])
    if command.guild_id is not None:
        data["guild_id"] = str(command.guild_id)
    return data


def upsert(world: World, guild_id: int | None, data: dict[str, Any]) -> Command:
    """Create or replace a command; the same name and type keeps its id, as Discord does."""
    kind = data.get("type", 1)
    existing = next(
        (c for c in world.commands_for(guild_id) if c.name == data.get("name") and c.type == kind),
        None,
    )
    stored = {k: v for k, v in data.items() if k not in ("id", "application_id", "version")}
    if existing is not None:
        existing.data = stored
        existing.version = world.ids.next()
        return existing
    command = Command(world.ids.next(), world.app_id, guild_id, world.ids.next(), stored)
    world.commands[command.id] = command
    return command


def _check_set(commands: list[dict[str, Any]]) -> None:
    form = FormErrors()
    seen: set[tuple[int, str]] = set()
    counts: dict[int, int] = {}
    for index, command in enumerate(commands):
        key = (command.get("type", 1), command.get("name", ""))
        if key in seen:
            form.add(
                (index, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique ({key[1]})",
            )
        seen.add(key)
        counts[key[0]] = counts.get(key[0], 0) + 1
    for kind, count in counts.items():
        if count > _COMMAND_LIMITS.get(kind, 100):
            form.max_length((), _COMMAND_LIMITS.get(kind, 100))
    form.raise_if_any()


def _register_commands(router: Router, base: str) -> None:
    route = router.add

    @route("GET", base)
    async def list_commands(ctx: Ctx) -> web.StreamResponse:
        guild_id = _scope(ctx)
        return json_response([command_payload(c) for c in ctx.world.commands_for(guild_id)])

    @route("PUT", base)
    async def bulk_overwrite(ctx: Ctx) -> web.StreamResponse:
        guild_id = _scope(ctx)
        body = ctx.json if isinstance(ctx.json, list) else []
        validation.validate_commands(body)
        _check_set(body)
        kept = [upsert(ctx.world, guild_id, data) for data in body]
        keep_ids = {c.id for c in kept}
        for command in ctx.world.commands_for(guild_id):
            if command.id not in keep_ids:
                del ctx.world.commands[command.id]
        return json_response([command_payload(c) for c in kept])

    @route("POST", base)
    async def create(ctx: Ctx) -> web.StreamResponse:
        guild_id = _scope(ctx)
        validation.validate_commands([ctx.body()])
        existed = {c.id for c in ctx.world.commands_for(guild_id)}
        command = upsert(ctx.world, guild_id, ctx.body())
        return json_response(command_payload(command), 200 if command.id in existed else 201)

    def _one(ctx: Ctx) -> Command:
        guild_id = _scope(ctx)
        command = ctx.world.commands.get(ctx.id("command_id"))
        if command is None or command.guild_id != guild_id:
            raise errors.unknown("application command")
        return command

    @route("GET", base + "/{command_id}")
    async def get_command(ctx: Ctx) -> web.StreamResponse:
        return json_response(command_payload(_one(ctx)))

    @route("PATCH", base + "/{command_id}")
    async def edit_command(ctx: Ctx) -> web.StreamResponse:
        command = _one(ctx)
        merged = {**command.data, **ctx.body()}
        validation.validate_commands([merged])
        command.data = merged
        command.version = ctx.world.ids.next()
        return json_response(command_payload(command))

    @route("DELETE", base + "/{command_id}")
    async def delete_command(ctx: Ctx) -> web.StreamResponse:
        del ctx.world.commands[_one(ctx).id]
        return no_content()
