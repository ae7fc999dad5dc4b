"""Peak memory of `threadreplay load` against the number of files (issue 14), sampled as it loads.

Runs the real CLI (`load DIR --db DB --json`, a fresh database each time) on the first N files of one
generated corpus for each of `--sizes`, once per `--tree` (a source tree put first on PYTHONPATH, such
as an older revision unpacked by `git archive`; default: this checkout), rounds interleaved. Each run
gives the peak RSS of the CLI and its parser processes (`ru_maxrss`, what `bench_load.py` reports) and
the loader process's own resident memory, anonymous and file-backed (the latter holds SQLite's WAL
index, `<db>-shm`), read from /proc every `--every` files done (counted in the JSON report so far).

    .venv/bin/python bench/rss_load.py --sizes 2000 10000 20000 --rounds 2
    git archive REV | tar -x -C /tmp/old
    .venv/bin/python bench/rss_load.py --tree /tmp/old --tree . --sizes 2000 10000
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_load import BENCH, corpus, fresh, subset, threadreplay

FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile")


def memory(pid: int) -> dict[str, float] | None:
    """The process's resident memory fields in MiB, None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {k: int(found[k].split()[0]) / 1024 for k in FIELDS if k in found}


def run(folder: Path, db: Path, tree: Path, every: int) -> tuple[float, float, float, float]:
    """One load; prints the samples; returns (ru_maxrss, loader's own peak, CPU s, wall s)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADREPLAY_")}
    env["PYTHONPATH"] = str(tree)
    out = db.with_suffix(".json")
    cmd = [*threadreplay(), "load", str(folder), "--db", str(fresh(db)), "--json"]
    print("| files done | RSS (MiB) | anonymous | file-backed | loader peak so far |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    start, mark, peak = time.perf_counter(), every, 0.0
    with out.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, env=env, cwd=tree)
        while True:
            time.sleep(0.2)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            mem = memory(proc.pid)
            if mem is None or len(mem) < len(FIELDS):  # gone, or exiting (a zombie has no memory)
                continue
            peak = max(peak, mem["VmHWM"])
            done = out.read_bytes().count(b"\n  {")
            if done >= mark:
                print(
                    f"| {done:,} | {mem['VmRSS']:.1f} | {mem['RssAnon']:.1f}"
                    f" | {mem['RssFile']:.1f} | {mem['VmHWM']:.1f} |",
                    flush=True,
                )
                mark = (done // every + 1) * every
    wall = time.perf_counter() - start
    done = out.read_bytes().count(b"\n  {")
    fresh(db)
    if os.waitstatus_to_exitcode(status) != 0 or done != sum(1 for _ in folder.glob("*.txt")):
        raise SystemExit(f"the load of {folder} failed or stopped at {done} files")
    return usage.ru_maxrss / 1024, peak, usage.ru_utime + usage.ru_stime, wall


def main(argv: list[str] | None = None) -> int:
    """Load every size with every tree, rounds interleaved; print the samples and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[2000, 10000], help="files per load"
    )
    parser.add_argument("--tree", type=Path, action="append", help="source tree (repeatable)")
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (default 1)")
    parser.add_argument("--every", type=int, default=2000, help="sample every N files (2000)")
    parser.add_argument("--comments", type=int, default=100, help="mean comments per file")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--work", type=Path, default=BENCH / ".work", help="corpora and databases")
    args = parser.parse_args(argv)
    work: Path = args.work.resolve()
    trees = [t.resolve() for t in args.tree or [BENCH.parent]]
    full = corpus(work, max(args.sizes), args.comments, args.seed)
    folders = {n: full if n == max(args.sizes) else subset(full, n) for n in args.sizes}
    results: dict[tuple[int, Path], list[tuple[float, float, float, float]]] = {}
    for i in range(args.rounds):
        for n in args.sizes:
            for tree in trees:
                print(f"\nround {i + 1}, {n:,} files, {tree} (load {os.getloadavg()[0]:.2f})")
                result = run(folders[n], work / "rss.db", tree, args.every)
                results.setdefault((n, tree), []).append(result)
                print(
                    f"peak RSS {result[0]:.1f} MiB (ru_maxrss), loader process {result[1]:.1f};"
                    f" CPU {result[2]:.1f} s, wall {result[3]:.1f} s"
                )
    print("\n| tree | files | peak RSS, ru_maxrss (MiB) | loader process (MiB) | CPU (s) |")
    print("| --- | ---: | --- | --- | --- |")
    for tree in trees:
        for n in args.sizes:
            runs = results[(n, tree)]

            def cell(k: int, runs: list[tuple[float, float, float, float]] = runs) -> str:
                values = [r[k] for r in runs]
                return f"{statistics.median(values):.1f} ({', '.join(f'{v:.1f}' for v in values)})"

            print(f"| {tree.name} | {n:,} | {cell(0)} | {cell(1)} | {cell(2)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
