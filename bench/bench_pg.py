"""Issue 15's benchmark: PostgreSQL against SQLite, loading and searching, in the same run.

1. `load`: a throwaway PostgreSQL 15 cluster (tests/pgcluster.py) and the corpus of gen_corpus.py;
   the real CLI, `threadreplay load CORPUS --db TARGET --json`, into a fresh SQLite file and into a
   fresh PostgreSQL database, interleaved, `--runs` times each (medians). Wall time, the CLI's own
   CPU time (wait4 rusage), the PostgreSQL server's CPU time (every postgres process, from /proc,
   before and after: live processes' utime+stime plus what the postmaster has reaped from exited
   backends), comment rows/s and the ratio PostgreSQL / SQLite. Goal: PostgreSQL >= 0.5x SQLite.
2. `search`: the 1,000,000-comment store of gen_comments_db.py (built once, cached under bench/out/),
   copied, then moved into PostgreSQL with `threadreplay migrate-db --db COPY --to URL` (COPY) and
   `VACUUM ANALYZE`d; then `storage.queries.search(store, q, limit=10)` over bench_bot.py's query set
   on both stores, interleaved (each query on one store, then the other, alternating who goes first),
   p50/p99 per query kind. Goal: p99 <= 50 ms on both.

    .venv/bin/python bench/bench_pg.py --parts load                 # 2,000 files x 3 runs: ~6 min
    .venv/bin/python bench/bench_pg.py --parts load --files 10000 --runs 1
    .venv/bin/python bench/bench_pg.py --parts search               # 1M comments: ~6 min after generation
    .venv/bin/python bench/bench_pg.py --parts search --cluster bench/.work/pgkept --reuse-search-db
        # the same, with the cluster and its 1M-comment database kept for the next run (which then
        # skips migrate-db; a newer schema is migrated in place when the store is opened)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench_bot import pct, search_cases
from bench_load import LoadRun, corpus, fresh, machine, run_load, subset, threadreplay
from gen_comments_db import generate

from storage import queries
from storage.db import Storage

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))  # tests/pgcluster.py: the same throwaway cluster the tests use
from tests.pgcluster import Cluster, _bin, running_cluster  # noqa: E402

LOAD_GOAL = 0.5  # PostgreSQL's comment rows/s as a share of SQLite's
SEARCH_GOAL_MS = 50.0  # p99 of one search, both stores
TICK = os.sysconf("SC_CLK_TCK")


# --- the server's CPU time -------------------------------------------------------------------------


def _stat(pid: int | str) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (field 3, the state, is index 0)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def server_cpu(postmaster: int) -> float:
    """CPU seconds of the whole server so far: the postmaster (with the children it has reaped:
    cutime/cstime) and every live child (utime/stime). Differences of two calls are what ran between."""
    own = _stat(postmaster)
    assert own is not None, "postmaster is gone"
    ticks = sum(int(x) for x in own[11:15])  # utime, stime, cutime, cstime
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(entry)
            if fields and int(fields[1]) == postmaster:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / TICK


def postmaster_pid(cluster: Cluster) -> int:
    return int((cluster.data / "postmaster.pid").read_text().split()[0])


def backends(cluster: Cluster) -> int:
    """Client connections the server still has open (other than the one asking)."""
    return int(
        cluster.psql(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    )


def settle(cluster: Cluster) -> None:
    """Wait until the CLI's backends have exited (and been reaped), so their CPU is counted."""
    for _ in range(50):
        if backends(cluster) == 0:
            break
        time.sleep(0.1)
    time.sleep(0.3)


