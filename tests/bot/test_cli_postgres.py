"""The CLI on PostgreSQL, as a user runs it: `load --db URL`, `preview --db URL`, and `migrate-db`
moving a SQLite store into an empty database (never into one that holds rows). Real processes, a real
throwaway cluster; the password never shows in any output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from storage.pg import shown_url
from tests.pgcluster import PASSWORD

THREADREPLAY = Path(sys.executable).with_name("threadreplay")
SEEDS = Path(__file__).parents[2] / "seeds"
KEY = "000_e7a44f8a370d07ea"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `threadreplay ARGS` with no THREADREPLAY_DB of the caller's leaking in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADREPLAY_")}
    return subprocess.run(
        [str(THREADREPLAY), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_load_preview_and_migrate_db_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    sqlite = tmp_path / "old.db"
    assert cli("load", str(SEEDS), "--db", str(sqlite), cwd=tmp_path).returncode == 0

    moved = cli("migrate-db", "--db", str(sqlite), "--to", pg_url, cwd=tmp_path)
    assert moved.returncode == 0, moved.stderr
    lines = moved.stdout.splitlines()
    assert lines[0].split() == ["articles", "1", "rows", "1", "copied"]
    assert lines[1].split() == ["comments", "16", "rows", "16", "copied"]
    assert lines[-1] == f"copied {sqlite} into {shown_url(pg_url)}; every count matches"

    again = cli("load", str(SEEDS), "--db", pg_url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"0 added, 0 updated, 1 unchanged, 0 failed  ({shown_url(pg_url)})"

    preview = cli("preview", KEY, "--db", pg_url, cwd=tmp_path)
    assert preview.returncode == 0 and "MD Ranix" in preview.stdout

    refused = cli("migrate-db", "--db", str(sqlite), "--to", pg_url, cwd=tmp_path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith(f"threadreplay: {shown_url(pg_url)} is not empty")
    for run in (moved, again, preview, refused):
        assert PASSWORD not in run.stdout + run.stderr


def test_migrate_db_needs_a_url_and_an_existing_file(tmp_path: Path, pg_url: str) -> None:
    no_url = cli("migrate-db", "--db", str(tmp_path / "x.db"), "--to", "x.db", cwd=tmp_path)
    no_file = cli("migrate-db", "--db", str(tmp_path / "x.db"), "--to", pg_url, cwd=tmp_path)
    backup = cli("backup", str(tmp_path / "b.db"), "--db", pg_url, cwd=tmp_path)
    assert (no_url.returncode, no_file.returncode, backup.returncode) == (2, 2, 2)
    assert no_url.stderr == (
        "threadreplay: --to must be a PostgreSQL URL: postgresql://user:password@host/database\n"
    )
    assert no_file.stderr == f"threadreplay: database {tmp_path / 'x.db'} does not exist\n"
    assert "use pg_dump" in backup.stderr and PASSWORD not in backup.stderr
    assert not (tmp_path / "x.db").exists()
