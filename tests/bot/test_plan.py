"""Unit tests of the replay plan (placement, names, splitting) and of the pacer's windows."""

from __future__ import annotations

from pathlib import Path

from bot import render
from bot.replay.pacer import SlidingWindow
from bot.replay.plan import (
    CONTEXT_LINE_ROOM,
    DELETED_PLACEHOLDER,
    HIDDEN_SPAM_PLACEHOLDER,
    SPAM_HEADER,
    Mode,
    Pace,
    build_plan,
    reply_line,
    thread_name,
    webhook_name,
)
from storage.models import Article, Comment
from storage.parsers import parse_file

SEED = Path(__file__).parents[2] / "seeds" / "000_e7a44f8a370d07ea.txt"


def article(
    *comments: tuple[str, int, int | None, str],
    spam: set[int] = frozenset(),
    deleted: set[int] = frozenset(),
) -> Article:  # type: ignore[assignment]
    return Article(
        key="k",
        format="textdump",
        title="T",
        comments=[
            Comment(
                index=i,
                key=str(i),
                author=a,
                depth=d,
                parent=p,
                text=t,
                spam=i in spam,
                deleted=i in deleted,
            )
            for i, (a, d, p, t) in enumerate(comments)
        ],
    )


def test_webhook_name_avoids_words_discord_refuses() -> None:
    assert "discord" not in webhook_name("Discord Fan").casefold()
    assert "clyde" not in webhook_name("clyde").casefold()
    assert webhook_name("everyone") != "everyone"
    assert webhook_name("HERE").casefold() != "here"
    assert webhook_name("   ") == "Anonymous"
    assert len(webhook_name("x" * 85)) == render.WEBHOOK_USERNAME


def test_webhook_name_keeps_ordinary_names_exactly() -> None:
    assert webhook_name("RTA (Bob or Al)") == "RTA (Bob or Al)"


def test_thread_name_fits_100_chars_and_starts_with_author() -> None:
    c = Comment(index=0, key="a", author="Ann", depth=0, text="word " * 100)
    name = thread_name(c)
    assert len(name) <= render.THREAD_NAME and name.startswith("Ann: word")


def test_seed_threads_mode_posts_every_non_spam_comment_once_in_preorder() -> None:
    art = parse_file(SEED)
    plan = build_plan(art, Mode.threads)
    non_spam = [c.index for c in art.comments if not c.spam]
    assert [s.comment.index for s in plan.steps] == non_spam
    top = [s for s in plan.steps if not s.in_thread]
    assert [s.comment.author for s in top] == [
        "Jordan Katz",
        "Vitex",
        "Melotte 22",
        "MD Ranix",
        "Langaniso Mhlobo",
    ]
    assert [bool(s.opens_thread) for s in top] == [True, True, True, False, False]
    for s in plan.steps:
        c = s.comment
        assert s.reply_to == (c.parent if c.depth >= 2 else None)
        assert s.root == (
            c.index if c.parent is None else next(t.comment.index for t in top if t.root == s.root)
        )
    assert plan.threads == 3 and plan.messages == 15


def test_single_mode_puts_everything_in_one_thread_and_names_every_parent() -> None:
    plan = build_plan(parse_file(SEED), Mode.single)
    assert len(plan.steps) == 15  # every non-spam comment of the seed
    assert all(s.in_thread for s in plan.steps)
    assert all(s.opens_thread is None for s in plan.steps)
    assert [s.reply_to for s in plan.steps] == [s.comment.parent for s in plan.steps]
    assert plan.threads == 1


def test_include_spam_shows_spam_under_flagged_spoiler() -> None:
    plan = build_plan(parse_file(SEED), Mode.threads, include_spam=True)
    spam = [s for s in plan.steps if s.comment.spam]
    assert len(plan.steps) == 16 and len(spam) == 1
    assert spam[0].parts[0].startswith(SPAM_HEADER + "\n||") and spam[0].parts[0].endswith("||")


def test_spam_with_a_genuine_reply_becomes_placeholder_keeping_reply() -> None:
    art = article(
        ("A", 0, None, "top"), ("Spammer", 1, 0, "buy"), ("B", 2, 1, "no thanks"), spam={1}
    )
    plan = build_plan(art, Mode.threads)
    assert [s.comment.author for s in plan.steps] == ["A", "Spammer", "B"]
    assert plan.steps[1].parts == (HIDDEN_SPAM_PLACEHOLDER,)
    assert plan.steps[2].reply_to == 1


def test_deleted_leaf_is_skipped_deleted_parent_is_placeholder() -> None:
    art = article(
        ("A", 0, None, "This comment was deleted."),
        ("B", 1, 0, "reply"),
        ("C", 0, None, "This comment was deleted."),
        deleted={0, 2},
    )
    plan = build_plan(art, Mode.threads)
    assert [s.comment.index for s in plan.steps] == [0, 1]
    assert plan.steps[0].parts == (DELETED_PLACEHOLDER,)


