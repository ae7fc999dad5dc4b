"""Issue 3's benchmark: the bot's first-response time, search time and lookups under a heavy search.

Over a store of 1,000,000 synthetic comments (`gen_comments_db.py`: 10,000 articles x 100 comments,
built once and cached under bench/out/), copied afresh for every run so migrations apply as at upgrade:

1. `search`: `storage.queries.search` timed directly over a few hundred queries (common, mid-frequency
   and rare words, phrases, prefixes, boolean syntax, authors, invalid FTS syntax); goal p99 <= 50 ms.
2. `lookups`: `get_article` and `suggest_articles` alone, then while the slowest searches of part 1
   run back to back, then while a 1-second statement runs back to back on the search connection.
3. `bot`: the standalone bot against the fake Discord; a few hundred mixed commands, one at a time and
   then at a steady arrival rate; the time from the INTERACTION_CREATE dispatch to the callback's arrival
   at the fake (the first response) and to the last request of the interaction; goal p99 <= 100 ms.

    python bench/bench_bot.py                                  # everything, ~5 min after generation
    python bench/bench_bot.py --parts search lookups --queries 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import discord
from gen_comments_db import OUT, author_names, generate, vocabulary

from storage import queries
from storage.db import Storage

if TYPE_CHECKING:
    from tests.fakediscord import FakeDiscord

REPO = Path(__file__).resolve().parents[1]
Timings = dict[str, list[float]]
Case = tuple[str, tuple[object, ...]]  # (kind, arguments of the call)

# Issue 14's kinds: 2-char and 3-4-char prefixes apart, phrases of two of the 30 commonest words.
_SEARCH_KINDS = ("common", "common", "mid", "mid", "rare", "rare", "phrase", "phrase-common",
                 "prefix2", "prefix34", "boolean", "author", "invalid", "invalid", "words", "words",
                 "prefix2", "prefix34", "phrase-common", "author")  # fmt: skip
# The worst cases a user can type, always included: the most frequent words, a phrase of them,
# one- and two-letter prefixes, an OR of two giants, and broken syntax made of frequent words.
_WORST = (("common", "the"), ("common", "the of and to"), ("phrase", '"of the"'),
          ("prefix1", "t*"), ("prefix2", "th*"), ("boolean", "the OR of"), ("invalid", '"the'),
          ("invalid", "the AND"), ("invalid", "of the:"))  # fmt: skip
_BOOLEAN = ("{a} OR {b}", "{a} AND {b}", "{a} NOT {b}", "NEAR({a} {b}, 5)")
_BROKEN = ('"{a}', "{a} AND", "AND {a}", "({a} {b}", "{a}:", "{a}'s {b}", "C++ {a}", "{a} -{b}",
           "100% {a}", "{a}* *{b}", "NEAR({a}", "{a} OR", '{a} "{b}')  # fmt: skip


def search_cases(count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (category, query) pairs over the generated vocabulary, worst cases included."""
    words, authors = vocabulary(seed), author_names(seed)
    rng = random.Random(f"{seed}:queries")
    head = words[:300]
    cases = list(_WORST)
    for i in range(count - len(cases)):
        kind = _SEARCH_KINDS[i % len(_SEARCH_KINDS)]
        a, b = rng.choice(head), rng.choice(words[:3000])
        if kind == "common":
            query = rng.choice(words[:30])
        elif kind == "mid":
            query = rng.choice(words[100:2000])
        elif kind == "rare":
            query = rng.choice(words[5000:])
        elif kind == "phrase":
            query = f'"{a} {rng.choice(head)}"'
        elif kind == "phrase-common":
            query = f'"{rng.choice(words[:30])} {rng.choice(words[:30])}"'
        elif kind == "prefix2":
            query = b[:2] + "*"
        elif kind == "prefix34":
            query = b[: rng.randint(3, 4)] + "*"
        elif kind == "boolean":
            query = rng.choice(_BOOLEAN).format(a=a, b=b)
        elif kind == "words":  # typed like a sentence: frequent words around one or two others
            picked = [rng.choice(words[:30]) for _ in range(rng.randint(1, 3))]
            picked += [rng.choice(words[30:2000]) for _ in range(rng.randint(1, 2))]
            rng.shuffle(picked)
            query = " ".join(picked)
        elif kind == "author":
            query = rng.choice(authors[:2000])
        else:
            query = rng.choice(_BROKEN).format(a=a, b=b)
        cases.append((kind, query))
    rng.shuffle(cases)
    return cases


