"""The replay benchmark's figures: ratios against the schedule Discord allows, and the Markdown report."""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bench_replay_model import (
    Diagnosis,
    Limits,
    diagnose,
    optimal_times,
    pacer_times,
    peak_window,
    span,
)

from bot.replay.pacer import SAFETY

if TYPE_CHECKING:
    from bench_replay import Phase

SHARE_GOAL = 0.95  # of the rate Discord allows, one replay (issue 4)
PARALLEL_GOAL = 9.0  # times one replay's rate, 10 replays at once (issue 4)


@dataclass
class Summary:
    """Every figure the report prints (Discord seconds; rates in messages per Discord second)."""

    messages: int
    span: float
    optimal_span: float
    pacer_span: float  # what the bot's Pacer alone would allow, requests taking no time
    share: float
    diagnosis: Diagnosis
    total: int
    agg_span: float
    agg_optimal_span: float
    agg_rate: float
    ratio: float  # aggregate rate / one replay's measured rate
    channel_shares: list[float]
    channel_spans: list[float]
    rate_sum: float  # sum of each channel's own rate: the aggregate without the starts' spread
    stagger: float
    peak_global: int  # most bot requests in any Discord second (sliding), phase 2
    peak_at: float  # when that second starts, from the first webhook message
    peak_routes: dict[str, int]  # what those requests were
    global_limit: int
    goals_met: bool

    @property
    def rate(self) -> float:
        """One replay's messages per Discord second, first message to last."""
        return self.messages / self.span

    @property
    def optimal_rate(self) -> float:
        """The same, at the earliest times Discord's limits allow."""
        return self.messages / self.optimal_span


def summarise(single: Phase, many: Phase, limits: Limits, scale: float) -> Summary:
    """Turn both phases' raw times into the ratios the goals are stated in."""
    times = [t / scale for t in single.sent[0]]
    n = len(times)
    optimal = optimal_times(limits, [n])[0]
    per_channel = [[t / scale for t in many.sent[c]] for c in sorted(many.sent)]
    counts = [len(t) for t in per_channel]
    agg_optimal = optimal_times(limits, counts)
    everything = [t for ts in per_channel for t in ts]
    agg_span = span(everything)
    total = len(everything)
    share = span(optimal) / span(times)
    ratio = (total / agg_span) / (n / span(times))
    first = min(everything)
    peak, peak_at, peak_routes = peak_window(
        [(t / scale - first, route) for t, route in many.bot_calls], limits.global_[1]
    )
    refused = sum(single.refusals.values()) + sum(many.refusals.values())
    return Summary(
        messages=n,
        span=span(times),
        optimal_span=span(optimal),
        pacer_span=span(pacer_times(scale, n)),
        share=share,
        diagnosis=diagnose(times, optimal, limits, scale),
        total=total,
        agg_span=agg_span,
        agg_optimal_span=max(span(t) for t in agg_optimal),
        agg_rate=total / agg_span,
        ratio=ratio,
        channel_shares=[span(o) / span(t) for o, t in zip(agg_optimal, per_channel, strict=True)],
        channel_spans=[span(t) for t in per_channel],
        rate_sum=sum(len(t) / span(t) for t in per_channel),
        stagger=many.start_stagger_real_s / scale,
        peak_global=peak,
        peak_at=peak_at,
        peak_routes=peak_routes,
        global_limit=limits.global_[0],
        goals_met=share >= SHARE_GOAL
        and ratio >= PARALLEL_GOAL * many.channels / 10
        and refused == 0
        and peak <= limits.global_[0],
    )


def _lag_row(phase: Phase, block: int) -> str:
    """One row of the lag table: release-to-arrival delays of a phase's webhook messages."""
    lags = [x * 1000 for lag in phase.lag.values() for x in lag]
    starts = [lag[k] * 1000 for lag in phase.lag.values() for k in range(0, len(lag), block)]
    if not lags:
        return f"| {phase.label} | n/a | n/a | n/a | n/a |"
    late = [
        f"#{k + 1} of channel {c}"
        for c, lag in sorted(phase.lag.items())
        for k, x in enumerate(lag)
        if x > SAFETY
    ]
    shown = ", ".join(late[:6]) + (", ..." if len(late) > 6 else "")
    return (
        f"| {phase.label} | {statistics.median(lags):.1f} | {max(lags):.1f} | {max(starts):.1f} | "
        f"{len(late)}{': ' + shown if late else ''} |"
    )