def test_5000_char_comment_split_in_order_with_room_for_reply_line() -> None:
    text = "\n\n".join(f"Sentence number {i} is here. " * 20 for i in range(10))
    assert len(text) > 5000
    art = article(("A", 0, None, "top"), ("B", 1, 0, "mid"), ("C", 2, 1, text))
    step = build_plan(art, Mode.threads).steps[2]
    assert len(step.parts) >= 3
    assert all(len(p) <= render.MESSAGE_CONTENT - CONTEXT_LINE_ROOM for p in step.parts)
    assert "\n\n".join(step.parts) == render.escape(text)
    url = "https://discord.com/channels/" + "/".join(["12345678901234567890"] * 3)
    assert len(reply_line("x" * 80, url)) + 1 + len(step.parts[0]) <= render.MESSAGE_CONTENT


def test_mentions_in_comments_are_neutralised_and_reported() -> None:
    art = article(("A", 0, None, "hey @everyone look <@&123>"))
    plan = build_plan(art, Mode.threads)
    assert "@everyone" not in plan.steps[0].parts[0]
    assert any("neutralised" in w for w in plan.warnings)


def test_eta_fast_is_burst_then_thirty_per_minute() -> None:
    art = article(*[("A", 0, None, f"c{i}") for i in range(90)])
    plan = build_plan(art, Mode.threads)
    assert plan.eta_seconds(Pace.fast) == 30 * 0.4 + 60 / 0.5


def test_sliding_window_waits_for_the_oldest_event_to_leave() -> None:
    now = [100.0]
    window = SlidingWindow(3, 10.0, clock=lambda: now[0])
    for _ in range(3):
        assert window.delay() == 0
        window.events.append(now[0])
        now[0] += 1
    assert 7.0 < window.delay() < 7.1  # oldest at 100, now 103: room again at 110
    now[0] = 110.0
    assert window.delay() == 0


def test_pacer_seed_counts_recent_messages_of_an_earlier_run() -> None:
    from bot.replay.manager import snowflake_time
    from bot.replay.pacer import CHANNEL_LIMIT, Pacer

    now = [1000.0]
    pacer = Pacer(clock=lambda: now[0])
    pacer.seed(7, [1.0] * 40 + [120.0])  # 40 sent a second ago, one two minutes ago
    _webhook, channel = pacer._windows(7)
    assert len(channel.events) == CHANNEL_LIMIT and channel.delay() > 58
    assert abs(snowflake_time(175928847299117063) - 1462015105.796) < 0.01  # Discord's docs example


def test_source_time_and_score_go_in_one_subtext_line_above_the_comment() -> None:
    from datetime import UTC, datetime

    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    top = Comment(index=0, key="a", author="A", depth=0, text="hi", created_at=when, score=1)
    reply = Comment(index=1, key="b", author="B", depth=1, parent=0, text="yo", score=-3)
    bare = Comment(index=2, key="c", author="C", depth=0, text="plain")
    article = Article(key="k", format="reddit", title="T", comments=[top, reply, bare])
    steps = build_plan(article, Mode.single).steps
    assert steps[0].parts == ("hi",)  # the time is no longer appended to the body
    assert [s.context for s in steps] == ["1 point · <t:1704164645:f>", "-3 points", None]
    assert reply_line(None, None, steps[0].context) == "-# 1 point · <t:1704164645:f>"
    assert reply_line("A", None, steps[1].context) == "-# ↳ replying to **A** · -3 points"


async def test_pacer_counts_a_message_from_when_its_answer_arrived() -> None:
    from bot.replay.pacer import Pacer

    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    async with pacer.webhook_message(9):
        now[0] = 0.5  # the request took half a second to reach Discord and come back
    _webhook, channel = pacer._windows(9)
    assert list(channel.events) == [0.5]


def test_eta_natural_counts_every_message_of_a_split_comment() -> None:
    from bot.replay.plan import estimate_seconds, natural_delay

    long = " ".join(["word"] * 900)  # split into several messages; read time is per message
    art = article(("A", 0, None, long), ("B", 0, None, "short"))
    plan = build_plan(art, Mode.threads)
    assert len(plan.steps[0].parts) > 1
    want = sum(natural_delay("\n".join(s.parts)) for s in plan.steps)
    assert plan.eta_seconds(Pace.natural) == estimate_seconds(
        Pace.natural, [s.parts for s in plan.steps]
    )
    assert plan.eta_seconds(Pace.natural) == want
    assert plan.eta_seconds(Pace.steady) == 3.0 * 2
