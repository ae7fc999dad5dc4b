"""What the command line loads: neither discord.py nor asyncpg (nor pydantic-settings, which only
reading the environment needs) for commands that need neither.

`threadreplay load` starts a parser process per core, and each one imports the command line's
module again (multiprocessing's spawn); discord.py alone cost each of them 0.15 s of CPU.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from bot.cli import main
import storage.batch, storage.loader
UNWANTED = ("discord", "aiohttp", "asyncpg", "pydantic_settings")
print(json.dumps(sorted(m for m in UNWANTED if m in sys.modules)))
"""


def test_the_command_line_and_the_loader_load_neither_discord_nor_asyncpg() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []

