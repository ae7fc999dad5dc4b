"""Benchmark of `pace: fast` replays against the fake Discord: the share of the rate Discord allows.

One run, two phases, each with a fresh fake Discord and a fresh bot (the real standalone bot, the real
discord.py, in this process, over loopback), at a time scale that shrinks every rate-limit window:

1. one generated article of `--comments` comments replayed into one channel;
2. `--channels` generated articles of the same size replayed into as many channels of one guild at once.

It reports each rate in messages per Discord second (real seconds / scale), the rate Discord's limits
allow for the same messages (5 per 2 s per webhook, 30 webhook messages per 60 s per channel, 50
requests per second per bot, simulated), the 429s the fake answered, and writes bench/RESULTS_replay.md.

    .venv/bin/python bench/bench_replay.py                    # 200 comments, scale 0.05: ~45 s
    .venv/bin/python bench/bench_replay.py --scale 0.02       # ~20 s, but see below
    .venv/bin/python bench/bench_replay.py --start together   # 10 /replay start at the same moment
    .venv/bin/python bench/bench_replay.py --profile          # adds a cProfile of each phase

The scale shrinks Discord's windows, not the bot's or the fake's own work: at 0.02 each real
millisecond (a request, a commit, the event loop waiting for a core) counts 50 Discord milliseconds,
and on a busy machine that, not the bot, decides the figures. 0.05 keeps that to 20x.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import os
import pstats
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))  # the fake Discord lives in tests/, which is not installed

from bench_replay_model import Limits, comments  # noqa: E402
from bench_replay_probes import (  # noqa: E402
    Capture,
    StallWatch,
    machine,
    pacer_releases,
    pressure_totals,
)
from bench_replay_report import report, summarise  # noqa: E402

from bot.settings import Settings  # noqa: E402
from bot.standalone import ThreadReplayBot  # noqa: E402
from tests.bot.dumps import write_dump  # noqa: E402
from tests.fakediscord import FakeDiscord, Refusal, patched_discord, running  # noqa: E402
from tests.fakediscord.ratelimit import WEBHOOK_ROUTE  # noqa: E402

INTERACTION_ROUTES = ("/interactions/",)
# Real seconds of machine-wide stall (memory or I/O pressure, or a frozen event loop) in one phase
# beyond which its figures measure the machine: at scale 0.05, 0.5 s is 10 Discord seconds.
DISTURBED_S = 0.5


@dataclass
class Phase:
    """What one phase measured: webhook message times per channel (real seconds), calls, refusals."""

    label: str
    channels: int
    planned: list[int]  # messages each replay's ledger planned
    # channel index -> arrival time at the fake of each webhook message that was accepted
    sent: dict[int, list[float]]
    bot_calls: list[tuple[float, str]]  # (arrival, route) of every request the bot made
    refusals: dict[str, int]  # scope -> 429s
    wall_s: float  # from the first /replay start to the last replay finished
    cpu_s: float  # this process (fake + bot) over the same interval
    start_stagger_real_s: float  # first webhook message of the first channel to that of the last
    loop_stall_s: float = 0.0  # the longest the event loop could not run anything (a blocking call)
    # seconds the machine stalled during the phase (Linux PSI): other work, memory or I/O pressure
    pressure: dict[str, float] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)  # each 429: where and when, readable
    # channel index -> for message k, its arrival at the fake minus the moment the bot's pacer let it go
    lag: dict[int, list[float]] = field(default_factory=dict)
    profile: str = ""
    errors: list[str] = field(default_factory=list)


def ledger_counts(db: Path) -> list[tuple[str, int, int]]:
    """(state, messages planned, messages posted) per replay, oldest first (none before the bot starts)."""
    if not db.exists():
        return []
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT r.state, SUM(json_array_length(s.parts)), SUM(json_array_length(s.message_ids))"
            " FROM replays r JOIN replay_steps s ON s.replay_id = r.id GROUP BY r.id ORDER BY r.id"
        ).fetchall()


async def wait_finished(db: Path, count: int, within: float) -> None:
    """Poll the bot's ledger until `count` replays are finished (a paused one is an error)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        states = [s for s, _, _ in await asyncio.to_thread(ledger_counts, db)]
        if len(states) == count and all(s == "finished" for s in states):
            return
        if any(s in ("paused", "stopped") for s in states):
            with contextlib.closing(sqlite3.connect(db)) as conn:
                reasons = conn.execute("SELECT state, reason FROM replays ORDER BY id").fetchall()
            raise RuntimeError(f"a replay did not finish: {reasons}")
        await asyncio.sleep(0.05)
    raise TimeoutError(f"replays not finished within {within:.0f} s")


