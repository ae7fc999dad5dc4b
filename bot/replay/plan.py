"""The replay plan: which comment goes where, as which webhook messages. Pure: no I/O, no awaits.

A plan is fully determined by the article and the options, so a resumed replay recomputes exactly the
same steps and the ledger only needs to record what was posted for each step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot import avatars as faces
from bot import markup, render
from storage.models import Article, Comment, Mode, Pace
from storage.words import plural

STEADY_INTERVAL = 3.0  # seconds between comments at pace steady
NATURAL_WPM = 250  # reading speed behind pace natural...
NATURAL_COMPRESSION = 10.0  # ...compressed this many times, so a replay is not a real-time re-run
NATURAL_MIN, NATURAL_MAX = 2.0, 30.0
FAST_RATE = (
    30 / 60
)  # messages per second per channel that Discord allows webhooks (unannounced limit)

DELETED_PLACEHOLDER = "*[this comment was deleted]*"
HIDDEN_SPAM_PLACEHOLDER = "*[a comment flagged as spam is hidden here; its replies follow]*"
SPAM_HEADER = "-# ⚠ flagged as spam by threadreplay's filter; hidden under a spoiler"
FALLBACK_NAME = "Anonymous"
_RESERVED = {"everyone", "here"}
_LOOKALIKE = {
    "discord": "discоrd",
    "clyde": "clydе",
}  # Cyrillic о / е: Discord refuses the real words


def webhook_name(author: str) -> str:
    """A webhook username Discord accepts: 1-80 chars, no "discord"/"clyde", not everyone/here."""
    name = " ".join(author.split()) or FALLBACK_NAME
    for word, lookalike in _LOOKALIKE.items():
        name = re.sub(word, _keep_case(lookalike), name, flags=re.IGNORECASE)
    if name.casefold() in _RESERVED:
        name = f"{name} (commenter)"
    return render.clip(name, render.WEBHOOK_USERNAME)


def _keep_case(lookalike: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement: `lookalike` in the letter case of the word it replaces."""
    return lambda m: _same_case(m.group(0), lookalike)


def _same_case(original: str, replacement: str) -> str:
    """`replacement` with the letter case of `original` (both the same length)."""
    return "".join(
        r.upper() if o.isupper() else r for o, r in zip(original, replacement, strict=True)
    )


def thread_name(comment: Comment) -> str:
    """A thread's name: the author and the first words of the comment, at most 100 characters."""
    words = " ".join(comment.text.split()) or "(no text)"
    return render.clip(
        f"{' '.join(comment.author.split()) or FALLBACK_NAME}: {words}", render.THREAD_NAME
    )


@dataclass(frozen=True)
class Step:
    """One comment to post: where, under which name, as which message bodies."""

    seq: int
    comment: Comment
    username: str
    parts: tuple[str, ...]  # message bodies; the reply line is added to the first at send time
    root: int  # index of the top-level comment whose thread holds this one (itself for top level)
    in_thread: bool  # posted inside a thread (False: in the channel itself)
    opens_thread: str | None  # a thread is started from this step's first message, with this name
    reply_to: int | None  # parent index to name in a "↳ replying to" line, None when not needed
    avatar_url: str | None = None  # the author's face (None: the webhook's own)
    context: str | None = None  # score and original time, shown in the first part's subtext line


