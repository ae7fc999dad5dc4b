"""What the replay benchmark watches besides the fake's records: when the bot's pacer lets each
message go, event-loop stalls, the machine's own stalls (Linux PSI), and the machine itself."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import os
import platform
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import discord

REPO = Path(__file__).resolve().parent.parent
LOAD_BEFORE = os.getloadavg()  # other work on the machine shows up in the figures


def pressure_totals() -> dict[str, float]:
    """Linux pressure-stall totals in seconds: CPU "some" (runnable, waiting for a core), memory and
    I/O "full" (every task stalled). Empty where /proc/pressure does not exist."""
    totals = {}
    for resource, kind in (("cpu", "some"), ("memory", "full"), ("io", "full")):
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path(f"/proc/pressure/{resource}").read_text().splitlines():
                if line.startswith(kind):
                    totals[f"{resource} {kind}"] = int(line.rsplit("total=", 1)[1]) / 1e6
    return totals


class StallWatch:
    """The longest the event loop overslept a short sleep: a blocking call, or the process starved."""

    def __init__(self, tick: float = 0.005) -> None:
        self.tick = tick
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StallWatch:
        self._task = asyncio.create_task(self._watch(), name="bench-stall-watch")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.tick)
            self.longest = max(self.longest, loop.time() - before - self.tick)


@contextlib.contextmanager
def pacer_releases() -> Iterator[dict[int, list[float]]]:
    """Note when the bot's Pacer lets each webhook message go, per channel id (monotonic seconds).

    The fake stamps arrivals with the event loop's clock, which is `time.monotonic` too, so the
    difference is how long after the pacer counted a message Discord saw it. The class is looked up
    afresh: unloading the extension (when the previous phase's bot closed) drops `bot.*` modules.
    """
    pacer_class = importlib.import_module("bot.replay.pacer").Pacer
    released: dict[int, list[float]] = {}
    original = pacer_class.webhook_message

    @contextlib.asynccontextmanager
    async def observed(self: object, channel_id: int) -> AsyncIterator[None]:
        async with original(self, channel_id):
            released.setdefault(channel_id, []).append(time.monotonic())
            yield

    pacer_class.webhook_message = observed
    try:
        yield released
    finally:
        pacer_class.webhook_message = original


class Capture:
    """A write-only stream pstats can print into."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> None:
        self.text += s


def machine(args: argparse.Namespace) -> dict[str, str]:
    """What the figures were measured on, and how to get them again."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    rev = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return {
        "revision": f"{rev or 'unknown'} (the working tree as it was during the run)",
        "load average before the run": " ".join(f"{x:.2f}" for x in LOAD_BEFORE),
        "load average after the run": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "nproc": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "python": platform.python_version(),
        "discord.py": discord.__version__,
        "platform": platform.platform(),
        "command": " ".join([".venv/bin/python", "bench/bench_replay.py", *args.argv]),
    }
