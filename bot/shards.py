"""Shards: which of the bot's shards this process runs (`THREADREPLAY_SHARDS`), and what that means.

A guild belongs to shard `(guild_id >> 22) % shard_count` (Discord's formula); Discord only sends a
process the events of the guilds on its shards, so `client.get_guild` knows exactly the guilds this
process serves. Several processes share one bot token and so one global request budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # settings (and so every CLI command) read shard specs without loading discord.py
    import discord

_SPEC = re.compile(r"^([0-9,-]+)/([0-9]+)$")
_PART = re.compile(r"^([0-9]+)(?:-([0-9]+))?$")
NAME = "THREADREPLAY_SHARDS"


@dataclass(frozen=True)
class ShardSpec:
    """Shard ids `ids` (sorted, distinct) out of `count` shards."""

    ids: tuple[int, ...]
    count: int

    @classmethod
    def parse(cls, text: str) -> ShardSpec:
        """`0-3/8`, `2/8` or `0,2/8`; a ValueError naming THREADREPLAY_SHARDS otherwise."""
        match = _SPEC.match(re.sub(r"\s+", "", text))
        if match is None:
            raise ValueError(
                f"{NAME} must look like 0-3/8 (ids 0 to 3 of 8 shards), 2/8 or 0,2/8; got {text!r}"
            )
        count = int(match.group(2))
        if count < 1:
            raise ValueError(f"{NAME}: the shard count after '/' must be at least 1")
        ids: set[int] = set()
        for part in match.group(1).split(","):
            bounds = _PART.match(part)
            if bounds is None:
                raise ValueError(f"{NAME}: {part!r} is not a shard id or a range like 0-3")
            low, high = int(bounds.group(1)), int(bounds.group(2) or bounds.group(1))
            if low > high:
                raise ValueError(f"{NAME}: the range {part} runs backwards")
            if high >= count:
                raise ValueError(
                    f"{NAME}: shard id {high} is out of range: ids run from 0 to {count - 1}"
                    f" when the count is {count}"
                )
            ids.update(range(low, high + 1))
        return cls(tuple(sorted(ids)), count)

    @property
    def share(self) -> Fraction:
        """The part of the bot this process is: k of n shards."""
        return Fraction(len(self.ids), self.count)

    def __str__(self) -> str:
        """Compact, as it is written: `0-3,6/8`."""
        return f"{ranges(self.ids)}/{self.count}"


def ranges(ids: tuple[int, ...] | list[int]) -> str:
    """`0-3,6` for 0, 1, 2, 3, 6."""
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(str(low) if low == high else f"{low}-{high}" for low, high in runs)


def process_shards(client: discord.Client) -> tuple[list[int], int] | None:
    """(shard ids this process runs, shard count), or None when the client is not sharded or has
    not learnt its shard count yet (an AutoShardedClient asks Discord when it connects)."""
    import discord  # loaded already: the caller holds a client

    count = client.shard_count
    if not count:
        return None
    if isinstance(client, discord.AutoShardedClient):
        return (
            list(client.shard_ids) if client.shard_ids is not None else list(range(count))
        ), count
    return [client.shard_id or 0], count


def process_share(client: discord.Client) -> Fraction:
    """k/n for a process running k of n shards; 1 when it runs them all (or is not sharded).

    Works for the standalone bot (built from THREADREPLAY_SHARDS) and for a host bot that loads
    the extension, whether it passed `shard_ids`/`shard_count` or `shard_id`/`shard_count`.
    """
    shards = process_shards(client)
    if shards is None:
        return Fraction(1)
    ids, count = shards
    return Fraction(len(ids), count)


def serves(client: discord.Client, guild_id: int) -> bool:
    """True when `guild_id` is this process's to act in: its shard is one this process runs.

    discord.py's cache answers first (Discord sends a shard only its own guilds); a guild it does not
    hold (left, or not yet available) belongs to the process of its shard, by Discord's formula, so
    exactly one process deals with it (an unsharded bot deals with everything, as before).
    """
    if client.get_guild(guild_id) is not None:
        return True
    shards = process_shards(client)
    if shards is None:
        return True
    ids, count = shards
    return (guild_id >> 22) % count in ids


def describe(client: discord.Client, guild_id: int) -> str | None:
    """One status line about sharding, or None when the bot runs a single unsharded connection."""
    shards = process_shards(client)
    if shards is None or shards[1] == 1:
        return None
    ids, count = shards
    guild = client.get_guild(guild_id)
    here = f"; this server is on shard {guild.shard_id}" if guild is not None else ""
    return f"**Shards**: this process runs {ranges(ids)} of {count}{here}"
