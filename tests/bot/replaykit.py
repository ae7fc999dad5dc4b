"""Helpers for replay tests: write dumps, drive /replay, read back what a channel shows."""

from __future__ import annotations

from pathlib import Path

from tests.bot.conftest import World
from tests.fakediscord import FakeDiscord
from tests.sqlitefile import connect as sqlite_connect


def write_dump(path: Path, title: str, comments: list[tuple[str, int, str]]) -> None:
    """Write a text dump: `comments` are (author, depth, text) in pre-order."""
    lines = [title, "", "FILE IMAGE: test", "", "A first paragraph. It says things.", ""]
    for author, depth, text in comments:
        pad = "  " + "  " * depth
        lines += [f"{pad}• {author}", ""]
        for para in text.split("\n\n"):
            lines += [f"{pad}  {line}" for line in para.split("\n")] + [""]
    path.write_text("\n".join(lines), "utf-8")


async def slash(
    fake: FakeDiscord, world: World, command: str, user: int | None = None, **options: object
) -> str:
    """Run a slash command as the moderator (or `user`) in the world's channel; its visible answer."""
    result = await fake.invoke(
        command,
        options,
        user_id=user or world.moderator,
        guild_id=world.guild,
        channel_id=world.channel,
    )
    await result.wait_done()
    assert result.error is None, result.error
    return result.content or ""


def replayed(fake: FakeDiscord, channel_id: int) -> list[tuple[str, str]]:
    """What a reader sees, in reading order: (author, content) of webhook messages, each top-level
    message followed by the thread started from it (or, for a card / forum post, its thread)."""
    seen: list[tuple[str, str]] = []
    threads = {t.id: t for t in fake.threads(channel_id)}
    for message in fake.messages(channel_id):
        if message.webhook_id:
            seen.append((message.author_name, message.content))
        if message.id in threads:
            seen += [(m.author_name, m.content) for m in fake.messages(message.id) if m.webhook_id]
    for thread in threads.values():  # forum posts: the thread is the post, its starter is the card
        if not any(m.id == thread.id for m in fake.messages(channel_id)):
            seen += [(m.author_name, m.content) for m in fake.messages(thread.id) if m.webhook_id]
    return seen


def replay_states(db: Path) -> list[tuple[str, str | None]]:
    """(state, reason) of every replay in the bot's database, oldest first."""

    with sqlite_connect(db) as conn:
        return conn.execute("SELECT state, reason FROM replays ORDER BY id").fetchall()


def _newest_is(db: Path, state: str) -> bool:
    states = replay_states(db) if db.exists() else []
    return bool(states) and states[-1][0] == state


async def wait_state(fake: FakeDiscord, db: Path, state: str, within: float = 30.0) -> None:
    """Wait until the newest replay reaches `state`."""
    await fake.wait_for(
        lambda: _newest_is(db, state), timeout=within, message=f"replay never reached {state}"
    )
