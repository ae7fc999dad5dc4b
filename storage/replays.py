"""The replay ledger: replays and, per step, what is about to be and what was posted (exactly once)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from storage.db import Conn, Storage, conflict_errors, utcnow
from storage.errors import StorageError
from storage.models import Mode, Pace, ReplayState, StepStatus
from storage.read import fetch_all, fetch_one


class Replay(BaseModel):
    """One replay of an article into a channel."""

    id: int
    article_id: int
    article_key: str
    guild_id: int
    channel_id: int
    channel_kind: str
    mode: Mode
    pace: Pace
    include_spam: bool
    state: ReplayState
    reason: str | None
    card_message_id: int | None
    card_posted: bool
    container_thread_id: int | None
    started_by: int | None
    created_at: datetime
    updated_at: datetime


class ReplayStep(BaseModel):
    """One comment of a replay, frozen at start, with what has been posted for it."""

    seq: int
    comment_index: int
    comment_key: str
    username: str
    parts: list[str]
    root_seq: int
    in_thread: bool
    opens_thread: str | None
    reply_to_seq: int | None
    status: StepStatus
    sending_part: int | None
    message_ids: list[int]
    location_id: int | None
    thread_id: int | None
    avatar_url: str | None = None
    context: str | None = None  # score and time for the first message's subtext line


_REPLAY_COLS = (
    "id, article_id, article_key, guild_id, channel_id, channel_kind, mode, pace, include_spam, state,"
    " reason, card_message_id, card_posted, container_thread_id, started_by, created_at, updated_at"
)
_STEP_COLS = (
    "seq, comment_index, comment_key, username, parts, root_seq, in_thread, opens_thread, reply_to_seq,"
    " status, sending_part, message_ids, location_id, thread_id, avatar_url, context"
)


def _replay(row: tuple[Any, ...]) -> Replay:
    return Replay(**dict(zip([c.strip() for c in _REPLAY_COLS.split(",")], row, strict=True)))


def _step(row: tuple[Any, ...]) -> ReplayStep:
    data = dict(zip([c.strip() for c in _STEP_COLS.split(",")], row, strict=True))
    data["parts"] = json.loads(data["parts"])
    data["message_ids"] = json.loads(data["message_ids"])
    return ReplayStep(**data)


async def create_replay(
    store: Storage, *, steps: list[dict[str, object]], **fields: object
) -> Replay:
    """Record a new running replay and all its steps in one transaction (refused if the channel is busy)."""
    now = utcnow()
    cols = [*fields.keys(), "state", "created_at", "updated_at"]
    try:
        async with store.transaction() as db:
            async with db.execute(
                f"INSERT INTO replays ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) RETURNING id",
                (*fields.values(), "running", now, now),
            ) as cur:
                row_ = await cur.fetchone()
                assert row_ is not None  # count(*) and RETURNING always answer
                replay_id = row_[0]
            await _insert_steps(db, replay_id, steps)
    except conflict_errors() as exc:
        raise StorageError("a replay is already running or paused in this channel") from exc
    replay = await get_replay(store, replay_id)
    assert replay is not None
    return replay


async def _insert_steps(
    db: Conn, replay_id: int, steps: list[dict[str, object]]
) -> None:
    """Insert frozen steps (inside the caller's transaction)."""
    await db.executemany(
        "INSERT INTO replay_steps (replay_id, seq, comment_index, comment_key, username, parts,"
        " root_seq, in_thread, opens_thread, reply_to_seq, avatar_url, context)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                replay_id,
                s["seq"],
                s["comment_index"],
                s["comment_key"],
                s["username"],
                json.dumps(s["parts"], ensure_ascii=False),
                s["root_seq"],
                int(bool(s["in_thread"])),
                s["opens_thread"],
                s["reply_to_seq"],
                s.get("avatar_url"),
                s.get("context"),
            )
            for s in steps
        ],
    )


