"""End to end: archive text stays inert where the plan is shown, in Discord and in the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.bot.conftest import StartBot, World
from tests.bot.dumps import write_dump
from tests.bot.e2e import client_errors, visible_text
from tests.fakediscord import FakeDiscord

TITLE = "**Loud** [click](https://evil.example) @everyone"
AUTHOR = "# Heading **x**"
RED = "\x1b[31mred\x1b[0m and \u202egnp.exe"  # an ANSI colour and a right-to-left override


def hostile_dump(folder: Path) -> None:
    write_dump(folder, "loud", TITLE, [(0, AUTHOR, f"Terminal {RED} text."), (1, "Bea", "Fine.")])


async def test_replay_plan_shows_titles_and_authors_literally(
    fake_discord: FakeDiscord, world: World, bot_env: Path, start_bot: StartBot
) -> None:
    hostile_dump(bot_env / "seeds")
    await start_bot()
    result = await fake_discord.invoke("replay plan", {"article": "loud"}, user_id=world.member)
    await result.wait_done()
    [first, *_] = result.followups or [result.message]
    content = first.content
    assert content.startswith(
        "Replay plan for \\*\\*Loud\\*\\* \\[click\\](https://evil.example) @\u200beveryone (loud)\n"
    )
    assert "\n#1 \\# Heading \\*\\*x\\*\\* (in the channel)" in content
    assert "**Loud**" not in content and "[click](" not in content
    assert "\x1b" not in visible_text(first)
    assert client_errors(fake_discord) == []


def test_preview_writes_no_control_character_to_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    hostile_dump(folder)
    db = tmp_path / "t.db"
    assert main(["load", str(folder), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["preview", "loud", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "\\x1b[31mred\\x1b[0m and \\u202egnp.exe" in out  # shown, not acted on
    assert f"Replay plan for {TITLE} (loud)" in out  # the terminal shows the title as it is
