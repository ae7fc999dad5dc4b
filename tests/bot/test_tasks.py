"""Background tasks fail loudly: logged with their traceback, restarted, and counted for status."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.tasks import Supervisor


async def test_a_failing_task_is_logged_with_its_traceback_and_restarted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor(time_scale=0.001)
    runs: list[int] = []
    finished = asyncio.Event()

    async def work() -> None:
        runs.append(len(runs))
        if len(runs) < 3:
            raise RuntimeError(f"broken on run {len(runs)}")
        finished.set()

    with caplog.at_level(logging.ERROR, logger="bot.tasks"):
        supervisor.spawn("feed", work)
        await asyncio.wait_for(finished.wait(), 5)
    assert runs == [0, 1, 2]
    failure = supervisor.failures["feed"]
    assert (failure.count, failure.error) == (2, "RuntimeError: broken on run 2")
    logged = [r for r in caplog.records if r.name == "bot.tasks"]
    assert len(logged) == 2 and all(r.exc_info and r.exc_info[0] is RuntimeError for r in logged)
    assert "feed" in logged[0].getMessage() and "restarting" in logged[0].getMessage()
    await asyncio.sleep(0)
    assert supervisor.tasks == {}  # a task that ended is forgotten


async def test_stop_cancels_without_counting_a_failure() -> None:
    supervisor = Supervisor()
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    task = supervisor.spawn("watch", forever)
    await started.wait()
    await supervisor.stop()
    assert task.cancelled() and supervisor.failures == {}


async def test_a_task_that_must_not_restart_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor(time_scale=0.001)
    calls = 0

    async def once() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("nope")

    with caplog.at_level(logging.ERROR, logger="bot.tasks"):
        await supervisor.spawn("resume", once, restart=False)
    assert calls == 1 and supervisor.failures["resume"].count == 1
    [logged] = [r for r in caplog.records if r.name == "bot.tasks"]
    assert "resume" in logged.getMessage() and "restarting" not in logged.getMessage()
    assert logged.exc_info is not None and logged.exc_info[0] is ValueError