def environment(work: Path, guild: int, scale: float) -> None:
    """The bot's settings, as `threadreplay run` would read them (its own database and seeds)."""
    os.chdir(work)  # Settings reads .env from the working directory: never the developer's
    os.environ.update(
        {
            "DISCORD_TOKEN": "",
            "THREADREPLAY_DB": str(work / "bot.db"),
            "THREADREPLAY_SEEDS": str(work / "seeds"),
            "THREADREPLAY_DEV_GUILD": str(guild),
            "THREADREPLAY_OWNER_IDS": "",
            "THREADREPLAY_ADMIN_ROLE_IDS": "",
            "THREADREPLAY_LOG_LEVEL": "WARNING",
            "THREADREPLAY_TIME_SCALE": repr(scale),
        }
    )


async def start_replays(
    fake: FakeDiscord, guild: int, channels: list[int], args: argparse.Namespace
) -> list[str]:
    """`/replay start` in every channel, as the guild owner: all at once, or each after the last answered.

    "together" sends every interaction before any answer arrives (people starting replays in several
    channels at the same moment); "one-by-one" waits for each answer, which spreads the starts a little.
    """

    async def start(i: int, channel: int) -> str:
        options = {"article": f"bench_{i:02d}", "pace": "fast", "mode": args.mode}
        result = await fake.invoke("replay start", options, guild_id=guild, channel_id=channel)
        await result.wait_done()
        answer = result.content or ""
        return (
            "" if "Replay started" in answer else f"channel {i}: /replay start answered {answer!r}"
        )

    if args.start == "together":
        answers = await asyncio.gather(*(start(i, ch) for i, ch in enumerate(channels)))
    else:
        answers = [await start(i, ch) for i, ch in enumerate(channels)]
    return [a for a in answers if a]


async def run_phase(label: str, work: Path, args: argparse.Namespace, seeds: list[str]) -> Phase:
    """Replay one generated article per channel, all started together; collect what the fake saw."""
    (work / "seeds").mkdir(parents=True)
    for i, seed in enumerate(seeds):
        write_dump(
            work / "seeds", f"bench_{i:02d}", f"Bench article {seed}", comments(seed, args.comments)
        )
    async with FakeDiscord(time_scale=args.scale) as fake:
        guild = fake.add_guild("Bench")
        channels = [fake.add_text_channel(guild, f"replay-{i}") for i in range(len(seeds))]
        environment(work, guild, args.scale)
        with patched_discord(fake), pacer_releases() as released:
            bot = ThreadReplayBot(Settings())
            async with running(bot, fake):
                mark = len(fake.calls)
                profiler = cProfile.Profile() if args.profile else None
                cpu0, wall0, psi0 = time.process_time(), time.perf_counter(), pressure_totals()
                if profiler:
                    profiler.enable()
                async with StallWatch() as watch:
                    errors = await start_replays(fake, guild, channels, args)
                    if not errors:
                        budget = 30 + 4 * args.comments * 2.2 * args.scale
                        await wait_finished(work / "bot.db", len(seeds), budget)
                    else:  # what a failed start left behind (a replay "running" with no runner?)
                        await asyncio.sleep(60 * args.scale)
                        counts = await asyncio.to_thread(ledger_counts, work / "bot.db")
                        states = [f"{s} {p}/{n}" for s, n, p in counts]
                        errors.append(f"ledger (state posted/planned) a minute later: {states}")
                if profiler:
                    profiler.disable()
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                psi = {k: v - psi0.get(k, 0.0) for k, v in pressure_totals().items()}
    phase = collect(label, fake, channels, mark, work / "bot.db", cpu, wall, profiler, errors)
    phase.loop_stall_s, phase.pressure = watch.longest, psi
    index = {ch: i for i, ch in enumerate(channels)}
    for channel_id, times in released.items():
        arrived = phase.sent[index[channel_id]]
        phase.lag[index[channel_id]] = [a - r for a, r in zip(arrived, times, strict=False)]
    return phase


def collect(
    label: str,
    fake: FakeDiscord,
    channels: list[int],
    mark: int,
    db: Path,
    cpu: float,
    wall: float,
    profiler: cProfile.Profile | None,
    errors: list[str],
) -> Phase:
    """Sort the fake's recorded calls into webhook messages per channel and the bot's requests."""
    index = {ch: i for i, ch in enumerate(channels)}
    sent: dict[int, list[float]] = {i: [] for i in range(len(channels))}
    bot_calls = []
    for call in fake.calls[mark:]:
        hook_id = call.path.split("/")[2] if call.path.startswith("/webhooks/") else ""
        if any(part in call.path for part in INTERACTION_ROUTES) or hook_id == str(fake.app_id):
            continue  # answers to the /replay start interactions: not limited, not replay traffic
        bot_calls.append((call.time, call.route))
        if call.route == WEBHOOK_ROUTE and call.ok:
            sent[index[fake.world.webhooks[int(hook_id)].channel_id]].append(call.time)
    refusals: dict[str, int] = {}
    refused = []
    for refusal in fake.refusals:
        refusals[refusal.scope] = refusals.get(refusal.scope, 0) + 1
        refused.append(describe_refusal(fake, refusal, index, sent))
    counts = ledger_counts(db)
    planned = [p for _, p, _ in counts]
    errors += [  # a replay cut short by a failed start is already reported
        f"channel {i}: {len(sent[i])} webhook messages, ledger planned {planned[i]}"
        for i in sent
        if not errors and i < len(planned) and len(sent[i]) != planned[i]
    ]
    firsts = [t[0] for t in sent.values() if t]
    text = ""
    if profiler is not None:
        out = Capture()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)  # type: ignore[arg-type]
        text = out.text
    return Phase(
        label=label,
        channels=len(channels),
        planned=planned,
        sent=sent,
        bot_calls=bot_calls,
        refusals=refusals,
        wall_s=wall,
        cpu_s=cpu,
        start_stagger_real_s=max(firsts) - min(firsts) if firsts else 0.0,
        refused=refused,
        profile=text,
        errors=errors,
    )