async def get_replay(store: Storage, replay_id: int) -> Replay | None:
    """One replay by id."""
    row = await fetch_one(
        store.reader, f"SELECT {_REPLAY_COLS} FROM replays WHERE id = ?", (replay_id,)
    )
    return _replay(row) if row else None


async def latest_replay(
    store: Storage, channel_id: int, *, active_only: bool = False
) -> Replay | None:
    """The newest replay in a channel (or only an active one)."""
    where = "channel_id = ?" + (" AND state IN ('running', 'paused')" if active_only else "")
    row = await fetch_one(
        store.reader,
        f"SELECT {_REPLAY_COLS} FROM replays WHERE {where} ORDER BY id DESC LIMIT 1",
        (channel_id,),
    )
    return _replay(row) if row else None


async def latest_replay_of(store: Storage, channel_id: int, article_key: str) -> Replay | None:
    """The newest replay of an article in a channel that was not undone."""
    row = await fetch_one(
        store.reader,
        f"SELECT {_REPLAY_COLS} FROM replays WHERE channel_id = ? AND article_key = ? AND state != 'undone'"
        " ORDER BY id DESC LIMIT 1",
        (channel_id, article_key),
    )
    return _replay(row) if row else None


async def replays_in_state(store: Storage, *states: str) -> list[Replay]:
    """Every replay in one of `states`, oldest first."""
    marks = ", ".join("?" * len(states))
    return [
        _replay(r)
        for r in await fetch_all(
            store.reader,
            f"SELECT {_REPLAY_COLS} FROM replays WHERE state IN ({marks}) ORDER BY id",
            states,
        )
    ]


async def get_steps(store: Storage, replay_id: int) -> list[ReplayStep]:
    """Every step of a replay in order."""
    return [
        _step(r)
        for r in await fetch_all(
            store.reader,
            f"SELECT {_STEP_COLS} FROM replay_steps WHERE replay_id = ? ORDER BY seq",
            (replay_id,),
        )
    ]


_REPLAY_FIELDS = {"state", "reason", "card_message_id", "card_posted", "container_thread_id"}


async def update_replay(store: Storage, replay_id: int, **fields: object) -> None:
    """Change a replay's state or its recorded ids."""
    unknown = set(fields) - _REPLAY_FIELDS
    if unknown:
        raise ValueError(f"not replay fields: {sorted(unknown)}")
    sets = ", ".join(f"{k} = ?" for k in fields)
    async with store.transaction() as db:
        await db.execute(
            f"UPDATE replays SET {sets}, updated_at = ? WHERE id = ?",
            (*fields.values(), utcnow(), replay_id),
        )


async def step_sending(
    store: Storage,
    replay_id: int,
    seq: int,
    part: int,
    location_id: int,
    *,
    lease: tuple[str, float] | None = None,
) -> None:
    """Write-ahead: part `part` of step `seq` is about to be posted in `location_id`.

    With `lease` (owner, seconds), only while that owner holds the replay's lease, which this
    renews in the same transaction; otherwise `LeaseLost` and nothing is written. So a process
    whose lease expired (it stalled, another took over) cannot post again what the other posts.
    """
    async with store.transaction() as db:
        if lease is not None and not await _renew(db, replay_id, *lease):
            raise LeaseLost(f"replay {replay_id} is run by another process now")
        await db.execute(
            "UPDATE replay_steps SET status = 'sending', sending_part = ?, location_id = ?"
            " WHERE replay_id = ? AND seq = ?",
            (part, location_id, replay_id, seq),
        )


async def step_posted(
    store: Storage, replay_id: int, seq: int, message_ids: list[int], *, done: bool
) -> None:
    """Record the messages posted so far for a step (and whether the step is complete)."""
    async with store.transaction() as db:
        await db.execute(
            "UPDATE replay_steps SET message_ids = ?, status = ?, sending_part = NULL"
            " WHERE replay_id = ? AND seq = ?",
            (json.dumps(message_ids), "done" if done else "pending", replay_id, seq),
        )


