"""The loader's parser processes: forked by the command line before any thread runs, else spawned,
and below the writer's priority.

A forked worker starts with the parsers already imported (a spawned one imports them again, ~0.4 s
of CPU each); forking a process that runs threads can leave the child with a lock held for ever,
so a process with a thread running spawns them whatever the caller asked.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from storage.loader import BATCH_FILES, PARSER_NICE
from tests.bot.dumps import write_dump
from tests.sqlitefile import connect, rows

ROOT = Path(__file__).resolve().parents[2]

# A process that asks for forked workers (with a thread running first if argv[1] says so) and
# prints each worker's command line, as /proc shows it, and what one of them parsed.
PROBE = """
import json, os, sys, threading
from storage.batch import prepare_many
from storage.loader import parser_pool

if sys.argv[1] == "thread":
    stop = threading.Event()
    threading.Thread(target=stop.wait, daemon=True).start()
pool = parser_pool(fork=True)
pids = {pool.submit(os.getpid).result() for _ in range(20)}
cmdlines = [open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\\0") for pid in pids]
(parsed,) = pool.submit(prepare_many, [(sys.argv[2], None)], False).result()
nice = {pool.submit(os.nice, 0).result() for _ in range(20)}
pool.shutdown()
print(json.dumps({"cmdlines": cmdlines, "comments": parsed.comments, "outcome": parsed.outcome,
                  "nice": sorted(nice), "own nice": os.nice(0)}))
"""


def run_probe(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a probe in a fresh interpreter (no thread of pytest's), from the repository's root."""
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def probe(tmp_path: Path, thread: bool) -> dict[str, object]:
    folder = tmp_path / "dumps"
    folder.mkdir()
    dump = write_dump(folder, "a", "Title", [(0, "Ann", "first"), (1, "Bob", "a reply")])
    out = run_probe(PROBE, "thread" if thread else "none", str(dump))
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_without_a_thread_the_workers_are_forks_of_the_caller(tmp_path: Path) -> None:
    result = probe(tmp_path, thread=False)
    cmdlines = result["cmdlines"]
    assert isinstance(cmdlines, list) and cmdlines
    # A fork runs the caller's own command line; a spawned worker runs multiprocessing's.
    assert all(c[:2] == [sys.executable, "-c"] for c in cmdlines), cmdlines
    assert not any("spawn_main" in " ".join(c) for c in cmdlines)
    assert (result["outcome"], result["comments"]) == ("rows", 2)
    # Below the writer's priority, which stays as it was.
    assert result["nice"] == [min(19, int(str(result["own nice"])) + PARSER_NICE)]


def test_with_a_thread_running_the_workers_are_spawned(tmp_path: Path) -> None:
    result = probe(tmp_path, thread=True)
    cmdlines = result["cmdlines"]
    assert isinstance(cmdlines, list) and cmdlines
    assert all("spawn_main" in " ".join(c) for c in cmdlines), cmdlines
    assert (result["outcome"], result["comments"]) == ("rows", 2)
    assert result["nice"] == [min(19, int(str(result["own nice"])) + PARSER_NICE)]


# A load given the caller's forked workers: which processes it runs beside them, and that the
# workers are still the caller's to use (and shut down) after it.
LOAD_PROBE = """
import asyncio, json, multiprocessing, sys
from pathlib import Path
from storage.db import Storage
from storage.loader import iter_load, parser_pool

pool = parser_pool(fork=True)
workers = len(multiprocessing.active_children())
children = set()

def progress(done, total, path):
    children.add(len(multiprocessing.active_children()))

async def load():
    async with await Storage.open(Path(sys.argv[2])) as store:
        loading = iter_load(store, [Path(sys.argv[1])], batch=2, progress=progress, pool=pool)
        return [r.status async for r in loading]

statuses = asyncio.run(load())
after = pool.submit(int, "7").result()
pool.shutdown()
print(json.dumps({"statuses": statuses, "workers": workers, "children": sorted(children),
                  "after": after}))
"""


def test_a_load_given_workers_parses_in_them_and_leaves_them_running(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    for i in range(7):
        write_dump(folder, f"a{i}", f"Title {i}", [(0, "Ann", f"text {i}")])
    out = run_probe(LOAD_PROBE, str(folder), str(tmp_path / "t.db"))
    result = json.loads(out.stdout)
    assert result["statuses"] == ["added"] * 7
    assert result["workers"] >= 1
    # Only the given workers ran beside the load (a pool of its own would have doubled them).
    assert result["children"] == [result["workers"]]
    assert result["after"] == 7


# A load whose parser processes are all killed after its first report (as the kernel's out-of-memory
# killer would): what it reports, and what the store holds.
KILL_PROBE = """
import asyncio, json, logging, multiprocessing, os, signal, sys
from pathlib import Path
from storage.db import Storage
from storage.loader import iter_load, parser_pool
from tests.sqlitefile import connect, rows

logging.basicConfig(level=logging.WARNING)
pool = parser_pool(fork=True)
workers = multiprocessing.active_children()

def progress(done, total, path):
    if done == 1:
        for worker in workers:
            os.kill(worker.pid, signal.SIGKILL)

async def load():
    async with await Storage.open(Path(sys.argv[2])) as store:
        loading = iter_load(store, [Path(sys.argv[1])], batch=2, progress=progress, pool=pool)
        return [r.status async for r in loading]

statuses = asyncio.run(load())
pool.shutdown()
stored = rows(Path(sys.argv[2]), "SELECT count(*) FROM comments")
print(json.dumps({"statuses": statuses, "comments": stored[0][0]}))
"""


def test_a_load_whose_parser_processes_die_parses_the_rest_itself(tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    for i in range(11):
        write_dump(folder, f"a{i:02}", f"Title {i}", [(0, "Ann", f"text {i}"), (1, "Bo", "re")])
    out = run_probe(KILL_PROBE, str(folder), str(tmp_path / "t.db"))
    result = json.loads(out.stdout)
    assert result == {"statuses": ["added"] * 11, "comments": 22}
    assert "never retrieved" not in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_the_command_line_loads_more_than_a_batch_through_its_forked_workers(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    files = BATCH_FILES * 2 + 3  # three batches: the workers parse the first one already
    for i in range(files):
        write_dump(
            folder, f"a{i:03}", f"Title {i}", [(0, f"Reader{i}", f"body {i}"), (1, "Ann", "ok")]
        )
    db = tmp_path / "t.db"
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "load", str(folder), "--db", str(db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = json.loads(out.stdout)
    assert [f["status"] for f in report["files"]] == ["added"] * files
    assert report["added"] == files and report["failed"] == 0
    assert out.stdout.count('"files"') == 1  # no child wrote a copy of the parent's buffers
    assert rows(db, "SELECT count(*), count(DISTINCT article_id) FROM comments") == [
        (2 * files, files)
    ]
    assert rows(db, "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH 'body'") == [
        (files,)
    ]


# `python -m bot.cli` with Ctrl-C's usual handler, whatever this test inherited: a shell starts a
# background job (`pytest &`) with SIGINT ignored, and Python then installs no handler of its own.
INTERRUPTIBLE = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler);"
    " runpy.run_module('bot.cli', run_name='__main__')"
)


def test_ctrl_c_stops_a_load_quietly_and_leaves_whole_articles(tmp_path: Path) -> None:
    """Ctrl-C reaches every process of the terminal's group: the load stops (exit 130) without a
    traceback from any parser process, none of them is left behind, and every article stored so
    far is whole and indexed."""
    folder = tmp_path / "dumps"
    folder.mkdir()
    files = 1200
    comments = [(i % 3, f"Reader{i}", f"comment {i} about the harbour") for i in range(20)]
    for i in range(files):
        write_dump(folder, f"a{i:04}", f"Title {i}", comments)
    db = tmp_path / "t.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTIBLE, "load", str(folder), "--db", str(db), "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job is
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith('{"files": [')  # reports are coming: it is loading
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out[-300:], err[-2000:])
    assert err == ""
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)  # no process of the group is left
    ((stored,),) = rows(db, "SELECT count(*) FROM articles")
    assert 0 < stored < files
    assert rows(db, "SELECT count(*) FROM comments") == [(stored * len(comments),)]
    assert rows(
        db,
        "SELECT count(*) FROM articles a"
        " WHERE comment_count != (SELECT count(*) FROM comments c WHERE c.article_id = a.id)",
    ) == [(0,)]
    with connect(db) as conn:
        conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('integrity-check')")
    assert rows(db, "SELECT count(*) FROM comments_fts WHERE comments_fts MATCH 'harbour'") == [
        (stored * len(comments),)
    ]