class KeptCluster(Cluster):
    """tests/pgcluster.py's cluster, kept in a folder of its own between runs (--cluster DIR).

    The first run creates it; later runs start it again on the same port, so the 1M-comment search
    database built by one run is searched by the next (`--reuse-search-db`)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        port_file = root / "port"
        if port_file.exists():
            self.port = int(port_file.read_text())

    def start(self) -> None:
        if not self.data.exists():
            super().start()
            (self.root / "port").write_text(str(self.port))
            return
        self.serve()

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextlib.contextmanager
def kept_cluster(root: Path) -> Iterator[Cluster]:
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    cluster = KeptCluster(root / "cluster")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def drop(cluster: Cluster, url: str) -> None:
    cluster.psql(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


# --- 1. loading -------------------------------------------------------------------------------------


def load_runs(args: argparse.Namespace, cluster: Cluster, work: Path) -> dict[str, object]:
    """Interleaved loads into SQLite and PostgreSQL; medians and ratios."""
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    full = corpus(work, args.corpus_files, args.comments, args.seed)
    folder = full if args.files == args.corpus_files else subset(full, args.files)
    master = postmaster_pid(cluster)
    runs: dict[str, list[dict[str, float]]] = {"sqlite": [], "postgres": []}
    loadavg = [os.getloadavg()]
    for i in range(args.runs):
        order = ("sqlite", "postgres") if i % 2 == 0 else ("postgres", "sqlite")
        for store in order:
            label = f"pg-{store}-{args.files}-run{i + 1}"
            if store == "sqlite":
                db = fresh(work / "bench_pg-load.db")
                run = run_load(label, [folder], db, logs)
                server = 0.0
                fresh(db)
            else:
                url = cluster.new_database()
                settle(cluster)
                before = server_cpu(master)
                run = run_load(label, [folder], url, logs)  # type: ignore[arg-type]
                settle(cluster)
                server = server_cpu(master) - before
                print(f"{'':14} PostgreSQL server CPU {server:7.2f} s")
                drop(cluster, url)
            check(run, args.files)
            runs[store].append(
                {"wall_s": run.wall_s, "cpu_s": run.cpu_s, "server_cpu_s": server,
                 "comments": run.comments, "peak_rss_mib": run.peak_rss_mib}
            )  # fmt: skip
        loadavg.append(os.getloadavg())
    comments = {s: {r["comments"] for r in v} for s, v in runs.items()}
    assert len(comments["sqlite"] | comments["postgres"]) == 1, f"stores disagree: {comments}"
    med = {
        s: {k: statistics.median(r[k] for r in v) for k in ("wall_s", "cpu_s", "server_cpu_s")}
        for s, v in runs.items()
    }
    n = runs["sqlite"][0]["comments"]
    sq, pg = med["sqlite"], med["postgres"]
    result = {
        "files": args.files,
        "comments": n,
        "runs": runs,
        "median": med,
        "ratio_wall": sq["wall_s"] / pg["wall_s"],
        "ratio_cpu_client": sq["cpu_s"] / pg["cpu_s"],
        "ratio_cpu_total": sq["cpu_s"] / (pg["cpu_s"] + pg["server_cpu_s"]),
        "loadavg": loadavg,
    }
    print(load_table(result))
    return result


def check(run: LoadRun, files: int) -> None:
    bad = run.exit_code != 0 or run.statuses["failed"] or run.statuses["added"] != files
    if bad:
        raise SystemExit(
            f"{run.label}: exit {run.exit_code}, {run.statuses} (see bench/.work/logs)"
        )


def load_table(r: dict) -> str:
    n = r["comments"]
    lines = [
        f"\nload {r['files']:,} files, {n:,} comments; medians of {len(r['runs']['sqlite'])} runs",
        "| store | wall (s) | CLI CPU (s) | server CPU (s) | rows/s (wall) | rows/s (all CPU) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for store, m in r["median"].items():
        cpu = m["cpu_s"] + m["server_cpu_s"]
        server = f"{m['server_cpu_s']:.2f}" if store == "postgres" else "– (in-process)"
        lines.append(
            f"| {store} | {m['wall_s']:.2f} | {m['cpu_s']:.2f} | {server} |"
            f" {n / m['wall_s']:,.0f} | {n / cpu:,.0f} |"
        )
    lines.append(
        f"\n- ratio PostgreSQL / SQLite, rows/s: wall **{r['ratio_wall']:.2f}x**, CPU with the server"
        f" {r['ratio_cpu_total']:.2f}x, CLI CPU alone {r['ratio_cpu_client']:.2f}x;"
        f" goal >= {LOAD_GOAL}x: {'met' if r['ratio_wall'] >= LOAD_GOAL else 'NOT met'}"
    )
    lines.append(f"- load average (1, 5, 15 min) at start and after each pair: {r['loadavg']}")
    return "\n".join(lines)


# --- 2. searching -----------------------------------------------------------------------------------


def child(cmd: list[str], log: Path) -> tuple[float, float]:
    """Run `cmd` to the end; (wall s, its own CPU s); output to `log`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREADREPLAY_")}
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd[:3]} failed: see {log}")
    return wall, usage.ru_utime + usage.ru_stime


