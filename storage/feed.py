"""Feed storage: per-server settings, the announcement ledger and the auto-replay queue."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from storage.db import Storage, utcnow
from storage.models import Mode, Pace
from storage.read import fetch_all, fetch_one

#: A server's auto-replay setting: off, or the replay mode new articles get.
AutoReplay = Literal["off", "threads", "single"]


class GuildSettings(BaseModel):
    """One server's feed settings (defaults until an admin sets something)."""

    guild_id: int
    announce_channel_id: int | None = None
    auto_replay: AutoReplay = "off"
    pace: Pace = Pace.fast
    include_spam: bool = False
    admin_role_id: int | None = None
    baseline_article_id: int = 0
    link_previews: bool = True  # False: replayed comments are posted with embeds suppressed


class Pending(BaseModel):
    """An article a server should see announced, or whose card must be brought up to date."""

    article_id: int
    key: str
    content_hash: str
    guild_id: int
    channel_id: int
    state: str | None  # None: not announced yet; 'posting': in flight; 'posted': card may be stale
    message_id: int | None
    thread_id: int | None


class Queued(BaseModel):
    """An auto-replay waiting for its channel."""

    id: int
    guild_id: int
    channel_id: int
    article_key: str
    mode: Mode
    pace: Pace
    include_spam: bool
    card_message_id: int | None
    container_thread_id: int | None


_SETTINGS_COLS = (
    "guild_id, announce_channel_id, auto_replay, pace, include_spam, admin_role_id,"
    " baseline_article_id, link_previews"
)


async def get_settings(store: Storage, guild_id: int) -> GuildSettings:
    """A server's settings (defaults when none were saved)."""
    row = await fetch_one(
        store.reader, f"SELECT {_SETTINGS_COLS} FROM guild_settings WHERE guild_id = ?", (guild_id,)
    )
    if row is None:
        return GuildSettings(guild_id=guild_id)
    return GuildSettings(
        **dict(zip([c.strip() for c in _SETTINGS_COLS.split(",")], row, strict=True))
    )


async def save_settings(store: Storage, settings: GuildSettings) -> GuildSettings:
    """Save a server's settings; setting an announce channel for the first time sets the baseline.

    The baseline (the newest article id at that moment) keeps a new feed from flooding the channel
    with every article that already exists; `/replayadmin announce-backlog` lowers it on purpose.
    """
    async with store.transaction() as db:
        async with db.execute(
            "SELECT announce_channel_id, baseline_article_id FROM guild_settings WHERE guild_id = ?",
            (settings.guild_id,),
        ) as cur:
            old = await cur.fetchone()
        baseline = old[1] if old else 0
        if settings.announce_channel_id is not None and (old is None or old[0] is None):
            async with db.execute("SELECT coalesce(max(id), 0) FROM articles") as cur:
                row_ = await cur.fetchone()
                assert row_ is not None  # count(*) and RETURNING always answer
                baseline = row_[0]
        saved = settings.model_copy(update={"baseline_article_id": baseline})
        await db.execute(
            f"INSERT INTO guild_settings ({_SETTINGS_COLS}, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET announce_channel_id = excluded.announce_channel_id,"
            " auto_replay = excluded.auto_replay, pace = excluded.pace, include_spam = excluded.include_spam,"
            " admin_role_id = excluded.admin_role_id, baseline_article_id = excluded.baseline_article_id,"
            " link_previews = excluded.link_previews,"
            " updated_at = excluded.updated_at",
            (
                saved.guild_id,
                saved.announce_channel_id,
                saved.auto_replay,
                saved.pace,
                int(saved.include_spam),
                saved.admin_role_id,
                saved.baseline_article_id,
                int(saved.link_previews),
                utcnow(),
            ),
        )
    return saved