def describe_refusal(
    fake: FakeDiscord, refusal: Refusal, index: dict[int, int], sent: dict[int, list[float]]
) -> str:
    """A 429 in words: scope, route, and for a webhook message which channel and which message."""
    where = refusal.route
    parts = refusal.path.split("/")
    if refusal.route == WEBHOOK_ROUTE and parts[2].isdigit():
        channel = index[fake.world.webhooks[int(parts[2])].channel_id]
        before = [t for t in sent[channel] if t < refusal.time]
        since = (refusal.time - before[-1]) / fake.time_scale if before else 0.0
        where = (
            f"webhook message #{len(before) + 1} of channel {channel}, "
            f"{since:.2f} s after its previous one"
        )
    return f"{refusal.scope} 429 on {where} (retry after {refusal.retry_after / fake.time_scale:.2f} s)"


def limits_of(fake_config: FakeDiscord | None = None) -> Limits:
    """The limits the fake enforces (its defaults are Discord's)."""
    cfg = (fake_config or FakeDiscord()).ratelimits
    hook, channel, glob = cfg.routes[WEBHOOK_ROUTE], cfg.webhook_channel, cfg.global_limit
    assert channel is not None and glob is not None
    return Limits((hook.count, hook.per), (channel.count, channel.per), (glob.count, glob.per))


def disturbance(phase: Phase) -> str:
    """Why a phase's figures say more about the machine than the bot ('' when they do not)."""
    frozen = phase.pressure.get("memory full", 0.0) + phase.pressure.get("io full", 0.0)
    if frozen > DISTURBED_S or phase.loop_stall_s > DISTURBED_S:
        return (
            f"the machine stalled (memory+io PSI full {frozen:.2f} s, longest event-loop stall "
            f"{phase.loop_stall_s:.2f} s)"
        )
    return ""


async def measured_phase(
    label: str, root: Path, args: argparse.Namespace, seeds: list[str]
) -> tuple[Phase, list[str]]:
    """Run a phase, again (up to --retries times) while the machine, not the bot, stalled it."""
    discarded: list[str] = []
    for attempt in range(args.retries + 1):
        phase = await run_phase(label, root / f"{label}-{attempt}", args, seeds)
        why = disturbance(phase)
        if not why or phase.errors:
            return phase, discarded
        if attempt == args.retries:
            return phase, [*discarded, f"phase {label}, KEPT (no retries left): {why}"]
        discarded.append(f"phase {label}, attempt {attempt + 1}: {why}")
        print(f"{discarded[-1]}; running it again", file=sys.stderr)
    raise AssertionError("unreachable")


async def main_async(args: argparse.Namespace) -> int:
    """Both phases, then the report."""
    with tempfile.TemporaryDirectory(prefix="bench-replay-") as tmp:
        root = Path(tmp)
        single, discarded = await measured_phase("single", root, args, ["a0"])
        seeds = [f"b{i}" for i in range(args.channels)]
        many, discarded_many = await measured_phase("parallel", root, args, seeds)
        os.chdir(REPO)
    if single.errors or many.errors:  # no figures from a broken run
        print("\n".join(["the replays did not run as planned:", *single.errors, *many.errors]))
        return 1
    summary = summarise(single, many, limits_of(), args.scale)
    text = report(summary, single, many, machine(args), args, discarded + discarded_many)
    print(text)
    if args.write:
        (BENCH / "RESULTS_replay.md").write_text(text, "utf-8")
        print(f"wrote {BENCH / 'RESULTS_replay.md'}")
    return 0 if summary.goals_met else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=200, help="comments per article (>= 200)")
    parser.add_argument("--scale", type=float, default=0.05, help="time scale of every window")
    parser.add_argument("--channels", type=int, default=10, help="replays at once in phase 2")
    parser.add_argument("--mode", choices=("threads", "single"), default="threads")
    parser.add_argument(
        "--start",
        choices=("one-by-one", "together"),
        default="one-by-one",
        help="phase 2: wait for each /replay start's answer, or send them all at once",
    )
    parser.add_argument(
        "--retries", type=int, default=2, help="re-runs of a phase the machine stalled (PSI)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile each phase (slower)")
    parser.add_argument("--no-write", dest="write", action="store_false", help="print only")
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
