"""Pure rendering: models -> Discord payloads. Owns every Discord limit; never awaits, never truncates silently.

Archive text is untrusted: it is escaped so that it shows literally (no markdown, no mentions, no
breaking out of a spoiler or code span) and every message also carries AllowedMentions.none().
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import discord

from storage.feed import GuildSettings
from storage.models import ArticleSummary, Comment, StoredArticle
from storage.queries import HIT_END, HIT_START, ArticleCounts, CorpusStats, SearchHit
from storage.words import plural

# Discord's limits (https://discord.com/developers/docs/resources/message, .../channel#embed-limits).
MESSAGE_CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
CARD_KEY = "key: "  # a card's footer: which article it shows (see `card_key`)
EMBED_AUTHOR = 256
EMBED_TOTAL = 6000
THREAD_NAME = 100
WEBHOOK_USERNAME = 80
BUTTON_LABEL = 80
CUSTOM_ID = 100
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100

ELLIPSIS = "…"
TREE_INDENT = 12  # deepest indentation of /article tree; deeper replies show their depth instead
COLOUR = discord.Colour.from_rgb(88, 101, 242)
NO_MENTIONS = discord.AllowedMentions.none()

_RAW_MENTION = re.compile(r"<(?=[@#/:]|a:|t:|id:)")
_MASS_MENTION = re.compile(r"@(?=everyone|here)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


# A bare link, as Discord autolinks it (the shape discord.py's escape_markdown uses): left untouched,
# so it stays clickable; markdown inside a bare link is not parsed by Discord anyway.
_BARE_URL = re.compile(r"(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]")
_LINK_TAIL = re.compile(r"[.,:;\"'\]]+")
# Characters with meaning anywhere in a line: emphasis, strike, code, spoilers, masked links.
_INLINE = re.compile(r"([\\*_~`|\[\]])")
# Markup that means something at the start of a line, and so at the start of any word: a message
# split into parts at a space starts a part there (quotes, headings, subtext, lists).
_WORD_START = re.compile(r"(?:(?<=\s)|^)([>#-]|\d+\.(?=\s))")


def _escape_plain(text: str) -> str:
    text = _INLINE.sub(r"\\\1", text)
    return _WORD_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], text)


def escape(text: str) -> str:
    """Show archive text literally: every markdown character escaped (outside bare links), mentions
    and raw `<@…>` forms defused.

    Not discord.utils.escape_markdown: its pattern for masked links swallows the rest of the line, so
    in `[x](y) [click](https://evil) **bold**` only the first `[` was escaped. A backslash before
    ASCII punctuation is invisible in Discord, so escaping every such character shows the text as is.
    """
    out: list[str] = []
    pos = 0
    for link in _BARE_URL.finditer(text):
        out += [_escape_plain(text[pos : link.start()]), link.group()]
        pos = link.end()
        # What follows a link up to the next space can only be the characters a link may not end
        # with; a "\]" there would become part of the link, and a lone "]" opens nothing.
        tail = _LINK_TAIL.match(text, pos)
        if tail:
            out.append(tail.group())
            pos = tail.end()
        if text.startswith("<", pos):
            # The "\\" that defuses this "<" would be taken into the link: close the link with
            # Discord's <address> form instead (shown the same, without a preview).
            out[-1 - bool(tail)] = f"<{link.group()}>"
    out.append(_escape_plain(text[pos:]))
    text = _RAW_MENTION.sub(r"\\<", "".join(out))
    # A "||" inside a bare link must not close a spoiler.
    text = re.sub(r"\|(?=\|)", "|\u200b", text)  # no two pipes in a row, however many there are
    return _MASS_MENTION.sub("@\u200b", text)


def code(text: str) -> str:
    """`text` as an inline code span, shown exactly (no escaping applies inside one): a double
    backtick fence when the text holds a backtick, line breaks shown as spaces."""
    text = " ".join(text.splitlines())
    if "`" not in text:
        return f"`{text}`"
    fenced = re.sub("`(?=`)", "`\u200b", text)  # no two backticks in a row can close the span
    return f"`` {fenced} ``"


def shown(text: str, limit: int) -> str:
    """Archive text escaped and clipped to `limit`: only what can be shown is escaped, so a 20 MB
    title costs no more than a short one (escaping never shortens text, so the cut still shows)."""
    return clip(escape(text[: limit + 1]), limit)


def clip(text: str, limit: int) -> str:
    """Fit `text` into `limit` characters, cutting at a word and marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return _safe_end(cut).rstrip() + ELLIPSIS