def _articles(db: Path) -> list[tuple[str, str]]:
    """Every (key, title) in the store."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT key, title FROM articles ORDER BY id").fetchall()


def _typed(rng: random.Random, key: str, title: str) -> str:
    """What a user types into an article option: nothing, a key prefix, a title word, or a typo."""
    roll = rng.random()
    if roll < 0.1:
        return ""
    if roll < 0.4:
        return key[: rng.randint(2, 5)]
    if roll < 0.9:
        return rng.choice(title.split())[: rng.randint(3, 8)].lower()
    return "zzq" + title[:3]


def lookup_cases(db: Path, count: int, seed: int) -> list[Case]:
    """Alternating get_article(key) and suggest_articles(typed text)."""
    rng = random.Random(f"{seed}:lookups")
    articles = _articles(db)
    cases: list[Case] = []
    for i in range(count):
        key, title = rng.choice(articles)
        if i % 2:
            cases.append(("suggest_articles", (_typed(rng, key, title),)))
        else:
            cases.append(("get_article", (key,)))
    return cases


def bot_commands(db: Path, count: int, seed: int) -> list[Case]:
    """A mix of /article commands and autocompletes, as FakeDiscord.invoke/autocomplete arguments."""
    rng = random.Random(f"{seed}:commands")
    articles = _articles(db)
    queries_ = [q for _, q in search_cases(count, seed)]
    kinds = ("autocomplete",) * 3 + ("show", "show", "search", "search", "tree", "list", "stats")
    cases: list[Case] = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        key, title = rng.choice(articles)
        if kind == "autocomplete":
            command = rng.choice(("article show", "article tree"))
            cases.append((kind, (command, "article", _typed(rng, key, title))))
        elif kind in ("show", "tree"):
            cases.append((kind, (f"article {kind}", {"article": key})))
        elif kind == "search":
            cases.append((kind, ("article search", {"query": rng.choice(queries_)})))
        elif kind == "list":
            cases.append((kind, ("article list", {"page": rng.randint(1, 5)})))
        else:
            cases.append((kind, ("article stats", {})))
    rng.shuffle(cases)
    return cases


def pct(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile (q in 0..100) of `values`, in the same unit."""
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values: list[float]) -> dict[str, float]:
    """Count, p50, p90, p99 and max of timings in seconds, as milliseconds."""
    ms = [v * 1000 for v in values]
    return {
        "n": len(ms),
        "p50": round(pct(ms, 50), 2),
        "p90": round(pct(ms, 90), 2),
        "p99": round(pct(ms, 99), 2),
        "max": round(max(ms), 2),
    }


def table(title: str, rows: dict[str, list[float]]) -> None:
    """Print one timing table (milliseconds) to stdout."""
    print(f"\n{title}\n  {'':28} {'n':>5} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}")
    for name, values in rows.items():
        s = summary(values)
        print(f"  {name:28} {s['n']:>5} {s['p50']:>8} {s['p90']:>8} {s['p99']:>8} {s['max']:>8}")


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    """Seconds one awaited call takes."""
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def bench_search(store: Storage, count: int, seed: int) -> tuple[Timings, list[str]]:
    """Time `queries.search` over the query set, by category (plus 'all'); the 4 slowest queries."""
    cases = search_cases(count, seed) + await near_cutoff(store, seed)
    for _, query in cases[:20]:  # warm the page cache a little, as a running bot's would be
        await queries.search(store, query, limit=10)
    by_kind: Timings = {}
    slowest: list[tuple[float, str]] = []
    for kind, query in cases:
        elapsed = await timed(lambda q=query: queries.search(store, q, limit=10))
        by_kind.setdefault(kind, []).append(elapsed)
        slowest.append((elapsed, query))
    by_kind["all"] = [t for k, v in by_kind.items() for t in v]
    table("search: storage.queries.search(limit=10), ms", by_kind)
    slowest.sort()
    print("  slowest:", ", ".join(f"{q!r} {t * 1000:.0f}" for t, q in slowest[-6:]))
    return by_kind, [q for _, q in slowest[-4:]]


