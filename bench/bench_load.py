"""End-to-end benchmark of `threadreplay load` against a raw `sqlite3` executemany baseline.

Runs the real CLI as a child process on a generated corpus (a fresh database each time) at two corpus
sizes, then re-loads the larger corpus unchanged, then inserts the same rows with stdlib sqlite3 into
the same schema. Prints a Markdown table and writes every figure to `<work>/results.json`.

    .venv/bin/python bench/bench_load.py                  # 2,500 and 1,000 files: ~2 minutes
    .venv/bin/python bench/bench_load.py --files 10000    # the issue's size, and 2,000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from baseline import BaselineResult, run_baseline
from gen_corpus import write_corpus

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
GOAL = 0.35  # the loader's comments/s as a share of the baseline's (issue 2)
# "Does not grow": under ~100 bytes of peak RSS per extra file (1 MiB per 10,000 files), which is
# below what any per-file Python object (a Path alone is ~400 bytes) would cost.
FLAT_BYTES_PER_FILE = 100


@dataclass
class LoadRun:
    """One `threadreplay load` child: what it did, how long it took, its peak resident memory."""

    label: str
    files: int
    comments: int
    statuses: dict[str, int]
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    exit_code: int

    @property
    def comments_per_s(self) -> float:
        """Comment rows handled per second of wall time."""
        return self.comments / self.wall_s if self.wall_s else 0.0


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    rev = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "revision": rev or "unknown",
    }


def corpus(work: Path, files: int, comments: int, seed: int) -> Path:
    """The generated corpus of `files` dumps, reused when an identical one is already there."""
    out = work / f"corpus-{files}x{comments}-s{seed}"
    marker = out / ".complete"  # hidden, so the loader never sees it
    if not marker.exists():
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        total = write_corpus(out, files, comments, seed)
        marker.write_text(json.dumps({"files": files, "comments": total}))
        print(f"generated {files} files, {total} comments in {time.perf_counter() - start:.1f} s")
    return out


def subset(full: Path, files: int) -> Path:
    """The first `files` dumps of `full` (file i does not depend on the corpus size), as hard links."""
    out = full.with_name(f"{full.name}-first{files}")
    if not (out / ".complete").exists():
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        for path in sorted(full.glob("*.txt"))[:files]:
            try:
                os.link(path, out / path.name)
            except OSError:
                shutil.copyfile(path, out / path.name)
        (out / ".complete").write_text("")
    return out


def threadreplay() -> list[str]:
    """The installed console script next to this interpreter, else `python -m bot.cli`."""
    script = Path(sys.executable).with_name("threadreplay")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def fresh(db: Path) -> Path:
    """Remove a database and its WAL files so the next run starts from nothing."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def run_load(label: str, paths: list[Path], db: Path, logs: Path) -> LoadRun:
    """Run `threadreplay load PATH... --db DB --json`; wall time and the child's own peak RSS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADREPLAY_")}
    out_path, err_path = logs / f"{label}.json", logs / f"{label}.stderr"
    cmd = [*threadreplay(), "load", *map(str, paths), "--db", str(db), "--json"]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=logs)
        # wait4 reports this child's rusage alone (RUSAGE_CHILDREN would be the max of all of them).
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    report = json.loads(out_path.read_text("utf-8"))
    statuses = {k: report[k] for k in ("added", "updated", "unchanged", "failed")}
    run = LoadRun(
        label=label,
        files=len(report["files"]),
        comments=sum(f["comments"] for f in report["files"]),
        statuses=statuses,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
        exit_code=proc.returncode,
    )
    print(
        f"{label:<14} {run.files:>6} files {run.comments:>9} comments {wall:8.2f} s"
        f" (CPU {run.cpu_s:7.2f} s) {run.comments_per_s:>9,.0f} rows/s"
        f"  peak RSS {run.peak_rss_mib:6.1f} MiB  {statuses}"
    )
    return run


def _row(name: str, files: int, comments: int, wall: float, cpu: float, rss: str) -> str:
    """One line of the results table."""
    per_s = f"{comments / wall:,.0f}" if comments else "–"
    per_cpu = f"{comments / cpu:,.0f}" if comments else "–"
    return f"| {name} | {files:,} | {comments:,} | {wall:.2f} | {cpu:.2f} | {per_s} | {per_cpu} | {rss} |"


def table(runs: dict[str, LoadRun], base: BaselineResult, small: int) -> str:
    """The results as a Markdown table plus the verdict lines."""
    big, little, reload = runs["load-large"], runs["load-small"], runs["reload-large"]
    small_comments, small_s, small_cpu = base.prefix(small)
    ratio = big.comments_per_s / (base.comments / base.total_insert_s)
    ratio_small = little.comments_per_s / (small_comments / small_s)
    ratio_cpu = base.total_insert_cpu_s / big.cpu_s  # same rows, so the CPU-time ratio
    rows = [
        "| run | files | comment rows | wall (s) | CPU (s) | rows/s (wall) | rows/s (CPU) |"
        " peak RSS (MiB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in (runs["startup"], little, big, reload):
        name = f"`threadreplay load`, {run.label}"
        rss = f"{run.peak_rss_mib:.1f}"
        rows.append(_row(name, run.files, run.comments, run.wall_s, run.cpu_s, rss))
    name = f"baseline sqlite3 executemany, first {small:,} files"
    rows.append(_row(name, small, small_comments, small_s, small_cpu, "–"))
    name = "baseline sqlite3 executemany"
    rows.append(
        _row(name, base.files, base.comments, base.total_insert_s, base.total_insert_cpu_s, "–")
    )
    growth = big.peak_rss_mib - little.peak_rss_mib
    per_file = growth * 2**20 / max(1, big.files - little.files)
    verdict = [
        "",
        f"- ratio loader/baseline, comment rows/s (wall) at {big.files:,} files: **{ratio:.1%}**"
        f" (at {little.files:,} files: {ratio_small:.1%}; on CPU time: {ratio_cpu:.1%});"
        f" goal ≥ {GOAL:.0%}: {'met' if ratio >= GOAL else 'NOT met'}",
        f"- peak RSS {little.peak_rss_mib:.1f} MiB at {little.files:,} files,"
        f" {big.peak_rss_mib:.1f} MiB at {big.files:,} files ({growth:+.1f} MiB,"
        f" {per_file:+.0f} bytes per extra file):"
        f" {'flat' if per_file <= FLAT_BYTES_PER_FILE else 'GROWS with the number of files'}",
        f"- re-load of {reload.files:,} unchanged files: {reload.wall_s:.2f} s"
        f" ({reload.files / reload.wall_s:,.0f} files/s), statuses {reload.statuses}",
        f"- baseline preparation (read + hash + parse + rows, untimed): {base.prepare_s:.2f} s"
        f" = {base.prepare_s / base.files * 1000:.2f} ms/file",
    ]
    return "\n".join(rows + verdict)


def main(argv: list[str] | None = None) -> int:
    """Generate (or reuse) the corpus, run every measurement, print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2500, help="large corpus size (default 2500)")
    parser.add_argument(
        "--small", type=int, help="small corpus size (default: --files / 5, at least 1000)"
    )
    parser.add_argument("--comments", type=int, default=100, help="mean comments per file")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--work", type=Path, default=BENCH / ".work", help="corpora and databases")
    parser.add_argument("--keep-db", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args(argv)
    # SQLite's page caches (2 MiB per connection) take ~1,000 files to fill: below that the small
    # run's peak would look like growth that is only a cache warming up.
    small = args.small or min(args.files, max(1000, args.files // 5))
    work: Path = args.work.resolve()
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    info = machine()
    print(json.dumps(info))
    full = corpus(work, args.files, args.comments, args.seed)
    part = subset(full, small)
    empty = work / "empty"
    empty.mkdir(exist_ok=True)

    runs = {
        "startup": run_load("startup", [empty], fresh(work / "startup.db"), logs),
        "load-small": run_load("small", [part], fresh(work / "small.db"), logs),
        "load-large": run_load("large", [full], fresh(work / "large.db"), logs),
        "reload-large": run_load("reload", [full], work / "large.db", logs),
    }
    db_mib = (work / "large.db").stat().st_size / 2**20
    start = time.perf_counter()
    base = run_baseline(fresh(work / "baseline.db"), sorted(full.glob("*.txt")))
    print(
        f"baseline       {base.files:>6} files {base.comments:>9} comments"
        f" {base.total_insert_s:8.2f} s inserting ({time.perf_counter() - start:.1f} s with parsing)"
    )
    failed = [r for r in runs.values() if r.exit_code != 0 or r.statuses["failed"]]
    if failed or runs["load-large"].comments != base.comments:
        print(f"loader and baseline disagree or a load failed: {failed}", file=sys.stderr)
        return 1
    if not args.keep_db:
        for name in ("startup.db", "small.db", "large.db", "baseline.db"):
            fresh(work / name)

    text = table(runs, base, small)
    command = (
        f"{Path(sys.executable).name} bench/bench_load.py --files {args.files} --small {small}"
    )
    print(
        f"\n{command}\n\n{text}\n- database size after loading {args.files:,} files: {db_mib:.0f} MiB"
    )
    results = {
        "machine": info,
        "command": command,
        "runs": {k: {**asdict(v), "comments_per_s": v.comments_per_s} for k, v in runs.items()},
        "baseline": {
            "files": base.files,
            "comments": base.comments,
            "insert_s": base.total_insert_s,
            "insert_cpu_s": base.total_insert_cpu_s,
            "prepare_s": base.prepare_s,
            "comments_per_s": base.comments / base.total_insert_s,
            "small": dict(
                zip(("comments", "insert_s", "insert_cpu_s"), base.prefix(small), strict=True)
            ),
        },
        "db_mib": db_mib,
    }
    (work / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