def _safe_end(chunk: str) -> str:
    """Drop a dangling escape backslash or a lone combining mark left at the end of a cut."""
    while chunk and (unicodedata.combining(chunk[-1]) or chunk[-1] == "\u200d"):
        chunk = chunk[:-1]
    trailing = len(chunk) - len(chunk.rstrip("\\"))
    if trailing % 2:
        chunk = chunk[:-1]
    return chunk


def _hard_split(text: str, limit: int) -> list[str]:
    """Split a single unbreakable run (a huge word) into pieces, never inside an escape or a mark."""
    parts: list[str] = []
    while len(text) > limit:
        piece = _safe_end(text[:limit]) or text[:limit]
        parts.append(piece)
        text = text[len(piece) :]
    return [*parts, text] if text else parts


def split_text(text: str, limit: int = MESSAGE_CONTENT) -> list[str]:
    """Split text into pieces of at most `limit` chars at paragraph, line, sentence, then word breaks.

    Nothing is dropped but the white space at a break: joining the pieces with the break gives the text.
    """
    if len(text) <= limit:
        return [text]
    for pattern in (r"\n\n", r"\n", _SENTENCE_END.pattern, r" "):
        pieces = re.split(f"({pattern})", text)
        if len(pieces) == 1:
            continue
        chunks: list[str] = []
        current = ""
        for i in range(0, len(pieces), 2):
            part = pieces[i]
            sep = pieces[i - 1] if i else ""
            if current and len(current) + len(sep) + len(part) <= limit:
                current += sep + part
                continue
            if current:
                chunks.append(current)
            if len(part) > limit:
                sub = split_text(part, limit)
                chunks.extend(sub[:-1])
                current = sub[-1]
            else:
                current = part
        if current:
            chunks.append(current)
        return [c for c in chunks if c.strip()]
    return _hard_split(text, limit)


def article_card(stored: StoredArticle, counts: ArticleCounts) -> discord.Embed:
    """The article card: title, caption, summary and the discussion's numbers."""
    art = stored.article
    lines = []
    if art.caption:
        lines.append(f"*{escape(art.caption)}*")
    if art.summary:
        lines.append(escape(art.summary))
    description = clip("\n\n".join(lines), EMBED_DESCRIPTION) if lines else None
    embed = discord.Embed(
        title=shown(art.title, EMBED_TITLE),
        description=description,
        colour=COLOUR,
        url=art.source_url or None,
    )
    embed.add_field(name="Comments", value=str(counts.comments))
    embed.add_field(name="Threads", value=str(counts.threads))
    embed.add_field(name="Participants", value=str(counts.participants))
    embed.add_field(name="Flagged as spam", value=str(counts.spam))
    embed.set_footer(text=clip(f"{CARD_KEY}{art.key}", EMBED_FOOTER))
    return embed


def card_key(message: discord.Message) -> str | None:
    """The key of the article a card shows (its footer says it), or None for any other message.

    This is how a card posted before a crash is recognised when the bot reads the channel back.
    """
    for embed in message.embeds:
        text = embed.footer.text or ""
        if text.startswith(CARD_KEY):
            return text[len(CARD_KEY) :]
    return None


def article_list_pages(items: Sequence[ArticleSummary], total: int, per_page: int) -> list[str]:
    """`/article list` as pages of lines: title, comment count, key."""
    lines = [
        f"**{shown(a.title, 200)}**\n{plural(a.comment_count, 'comment')} · `{a.key}`"
        for a in items
    ]
    pages = ["\n\n".join(lines[i : i + per_page]) for i in range(0, len(lines), per_page)] or [
        "No articles are stored yet. An admin can load some with `/replayadmin reload`."
    ]
    return [clip(p, EMBED_DESCRIPTION) for p in pages]


def _snippet(text: str) -> str:
    """A search snippet, escaped, with the matched words in bold."""
    return escape(text).replace(HIT_START, "**").replace(HIT_END, "**")


def search_embed(query: str, hits: Sequence[SearchHit]) -> discord.Embed:
    """`/article search` results: one field per hit; hits that do not fit are counted, not dropped."""
    embed = discord.Embed(title=clip(f"Search: {query}", EMBED_TITLE), colour=COLOUR)
    if not hits:
        embed.description = "Nothing matched. Try fewer or different words."
        return embed
    listed = 0
    for hit in hits:
        who = f"{hit.author} on " if hit.author else ""
        name = shown(f"{who}{hit.title}", EMBED_FIELD_NAME)
        value = clip(f"{_snippet(hit.snippet)}\n`{hit.key}`", EMBED_FIELD_VALUE)
        if listed + 1 >= EMBED_FIELDS or len(embed) + len(name) + len(value) > EMBED_TOTAL - 200:
            break
        embed.add_field(name=name, value=value, inline=False)
        listed += 1
    if listed < len(hits):
        embed.set_footer(text=f"{len(hits) - listed} more results not shown: refine the query.")
    return embed