async def near_cutoff(store: Storage, seed: int, count: int = 20) -> list[tuple[str, str]]:
    """Words matching just under RANKED_MAX comments (1,500-2,000): the most a ranked query reads."""
    found: list[tuple[str, str]] = []
    for word in vocabulary(seed)[100:20_000]:
        rows = await store.searcher.execute_fetchall(
            "SELECT count(*) FROM (SELECT rowid FROM comments_fts WHERE comments_fts MATCH ?"
            " LIMIT 2001)",
            (f'"{word}"',),
        )
        if 1500 <= next(iter(rows))[0] <= queries.RANKED_MAX:
            found.append(("near-cutoff", word))
            if len(found) == count:
                break
    return found


# A statement as slow as the search before bench/RESULTS_bot.md's changes (bm25 over every comment
# holding "the", ~1 s), sent to the connection searches use: lookups must not notice it either.
UNBOUNDED = "SELECT rowid FROM comments_fts WHERE comments_fts MATCH 'the' ORDER BY rank LIMIT 10"


async def back_to_back(
    calls: list[Callable[[], Awaitable[object]]], stop: asyncio.Event, out: list[float]
) -> None:
    """Run `calls` in turn until `stop` is set, appending each one's duration to `out`."""
    i = 0
    while not stop.is_set():
        out.append(await timed(calls[i % len(calls)]))
        i += 1


async def bench_lookups(store: Storage, count: int, seed: int, heavy: list[str]) -> Timings:
    """get_article / suggest_articles alone, then while heavy searches run back to back."""
    cases = lookup_cases(store.path, count, seed)
    searcher = getattr(store, "searcher", store.reader)  # the code before had one reader

    async def lookups(label: str, out: Timings) -> None:
        for kind, (value,) in cases:
            if kind == "get_article":
                call = lambda v=value: queries.get_article(store, v)  # noqa: E731
            else:
                call = lambda v=value: queries.suggest_articles(store, v, limit=25)  # noqa: E731
            out.setdefault(f"{kind} {label}", []).append(await timed(call))

    async def unbounded() -> None:
        async with searcher.execute(UNBOUNDED) as cur:
            await cur.fetchall()

    result: Timings = {}
    await lookups("alone", result)
    for label, calls in (
        ("during search()", [lambda q=q: queries.search(store, q) for q in heavy]),
        ("during 1 s search", [unbounded]),
    ):
        stop = asyncio.Event()
        background: list[float] = []
        task = asyncio.create_task(back_to_back(calls, stop, background))
        await asyncio.sleep(0.05)  # let the first heavy search start
        await lookups(label, result)
        stop.set()
        await task
        result[f"(background: {label[7:]})"] = background
    table(f"lookups alone, during back-to-back search() of {heavy}, during {UNBOUNDED!r}", result)
    return result


