"""End to end: every way the database or Discord can be unusable ends in one line, fast, untouched."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.test_e2e_cli import RUN_AGAINST_FAKE, THREADREPLAY, WELL_FORMED, run_process
from tests.sqlitefile import connect

SEEDS = Path(__file__).parents[2] / "seeds"
KEY = "000_e7a44f8a370d07ea"


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` unwritable for this process: chmod for a user, the immutable flag for root
    (root writes through any mode bits)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)


def good_db(folder: Path) -> Path:
    db = folder / "good.db"
    code = subprocess.run(
        [str(THREADREPLAY), "load", str(SEEDS), "--db", str(db)], capture_output=True, check=False
    ).returncode
    assert code == 0
    return db


def make(kind: str, folder: Path) -> Path:
    """A database path of the given kind of brokenness."""
    if kind == "corrupt":
        path = folder / "corrupt.db"
        path.write_bytes(b"this is not SQLite\n" * 500)
    elif kind == "truncated":
        path = folder / "truncated.db"
        path.write_bytes(good_db(folder).read_bytes()[:3000])
    elif kind == "directory":
        path = folder / "dir.db"
        path.mkdir()
    elif kind == "uncreatable":
        path = folder / "a-file" / "x.db"
        (folder / "a-file").write_text("a file where a folder should be")
    elif kind == "newer":
        path = good_db(folder)
        with connect(path) as conn:
            conn.execute("INSERT INTO schema_migrations VALUES (9999, '9999_from_the_future', 'x')")
    else:
        path = good_db(folder)
    return path


SAYS = {
    "corrupt": "is not a threadreplay database",
    "truncated": "is not a threadreplay database",
    "directory": "is a directory",
    "uncreatable": "cannot be created",
    "newer": "was written by a newer threadreplay (migration 9999_from_the_future",
    "read-only": "is read-only",
}


def wal_left(db: Path) -> bool:
    return Path(f"{db}-wal").exists()


def fingerprint(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


@pytest.mark.parametrize("kind", list(SAYS))
@pytest.mark.parametrize("command", ["load", "preview", "run"])
async def test_unusable_database_is_one_line_nonzero_and_untouched(
    tmp_path: Path, kind: str, command: str
) -> None:
    db = make(kind, tmp_path)
    before = fingerprint(db)
    argv = {
        "load": [str(THREADREPLAY), "load", str(SEEDS), "--db", str(db)],
        "preview": [str(THREADREPLAY), "preview", KEY, "--db", str(db)],
        "run": [str(THREADREPLAY), "run"],
    }[command]
    env = {**os.environ, "DISCORD_TOKEN": WELL_FORMED, "THREADREPLAY_DB": str(db)}
    guard = read_only(db) if kind == "read-only" else contextlib.nullcontext()
    with guard:
        code, out, err = await run_process(*argv, env=env, cwd=tmp_path)  # 30 s limit: no hang
    assert code != 0 and out == ""
    [line] = err.splitlines()
    if (command, kind) == ("preview", "uncreatable"):  # preview never creates a database
        assert line.startswith(f"threadreplay: database {db} does not exist")
    else:
        assert line.startswith(f"threadreplay: database {db}: ") and SAYS[kind] in line
    assert "Traceback" not in err and WELL_FORMED not in err
    assert fingerprint(db) == before
    assert not wal_left(db) or kind in ("read-only", "newer")


@pytest.mark.parametrize("why", ["refused", "tls", "dns"])
async def test_run_when_discord_cannot_be_reached_is_one_line_and_exit_1(
    tmp_path: Path, unused_tcp_port: int, why: str
) -> None:
    tls = why == "tls"
    if tls:  # something answers, but not with TLS
        server = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "http.server", str(unused_tcp_port), "-b", "127.0.0.1"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"https://127.0.0.1:{unused_tcp_port}/api/v10"
    elif why == "dns":  # a name that never resolves (RFC 6761 reserves .invalid)
        server = None
        base = "http://discord.invalid/api/v10"
    else:  # nothing listens there: connection refused
        server = None
        base = f"http://127.0.0.1:{unused_tcp_port}/api/v10"
    env = {
        **os.environ,
        "DISCORD_TOKEN": WELL_FORMED,
        "THREADREPLAY_DB": str(tmp_path / "bot.db"),
        "THREADREPLAY_SEEDS": str(tmp_path / "seeds"),
        "THREADREPLAY_LOG_LEVEL": "WARNING",
    }
    try:
        if server is not None:
            await wait_listening(unused_tcp_port)
        code, out, err = await run_process(
            sys.executable, "-c", RUN_AGAINST_FAKE, base, env=env, cwd=tmp_path
        )
    finally:
        if server is not None:
            server.terminate()
            await server.wait()
    assert (code, out) == (1, "")
    [line] = err.splitlines()
    want = {
        "tls": "TLS handshake",
        "dns": "name resolution failed for discord.invalid",
        "refused": f"cannot reach Discord at 127.0.0.1:{unused_tcp_port}",
    }[why]
    assert line.startswith("threadreplay: cannot reach Discord") and want in line
    assert "Traceback" not in err and WELL_FORMED not in err


async def wait_listening(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listens on {port}")
