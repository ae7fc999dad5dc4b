"""Helpers shared by the end-to-end bot tests: reading what the bot sent through the fake Discord."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from discord.ext import commands

from storage.db import Storage
from tests.fakediscord import FakeDiscord
from tests.fakediscord.calls import Call
from tests.fakediscord.models import Message

SEED_KEY = "000_e7a44f8a370d07ea"  # the one article in seeds/: 16 comments, 5 threads, 10 people

CALLBACK = "POST /interactions/{interaction_id}/{interaction_token}/callback"
HOOK = "/webhooks/{webhook_id}/{webhook_token}"
# Every route that creates or edits a message (interaction followups and edits go through HOOK).
MESSAGE_ROUTES = frozenset(
    {
        "POST /channels/{channel_id}/messages",
        "PATCH /channels/{channel_id}/messages/{message_id}",
        f"POST {HOOK}",
        f"PATCH {HOOK}/messages/@original",
        f"PATCH {HOOK}/messages/{{message_id}}",
    }
)
MESSAGE_CALLBACKS = (4, 7)  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE; 5/6 carry no content


def store_of(bot: commands.Bot) -> Storage:
    """The storage the loaded extension opened (each cog holds the shared services)."""
    cog = bot.get_cog("Articles")
    assert cog is not None, "the threadreplay extension is not loaded"
    return cog.services.store  # type: ignore[attr-defined,no-any-return]


def message_bodies(fake: FakeDiscord) -> list[tuple[Call, dict[str, Any]]]:
    """(call, message body) for every recorded call that created or edited a message."""
    found = []
    for call in fake.calls:
        if call.route == CALLBACK and (call.json or {}).get("type") in MESSAGE_CALLBACKS:
            found.append((call, call.json.get("data") or {}))
        elif call.route in MESSAGE_ROUTES and isinstance(call.json, dict):
            found.append((call, call.json))
    return found


def client_errors(fake: FakeDiscord) -> list[str]:
    """Every 4xx answer, as "route -> status code" (50035 is an over-limit payload)."""
    return [
        f"{c.route} -> {c.status} {(c.response or {}).get('code')}"
        for c in fake.calls
        if 400 <= c.status < 500
    ]


def visible_text(message: Message) -> str:
    """Everything a reader sees in a message: content and every text part of its embeds."""
    parts = [message.content]
    for embed in message.embeds:
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [(embed.get("footer") or {}).get("text", "")]
        parts += [(embed.get("author") or {}).get("name", "")]
        for f in embed.get("fields", []):
            parts += [f["name"], f["value"]]
    return "\n".join(p for p in parts if p)


def button(message: Message, label: str) -> dict[str, Any]:
    """The button with `label` on a message."""
    for row in message.components:
        for component in row.get("components", []):
            if component.get("label") == label:
                return component  # type: ignore[no-any-return]
    raise AssertionError(f"no {label!r} button on message {message.id}: {message.components}")


def db_rows(path: Path) -> list[tuple[Any, ...]]:
    """What the database holds about articles, read through its own connection."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(
            "SELECT key, content_hash, comment_count, updated_at FROM articles ORDER BY key"
        ).fetchall()
