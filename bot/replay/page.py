"""`threadreplay preview KEY --html FILE` and `/replay plan`'s attachment: the replay as one HTML page.

The page shows what members will see: the card, then every message in order, grouped by thread,
each with its avatar, name, subtext line (reply, score, time) and its Discord markdown drawn as
HTML, then the warnings and the ETA. Self-contained: inline CSS, no scripts (the page's own policy
forbids them too); only the avatars load from their service. Pure, like `render`.

Everything from the archive is HTML-escaped before any markup is drawn, so no comment can inject
HTML: the converter knows exactly the Discord markdown the bot writes (`bot.markup`, `render`).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from bot import render
from bot.replay.plan import Plan, reply_line
from bot.replay.preview import duration
from storage.models import Article, Mode, Pace, StoredArticle
from storage.queries import ArticleCounts
from storage.words import plural

_FENCE = re.compile(r"^```([A-Za-z0-9_+#-]*)\s*$")
_HEADING = re.compile(r"^(#{1,3}) (.*)$")
_LIST_ITEM = re.compile(r"^([-*]|(\d{1,9})\.) (.*)$")
_LINE_MARKER = re.compile(r"^(?:> )*(?:-# |\s*(?:[-*]|\d+\.) )?(?:#{1,3} )?")
# Where a `||` is no spoiler mark: escapes, code spans, addresses (read whole, as in `_TOKEN`).
_NOT_MARKS = re.compile(r"\\[!-/:-@\[-`{-~]|``.+?``|`[^`]+`|(?:https?|steam)://[^\s<]+")
_URL_AT_END = re.compile(r"(?<!<)((?:https?|steam)://[^\s<]+)$")
# Read on the raw text, left to right; each match is drawn (escaped) and kept out of the rest.
_TOKEN = re.compile(
    r"\\(?P<esc>[!-/:-@\[-`{-~])"  # a backslash before ASCII punctuation hides itself
    r"|``\s?(?P<code2>.+?)\s?``|`(?P<code>[^`]+)`"
    r"|\[(?P<text>(?:\\.|[^\\\[\]])+)\]\(\s*<?(?P<href>https?://[^\s<>()]+)>?\s*\)"
    r"|<(?P<angled>(?:https?|steam)://[^\s<>]+)>"
    r"|<t:(?P<unix>-?\d{1,12})(?::[tTdDfFR])?>"
    r"|(?P<bare>(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s])",
    re.DOTALL,
)
_STYLES = (  # applied in this order to escaped text
    (re.compile(r"\*\*\*(.+?)\*\*\*", re.DOTALL), "<strong><em>", "</em></strong>"),
    (re.compile(r"\*\*(.+?)\*\*", re.DOTALL), "<strong>", "</strong>"),
    (re.compile(r"__(.+?)__", re.DOTALL), "<u>", "</u>"),
    (re.compile(r"\*(?!\s)(.+?)(?<!\s)\*", re.DOTALL), "<em>", "</em>"),
    (re.compile(r"(?<!\w)_(.+?)_(?!\w)", re.DOTALL), "<em>", "</em>"),
    (re.compile(r"~~(.+?)~~", re.DOTALL), "<s>", "</s>"),
    (re.compile(r"\|\|(.+?)\|\|", re.DOTALL), '<span class="spoiler">', "</span>"),
)
_KEPT = re.compile("\x00(\\d+)\x00")

CSS = """
body{background:#313338;color:#dbdee1;margin:0;padding:24px;
font:16px/1.375 "gg sans","Noto Sans",Helvetica,Arial,sans-serif}
main{max-width:880px;margin:auto}a{color:#00a8fc;text-decoration:none}a:hover{text-decoration:underline}
.banner{color:#949ba4;font-size:13px;border-bottom:1px solid #3f4147;padding-bottom:8px}
.card{border-left:4px solid #5865f2;background:#2b2d31;border-radius:4px;padding:10px 16px;margin:8px 0;max-width:520px}
.card .title{font-weight:600;color:#00a8fc;margin-bottom:6px}.card p{white-space:pre-wrap}
.fields{display:flex;gap:24px;flex-wrap:wrap;margin:8px 0}.fname{color:#f2f3f5;font-size:13px;font-weight:600}
.foot{color:#949ba4;font-size:12px}
.thread{border-left:2px solid #4e5058;margin:6px 0 16px 56px;padding-left:14px}
.thread>.name{color:#f2f3f5;font-weight:600;margin:8px 0}
.msg{display:flex;gap:16px;margin-top:14px}.msg>.body{min-width:0;flex:1}
.avatar{width:40px;height:40px;border-radius:50%;flex:none;object-fit:cover;background:#4e5058}
div.avatar{color:#dbdee1;display:flex;align-items:center;justify-content:center;font-weight:600}
.part{margin:2px 0}.part+.part{border-top:1px dashed #3f4147;padding-top:2px}
.who{font-weight:500;color:#f2f3f5}.tag{background:#5865f2;color:#fff;font-size:10px;font-weight:600;
border-radius:3px;padding:1px 4px;margin:0 4px;vertical-align:2px}.time{color:#949ba4;font-size:12px}
.subtext{color:#949ba4;font-size:13px}.subtext a{color:#949ba4}
blockquote{border-left:4px solid #4e5058;margin:0;padding:0 12px}
pre{background:#2b2d31;border:1px solid #1e1f22;border-radius:4px;padding:8px;margin:4px 0;
white-space:pre-wrap;font:14px/1.3 Consolas,"Courier New",monospace}
code{background:#2b2d31;border-radius:3px;padding:0 3px;font:14px Consolas,"Courier New",monospace}
pre code{padding:0}.spoiler{background:#1e1f22;border-radius:3px;padding:0 2px}
.spoiler:not(:hover),.spoiler:not(:hover) *{color:transparent;background-color:#1e1f22}
h1,h2,h3{color:#f2f3f5;margin:8px 0 4px;line-height:1.2}h1{font-size:24px}h2{font-size:20px}h3{font-size:16px}
p{margin:0;min-height:1em}ul,ol{margin:2px 0;padding-left:24px}
.summary{border-top:1px solid #3f4147;margin-top:24px;padding-top:8px}.warnings li{color:#f0b232}
"""


def _when(unix: int) -> str:
    """A Discord timestamp as the UTC time it names (the raw number when it names none)."""
    try:
        at = datetime.fromtimestamp(unix, UTC)
    except (OverflowError, OSError, ValueError):
        return html.escape(f"<t:{unix}>")
    return f'<time datetime="{at.isoformat()}">{at:%Y-%m-%d %H:%M} UTC</time>'


def _link(href: str, inner: str) -> str:
    return f'<a href="{html.escape(href)}" rel="noopener noreferrer">{inner}</a>'


def inline_html(text: str) -> str:
    """A run of inline Discord markdown as HTML; line breaks become `<br>`."""
    kept: list[str] = []

    def token(m: re.Match[str]) -> str:
        if m["esc"] is not None:
            drawn = html.escape(m["esc"])
        elif m["code2"] is not None or m["code"] is not None:
            drawn = f"<code>{html.escape(m['code2'] or m['code'])}</code>"
        elif m["href"] is not None:
            drawn = _link(m["href"], inline_html(m["text"]))
        elif m["unix"] is not None:
            drawn = _when(int(m["unix"]))
        else:
            url, tail = m["angled"] or m["bare"], ""
            while m["bare"] and url.endswith(")") and url.count("(") < url.count(")"):
                url, tail = url[:-1], ")" + tail  # a bracket closing the text, not the address
            drawn = _link(url, html.escape(url)) + tail
        kept.append(drawn)
        return f"\x00{len(kept) - 1}\x00"

    text = _TOKEN.sub(token, text.replace("\x00", ""))
    text = html.escape(text)  # before any markup: archive text cannot become HTML
    for pattern, start, end in _STYLES:
        text = pattern.sub(f"{start}\\1{end}", text)
    return _KEPT.sub(lambda m: kept[int(m.group(1))], text.replace("\n", "<br>"))


def _balance_spoilers(lines: list[str]) -> list[str]:
    """Close a spoiler at each line end and reopen it on the next line (after its quote, list or
    heading marker), as Discord shows one spoiler over several lines: every line balanced."""
    out: list[str] = []
    spoiler = fence = False
    for line in lines:
        if _FENCE.match(line.lstrip("> ")):
            fence = not fence
            out.append(line)
            continue
        if fence or not line.strip(" >"):
            out.append(line)
            continue
        if spoiler:
            marker = _LINE_MARKER.match(line)
            at = marker.end() if marker else 0
            line = f"{line[:at]}||{line[at:]}"
        spoiler = _NOT_MARKS.sub("", line).count("||") % 2 == 1
        out.append(_URL_AT_END.sub(r"<\1>", line) + "||" if spoiler else line)
    return out


def markdown_html(message: str) -> str:
    """A message's Discord markdown as HTML: the constructs the bot writes, nothing more."""
    return _blocks(_balance_spoilers(message.split("\n")))


def _blocks(lines: list[str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if fence := _FENCE.match(line):
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            lang = f' class="language-{fence.group(1)}"' if fence.group(1) else ""
            code = html.escape("\n".join(lines[i + 1 : j]))
            out.append(f"<pre><code{lang}>{code}</code></pre>")
            i = j + 1
        elif line == ">" or line.startswith("> "):
            j = i
            while j < len(lines) and (lines[j] == ">" or lines[j].startswith("> ")):
                j += 1
            out.append(f"<blockquote>{_blocks([q[2:] for q in lines[i:j]])}</blockquote>")
            i = j
        elif heading := _HEADING.match(line):
            level = len(heading.group(1))
            out.append(f"<h{level}>{inline_html(heading.group(2))}</h{level}>")
            i += 1
        elif line.startswith("-# "):
            out.append(f'<div class="subtext">{inline_html(line[3:])}</div>')
            i += 1
        elif item := _LIST_ITEM.match(line):
            tag = "ol" if item.group(2) else "ul"
            start = f' start="{int(item.group(2))}"' if item.group(2) else ""
            items: list[str] = []
            while i < len(lines) and (item := _LIST_ITEM.match(lines[i])):
                if bool(item.group(2)) != (tag == "ol"):
                    break
                body, i = [item.group(3)], i + 1
                indent = len(item.group(1)) + 1  # continuation lines are indented under the text
                while i < len(lines) and lines[i].startswith(" ") and lines[i].strip():
                    lead = len(lines[i]) - len(lines[i].lstrip(" "))
                    body.append(lines[i][min(lead, indent) :])
                    i += 1
                items.append(f"<li>{_blocks(body)}</li>")
            out.append(f"<{tag}{start}>{''.join(items)}</{tag}>")
        elif not line.strip():
            out.append("<p></p>")  # an empty line keeps its height, as in Discord
            i += 1
        else:
            j = i
            while j < len(lines) and lines[j].strip() and not _starts_block(lines[j]):
                j += 1
            out.append(f"<p>{inline_html(chr(10).join(lines[i:j]))}</p>")
            i = j
    return "".join(out)


def _starts_block(line: str) -> bool:
    return bool(
        _FENCE.match(line)
        or line == ">"
        or line.startswith(("> ", "-# "))
        or _HEADING.match(line)
        or _LIST_ITEM.match(line)
    )


def _counts(article: Article) -> ArticleCounts:
    """The card's numbers from the article itself (when the caller has none from the store)."""
    comments = article.comments
    return ArticleCounts(
        comments=len(comments),
        threads=sum(1 for c in comments if c.parent is None),
        participants=len({c.author for c in comments}),
        spam=sum(1 for c in comments if c.spam),
        deleted=sum(1 for c in comments if c.deleted),
        max_depth=max((c.depth for c in comments), default=0),
    )


def _avatar(url: str | None, name: str) -> str:
    if url and re.match(r"https?://", url):
        return f'<img class="avatar" alt="" src="{html.escape(url)}" referrerpolicy="no-referrer">'
    return f'<div class="avatar" aria-hidden="true">{html.escape(name[:1].upper())}</div>'


def _card(stored: StoredArticle, counts: ArticleCounts) -> str:
    art = stored.article
    title = html.escape(art.title)
    if art.source_url and re.match(r"https?://", art.source_url):
        title = _link(art.source_url, title)
    lines = [f'<section class="card"><div class="title">{title}</div>']
    if art.caption:
        lines.append(f"<p><em>{html.escape(art.caption)}</em></p>")
    if art.summary:
        lines.append(f"<p>{html.escape(art.summary)}</p>")
    fields = (
        ("Comments", counts.comments),
        ("Threads", counts.threads),
        ("Participants", counts.participants),
        ("Flagged as spam", counts.spam),
    )
    lines.append(
        '<div class="fields">'
        + "".join(f'<div><div class="fname">{name}</div>{value}</div>' for name, value in fields)
        + f'</div><div class="foot">key: {html.escape(art.key)}</div></section>'
    )
    return "".join(lines)


def replay_page(
    stored: StoredArticle, plan: Plan, pace: Pace, counts: ArticleCounts | None = None
) -> str:
    """The whole page for one planned replay: a complete, self-contained HTML document."""
    art = stored.article
    esc = html.escape
    names = {s.comment.index: s.username for s in plan.steps}
    body = [
        '<p class="banner">Replay preview: nothing has been posted. Times are shown in UTC.</p>',
        _msg_head(None, "threadreplay", None),
        _card(stored, counts or _counts(art)),
        "</div></article>",
    ]
    thread_open = False
    if plan.mode is Mode.single:
        name = render.clip(art.title, render.THREAD_NAME)  # as the engine names it
        body.append(_thread(name))
        thread_open = True
    for step in plan.steps:
        if plan.mode is Mode.threads and not step.in_thread and thread_open:
            body.append("</section>")
            thread_open = False
        if plan.mode is Mode.threads and step.in_thread and not thread_open:
            body.append(_thread("(thread)"))
            thread_open = True
        parent = names.get(step.reply_to, "?") if step.reply_to is not None else None
        body.append(_msg_head(step.avatar_url, step.username, step.comment.index + 1, step.seq))
        for k, part in enumerate(step.parts):
            text = part
            if k == 0 and (parent is not None or step.context):
                text = f"{reply_line(parent, None, step.context)}\n{part}"
            label = f' title="message {k + 1} of {len(step.parts)}"' if len(step.parts) > 1 else ""
            body.append(f'<div class="part" data-part="{k}"{label}>{markdown_html(text)}</div>')
        body.append("</div></article>")
        if step.opens_thread:
            body.append(_thread(step.opens_thread))
            thread_open = True
    if thread_open:
        body.append("</section>")
    body.append(
        f'<section class="summary"><p>mode {plan.mode.value}, pace {pace.value}: '
        f"{plural(len(plan.steps), 'comment')} → {plural(plan.messages, 'message')}, "
        f"{plural(plan.threads, 'thread')}, about {duration(plan.eta_seconds(pace))}</p>"
    )
    if plan.warnings:
        body.append('<ul class="warnings">')
        body += [f"<li>{esc(w)}</li>" for w in plan.warnings]
        body.append("</ul>")
    body.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';'
        " img-src https: http: data:; style-src 'unsafe-inline'\">"
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Replay preview: {esc(art.title)}</title><style>{CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def _thread(name: str) -> str:
    """The opening of one thread's section, with its name (closed by the caller)."""
    return f'<section class="thread"><div class="name"><span class="tag">THREAD</span>{html.escape(name)}</div>'


def _msg_head(avatar: str | None, name: str, number: int | None, seq: int | None = None) -> str:
    """The opening of one message group: avatar, name with the APP tag and the comment's number
    (as the warnings and `threadreplay preview` count); left open for its parts."""
    data = f' data-seq="{seq}"' if seq is not None else ""
    label = f' <span class="time">comment #{number}</span>' if number is not None else ""
    return (
        f'<article class="msg"{data}>{_avatar(avatar, name)}<div class="body">'
        f'<div><span class="who">{html.escape(name)}</span><span class="tag">APP</span>{label}</div>'
    )
