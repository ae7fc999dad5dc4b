"""What `/replay update` changes: the difference between a replay's ledger and its changed source.

New comments are appended to the ledger and posted by the usual engine (exactly once, with their
"replying to" link); edited comments have their messages edited; removed ones become placeholders.
Discord cannot insert a message above others, so a new reply arrives at the end of its thread.
`ReplayManager.update` applies the difference through the edge; this module only computes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.replay.plan import Plan, ledger_row
from storage.models import Article
from storage.replays import ReplayStep

REMOVED_PLACEHOLDER = "*[this comment was removed from the source]*"


@dataclass
class UpdateReport:
    """What an update changed."""

    added: int
    edited: int
    removed: int


@dataclass
class Changes:
    """The difference between a replay's steps and a new plan of its article."""

    added: list[dict[str, object]] = field(default_factory=list)  # ledger rows to append
    edited: list[tuple[ReplayStep, list[str]]] = field(default_factory=list)  # step, new parts
    opened: list[tuple[ReplayStep, str]] = field(
        default_factory=list
    )  # now has replies: thread name
    removed: list[ReplayStep] = field(default_factory=list)  # gone from the source

    def report(self) -> UpdateReport:
        """The counts `/replay update` answers with."""
        return UpdateReport(len(self.added), len(self.edited), len(self.removed))


def diff(article: Article, plan: Plan, steps: list[ReplayStep]) -> Changes:
    """Compare the ledger's `steps` with a `plan` of the article as it is stored now."""
    by_key = {s.comment_key: s for s in steps}
    seq_of = {s.comment_key: s.seq for s in steps}
    for step in plan.steps:  # new comments get the next numbers, in the plan's order
        if step.comment.key not in by_key:
            seq_of[step.comment.key] = len(seq_of)
    key_of = {c.index: c.key for c in article.comments}
    changes = Changes()
    for step in plan.steps:
        key = step.comment.key
        old = by_key.get(key)
        if old is None:
            reply_to = seq_of[key_of[step.reply_to]] if step.reply_to is not None else None
            changes.added.append(ledger_row(step, seq_of[key], seq_of[key_of[step.root]], reply_to))
            continue
        if list(step.parts) != old.parts:
            changes.edited.append((old, list(step.parts)))
        if step.opens_thread and not old.opens_thread:  # a top-level comment that now has replies
            changes.opened.append((old, step.opens_thread))
    planned = {s.comment.key for s in plan.steps}
    changes.removed = [
        s for s in steps if s.comment_key not in planned and s.parts != [REMOVED_PLACEHOLDER]
    ]
    return changes