def prepare_search(
    args: argparse.Namespace, cluster: Cluster, work: Path
) -> tuple[Path, str, dict]:
    """The SQLite store (a copy of the cached one) and the same rows in PostgreSQL."""
    pristine = generate(args.articles, args.comments, args.seed)
    db = fresh(work / "bench_pg-search.db")
    shutil.copyfile(pristine, db)
    info: dict[str, object] = {"source": pristine.name}
    kept = f"search_{pristine.stem.replace('-', '_')}"
    url = cluster.url(kept)
    if args.reuse_search_db and cluster.psql(f"SELECT 1 FROM pg_database WHERE datname = '{kept}'"):
        # Built by an earlier run into this --cluster: opened (and so migrated) by the searches.
        info["reused"] = kept
        print(f"reusing {kept} (migrated to the current schema when opened)")
        start = time.perf_counter()
        asyncio.run(_open_close(url))
        info["migrate_s"] = time.perf_counter() - start
        cluster.psql("VACUUM ANALYZE", database=kept)
        return db, url, info
    if args.reuse_search_db:  # built under another name, renamed once whole
        cluster.psql(f"DROP DATABASE IF EXISTS {kept}_building")
        cluster.psql(f"CREATE DATABASE {kept}_building TEMPLATE template0")
        url = cluster.url(f"{kept}_building")
    else:
        url = cluster.new_database()
    master = postmaster_pid(cluster)
    before = server_cpu(master)
    wall, cpu = child([*threadreplay(), "migrate-db", "--db", str(db), "--to", url],
                      work / "logs" / "bench_pg-migrate-db.log")  # fmt: skip
    settle(cluster)
    info["migrate_db"] = {"wall_s": wall, "cpu_s": cpu, "server_cpu_s": server_cpu(master) - before}
    print(f"migrate-db {wall:.1f} s (CLI CPU {cpu:.1f} s, server CPU"
          f" {info['migrate_db']['server_cpu_s']:.1f} s)")  # type: ignore[index]  # fmt: skip
    start = time.perf_counter()
    cluster.psql("VACUUM ANALYZE", database=url.rsplit("/", 1)[1])
    info["vacuum_analyze_s"] = time.perf_counter() - start
    if args.reuse_search_db:
        cluster.psql(f"ALTER DATABASE {kept}_building RENAME TO {kept}")
        url = cluster.url(kept)
    name = url.rsplit("/", 1)[1]
    info["pg_size_mib"] = int(cluster.psql(f"SELECT pg_database_size('{name}')", name)) / 2**20
    info["sqlite_size_mib"] = db.stat().st_size / 2**20
    print(f"VACUUM ANALYZE {info['vacuum_analyze_s']:.1f} s; sizes: PostgreSQL"
          f" {info['pg_size_mib']:.0f} MiB, SQLite {info['sqlite_size_mib']:.0f} MiB")  # fmt: skip
    return db, url, info


async def _open_close(url: str) -> None:
    store = await Storage.open(url)
    await store.close()


async def time_searches(db: Path, url: str, count: int, seed: int) -> dict[str, object]:
    """p50/p99 per kind of storage.queries.search on both stores, interleaved."""
    cases = search_cases(count, seed)  # bench_bot.py's kinds and queries
    stores = {"sqlite": await Storage.open(db), "postgres": await Storage.open(url)}
    timings: dict[str, dict[str, list[float]]] = {s: {} for s in stores}
    hits: dict[str, list[int]] = {s: [] for s in stores}
    slowest: dict[str, list[tuple[float, str]]] = {s: [] for s in stores}
    try:
        for store in stores.values():  # warm each store's caches a little, as a bot's are
            for _, q in cases[:20]:
                await queries.search(store, q, limit=10)
        for i, (kind, q) in enumerate(cases):
            order = list(stores) if i % 2 == 0 else list(reversed(stores))
            for name in order:
                start = time.perf_counter()
                found = await queries.search(stores[name], q, limit=10)
                elapsed = time.perf_counter() - start
                timings[name].setdefault(kind, []).append(elapsed)
                hits[name].append(len(found))
                slowest[name].append((elapsed, q))
    finally:
        for store in stores.values():
            await store.close()
    out: dict[str, object] = {}
    for name, by_kind in timings.items():
        by_kind["all"] = [t for v in by_kind.values() for t in v]
        out[name] = {
            k: {"n": len(v), "p50": pct(v, 50) * 1000, "p99": pct(v, 99) * 1000,
                "max": max(v) * 1000}
            for k, v in by_kind.items()
        }  # fmt: skip
        out[f"{name}_slowest"] = [(round(t * 1000, 1), q) for t, q in sorted(slowest[name])[-8:]]
    same = sum(a == b for a, b in zip(hits["sqlite"], hits["postgres"], strict=True))
    out["same_hit_count"] = f"{same} of {len(cases)}"
    return out