async def bench_bot(db: Path, count: int, seed: int, rate: float) -> dict[str, object]:
    """Run the standalone bot against the fake Discord; time first responses and completions."""
    from bot.settings import Settings
    from bot.standalone import ThreadReplayBot

    sys.path.insert(0, str(REPO))  # the fake Discord lives in tests/, not in the package
    from tests.fakediscord import FakeDiscord, patched_discord, running

    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeDiscord() as fake:
            guild = fake.add_guild("Bench")
            fake.add_text_channel(guild, "general")
            os.environ.update(
                DISCORD_TOKEN="",
                THREADREPLAY_DB=str(db),
                THREADREPLAY_SEEDS=tmp,  # empty: the store is never empty here anyway
                THREADREPLAY_DEV_GUILD=str(guild),
                THREADREPLAY_LOG_LEVEL="WARNING",
            )
            cwd = Path.cwd()
            os.chdir(tmp)  # Settings reads .env from the working directory
            try:
                with patched_discord(fake):
                    started = time.perf_counter()
                    async with running(ThreadReplayBot(Settings()), fake, ready_timeout=600):
                        out["startup_s"] = round(time.perf_counter() - started, 2)
                        print(f"\nbot ready in {out['startup_s']} s (migrations, sync, login)")
                        cases = bot_commands(db, count, seed)
                        out["sequential"] = await drive(fake, cases, rate=None)
                        out["concurrent"] = await drive(fake, cases, rate=rate)
            finally:
                os.chdir(cwd)
    return out


async def drive(fake: FakeDiscord, cases: list[Case], rate: float | None) -> dict:
    """Send `cases` one at a time (rate None) or at `rate` per second; report the latencies."""
    rng = random.Random(7)
    label = "one at a time" if rate is None else f"{rate:g}/s arrivals"
    since = len(fake.calls)
    pending = []
    for kind, args in cases:
        send = fake.autocomplete if kind == "autocomplete" else fake.invoke
        result = await send(*args)
        pending.append((kind, result))
        if rate is None:
            await result.wait_done(timeout=60)
        else:
            await asyncio.sleep(rng.expovariate(rate))
    problems = []
    for kind, result in pending:
        try:
            await result.wait_done(timeout=300)
        except TimeoutError:
            problems.append(f"{kind}: not done after 300 s")
    by_token: dict[str, list[float]] = {}
    for call in fake.calls[since:]:  # interaction callbacks, edits and followups carry the token
        by_token.setdefault(call.path.split("/")[3], []).append(call.time)
    first: Timings = {}
    done: Timings = {}
    for kind, result in pending:
        # A late callback still arrived (and was refused with 10062): its time counts too.
        times = by_token.get(result.record.token, [])
        if times:
            first.setdefault(kind, []).append(min(times) - result.record.dispatched_at)
            done.setdefault(kind, []).append(max(times) - result.record.dispatched_at)
        if result.error:
            problems.append(f"{kind}: error {result.error.get('code')}")
        elif "Something went wrong" in json.dumps(result.callback) + str(result.followups):
            problems.append(f"{kind}: generic error message")
    first["all"] = [t for v in first.values() for t in v]
    done["all"] = [t for v in done.values() for t in v]
    table(f"bot, {label}: dispatch -> first response (callback arrives), ms", first)
    table(f"bot, {label}: dispatch -> last request of the interaction, ms", done)
    print(f"  problems: {len(problems)} {sorted(set(problems))[:4]}; 429s: {len(fake.refusals)}")
    return {
        "mode": label,
        "first_response": {k: summary(v) for k, v in first.items()},
        "completed": {k: summary(v) for k, v in done.items()},
        "problems": problems,
    }


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "discord.py": discord.__version__,
        "platform": platform.platform(),
        "load_avg_at_start": os.getloadavg(),
    }


async def search_before_issue_14(
    db: object, search: object, query: str, limit: int
) -> list[tuple[object, ...]]:
    """The FTS5 strategy before issue 14, for before/after figures in one run (`--before-14`):
    a backwards probe for more than 2,000 matches, then bm25 over every match or the newest."""
    table = search.table  # type: ignore[attr-defined]
    body = f"SELECT {search.columns} FROM {table} {search.joins} WHERE {table} MATCH :query"  # type: ignore[attr-defined]
    probe = f"SELECT rowid FROM {table} WHERE {table} MATCH :query ORDER BY rowid DESC LIMIT 1 OFFSET 2000"
    broad = bool(await db.execute_fetchall(probe, {"query": query}))  # type: ignore[attr-defined]
    order = f"{table}.rowid DESC" if broad else "rank"
    sql = f"{body} ORDER BY {order} LIMIT :limit"
    return [tuple(r) for r in await db.execute_fetchall(sql, {"query": query, "limit": limit})]  # type: ignore[attr-defined]


