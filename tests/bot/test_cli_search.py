"""`threadreplay search`: the bot's search from a terminal, on a real SQLite file, as a process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage import queries
from storage.db import Storage
from tests.bot.dumps import write_dump

THREADREPLAY = Path(sys.executable).with_name("threadreplay")  # the installed console script


def cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `threadreplay ARGV…` with no THREADREPLAY_* settings from the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADREPLAY_")}
    return subprocess.run(
        [str(THREADREPLAY), *argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two articles; one comment's author and text carry terminal escapes."""
    folder = tmp_path_factory.mktemp("dumps")
    write_dump(
        folder,
        "otters",
        "River otters return",
        [(0, "Ann", "The otters are back in the river"), (1, "Bob", "Lovely otters")],
        paragraphs=("Otters were seen near the weir.",),
    )
    write_dump(folder, "dams", "Beaver dams", [(0, "Evil\x1b[2J", "otters \x1b]0;pwned\x07 too")])
    db = folder / "t.db"
    done = cli("load", str(folder), "--db", str(db), cwd=folder)
    assert done.returncode == 0, done.stderr
    return db


def test_json_has_the_documented_shape_and_the_same_hits_as_the_bot(store: Path) -> None:
    done = cli("search", "otters", "--db", str(store), "--json", cwd=store.parent)
    assert done.returncode == 0 and done.stderr == ""
    out = json.loads(done.stdout)
    assert set(out) == {"query", "articles", "comments"} and out["query"] == "otters"
    for hit in out["articles"]:
        assert set(hit) == {"key", "title", "snippet", "highlights"}
    for hit in out["comments"]:
        assert set(hit) == {"key", "title", "author", "position", "snippet", "highlights"}
        for start, end in hit["highlights"]:
            assert hit["snippet"][start:end].casefold() == "otters"
    bot = asyncio.run(_bot_search(store, "otters"))
    assert [(h["key"], h.get("author"), h.get("position")) for h in out["articles"]] + [
        (h["key"], h["author"], h["position"]) for h in out["comments"]
    ] == [(h.key, h.author, h.position) for h in bot]
    assert {h["author"] for h in out["comments"]} == {"Ann", "Bob", "Evil\x1b[2J"}


async def _bot_search(db: Path, query: str) -> list[queries.SearchHit]:
    async with await Storage.open(db) as store:
        return await queries.search(store, query, limit=10)


def test_limit_caps_each_part(store: Path) -> None:
    done = cli("search", "otters", "--db", str(store), "--json", "--limit", "1", cwd=store.parent)
    out = json.loads(done.stdout)
    assert (len(out["articles"]), len(out["comments"])) == (1, 1)


def test_text_output_marks_hits_and_is_safe_for_a_terminal(store: Path) -> None:
    done = cli("search", "otters", "--db", str(store), cwd=store.parent)
    assert done.returncode == 0
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "Articles:" in done.stdout and "Comments:" in done.stdout
    assert "[otters]" in done.stdout.casefold()  # not a terminal: hits in brackets, no colours


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["nothingmatchesthis"], 1, "nothing matches 'nothingmatchesthis'"),
        (["   "], 2, "the search query is empty"),
        (["otters", "--limit", "0"], 2, "--limit: must be a whole number from 1 to 100"),
        (["otters", "--db", "missing.db"], 2, "database missing.db does not exist"),
    ],
)
def test_exit_codes_and_one_line_errors(store: Path, argv: list[str], code: int, says: str) -> None:
    if "--db" not in argv:
        argv = [*argv, "--db", str(store)]
    done = cli("search", *argv, cwd=store.parent)
    assert done.returncode == code
    assert done.stdout == "" and says in done.stderr
    assert "Traceback" not in done.stderr
