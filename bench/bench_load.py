"""End-to-end benchmark of `threadreplay load` against the lean `sqlite3` baseline (issue 14).

Each round runs the real CLI as a child process on a generated corpus (a fresh database each time) at
two corpus sizes, then the lean baseline (bench/baseline.py) on the same rows at both sizes; rounds
are interleaved so that the machine's other load falls on both alike. The first round also re-loads
the larger corpus unchanged. Prints medians as a Markdown table; every figure goes to
`<work>/results.json`.

    .venv/bin/python bench/bench_load.py                             # 2,000 and 1,000 files, 3 rounds
    .venv/bin/python bench/bench_load.py --files 10000 --small 2000  # the issue's size
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from baseline import BaselineRun
from gen_corpus import write_corpus

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
GOAL = 0.35  # the loader's comments/s as a share of the lean baseline's (issue 14)
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


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    return statistics.median(values)


def table(rounds: list[dict[str, object]], small: int, files: int) -> str:
    """Medians over the rounds as a Markdown table, plus every round's ratios and load average."""

    def col(name: str, attr: str) -> float:
        return median([float(getattr(r[name], attr)) for r in rounds])

    lines = [
        "| run | files | comment rows | wall (s) | CPU (s) | rows/s (wall) | rows/s (CPU) |"
        " peak RSS (MiB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, label in (
        ("load-small", f"`threadreplay load`, {small:,} files"),
        ("load-large", f"`threadreplay load`, {files:,} files"),
        ("base-small", f"lean baseline, {small:,} files"),
        ("base-large", f"lean baseline, {files:,} files"),
    ):
        comments = int(rounds[0][name].comments)
        wall, cpu = col(name, "wall_s"), col(name, "cpu_s")
        rss = f"{col(name, 'peak_rss_mib'):.1f}" if name.startswith("load") else "–"
        lines.append(
            f"| {label} | {int(rounds[0][name].files):,} | {comments:,} | {wall:.2f}"
            f" | {cpu:.2f} | {comments / wall:,.0f} | {comments / cpu:,.0f} | {rss} |"
        )
    ratio_wall = [float(r["ratio_wall"]) for r in rounds]  # type: ignore[arg-type]
    ratio_cpu = [float(r["ratio_cpu"]) for r in rounds]  # type: ignore[arg-type]
    growth = col("load-large", "peak_rss_mib") - col("load-small", "peak_rss_mib")
    per_file = growth * 2**20 / max(1, files - small)
    lines += [
        "",
        f"- **ratio loader ÷ lean baseline** (comment rows/s) at {files:,} files, median of"
        f" {len(rounds)}: **{median(ratio_wall):.2f}× wall**, **{median(ratio_cpu):.2f}× CPU**"
        f" (rounds: wall {', '.join(f'{x:.2f}' for x in ratio_wall)}; CPU"
        f" {', '.join(f'{x:.2f}' for x in ratio_cpu)}); goal ≥ {GOAL:.2f}×:"
        f" {'met' if median(ratio_wall) >= GOAL else 'NOT met'} on wall,"
        f" {'met' if median(ratio_cpu) >= GOAL else 'NOT met'} on CPU",
        f"- peak RSS (median) {col('load-small', 'peak_rss_mib'):.1f} MiB at {small:,} files,"
        f" {col('load-large', 'peak_rss_mib'):.1f} MiB at {files:,} ({growth:+.1f} MiB,"
        f" {per_file:+.0f} bytes per extra file):"
        f" {'flat' if per_file <= FLAT_BYTES_PER_FILE else 'GROWS with the number of files'}",
        "- load average (1 min) at the start of each round: "
        + ", ".join(f"{float(r['load']):.2f}" for r in rounds),  # type: ignore[arg-type]
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Generate (or reuse) the corpus, run the rounds interleaved, print and save the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="large corpus size (default 2000)")
    parser.add_argument("--small", type=int, help="small corpus size (default: --files / 2)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--comments", type=int, default=100, help="mean comments per file")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--work", type=Path, default=BENCH / ".work", help="corpora and databases")
    args = parser.parse_args(argv)
    small = args.small or max(1, args.files // 2)
    work: Path = args.work.resolve()
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(json.dumps(info))
    full = corpus(work, args.files, args.comments, args.seed)
    part = subset(full, small)
    cache = work / f"{full.name}.rows.pickle"

    def lean(files: int) -> BaselineRun:
        """The baseline over the first `files` files, in a child process (rows cached on disk)."""
        cmd = [sys.executable, str(BENCH / "baseline.py"), str(full), "--files", str(files)]
        cmd += ["--db", str(work / "baseline.db"), "--cache", str(cache)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO).stdout
        return BaselineRun(**json.loads(out))

    lean(1)  # parses the corpus once into the cache, outside any measurement
    empty = work / "empty"
    empty.mkdir(exist_ok=True)
    startup = run_load("startup", [empty], fresh(work / "startup.db"), logs)
    rounds: list[dict[str, object]] = []
    reload: LoadRun | None = None
    for i in range(args.rounds):
        load = os.getloadavg()[0]
        little = run_load(f"small-{i}", [part], fresh(work / "small.db"), logs)
        big = run_load(f"large-{i}", [full], fresh(work / "large.db"), logs)
        if reload is None:
            reload = run_load("reload", [full], work / "large.db", logs)
        base_small = lean(small)
        base_large = lean(args.files)
        print(
            f"baseline       {base_large.comments:>9} comments {base_large.wall_s:8.2f} s"
            f" (CPU {base_large.cpu_s:.2f} s); {small} files {base_small.wall_s:.2f} s"
        )
        if big.comments != base_large.comments or big.statuses["failed"] or big.exit_code:
            print(f"loader and baseline disagree or a load failed: {big}", file=sys.stderr)
            return 1
        rounds.append({
            "load": load, "load-small": little, "load-large": big,
            "base-small": base_small, "base-large": base_large,
            "ratio_wall": (big.comments / big.wall_s) / (base_large.comments / base_large.wall_s),
            "ratio_cpu": base_large.cpu_s / big.cpu_s,  # the same rows, so the CPU-time ratio
        })  # fmt: skip
    for name in ("startup.db", "small.db", "large.db", "baseline.db"):
        fresh(work / name)
    assert reload is not None
    command = (
        f"{Path(sys.executable).name} bench/bench_load.py --files {args.files} --small {small}"
    )
    text = table(rounds, small, args.files)
    print(f"\n{command}\n\n{text}")
    print(
        f"- start-up (empty folder): {startup.wall_s:.2f} s, {startup.peak_rss_mib:.1f} MiB;"
        f" re-load of {reload.files:,} unchanged files: {reload.wall_s:.2f} s {reload.statuses}"
    )
    results = {
        "machine": info,
        "command": command,
        "startup": asdict(startup),
        "reload": asdict(reload),
        "rounds": [{k: asdict(v) if hasattr(v, "__dataclass_fields__") else v  # type: ignore[arg-type]
                    for k, v in r.items()} for r in rounds],
    }  # fmt: skip
    (work / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
