"""Guild reads: the guild, its channels, roles, members, active threads and webhooks."""

from __future__ import annotations

from aiohttp import web

from . import errors, payloads
from .models import Guild
from .permissions import P, base_permissions
from .router import Ctx, Router, json_response


def _guild(ctx: Ctx) -> Guild:
    guild = ctx.world.guilds.get(ctx.id("guild_id"))
    if guild is None or ctx.world.bot.id not in guild.members:
        raise errors.unknown("Guild")
    return guild


def register(router: Router) -> None:
    """Add this module's routes to ``router``."""
    route = router.add

    @route("GET", "/users/@me/guilds")
    async def my_guilds(ctx: Ctx) -> web.StreamResponse:
        world = ctx.world
        found = [g for g in world.guilds.values() if world.bot.id in g.members]
        return json_response(
            [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "icon": None,
                    "banner": None,
                    "owner": False,
                    "permissions": str(base_permissions(g, g.members[world.bot.id])),
                    "features": list(g.features),
                }
                for g in found
            ]
        )

    @route("GET", "/guilds/{guild_id}")
    async def get_guild(ctx: Ctx) -> web.StreamResponse:
        data = payloads.guild(_guild(ctx))
        if not ctx.flag("with_counts"):
            del data["approximate_member_count"], data["approximate_presence_count"]
        return json_response(data)

    @route("GET", "/guilds/{guild_id}/channels")
    async def guild_channels(ctx: Ctx) -> web.StreamResponse:
        guild = _guild(ctx)
        channels = [ctx.world.channels[c] for c in guild.channel_ids if c in ctx.world.channels]
        return json_response([payloads.channel(c) for c in channels if not c.is_thread])

    @route("GET", "/guilds/{guild_id}/roles")
    async def guild_roles(ctx: Ctx) -> web.StreamResponse:
        return json_response([payloads.role(r) for r in _guild(ctx).roles.values()])

    @route("GET", "/guilds/{guild_id}/members/{user_id}")
    async def guild_member(ctx: Ctx) -> web.StreamResponse:
        guild = _guild(ctx)
        member = ctx.world.member(guild.id, ctx.id("user_id"))
        return json_response(payloads.member(member, ctx.world.users[member.user_id]))

    @route("GET", "/guilds/{guild_id}/threads/active")
    async def active_threads(ctx: Ctx) -> web.StreamResponse:
        guild = _guild(ctx)
        world = ctx.world
        threads = [
            world.channels[c]
            for c in guild.channel_ids
            if c in world.channels
            and world.channels[c].is_thread
            and not world.channels[c].archived
        ]
        members = [
            payloads.thread_member(t, world.bot.id, t.create_timestamp or world.now_iso())
            for t in threads
            if world.bot.id in t.member_ids
        ]
        return json_response({"threads": [payloads.thread(t) for t in threads], "members": members})

    @route("GET", "/guilds/{guild_id}/webhooks")
    async def guild_webhooks(ctx: Ctx) -> web.StreamResponse:
        guild = _guild(ctx)
        if not base_permissions(guild, guild.members[ctx.world.bot.id]) & P.MANAGE_WEBHOOKS:
            raise errors.missing_permissions()
        hooks = [w for w in ctx.world.webhooks.values() if w.guild_id == guild.id]
        return json_response(
            [payloads.webhook(w, ctx.world.users.get(w.creator_id or 0)) for w in hooks]
        )
