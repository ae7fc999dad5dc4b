"""End to end: with DEBUG logging during a replay and slash commands, no bot, webhook or interaction
token reaches the log (discord.py logs URLs, bodies and gateway events at DEBUG)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.redact import REDACTED, Redactor, redact
from tests.bot.conftest import StartBot, World
from tests.bot.e2e import SEED_KEY
from tests.bot.replaykit import slash, wait_state
from tests.fakediscord import FakeDiscord

pytestmark = pytest.mark.fakediscord(time_scale=0.02)

HOOK = "-".join(["abc", "DEF_ghi"])  # made up at run time: no secret-shaped literal in the tree


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record as a handler would write it, tracebacks included."""
    formatter = logging.Formatter("%(name)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


async def test_debug_log_of_a_replay_and_commands_holds_no_secret(
    fake_discord: FakeDiscord,
    world: World,
    start_bot: StartBot,
    bot_env: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await start_bot()
    await slash(fake_discord, world, "replay start", article=SEED_KEY)
    await wait_state(fake_discord, bot_env / "bot.db", "finished")
    search = await fake_discord.invoke("article search", {"query": "Qalamun"}, user_id=world.member)
    await search.wait_done()
    [hook] = fake_discord.webhooks(world.channel)
    interactions = [r.record.token for r in (search,)]
    text = logged(caplog)
    # The DEBUG lines are there (the test would be empty otherwise), with the secrets taken out.
    assert f"/webhooks/{hook.id}/{REDACTED}" in text
    assert "INTERACTION_CREATE" in text and f"'token': '{REDACTED}'" in text
    for secret in (fake_discord.token, hook.token, *interactions):
        assert secret not in text


def test_redact_removes_every_kind_of_secret_and_keeps_the_rest() -> None:
    line = (
        f"POST https://discord.com/api/v10/webhooks/123/{HOOK}?wait=true has returned 200;"
        " POST /interactions/456/tok.en-1/callback; {'token': 'sekrit', \"id\": \"7\"};"
        ' {"token": "s2"}; postgresql://bot:hunter2@db.example/threadreplay; '
        + ".".join(["A" * 24, "B" * 6, "C" * 27])
    )
    out = redact(line)
    for secret in (HOOK, "tok.en-1", "sekrit", "s2", "hunter2", "A" * 24):
        assert secret not in out
    assert (
        "/webhooks/123/[redacted]?wait=true" in out
        and "/interactions/456/[redacted]/callback" in out
    )
    assert "postgresql://bot:[redacted]@db.example/threadreplay" in out and '"id": "7"' in out


def test_redactor_rewrites_arguments_and_tracebacks() -> None:
    record = logging.LogRecord(
        "discord.http", logging.DEBUG, __file__, 1, "%s %s", ("GET", "/webhooks/1/x"), None
    )
    try:
        raise RuntimeError("failed at /webhooks/9/secret-token")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    assert Redactor().filter(record)
    assert record.getMessage() == f"GET /webhooks/1/{REDACTED}"
    assert record.exc_text is not None and "secret-token" not in record.exc_text
    assert f"/webhooks/9/{REDACTED}" in record.exc_text
