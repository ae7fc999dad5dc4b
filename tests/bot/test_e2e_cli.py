"""End to end: `threadreplay run` refuses a bad token in one line; `invite` prints the exact URL."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import string
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from bot.cli import main
from bot.permissions import required_permissions
from tests.bot.conftest import World
from tests.fakediscord import FakeDiscord

THREADREPLAY = Path(sys.executable).with_name("threadreplay")  # the installed console script
# A made-up token of the right shape (id.timestamp.hmac), built here so no token-like literal is
# kept in the repository.
WELL_FORMED = ".".join(
    (
        base64.urlsafe_b64encode(b"1180000000000000009").decode().rstrip("="),
        "GhIjKl",
        string.ascii_lowercase + "012345",
    )
)
# `threadreplay run` with discord.py's REST base pointed at the fake (argv[1]); nothing else changed.
RUN_AGAINST_FAKE = (
    "import sys, discord.http; discord.http.Route.BASE = sys.argv[1];"
    " from bot.cli import main; sys.exit(main(['run']))"
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")
REJECTED = (
    "threadreplay: Discord rejected DISCORD_TOKEN (401 Unauthorized): reset the token in the"
    " Developer Portal and update your environment or .env"
)


async def run_process(*argv: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """Run a command without blocking the event loop (the fake answers from this loop)."""
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    ("token", "says"),
    [("", "DISCORD_TOKEN is not set"), ("not-a-token", "does not look like a bot token")],
)
async def test_run_with_missing_or_malformed_token_exits_2_with_one_line(
    tmp_path: Path, token: str, says: str
) -> None:
    env = {**os.environ, "DISCORD_TOKEN": token, "THREADREPLAY_DB": str(tmp_path / "x.db")}
    code, out, err = await run_process(str(THREADREPLAY), "run", env=env, cwd=tmp_path)
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith("threadreplay: ") and says in line
    assert not (tmp_path / "x.db").exists()  # refused before touching anything


@pytest.mark.parametrize("level", ["INFO", "WARNING"])
async def test_run_with_a_token_discord_rejects_exits_2_with_one_line_and_no_traceback(
    fake_discord: FakeDiscord, world: World, bot_env: Path, level: str
) -> None:
    env = {**os.environ, "DISCORD_TOKEN": WELL_FORMED, "THREADREPLAY_LOG_LEVEL": level}
    argv = (sys.executable, "-c", RUN_AGAINST_FAKE, fake_discord.api_url)
    code, out, err = await run_process(*argv, env=env, cwd=bot_env)
    login = fake_discord.calls_to("GET /users/@me")
    assert [c.status for c in login] == [401]  # it did ask the fake, which said no
    assert (code, out) == (2, "")
    assert not ANSI.search(err)  # not a terminal: no colour codes, even in a container
    *logged, last = err.splitlines()
    assert last == REJECTED
    # At the default level discord.py's INFO start-up lines come first; nothing else, ever.
    assert all(re.search(r" \[INFO +\] discord", line) for line in logged)
    assert (logged != []) is (level == "INFO"), logged
    assert "Traceback" not in err and WELL_FORMED not in err


def test_invite_prints_url_with_both_scopes_and_exactly_the_needed_permissions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["invite", "--app-id", "1180000000000000009"]) == 0
    [url] = capsys.readouterr().out.splitlines()
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "discord.com", "/oauth2/authorize")
    assert query["client_id"] == ["1180000000000000009"]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == [str(required_permissions().value)]
    readme = discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        read_message_history=True,
        manage_webhooks=True,
        create_public_threads=True,
        send_messages_in_threads=True,
        manage_threads=True,
    )
    assert required_permissions().value == readme.value == 326954470400


@pytest.mark.parametrize("bad", ["123", "abc", "-1180000000000000009", "99999999999999999999"])
def test_invite_refuses_what_is_not_a_discord_id(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["invite", "--app-id", bad])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "is not a Discord id" in err.splitlines()[-1]


async def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    from importlib import metadata

    code, out, err = await run_process(
        str(THREADREPLAY), "--version", env=dict(os.environ), cwd=tmp_path
    )
    assert (code, out, err) == (0, f"threadreplay {metadata.version('threadreplay')}\n", "")