def _psi(phase: Phase) -> str:
    """Pressure-stall seconds during a phase: anything but ~0 in memory or io means the machine,
    not the bot, held things up."""
    return ", ".join(f"{k} {v:.2f} s" for k, v in phase.pressure.items()) or "n/a"


def _ok(good: bool) -> str:
    return "**met**" if good else "**missed**"


def report(
    s: Summary,
    single: Phase,
    many: Phase,
    machine: dict[str, str],
    args: argparse.Namespace,
    discarded: list[str],
) -> str:
    """bench/RESULTS_replay.md: the goals, the figures, how they were measured, and where time goes."""
    d = s.diagnosis
    goal_ratio = PARALLEL_GOAL * many.channels / 10
    drift = ", ".join(f"{x:+.1f}" for x in d.block_start_drift)
    durations = ", ".join(f"{x:.1f}" for x in d.block_duration)
    refusals_1 = sum(single.refusals.values())
    refusals_n = sum(many.refusals.values())
    lines = [
        "# Replay benchmark: `pace: fast` against the rate Discord allows",
        "",
        f"Measured in one run of `{machine['command']}`: the real bot and discord.py "
        f"{machine['discord.py']} against the fake Discord over loopback, in one process, every "
        f"rate-limit window scaled by {args.scale} (bot and fake alike). Times are **Discord "
        "seconds** (real seconds / scale); a rate is webhook messages from a replay's first to its "
        "last, divided by that span. The rate Discord allows is the earliest schedule under 5 "
        "requests per 2 s per webhook, 30 webhook messages per 60 s per channel (fixed windows "
        "opening on the first request, as Discord's and the fake's) and 50 requests per second per "
        f"bot, simulated for the same messages; `mode: {args.mode}`; articles of "
        f"{args.comments} generated comments, one message each. Phase 2's `/replay start`s were sent "
        f"{'all at once' if args.start == 'together' else 'one after the other, each once answered'}."
        f" Note: real time the bot or the fake spends (a request, a commit) is not scaled, so each "
        f"real millisecond weighs {1 / args.scale:g} Discord milliseconds here.",
        "",
        "| goal (issue 4) | measured | |",
        "| --- | --- | --- |",
        f"| one replay, share of the rate Discord allows >= {SHARE_GOAL:.0%} | "
        f"**{s.share:.1%}** ({s.rate:.3f} vs {s.optimal_rate:.3f} msg/s) | {_ok(s.share >= SHARE_GOAL)} |",
        f"| one replay, 429s = 0 | **{refusals_1}** {single.refusals or ''} | {_ok(refusals_1 == 0)} |",
        f"| {many.channels} replays at once, aggregate >= {goal_ratio:g}x one replay | "
        f"**{s.ratio:.2f}x** ({s.agg_rate:.3f} vs {s.rate:.3f} msg/s) | {_ok(s.ratio >= goal_ratio)} |",
        f"| {many.channels} replays, within the global limit ({s.global_limit}/s) | peak "
        f"**{s.peak_global}** requests in any second (sliding: the strict reading; the fake counts "
        f"fixed seconds and answered {many.refusals.get('global', 0)} global 429s) | "
        f"{_ok(s.peak_global <= s.global_limit)} |",
        f"| {many.channels} replays, 429s = 0 | **{refusals_n}** {many.refusals or ''} | "
        f"{_ok(refusals_n == 0)} |",
        "",
        "## Figures",
        "",
        "| | one replay | " + f"{many.channels} replays at once |",
        "| --- | --- | --- |",
        f"| webhook messages | {s.messages} | {s.total} ({', '.join(map(str, many.planned))} planned) |",
        f"| first to last message | {s.span:.1f} s | {s.agg_span:.1f} s |",
        f"| same messages, as early as Discord allows | {s.optimal_span:.1f} s | "
        f"{s.agg_optimal_span:.1f} s |",
        f"| rate | {s.rate:.3f} msg/s | {s.agg_rate:.3f} msg/s aggregate |",
        f"| share of the rate Discord allows | {s.share:.1%} | "
        f"{s.agg_optimal_span / s.agg_span:.1%} aggregate; per channel "
        f"{min(s.channel_shares):.1%}-{max(s.channel_shares):.1%} "
        f"(median {statistics.median(s.channel_shares):.1%}) |",
        f"| first to last message, per channel | {s.span:.1f} s | median "
        f"{statistics.median(s.channel_spans):.1f} s, max {max(s.channel_spans):.1f} s |",
        f"| sum of the per-channel rates (the starts' spread left out) | | {s.rate_sum:.3f} msg/s "
        f"({s.rate_sum / s.rate:.2f}x one replay) |",
        f"| first messages of the channels, spread (the starts) | | {s.stagger:.1f} s = "
        f"{s.stagger * args.scale * 1000:.0f} real ms |",
        f"| wall time (start to all finished) | {single.wall_s:.2f} s real | {many.wall_s:.2f} s real |",
        f"| longest event-loop stall | {single.loop_stall_s * 1000:.0f} real ms | "
        f"{many.loop_stall_s * 1000:.0f} real ms |",
        f"| machine stalls during the phase (Linux PSI) | {_psi(single)} | {_psi(many)} |",
        f"| CPU of this process (fake + bot) | {single.cpu_s:.2f} s ({single.cpu_s / single.wall_s:.0%}) | "
        f"{many.cpu_s:.2f} s ({many.cpu_s / many.wall_s:.0%}) |",
        "",
        f"The busiest second of phase 2 (sliding, bot requests other than interaction answers) "
        f"starts {s.peak_at:.1f} s after the first webhook message and holds {s.peak_global}: "
        + ", ".join(f"{n} `{r}`" for r, n in sorted(s.peak_routes.items(), key=lambda x: -x[1]))
        + ". The fake, like Discord, counts the global limit in fixed seconds; its global 429s are "
        "in the goals table.",
        "",
        "## Where one replay's time goes",
        "",
        f"- The bot's own `Pacer`, run on a simulated clock with requests taking no time, allows these "
        f"{s.messages} messages in **{s.pacer_span:.1f} s** (optimum {s.optimal_span:.1f} s, "
        f"{s.optimal_span / s.pacer_span:.1%}): its `SAFETY` margin of {SAFETY} real seconds is added "
        f"to every window wait and is not scaled, so at scale {args.scale} it weighs "
        f"{SAFETY / args.scale:.1f} Discord seconds per wait (at scale 1 it is {SAFETY} s per 60 s "
        "window).",
        f"- Measured block starts (every {d.block_size}th message, when the channel window reopens), "
        f"late by: {drift} s; blocks of {d.block_size} took {durations} s "
        f"(optimum {d.optimal_block_duration:.1f} s).",
        f"- Inside a 5-message burst consecutive messages are {d.burst_gap_real_ms:.1f} real ms apart "
        f"= {d.burst_gap_real_ms / 1000 / args.scale:.2f} Discord s (the engine's per-message cost "
        "and the fake's answer, in real time, which the scale does not shrink); from a burst's last "
        f"message to the next burst's first {d.boundary_gap:.2f} s (optimum, with instant bursts: "
        f"{d.optimal_boundary_gap:g} s).",
        "",
        "## When Discord sees what the pacer counted",
        "",
        "The pacer records a message against its windows when it lets it go; the fake opens its "
        "fixed windows when the message arrives. The pacer's margin for the difference is `SAFETY` "
        f"= {SAFETY * 1000:.0f} real ms. Arrival minus release, real ms:",
        "",
        "| phase | median | max | max at a channel-window start (every "
        f"{d.block_size}th) | messages later than SAFETY |",
        "| --- | --- | --- | --- | --- |",
        *(_lag_row(phase, d.block_size) for phase in (single, many)),
        "",
        *(
            ["Attempts the machine stalled (run again, unless marked kept):", ""]
            + [f"- {d}" for d in discarded]
            + [""]
            if discarded
            else []
        ),
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in machine.items() if k != "command"),
        "",
    ]
    for phase in (single, many):
        if phase.refused:
            lines += [f"429s in phase {phase.label}:", "", *(f"- {r}" for r in phase.refused), ""]
        if phase.errors:
            lines += [f"Errors in phase {phase.label}:", "", *(f"- {e}" for e in phase.errors), ""]
        if phase.profile:
            lines += [
                f"### Profile, phase {phase.label}",
                "",
                "```",
                phase.profile.strip(),
                "```",
                "",
            ]
    return "\n".join(lines)
