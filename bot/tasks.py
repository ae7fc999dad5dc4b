"""Background work that fails loudly: every task the bot starts goes through `Supervisor.spawn`.

A task that raises is logged with its name and traceback and restarted after a pause that grows
with each failure in a row (a task that ran a while starts counting again); its last failure is kept
for `/replayadmin status`. Nothing dies silently. Cancelling (bot shutdown, cog unload) is not a
failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

RESTART_DELAYS = (1.0, 5.0, 30.0, 120.0)  # seconds before restarting after 1, 2, 3, 4+ failures
HEALTHY_AFTER = 300.0  # a run this long resets the count of failures in a row


@dataclass
class Failure:
    """The last failure of a background task, as status shows it."""

    name: str
    error: str
    when: float  # time.time()
    count: int  # failures so far


class Supervisor:
    """Owns background tasks: starts them, restarts the ones that fail, stops them all."""

    def __init__(self, *, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.failures: dict[str, Failure] = {}

    def spawn(
        self, name: str, work: Callable[[], Awaitable[None]], *, restart: bool = True
    ) -> asyncio.Task[None]:
        """Run `work()` as task `name`; when it raises, log it and (if `restart`) run it again."""
        task = asyncio.create_task(self._keep(name, work, restart), name=f"threadreplay-{name}")
        self.tasks[name] = task
        task.add_done_callback(lambda done: self._forget(name, done))
        return task

    def _forget(self, name: str, task: asyncio.Task[None]) -> None:
        if self.tasks.get(name) is task:
            del self.tasks[name]

    async def _keep(self, name: str, work: Callable[[], Awaitable[None]], restart: bool) -> None:
        in_a_row = 0
        while True:
            started = time.monotonic()
            try:
                await work()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if time.monotonic() - started > HEALTHY_AFTER:
                    in_a_row = 0
                in_a_row += 1
                total = self.failures[name].count + 1 if name in self.failures else 1
                self.failures[name] = Failure(
                    name, f"{type(exc).__name__}: {exc}", time.time(), total
                )
                if not restart:
                    log.exception("background task %s failed", name)
                    return
                delay = RESTART_DELAYS[min(in_a_row, len(RESTART_DELAYS)) - 1]
                log.exception("background task %s failed; restarting it in %.0f s", name, delay)
                await asyncio.sleep(delay * self.time_scale)

    async def stop(self) -> None:
        """Cancel every task and wait for them to end."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
