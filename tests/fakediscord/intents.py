"""Which gateway events a session's intents receive, and MESSAGE_CONTENT redaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import World

GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_WEBHOOKS = 1 << 5
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

_BY_EVENT = {
    "GUILD_CREATE": GUILDS,
    "GUILD_UPDATE": GUILDS,
    "GUILD_DELETE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_ROLE_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "THREAD_CREATE": GUILDS,
    "THREAD_UPDATE": GUILDS,
    "THREAD_DELETE": GUILDS,
    "THREAD_LIST_SYNC": GUILDS,
    "THREAD_MEMBER_UPDATE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "WEBHOOKS_UPDATE": GUILD_WEBHOOKS,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
}
_REDACTED = {"content": "", "embeds": [], "attachments": [], "components": []}


def shape_for(
    intents: int, event: str, data: dict[str, Any], world: World
) -> dict[str, Any] | None:
    """Return ``data`` as this session should see it, or ``None`` if its intents exclude it."""
    needed = _BY_EVENT.get(event)
    if needed is not None and not intents & needed:
        return None
    if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not intents & MESSAGE_CONTENT:
        author = str(data.get("author", {}).get("id"))
        mentioned = any(m.get("id") == str(world.bot.id) for m in data.get("mentions", []))
        if author != str(world.bot.id) and not mentioned and "guild_id" in data:
            return {**data, **_REDACTED}
    return data