async def step_thread(store: Storage, replay_id: int, seq: int, thread_id: int) -> None:
    """Record the thread started from a step's first message."""
    async with store.transaction() as db:
        await db.execute(
            "UPDATE replay_steps SET thread_id = ? WHERE replay_id = ? AND seq = ?",
            (thread_id, replay_id, seq),
        )


async def add_steps(
    store: Storage, replay_id: int, steps: list[dict[str, object]], *, reopen: bool
) -> None:
    """Append steps to a replay (an update of its source) and, if `reopen`, set it running again."""
    async with store.transaction() as db:
        await _insert_steps(db, replay_id, steps)
        if reopen:
            await db.execute(
                "UPDATE replays SET state = 'running', reason = NULL, updated_at = ? WHERE id = ?",
                (utcnow(), replay_id),
            )


async def set_step_parts(store: Storage, replay_id: int, seq: int, parts: list[str]) -> None:
    """Replace the bodies of a step not yet fully posted (a refused part becomes a placeholder)."""
    async with store.transaction() as db:
        await db.execute(
            "UPDATE replay_steps SET parts = ? WHERE replay_id = ? AND seq = ?",
            (json.dumps(parts, ensure_ascii=False), replay_id, seq),
        )


async def set_step(
    store: Storage,
    replay_id: int,
    seq: int,
    *,
    parts: list[str],
    message_ids: list[int],
    opens_thread: str | None,
) -> None:
    """Record a step's new bodies (edited in place), its messages, and a thread it must now open."""
    async with store.transaction() as db:
        await db.execute(
            "UPDATE replay_steps SET parts = ?, message_ids = ?, opens_thread = ? WHERE replay_id = ? AND seq = ?",
            (
                json.dumps(parts, ensure_ascii=False),
                json.dumps(message_ids),
                opens_thread,
                replay_id,
                seq,
            ),
        )


# ---- leases: at most one process runs a replay -----------------------------------------------------

LEASE_SECONDS = 30.0  # how long a lease lasts unless renewed (each message renews it)


class LeaseLost(StorageError):
    """Another process runs this replay now (this one's lease expired and was taken)."""


def lease_until(seconds: float) -> str:
    """The ISO time `seconds` from now (compared as text with utcnow(), same format)."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


async def take_lease(store: Storage, replay_id: int, owner: str, seconds: float) -> bool:
    """Take a running replay's lease for `owner` if nobody holds it, it expired, or it is ours.

    One atomic UPDATE: of two processes trying at once, exactly one sees its row come back.
    """
    async with store.transaction() as db, db.execute(
        "UPDATE replays SET lease_owner = ?, lease_expires = ? WHERE id = ? AND state = 'running'"
        " AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires < ?) RETURNING id",
        (owner, lease_until(seconds), replay_id, owner, utcnow()),
    ) as cur:
        return await cur.fetchone() is not None


async def renew_lease(store: Storage, replay_id: int, owner: str, seconds: float) -> bool:
    """Extend `owner`'s lease; False when another process holds it now."""
    async with store.transaction() as db:
        return await _renew(db, replay_id, owner, seconds)


async def _renew(db: Conn, replay_id: int, owner: str, seconds: float) -> bool:
    async with db.execute(
        "UPDATE replays SET lease_expires = ? WHERE id = ? AND lease_owner = ? RETURNING id",
        (lease_until(seconds), replay_id, owner),
    ) as cur:
        return await cur.fetchone() is not None


async def release_lease(store: Storage, replay_id: int, owner: str) -> None:
    """Give up `owner`'s lease (the replay ended here, or this process is shutting down)."""
    async with store.transaction() as db:
        await db.execute(
            "UPDATE replays SET lease_owner = NULL, lease_expires = NULL"
            " WHERE id = ? AND lease_owner = ?",
            (replay_id, owner),
        )