def stats_embed(stats: CorpusStats) -> discord.Embed:
    """`/article stats`: totals, top commenters and the deepest thread."""
    embed = discord.Embed(title="threadreplay statistics", colour=COLOUR)
    embed.add_field(name="Articles", value=str(stats.articles))
    embed.add_field(name="Comments", value=str(stats.comments))
    embed.add_field(name="Authors", value=str(stats.authors))
    embed.add_field(name="Flagged as spam", value=str(stats.spam))
    embed.add_field(name="Deleted", value=str(stats.deleted))
    top = "\n".join(
        f"{i}. {shown(t.author, 80)} — {t.comments}" for i, t in enumerate(stats.top_commenters, 1)
    )
    embed.add_field(
        name="Top commenters", value=clip(top or "none yet", EMBED_FIELD_VALUE), inline=False
    )
    if stats.deepest_key:
        levels = plural(stats.deepest_depth, "level")
        deepest = f"{levels} in {escape(stats.deepest_title or '')} (`{stats.deepest_key}`)"
        embed.add_field(name="Deepest thread", value=clip(deepest, EMBED_FIELD_VALUE), inline=False)
    return embed


def tree_lines(comments: Sequence[Comment]) -> list[str]:
    """The comment tree as an outline, one line per comment, indented by depth."""
    lines = []
    for c in comments:
        first = " ".join(c.text.split())
        mark = " ⚠ spam" if c.spam else (" (deleted)" if c.deleted else "")
        lead = (
            "\u2003" * c.depth + ("• " if c.depth == 0 else "↳ ")
            if c.depth <= TREE_INDENT
            else "\u2003" * TREE_INDENT + f"↳ [{c.depth}] "  # a deep chain stays readable and small
        )
        lines.append(f"{lead}**{shown(c.author, 80)}**{mark} — {shown(first, 90)}")
    return lines


def tree_pages(comments: Sequence[Comment]) -> list[str]:
    """`/article tree` as pages: the outline, or a line saying there are no comments."""
    return paginate(tree_lines(comments) or ["This article has no comments."])


def paginate(lines: Sequence[str], limit: int = EMBED_DESCRIPTION) -> list[str]:
    """Group lines into pages of at most `limit` characters (a line longer than a page is split)."""
    pages: list[str] = []
    current = ""
    for line in lines:
        for piece in split_text(line, limit):
            if current and len(current) + 1 + len(piece) > limit:
                pages.append(current)
                current = ""
            current = f"{current}\n{piece}" if current else piece
    if current:
        pages.append(current)
    return pages


def page_embed(title: str, pages: Sequence[str], index: int) -> discord.Embed:
    """Page `index` of a paged text, with its position in the footer."""
    embed = discord.Embed(title=clip(title, EMBED_TITLE), description=pages[index], colour=COLOUR)
    if len(pages) > 1:
        embed.set_footer(text=f"Page {index + 1}/{len(pages)}")
    return embed


def choice_name(summary: ArticleSummary) -> str:
    """An autocomplete choice label: title and key, within Discord's 100 characters."""
    suffix = f" ({summary.key})"
    if len(suffix) > CHOICE_NAME // 2:
        suffix = ""
    return clip(summary.title, CHOICE_NAME - len(suffix)) + suffix


def load_report_text(added: int, updated: int, unchanged: int, failed: Sequence[str]) -> str:
    """The admin reload answer: totals, then each failure (paged by the caller if long)."""
    head = f"**Reload finished:** {added} added, {updated} updated, {unchanged} unchanged, {len(failed)} failed."
    if not failed:
        return head
    return head + "\n" + "\n".join(f"• {escape(reason)}" for reason in failed)


def settings_text(settings: GuildSettings, *, changed: bool) -> str:
    """`/replayadmin config`: a server's feed settings, one per line."""
    channel = (
        f"<#{settings.announce_channel_id}>"
        if settings.announce_channel_id
        else "not set (no announcements)"
    )
    role = (
        f"<@&{settings.admin_role_id}>"
        if settings.admin_role_id
        else "none (Manage Server, owners)"
    )
    head = "Settings saved." if changed else "Current settings (give options to change them):"
    return "\n".join(
        [
            head,
            f"• announce channel: {channel}",
            f"• auto-replay: {settings.auto_replay}",
            f"• pace of auto-replays: {settings.pace}",
            f"• include spam: {'yes' if settings.include_spam else 'no'}",
            f"• admin role: {role}",
            f"• link previews under replayed comments: {'on' if settings.link_previews else 'off'}",
        ]
    )
