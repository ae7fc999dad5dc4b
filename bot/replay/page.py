"""`threadreplay preview KEY --html FILE` and `/replay plan`'s attachment: the replay as one HTML page.

The page shows what members will see: the card, then every message in order, grouped by thread,
each with its avatar, name, subtext line (reply, score, time) and its Discord markdown drawn as
HTML. Self-contained: inline CSS, no scripts; only the avatars load from their service. Everything
from the archive is HTML-escaped before any markup is drawn, so no comment can inject HTML.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from bot.replay.plan import Plan, reply_line
from bot.replay.preview import duration
from storage.models import Mode, Pace, StoredArticle
from storage.words import plural

_FENCE = re.compile(r"^```([A-Za-z0-9_+#-]*)$")
_TIMESTAMP = re.compile(r"&lt;t:(\d{1,12}):[tTdDfFR]&gt;")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_INLINE_CODE = re.compile(r"``\s(.+?)\s``|`([^`\n]+)`")
_MASKED = re.compile(
    r"\[([^\]\n]+)\]\(&lt;(https?://[^\s)]+?)&gt;\)|\[([^\]\n]+)\]\((https?://[^\s)]+)\)"
)
_BARE = re.compile(r"&lt;(https?://[^\s]+?)&gt;|(?<![\"=])\b(https?://[^\s<]+[^<.,:;\"'\]\s])")
_STYLES = (
    (re.compile(r"\*\*(.+?)\*\*", re.DOTALL), "strong"),
    (re.compile(r"__(.+?)__", re.DOTALL), "u"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.DOTALL), "em"),
    (re.compile(r"~~(.+?)~~", re.DOTALL), "s"),
    (re.compile(r"\|\|(.+?)\|\|", re.DOTALL), 'span class="spoiler"'),
)
_PLACEHOLDER = "\ue010{}\ue011"

CSS = """
body{background:#313338;color:#dbdee1;margin:0;padding:24px;
font:15px/1.4 "gg sans","Noto Sans",Helvetica,Arial,sans-serif}
main{max-width:860px;margin:auto}
h1{font-size:20px;color:#f2f3f5}
.card{border-left:4px solid #5865f2;background:#2b2d31;border-radius:4px;padding:12px 16px;margin:12px 0}
.card .title{font-weight:700;color:#00a8fc}.card .counts{color:#b5bac1;font-size:13px}
.thread{border-left:2px solid #4e5058;margin:8px 0 16px 20px;padding-left:12px}
.thread>.name{color:#f2f3f5;font-weight:600;margin:6px 0}
.msg{display:flex;gap:12px;margin:10px 0}
.msg img.avatar,.msg .avatar{width:40px;height:40px;border-radius:50%;flex:none;background:#5865f2}
.who{font-weight:600;color:#f2f3f5}
.who .tag{background:#5865f2;color:#fff;font-size:10px;border-radius:3px;padding:0 4px;margin-left:4px}
.sub{color:#949ba4;font-size:12px}.part{color:#949ba4;font-size:11px}
blockquote{border-left:4px solid #4e5058;margin:2px 0;padding:0 8px}
pre{background:#2b2d31;border:1px solid #1e1f22;border-radius:4px;padding:8px;white-space:pre-wrap;overflow-x:auto}
code{background:#2b2d31;border-radius:3px;padding:0 3px;font-family:Consolas,monospace;font-size:13px}
.spoiler{background:#1e1f22;color:transparent;border-radius:3px}.spoiler:hover{color:inherit}
a{color:#00a8fc}.heading1{font-size:22px;font-weight:700}.heading2{font-size:19px;font-weight:700}
.heading3{font-size:16px;font-weight:700}.warnings{color:#f0b232}
p{margin:0;min-height:1em}ul,ol{margin:2px 0;padding-left:24px}
"""


def _inline(text: str) -> str:
    """One line of Discord markdown as HTML (the line is escaped first)."""
    kept: list[str] = []

    def keep(fragment: str) -> str:
        kept.append(fragment)
        return _PLACEHOLDER.format(len(kept) - 1)

    text = html.escape(text, quote=True)
    text = _INLINE_CODE.sub(lambda m: keep(f"<code>{m.group(1) or m.group(2)}</code>"), text)
    text = _ESCAPED.sub(lambda m: keep(m.group(1)), text)  # a backslash hides itself
    text = _TIMESTAMP.sub(lambda m: keep(_when(int(m.group(1)))), text)
    text = _MASKED.sub(
        lambda m: keep(
            f'<a href="{m.group(2) or m.group(4)}">{_styled(m.group(1) or m.group(3))}</a>'
        ),
        text,
    )
    text = _BARE.sub(
        lambda m: keep(f'<a href="{m.group(1) or m.group(2)}">{m.group(1) or m.group(2)}</a>'), text
    )
    text = _styled(text)
    for _ in range(3):  # fragments kept inside kept fragments (a link's text)
        text = re.sub("\ue010(\\d+)\ue011", lambda m: kept[int(m.group(1))], text)
    return text.replace("\u200b", "")


def _styled(text: str) -> str:
    for pattern, tag in _STYLES:
        end = tag.split()[0]
        text = pattern.sub(lambda m, t=tag, e=end: f"<{t}>{m.group(1)}</{e}>", text)
    return text


def _when(unix: int) -> str:
    try:
        return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return str(unix)


def markdown_html(message: str) -> str:
    """A message's Discord markdown as HTML: the constructs the bot writes, nothing more."""
    out: list[str] = []
    lines = message.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        depth = 0
        while line.startswith("> "):
            depth, line = depth + 1, line[2:]
        fence = _FENCE.match(line)
        if fence:
            body: list[str] = []
            i += 1
            while i < len(lines):
                inner = lines[i]
                for _ in range(depth):
                    inner = inner.removeprefix("> ")
                if inner == "```":
                    break
                body.append(inner)
                i += 1
            lang = f' class="language-{fence.group(1)}"' if fence.group(1) else ""
            block = f"<pre><code{lang}>{html.escape(chr(10).join(body))}</code></pre>"
        elif m := re.match(r"^(#{1,3}) (.*)$", line):
            block = f'<p class="heading{len(m.group(1))}">{_inline(m.group(2))}</p>'
        elif line.startswith("-# "):
            block = f'<p class="sub">{_inline(line[3:])}</p>'
        elif m := re.match(r"^(\s*)(- |\d+\. )(.*)$", line):
            tag = "ol" if m.group(2)[0].isdigit() else "ul"
            start = f' start="{m.group(2)[:-2]}"' if tag == "ol" else ""
            block = f'<{tag}{start} style="margin-left:{len(m.group(1)) * 8}px"><li>{_inline(m.group(3))}</li></{tag}>'
        else:
            block = f"<p>{_inline(line)}</p>"
        for _ in range(depth):
            block = f"<blockquote>{block}</blockquote>"
        out.append(block)
        i += 1
    return "\n".join(out)


def _avatar(url: str | None) -> str:
    if url is None:
        return '<div class="avatar"></div>'
    return f'<img class="avatar" alt="" src="{html.escape(url, quote=True)}">'


def replay_page(stored: StoredArticle, plan: Plan, pace: Pace) -> str:
    """The whole page for one planned replay."""
    art = stored.article
    esc = html.escape
    names = {s.comment.index: s.username for s in plan.steps}
    body = [
        f"<h1>Replay preview: {esc(art.title)}</h1>",
        f'<p class="sub">{plural(len(plan.steps), "comment")} as'
        f" {plural(plan.messages, 'message')} in {plural(plan.threads, 'thread')}, mode {plan.mode}, pace {pace}: about"
        f" {duration(plan.eta_seconds(pace))}. Key {esc(art.key)}.</p>",
        '<section class="card">',
        f'<div class="title">{esc(art.title)}</div>',
    ]
    if art.caption:
        body.append(f"<p><em>{esc(art.caption)}</em></p>")
    if art.summary:
        body.append(f"<p>{esc(art.summary)}</p>")
    body.append(f'<p class="counts">{len(art.comments)} comments</p></section>')
    if plan.warnings:
        body.append('<section class="warnings"><strong>Warnings</strong><ul>')
        body += [f"<li>{esc(w)}</li>" for w in plan.warnings]
        body.append("</ul></section>")
    open_thread = False
    if plan.mode is Mode.single:
        body.append(f'<section class="thread"><div class="name">🧵 {esc(art.title)}</div>')
        open_thread = True
    for step in plan.steps:
        if plan.mode is Mode.threads and not step.in_thread and open_thread:
            body.append("</section>")
            open_thread = False
        parent = names.get(step.reply_to, "?") if step.reply_to is not None else None
        for k, part in enumerate(step.parts):
            text = part
            if k == 0 and (parent is not None or step.context):
                text = f"{reply_line(parent, None, step.context)}\n{part}"
            counter = (
                f' <span class="part">({k + 1}/{len(step.parts)})</span>'
                if len(step.parts) > 1
                else ""
            )
            body.append(
                f'<article class="msg" data-seq="{step.seq}">{_avatar(step.avatar_url)}<div>'
                f'<div class="who">{esc(step.username)}<span class="tag">APP</span>{counter}</div>'
                f"{markdown_html(text)}</div></article>"
            )
        if step.opens_thread:
            body.append(
                f'<section class="thread"><div class="name">🧵 {esc(step.opens_thread)}</div>'
            )
            open_thread = True
    if open_thread:
        body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Replay preview: {esc(art.title)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )
