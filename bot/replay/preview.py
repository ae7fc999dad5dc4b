"""A replay plan as text: what `/replay plan` and `threadreplay preview` show. Pure."""

from __future__ import annotations

from collections.abc import Callable

from bot import render
from bot.replay.plan import Plan, reply_line
from bot.terminal import terminal_safe
from storage.models import Article, Mode, Pace
from storage.words import plural


def duration(seconds: float) -> str:
    """A short human duration: 45 s, 12 min, 2 h 5 min."""
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    minutes = seconds // 60
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


def plan_text(
    article: Article, plan: Plan, pace: Pace, *, sample: int | None = None, discord: bool = False
) -> str:
    """Summary (messages, threads, ETA, warnings) and the first `sample` steps rendered (None: all).

    For Discord (`discord=True`) the archive's words are escaped, as in every message the bot
    sends; for the terminal they are printed as they are, but no control character goes out raw.
    """
    name: Callable[[str], str] = (lambda t: render.shown(t, 200)) if discord else (lambda t: t)
    lines = [
        f"Replay plan for {name(article.title)} ({name(article.key)})",
        f"mode {plan.mode.value}, pace {pace.value}: {plural(len(plan.steps), 'comment')}"
        f" -> {plural(plan.messages, 'message')}, "
        f"{plural(plan.threads, 'thread')}, about {duration(plan.eta_seconds(pace))}",
    ]
    if plan.warnings:
        lines.append("Warnings:")
        lines += [f"- {name(w)}" for w in plan.warnings]
    steps = plan.steps if sample is None else plan.steps[:sample]
    lines.append("")
    names = {s.comment.index: s.username for s in plan.steps}
    for step in steps:
        where = "in the thread" if step.in_thread else "in the channel"
        if plan.mode is Mode.single:
            where = "in the discussion thread"
        head = f"#{step.seq + 1} {name(step.username)} ({where})"
        if step.opens_thread:
            head += f", opens thread “{name(step.opens_thread)}”"
        lines.append(head)
        for k, part in enumerate(step.parts):
            body = part
            if k == 0 and (step.reply_to is not None or step.context):
                parent = names.get(step.reply_to, "?") if step.reply_to is not None else None
                body = f"{reply_line(parent, None, step.context)}\n{body}"
            if len(step.parts) > 1:
                lines.append(f"  [message {k + 1}/{len(step.parts)}]")
            lines += ["  | " + line for line in body.split("\n")]
        lines.append("")
    if sample is not None and len(plan.steps) > sample:
        lines.append(f"… and {len(plan.steps) - sample} more comments.")
    return terminal_safe("\n".join(lines).rstrip() + "\n")