async def lower_baseline(store: Storage, guild_id: int) -> int:
    """Let every existing article be announced (the backlog); returns how many are now due."""
    async with store.transaction() as db:
        async with db.execute(
            "SELECT baseline_article_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return 0
        await db.execute(
            "UPDATE guild_settings SET baseline_article_id = 0 WHERE guild_id = ?", (guild_id,)
        )
        async with db.execute(
            "SELECT count(*) FROM articles a WHERE a.id <= ? AND NOT EXISTS"
            " (SELECT 1 FROM announcements n WHERE n.article_id = a.id AND n.guild_id = ?)",
            (row[0], guild_id),
        ) as cur:
            row = await cur.fetchone()
    assert row is not None  # SELECT count(*) always answers
    return int(row[0])


async def pending(
    store: Storage, *, limit: int = 50, shards: tuple[list[int], int] | None = None
) -> list[Pending]:
    """Articles due for announcement in configured servers, and posted cards showing an old version.

    With `shards` (ids, count), only in the servers on those shards (Discord's formula): a process
    of several is not handed, and held up by, the backlog of servers another process serves.
    """
    on_shards = ""
    params: tuple[int, ...] = ()
    if shards is not None:
        ids, count = shards
        on_shards = f" AND ((g.guild_id >> 22) % ?) IN ({', '.join('?' * len(ids))})"
        params = (count, *ids)
    rows = await fetch_all(
        store.reader,
        "SELECT a.id, a.key, a.content_hash, g.guild_id, coalesce(n.channel_id, g.announce_channel_id),"
        " n.state, n.message_id, n.thread_id"
        " FROM guild_settings g JOIN articles a ON a.id > g.baseline_article_id"
        " LEFT JOIN announcements n ON n.article_id = a.id AND n.guild_id = g.guild_id"
        " WHERE g.announce_channel_id IS NOT NULL"
        + on_shards
        + "   AND (n.state IS NULL OR n.state = 'posting' OR n.content_hash IS NULL"
        "        OR n.content_hash <> a.content_hash)"
        " ORDER BY a.id, g.guild_id LIMIT ?",
        (*params, limit),
    )
    return [
        Pending(
            article_id=r[0],
            key=r[1],
            content_hash=r[2],
            guild_id=r[3],
            channel_id=r[4],
            state=r[5],
            message_id=r[6],
            thread_id=r[7],
        )
        for r in rows
    ]


async def mark_posting(store: Storage, article_id: int, guild_id: int, channel_id: int) -> None:
    """Write-ahead: the card is about to be posted (a restart then looks for it before posting again)."""
    async with store.transaction() as db:
        await db.execute(
            "INSERT INTO announcements (article_id, guild_id, channel_id, state, created_at)"
            " VALUES (?, ?, ?, 'posting', ?) ON CONFLICT DO NOTHING",
            (article_id, guild_id, channel_id, utcnow()),
        )


async def mark_posted(
    store: Storage,
    article_id: int,
    guild_id: int,
    *,
    message_id: int,
    thread_id: int | None,
    content_hash: str,
) -> None:
    """The card is posted (or was edited to show `content_hash`)."""
    async with store.transaction() as db:
        await db.execute(
            "UPDATE announcements SET state = 'posted', message_id = ?, thread_id = ?, content_hash = ?"
            " WHERE article_id = ? AND guild_id = ?",
            (message_id, thread_id, content_hash, article_id, guild_id),
        )


async def enqueue(store: Storage, item: Queued) -> None:
    """Add an auto-replay to its channel's queue."""
    async with store.transaction() as db:
        await db.execute(
            "INSERT INTO replay_queue (guild_id, channel_id, article_key, mode, pace, include_spam,"
            " card_message_id, container_thread_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.guild_id,
                item.channel_id,
                item.article_key,
                item.mode,
                item.pace,
                int(item.include_spam),
                item.card_message_id,
                item.container_thread_id,
                utcnow(),
            ),
        )


async def queued(store: Storage) -> list[Queued]:
    """Every queued auto-replay, oldest first."""
    rows = await fetch_all(
        store.reader,
        "SELECT id, guild_id, channel_id, article_key, mode, pace, include_spam, card_message_id,"
        " container_thread_id FROM replay_queue ORDER BY id",
    )
    return [
        Queued(
            id=r[0],
            guild_id=r[1],
            channel_id=r[2],
            article_key=r[3],
            mode=r[4],
            pace=r[5],
            include_spam=bool(r[6]),
            card_message_id=r[7],
            container_thread_id=r[8],
        )
        for r in rows
    ]


async def dequeue(store: Storage, queue_id: int) -> None:
    """Remove an auto-replay from the queue (it started)."""
    async with store.transaction() as db:
        await db.execute("DELETE FROM replay_queue WHERE id = ?", (queue_id,))
