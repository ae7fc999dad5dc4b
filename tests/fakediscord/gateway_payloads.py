"""READY, GUILD_CREATE and GUILD_MEMBERS_CHUNK payloads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import intents as gi
from . import payloads
from .models import Guild

if TYPE_CHECKING:
    from .fake import FakeDiscord

# GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED
# | APPLICATION_COMMAND_BADGE: an unverified bot whose privileged intents are switched on.
APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)


def ready(
    fake: FakeDiscord, session_id: str, shard: tuple[int, int] | None, guild_ids: list[int]
) -> dict[str, Any]:
    """The READY dispatch: the bot user, the session's guilds (unavailable) and the resume URL."""
    world = fake.world
    user = payloads.user(world.bot)
    user.update(verified=True, mfa_enabled=False, email=None)
    data: dict[str, Any] = {
        "v": 10,
        "user_settings": {},
        "user": user,
        "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": fake.resume_gateway_url,
        "relationships": [],
        "private_channels": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["fake-region"],
        "application": {"id": str(world.app_id), "flags": APPLICATION_FLAGS},
        "auth": {},
        "_trace": ['["fake-gateway",{"micros":0}]'],
    }
    if shard is not None:
        data["shard"] = list(shard)
    return data


def guild_create(fake: FakeDiscord, guild: Guild, intents: int) -> dict[str, Any]:
    """A full GUILD_CREATE: roles, channels, active threads, members (all with GUILD_MEMBERS)."""
    world = fake.world
    data = payloads.guild(guild)
    del data["approximate_member_count"], data["approximate_presence_count"]
    channels = [world.channels[c] for c in guild.channel_ids if c in world.channels]
    member_ids = list(guild.members) if intents & gi.GUILD_MEMBERS else [world.bot.id]
    data.update(
        joined_at=guild.joined_at,
        large=False,
        unavailable=False,
        member_count=len(guild.members),
        voice_states=[],
        members=[payloads.member(guild.members[u], world.users[u]) for u in member_ids],
        channels=[payloads.channel(c, with_guild_id=False) for c in channels if not c.is_thread],
        threads=[payloads.thread(c) for c in channels if c.is_thread and not c.archived],
        presences=[],
        stage_instances=[],
        guild_scheduled_events=[],
        soundboard_sounds=[],
        embedded_activities=[],
        lazy=True,
        application_command_counts={},
    )
    return data


def members_chunk(fake: FakeDiscord, guild_id: int, request: dict[str, Any]) -> dict[str, Any]:
    """Answer op 8 REQUEST_GUILD_MEMBERS with one chunk."""
    world = fake.world
    guild = world.guilds.get(guild_id)
    members = []
    if guild is not None:
        query = str(request.get("query") or "").lower()
        wanted = {int(u) for u in request.get("user_ids") or []}
        for user_id, member in guild.members.items():
            user = world.users[user_id]
            if wanted and user_id not in wanted:
                continue
            if not wanted and query and not user.username.lower().startswith(query):
                continue
            members.append(payloads.member(member, user))
    data: dict[str, Any] = {
        "guild_id": str(guild_id),
        "members": members,
        "chunk_index": 0,
        "chunk_count": 1,
        "not_found": [],
    }
    if request.get("nonce") is not None:
        data["nonce"] = request["nonce"]
    return data
