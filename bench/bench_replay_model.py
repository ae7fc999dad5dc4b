"""The replay benchmark's arithmetic: generated articles, the schedule Discord allows, and diagnostics.

Times here are Discord seconds (unscaled) unless a name says `real`: the fake divides every window by
its time scale, so a span measured in real seconds is divided by the scale before it is compared.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from bot.replay import pacer as bot_pacer

_WORD_TEXT = (
    "the council vote budget river bridge school teachers parents road repair market prices winter "
    "energy bills report week mayor plan park library bus route traffic hospital nurses staff story "
    "people town county water storm housing rent jobs factory farm harvest court ruling law police "
    "museum festival summer weather flood fire station state data survey numbers answer question"
)
_NAME_TEXT = (
    "Ann Bo Cy Dee Eli Fay Gus Hal Ivy Jo Kit Lou Max Ned Ola Pia Quinn Rae Sol Tam Uma Vic Wes"
)
WORDS = tuple(_WORD_TEXT.split())
NAMES = tuple(_NAME_TEXT.split())


def comments(seed: str, count: int) -> list[tuple[int, str, str]]:
    """`count` comments (depth, author, text) in pre-order: about 30 % top level, replies up to 3 deep.

    Bodies are short plain sentences (one message each, nothing the spam filter could flag), so the
    number of webhook messages equals `count`.
    """
    rng = random.Random(seed)
    out: list[tuple[int, str, str]] = []
    depth = 0
    for i in range(count):
        depth = 0 if i == 0 or rng.random() < 0.3 else rng.randint(1, min(depth + 1, 3))
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 30))]
        text = " ".join(words).capitalize() + f". Comment {i}."
        out.append((depth, f"{rng.choice(NAMES)}{rng.randint(1, 99)}", text))
    return out


@dataclass(frozen=True)
class Limits:
    """The limits a replay runs into (Discord seconds), read from the fake's configuration."""

    webhook: tuple[int, float]  # per webhook (announced in headers)
    channel: tuple[int, float]  # webhook messages per channel (unannounced)
    global_: tuple[int, float]  # per bot


class FixedWindow:
    """Discord's bucket: opens on the first request, allows `limit` until `period` later."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.opened: float | None = None
        self.used = 0

    def earliest(self, t: float) -> float:
        """The first moment from `t` on when one more request fits."""
        if self.opened is None or t >= self.opened + self.period or self.used < self.limit:
            return t
        return self.opened + self.period

    def take(self, t: float) -> None:
        """Count a request at `t` (which must fit)."""
        if self.opened is None or t >= self.opened + self.period:
            self.opened, self.used = t, 0
        self.used += 1


def optimal_times(limits: Limits, per_channel: Sequence[int]) -> list[list[float]]:
    """The earliest send time of every message when each channel posts as soon as Discord allows.

    Channels start together at 0 and are served greedily (the earliest possible message next), under
    each channel's webhook and channel windows and the one global window. Requests take no time.
    """
    glob = FixedWindow(*limits.global_)
    windows = [(FixedWindow(*limits.webhook), FixedWindow(*limits.channel)) for _ in per_channel]
    times: list[list[float]] = [[] for _ in per_channel]

    def next_time(c: int) -> float:
        t = times[c][-1] if times[c] else 0.0
        while True:  # every window must have room at the same moment
            later = max(w.earliest(t) for w in (*windows[c], glob))
            if later == t:
                return t
            t = later

    while True:
        open_channels = [c for c, n in enumerate(per_channel) if len(times[c]) < n]
        if not open_channels:
            return times
        c = min(open_channels, key=lambda k: (next_time(k), k))
        t = next_time(c)
        for w in (*windows[c], glob):
            w.take(t)
        times[c].append(t)


def span(times: Sequence[float]) -> float:
    """First message to last."""
    return max(times) - min(times) if times else 0.0


def pacer_times(scale: float, count: int) -> list[float]:
    """Send times (Discord seconds) the bot's own Pacer allows one channel if requests took no time.

    Runs the real `bot.replay.pacer.Pacer` on a simulated clock: what its design costs, before any
    execution cost (its SAFETY margin is in real seconds, so it weighs 1/scale more in Discord time).
    """
    now = [0.0]
    pacer = bot_pacer.Pacer(scale, clock=lambda: now[0])
    hook, channel = pacer._windows(1)
    out = []
    for _ in range(count):
        for window in (channel, hook, pacer.global_window):  # the order webhook_message acquires
            while (wait := window.delay()) > 0:
                now[0] += wait
            window.events.append(now[0])
        out.append(now[0] / scale)
    return out


@dataclass
class Diagnosis:
    """Where one channel's measured schedule departs from the optimal one (Discord seconds)."""

    block_size: int
    block_start_drift: list[float]  # measured start of block b minus the optimal start
    block_duration: list[float]  # first to last message of each block
    optimal_block_duration: float
    burst_gap_real_ms: float  # mean real time between messages of one 5-burst (no window waits)
    boundary_gap: float  # mean time from a burst's last message to the next burst's first
    optimal_boundary_gap: float  # the same when bursts take no time: the webhook window


def diagnose(
    measured: Sequence[float], optimal: Sequence[float], limits: Limits, scale: float
) -> Diagnosis:
    """Compare a channel's measured send offsets with the optimal ones, block by block."""
    size = limits.channel[0]
    burst, burst_period = limits.webhook
    t0 = measured[0]
    offsets = [t - t0 for t in measured]
    starts = range(0, len(offsets), size)
    drift = [offsets[s] - optimal[s] for s in starts]
    duration = [offsets[min(s + size, len(offsets)) - 1] - offsets[s] for s in starts]
    gaps, boundaries = [], []
    for i in range(1, len(offsets)):
        if i % size == 0:
            continue  # a channel-window wait
        gap = offsets[i] - offsets[i - 1]
        (boundaries if i % burst == 0 else gaps).append(gap)
    return Diagnosis(
        block_size=size,
        block_start_drift=drift,
        block_duration=duration,
        optimal_block_duration=optimal[min(size, len(optimal)) - 1],
        burst_gap_real_ms=sum(gaps) / len(gaps) * scale * 1000 if gaps else 0.0,
        boundary_gap=sum(boundaries) / len(boundaries) if boundaries else 0.0,
        optimal_boundary_gap=burst_period,
    )


def peak_window(
    events: Sequence[tuple[float, str]], period: float
) -> tuple[int, float, dict[str, int]]:
    """The most (time, route) events in any `period` (sliding), when that window starts, and its
    routes: what the global limit is checked against, and what filled the busiest second."""
    ordered = sorted(events)
    best, best_start, best_end = 0, 0.0, 0
    lo = 0
    for hi, (t, _) in enumerate(ordered):
        while t - ordered[lo][0] >= period:
            lo += 1
        if hi - lo + 1 > best:
            best, best_start, best_end = hi - lo + 1, ordered[lo][0], hi
    routes: dict[str, int] = {}
    for _, route in ordered[best_end - best + 1 : best_end + 1]:
        routes[route] = routes.get(route, 0) + 1
    return best, best_start, routes