def index_like_loader(path: Path, automerge: int | None, batch: int = 64) -> float:
    """Re-index the store's comments as `threadreplay load` does (one FTS5 INSERT … SELECT per
    `batch` articles, each batch its own transaction, with FTS5's `automerge` as given), instead of
    the one 'rebuild' the generator ends with: the segments a loaded store really has. Seconds taken."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO comments_fts (comments_fts) VALUES ('delete-all')")
    if automerge is not None:
        conn.execute(
            "INSERT INTO comments_fts (comments_fts, rank) VALUES ('automerge', ?)", (automerge,)
        )
    (last,) = conn.execute("SELECT max(id) FROM articles").fetchone()
    for first in range(1, last + 1, batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO comments_fts (rowid, author, text) SELECT id, author, text FROM comments"
            " WHERE article_id BETWEEN ? AND ? ORDER BY id",
            (first, first + batch - 1),
        )
        conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


async def amain(args: argparse.Namespace) -> dict[str, object]:
    """Generate or reuse the store, copy it, run the parts asked for."""
    pristine = generate(args.articles, args.comments, args.seed)
    work = OUT / "bench_bot-work.db"
    for leftover in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(pristine, work)
    results: dict[str, object] = {"machine": machine(), "args": vars(args), "db": pristine.name}
    print(json.dumps(results["machine"]))
    started = time.perf_counter()
    store = await Storage.open(work)
    results["open_and_migrate_s"] = round(time.perf_counter() - started, 2)
    print(f"Storage.open (pending migrations applied) {results['open_and_migrate_s']} s")
    if args.index_like_loader:
        results["reindex_s"] = round(index_like_loader(work, args.automerge), 1)
        print(
            f"comments re-indexed as the loader does (automerge {args.automerge}):"
            f" {results['reindex_s']} s"
        )
    try:
        heavy = args.heavy
        if args.before_14:
            queries.run_fts5 = search_before_issue_14  # type: ignore[assignment]
        if "search" in args.parts:
            timings, slowest = await bench_search(store, args.queries, args.seed)
            results["search"] = {k: summary(v) for k, v in timings.items()}
            heavy = args.heavy or slowest
        if "lookups" in args.parts:
            timings = await bench_lookups(
                store, args.lookups, args.seed, heavy or [q for _, q in _WORST[:4]]
            )
            results["lookups"] = {k: summary(v) for k, v in timings.items()}
    finally:
        await store.close()
    if "bot" in args.parts:
        results["bot"] = await bench_bot(work, args.commands, args.seed, args.rate)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=100, help="comments per article")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=300, help="search queries to time")
    parser.add_argument(
        "--before-14", action="store_true", help="search as before issue 14 (for comparison)"
    )
    parser.add_argument("--lookups", type=int, default=300, help="lookups per condition")
    parser.add_argument("--commands", type=int, default=300, help="bot commands per mode")
    parser.add_argument(
        "--rate", type=float, default=10.0, help="arrivals/s in the concurrent mode"
    )
    parser.add_argument("--heavy", nargs="+", help="background searches (default: the 4 slowest)")
    parser.add_argument("--parts", nargs="+", default=["search", "lookups", "bot"])
    parser.add_argument(
        "--index-like-loader",
        action="store_true",
        help="re-index the comments batch by batch as `threadreplay load` does (its FTS5 segments)",
    )
    parser.add_argument(
        "--automerge", type=int, help="FTS5 automerge for --index-like-loader (default: the store's)"
    )
    parser.add_argument("--json", type=Path, default=OUT / "bench_bot-results.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    results = asyncio.run(amain(args))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
