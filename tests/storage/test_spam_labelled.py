"""The spam rule against labelled comments: precision and recall at least 0.95 on every set.

`spam_labelled.jsonl` (263 comments) was written first and the rule built on it;
`spam_heldout.jsonl` (174) and `spam_fresh.jsonl` (172) were written afterwards by writers who had
not seen the rule or the first set, and measured before the rule was adjusted to them (see the
closing note of issue 11 for those first figures). Each row: id, spam (the label), text, why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from storage.spam import is_spam, spam_reasons

DATA = Path(__file__).resolve().parents[1] / "data"
SETS = ["spam_labelled.jsonl", "spam_heldout.jsonl", "spam_fresh.jsonl"]
GOAL = 0.95


def rows(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line]


@pytest.mark.parametrize("name", SETS)
def test_spam_rule_precision_and_recall_reach_the_goal(name: str) -> None:
    labelled = rows(name)
    assert len(labelled) >= 150 and len({r["text"] for r in labelled}) == len(labelled)
    flagged = {str(r["id"]) for r in labelled if is_spam(spam_reasons(str(r["text"])))}
    spam = {str(r["id"]) for r in labelled if r["spam"]}
    precision = len(flagged & spam) / max(len(flagged), 1)
    recall = len(flagged & spam) / len(spam)
    assert precision >= GOAL, sorted(flagged - spam)
    assert recall >= GOAL, sorted(spam - flagged)


def test_the_sets_hold_both_kinds_in_quantity() -> None:
    everything = [r for name in SETS for r in rows(name)]
    assert sum(1 for r in everything if r["spam"]) >= 200
    assert sum(1 for r in everything if not r["spam"]) >= 350


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        (
            "Dr Okun brought my husband back, contact him on whatsapp +234 803 555 0199",
            {"scam offer", "phone number or e-mail", "messaging handle"},
        ),
        ("I make $450 a day from home, details on my profile.", {"promises earnings"}),
        ("💰💰💰💲💲💲💰💰💰", {"money-sign banner"}),
    ],
)
def test_spam_gives_its_reasons(text: str, reasons: set[str]) -> None:
    found = spam_reasons(text)
    assert is_spam(found)
    assert reasons <= set(found)


@pytest.mark.parametrize(
    "text",
    [
        "Nurses here make $38,000 a year. Source: https://www.example.org/pay-report",
        "Samaritans are on 116 123, any time, free.",
        "> Dr Okun brought my husband back, whatsapp +234 803 555 0199\n\nReported. Mods?",
        "Someone replied 'contact hackerjoe@example.com for recovery' under my comment. Don't.",
        "The protest was organised over Telegram and WhatsApp groups spread the rumour.",
        "Call them and ask for a refund of £50, they have to pay it.",
        "Contact the council on Monday about the £200 fine.",
    ],
)
def test_hard_non_spam_is_not_flagged(text: str) -> None:
    assert not is_spam(spam_reasons(text))