@dataclass
class Plan:
    """Every step of a replay plus what a dry run reports."""

    mode: Mode
    steps: list[Step]
    warnings: list[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        """Webhook messages the replay will post (after splitting)."""
        return sum(len(s.parts) for s in self.steps)

    @property
    def threads(self) -> int:
        """Threads the replay will create."""
        return sum(1 for s in self.steps if s.opens_thread) + (1 if self.mode is Mode.single else 0)

    def eta_seconds(self, pace: Pace) -> float:
        """Expected duration at `pace` (the estimate `/replay status` gives at the start)."""
        return estimate_seconds(pace, [s.parts for s in self.steps])


def estimate_seconds(pace: Pace, steps: Sequence[Sequence[str]]) -> float:
    """Seconds to post `steps` (each the message bodies of one comment) at `pace`.

    The one estimate `threadreplay preview`, `/replay plan` and `/replay status` give. Fast assumes
    a burst at the webhook's 5 per 2 s, then Discord's 30 webhook messages per minute per channel.
    """
    if pace is Pace.fast:
        messages = sum(len(parts) for parts in steps)
        burst = min(messages, 30)
        return burst * 0.4 + max(0, messages - 30) / FAST_RATE
    if pace is Pace.steady:
        return STEADY_INTERVAL * len(steps)
    return sum(natural_delay("\n".join(parts)) for parts in steps)


def natural_delay(text: str) -> float:
    """Seconds to wait before a comment at pace natural: its reading time, compressed."""
    seconds = len(text.split()) / NATURAL_WPM * 60 / NATURAL_COMPRESSION
    return min(NATURAL_MAX, max(NATURAL_MIN, seconds))


def context(comment: Comment) -> str | None:
    """What the source says about a comment beside its words, for its subtext line: the score
    (Reddit score, Hacker News points) and the original time as a Discord timestamp, which every
    reader sees in their own zone."""
    bits = []
    if comment.score is not None and not comment.deleted:
        bits.append(plural(comment.score, "point"))
    if comment.created_at is not None:
        bits.append(f"<t:{int(comment.created_at.timestamp())}:f>")
    return " · ".join(bits) or None


def rendered(comment: Comment) -> str:
    """A comment's body as Discord markdown: the source's own markup where it has one, rendered
    (`bot.markup`), otherwise its plain text shown literally."""
    if comment.markup is not None and comment.markup.strip():
        body = (
            markup.from_html(comment.markup)
            if comment.markup_format == "html"
            else markup.from_markdown(comment.markup)
        )
        if body.strip():
            return body
    return render.escape(comment.text) if comment.text.strip() else "*[no text]*"


def _bodies(comment: Comment, include_spam: bool) -> list[str]:
    """The message bodies of one comment (split under Discord's 2000 characters)."""
    if comment.deleted:
        return [DELETED_PLACEHOLDER]
    room = render.MESSAGE_CONTENT - CONTEXT_LINE_ROOM
    if comment.spam and include_spam:
        # Spam is shown literally under one spoiler: its own markup could close the spoiler.
        text = render.escape(comment.text) if comment.text.strip() else "*[no text]*"
        room -= len(SPAM_HEADER) + 5  # header line, a newline and "||" twice
        return [f"{SPAM_HEADER}\n||{p}||" for p in render.split_text(text, room)]
    return markup.split(rendered(comment), room)


# Kept free in the first part for the subtext line: "↳ replying to" (a name of up to 80 characters,
# escaped, and its message link), the score and the time.
CONTEXT_LINE_ROOM = 320


def reply_line(author: str | None, url: str | None, context: str | None = None) -> str:
    """The subtext line above a comment: the parent it replies to (linked to its replayed message)
    and its context (score, time); either may be missing."""
    tail = f" · {context}" if context else ""
    if author is None:
        return f"-# {context}"
    name = render.shown(" ".join(author.split()) or FALLBACK_NAME, 80)
    if url:
        return f"-# ↳ replying to [**{name}**](<{url}>){tail}"
    return f"-# ↳ replying to **{name}**{tail}"


def ledger_row(step: Step, seq: int, root_seq: int, reply_to_seq: int | None) -> dict[str, object]:
    """One planned step as the ledger's row (the only place rows are built from steps)."""
    return {
        "seq": seq,
        "comment_index": step.comment.index,
        "comment_key": step.comment.key,
        "username": step.username,
        "parts": list(step.parts),
        "root_seq": root_seq,
        "in_thread": step.in_thread,
        "opens_thread": step.opens_thread,
        "reply_to_seq": reply_to_seq,
        "avatar_url": step.avatar_url,
        "context": step.context,
    }


def build_plan(
    article: Article, mode: Mode, *, include_spam: bool = False, avatars: str = faces.GENERATED
) -> Plan:
    """Order and place every comment to replay; spam is left out unless asked for."""
    comments = article.comments
    shown = {c.index for c in comments if include_spam or not c.spam}
    needed = set(shown)  # shown comments and every ancestor they need to keep their place
    for c in reversed(comments):  # reverse pre-order: replies are decided before their parent
        if c.index in needed and c.parent is not None:
            needed.add(c.parent)
    has_reply = {c.parent for c in comments if c.index in needed and c.parent is not None}
    warnings: list[str] = []
    left_out = sum(1 for c in comments if c.index not in needed)
    if left_out:
        warnings.append(
            f"{plural(left_out, 'comment')} flagged as spam {'is' if left_out == 1 else 'are'}"
            " left out (include_spam shows them)"
        )
    steps: list[Step] = []
    roots: dict[int, int] = {}
    for c in comments:
        if c.index not in needed or (c.deleted and c.index not in has_reply):
            continue  # a deleted leaf carries nothing; one with replies keeps their place as a placeholder
        root = c.index if c.parent is None else roots[c.parent]
        roots[c.index] = root
        parts = _bodies(c, include_spam) if c.index in shown else [HIDDEN_SPAM_PLACEHOLDER]
        if len(parts) > 1:
            warnings.append(
                f"comment by {c.author} (#{c.index + 1}) is split into {len(parts)} messages"
            )
        username = webhook_name(c.author)
        if username != " ".join(c.author.split()):
            warnings.append(f"author name {c.author[:40]!r} posted as {username!r}")
        if render.escape(c.text) != c.text and ("@" in c.text or "<" in c.text):
            warnings.append(
                f"mentions in the comment by {c.author} (#{c.index + 1}) are neutralised"
            )
        if mode is Mode.threads:
            in_thread = c.parent is not None
            opens = thread_name(c) if c.parent is None and c.index in has_reply else None
            reply_to = c.parent if c.depth >= 2 else None
        else:
            in_thread, opens, reply_to = True, None, c.parent
        face = faces.avatar_url(article.format, c, avatars)
        steps.append(
            Step(
                len(steps),
                c,
                username,
                tuple(parts),
                root,
                in_thread,
                opens,
                reply_to,
                avatar_url=face,
                context=context(c) if c.index in shown else None,
            )
        )
    return Plan(mode=mode, steps=steps, warnings=warnings)