def search_table(r: dict) -> str:
    sq, pg = r["sqlite"], r["postgres"]
    lines = [
        "\nsearch: storage.queries.search(limit=10) at 1,000,000 comments, ms",
        "| kind | n | SQLite p50 | SQLite p99 | PostgreSQL p50 | PostgreSQL p99 | PostgreSQL max |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in sorted(sq, key=lambda k: (k == "all", k)):
        s, p = sq[kind], pg[kind]
        lines.append(
            f"| {kind} | {s['n']} | {s['p50']:.1f} | {s['p99']:.1f} | {p['p50']:.1f} |"
            f" {p['p99']:.1f} | {p['max']:.1f} |"
        )
    over = [k for k, v in pg.items() if v["p99"] > SEARCH_GOAL_MS]
    over_sq = [k for k, v in sq.items() if v["p99"] > SEARCH_GOAL_MS]
    lines += [
        f"\n- PostgreSQL p99 over {SEARCH_GOAL_MS:.0f} ms: {over or 'none'};"
        f" SQLite: {over_sq or 'none'}",
        f"- slowest on PostgreSQL: {r['postgres_slowest']}",
        f"- slowest on SQLite: {r['sqlite_slowest']}",
        f"- same number of hits on both stores: {r['same_hit_count']} queries",
        f"- load average (1, 5, 15 min) before and after: {r['loadavg']}",
    ]
    return "\n".join(lines)


def search_part(args: argparse.Namespace, cluster: Cluster, work: Path) -> dict[str, object]:
    db, url, info = prepare_search(args, cluster, work)
    before = os.getloadavg()
    result = asyncio.run(time_searches(db, url, args.queries, args.seed))
    result["loadavg"] = [before, os.getloadavg()]
    result["prepare"] = info
    print(search_table(result))
    if args.keep_db:
        print(f"kept: {db} and {url} (until this script exits: the cluster is throwaway)")
    else:
        fresh(db)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--parts", nargs="+", default=["load", "search"], choices=["load", "search"]
    )
    parser.add_argument("--files", type=int, default=2000, help="files to load (default 2000)")
    parser.add_argument(
        "--corpus-files",
        type=int,
        help="corpus generated (default: --files; a 10000 corpus serves any smaller --files)",
    )
    parser.add_argument("--comments", type=int, default=100, help="mean comments per file")
    parser.add_argument("--runs", type=int, default=3, help="loads per store (medians)")
    parser.add_argument("--articles", type=int, default=10_000, help="search store: articles")
    parser.add_argument("--queries", type=int, default=400, help="search queries per store")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=BENCH / ".work")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--cluster",
        type=Path,
        help="keep the PostgreSQL cluster in this folder between runs (default: a throwaway one)",
    )
    parser.add_argument(
        "--reuse-search-db",
        action="store_true",
        help="with --cluster: keep the 1M-comment search database and reuse it in later runs",
    )
    parser.add_argument("--json", type=Path, help="default: WORK/bench_pg-results.json")
    args = parser.parse_args(argv)
    args.corpus_files = max(args.corpus_files or args.files, args.files)
    work: Path = args.work.resolve()
    (work / "logs").mkdir(parents=True, exist_ok=True)
    info = {**machine(), "loadavg_at_start": os.getloadavg()}
    results: dict[str, object] = {"machine": info, "argv": sys.argv[1:]}
    print(json.dumps(info))
    clustered = kept_cluster(args.cluster.resolve()) if args.cluster else running_cluster()
    with clustered as cluster:
        info["postgresql"] = cluster.psql("SHOW server_version")
        info["postgresql_settings"] = cluster.psql(
            "SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings WHERE name IN"
            " ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'work_mem')"
        )
        print(f"PostgreSQL {info['postgresql']}: {info['postgresql_settings']}")
        if "load" in args.parts:
            results["load"] = load_runs(args, cluster, work)
        if "search" in args.parts:
            results["search"] = search_part(args, cluster, work)
    out = args.json or work / "bench_pg-results.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nfigures written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
