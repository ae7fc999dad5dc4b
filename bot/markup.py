"""The source's own formatting as Discord markdown: Disqus and Hacker News HTML, Reddit's markdown.

Pure, like `render`. Only the constructs we know are written as Discord markdown (bold, italic,
underline, strikethrough, inline code, code blocks, quotes, lists, links, spoilers, headings,
images); every piece of text between them is escaped by `render.escape`, so archive text still
shows literally, cannot ping and cannot break out of its message. Reddit's markdown is read by
markdown-it (CommonMark, raw HTML off) and its HTML goes through the same converter.

`split` cuts a rendered comment into messages: a code block cut in two is closed and reopened with
its language, a quote keeps its marker on both sides, and a spoiler open at a cut is closed and
reopened, so every message has balanced markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt

from bot import render
from storage.parsers.htmltext import unescape_fully

MAX_NESTING = 48  # deeper tags are read as their text: hostile input cannot recurse us to death

_VOID = frozenset({"br", "img", "hr", "wbr", "input", "meta", "link", "source"})
_HIDDEN = frozenset({"script", "style", "template", "head", "title", "noscript"})
_BLOCKS = frozenset(
    {
        "p", "div", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead",
        "tbody", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section", "article", "header",
        "footer", "figure", "figcaption", "aside", "details", "summary",
    }
)  # fmt: skip
_WRAP = {
    "b": "**", "strong": "**", "i": "*", "em": "*", "cite": "*", "u": "__", "ins": "__",
    "s": "~~", "strike": "~~", "del": "~~", "spoiler": "||",
}  # fmt: skip
_SPACES = re.compile(r"\s+")
_LANGUAGE = re.compile(r"(?:language-|lang-)([A-Za-z0-9_+#-]{1,20})")
_URL_END = re.compile(r"(?:https?|steam)://[^\s<]+$")
_LOOKS_LIKE_ADDRESS = re.compile(
    r"^\s*(?:[a-z][a-z0-9+.-]*://|www\.)\S*\s*$|^\s*[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:[/:?#]\S*)?\s*$",
    re.IGNORECASE,
)
_FENCE_LINE = re.compile(r"^((?:> )*)```")
_QUOTE_PREFIX = re.compile(r"^(?:> )+")
# Reddit's spoilers, `>!text!<`, become these private-use marks before markdown-it reads the text
# (which would otherwise see a quote), and `||` after escaping.
_SPOILER_OPEN, _SPOILER_CLOSE = "\ue000", "\ue001"
_REDDIT_SPOILER = re.compile(r">!(?=\S)(.+?)!<")

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """A forgiving DOM: unknown end tags are ignored, `<p>`/`<li>` close their open sibling, blocks
    close an open `<p>`, and nesting past MAX_NESTING adds text only."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]
        self.hidden = 0
        self.too_deep = 0
        self.pending: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.flush()
        if tag in _HIDDEN:
            self.hidden += 1
            return
        if tag in _BLOCKS and any(n.tag == "p" for n in self.stack):
            self._close("p")
        if tag == "li":
            self._close("li", stop_at=("ul", "ol"))
        node = _Node(tag, {k: v for k, v in attrs if v is not None})
        if len(self.stack) > MAX_NESTING:
            if tag not in _VOID:
                self.too_deep += 1
            return
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and tag not in _HIDDEN:
            self.handle_endtag(tag)
        elif tag in _HIDDEN:
            self.hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        self.flush()
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif self.too_deep:
            self.too_deep -= 1
        else:
            self._close(tag)

    def _close(self, tag: str, stop_at: tuple[str, ...] = ()) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag in stop_at:
                return
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        # html.parser hands text over in pieces ("<" apart from "@123>"): they are joined before
        # the next tag, so escaping sees the whole run and no mention survives between pieces.
        if not self.hidden:
            self.pending.append(data)

    def flush(self) -> None:
        """Add the text read since the last tag as one piece."""
        if self.pending:
            self.stack[-1].children.append("".join(self.pending))
            self.pending.clear()


def _parse(html: str) -> _Node:
    builder = _TreeBuilder()
    try:
        builder.feed(html)
        builder.close()
        builder.flush()
    except AssertionError:  # html.parser still asserts on a few malformed declarations
        return _Node("root", children=[_SPACES.sub(" ", re.sub(r"<[^>]*>", " ", html))])
    return builder.root


def _text_of(node: _Node | str) -> str:
    """All text under a node, as is (for code and for comparing a link's text with its address)."""
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return "\n"
    return "".join(_text_of(c) for c in node.children)


def _safe_url(url: str) -> str | None:
    """An http(s) address Discord shows as a link and that cannot end a link early or mention."""
    url = unescape_fully(url).strip()
    if not re.match(r"https?://[^\s/?#]+", url, re.IGNORECASE) or len(url) > 1500:
        return None
    for char, code in (
        (" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), ("|", "%7C"),
        ("`", "%60"), ('"', "%22"),
    ):  # fmt: skip
        url = url.replace(char, code)
    url = re.sub(r"[\x00-\x1f\x7f\s]", "", url)
    return re.sub(r"@(?=everyone|here)", "%40", url, flags=re.IGNORECASE)


def _guard_url_end(text: str) -> str:
    """A bare link at the very end of `text` in `<…>`: a marker written right after it would
    otherwise be read by Discord as part of the address."""
    m = _URL_END.search(text)
    if m is None:
        return text
    return f"{text[: m.start()]}<{m.group()}>"


def _wrap(inner: str, marker: str) -> str:
    """`inner` between `marker`s, with its outer white space kept outside them."""
    core = inner.strip()
    if not core:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()) :]
    return f"{lead}{marker}{_guard_url_end(core)}{marker}{trail}"


def _escape_text(text: str) -> str:
    return render.escape(text).replace(_SPOILER_OPEN, "||").replace(_SPOILER_CLOSE, "||")


def _code_span(text: str) -> str:
    text = text.replace(_SPOILER_OPEN, "").replace(_SPOILER_CLOSE, "")
    if not text.strip():
        return text
    return render.code(text).replace("||", "|\u200b|")


class _Writer:
    """Walks the DOM and writes Discord markdown lines."""

    def inline(self, node: _Node | str, pre: bool = False) -> str:
        if isinstance(node, str):
            return _escape_text(_SPACES.sub(" ", node))
        tag = node.tag
        if tag == "br":
            return "\n"
        if tag == "img":
            return self.image(node)
        if tag == "code" or tag == "tt" or tag == "kbd" or tag == "samp":
            return _code_span(" ".join(_text_of(node).split()))
        if tag == "a":
            return self.link(node)
        if tag == "pre":
            return "\n" + "\n".join(self.code_block(node)) + "\n"
        inner = "".join(self.inline(c) for c in node.children)
        if tag in _WRAP:
            return _wrap(inner, _WRAP[tag])
        if tag == "span" and "spoiler" in node.attrs.get("class", ""):
            return _wrap(inner, "||")
        if tag in _BLOCKS:
            return f"\n{inner}\n"
        return inner

    def image(self, node: _Node) -> str:
        url = _safe_url(node.attrs.get("src", ""))
        if url is None:
            alt = node.attrs.get("alt", "").strip()
            return _escape_text(f"[image: {alt}]") if alt else ""
        return f"\n{url}\n"  # a direct image link on its own line: Discord shows the image

    def link(self, node: _Node) -> str:
        shown = " ".join(_text_of(node).split())
        url = _safe_url(node.attrs.get("href", ""))
        if url is None:  # mailto:, javascript:, relative: the words only
            return "".join(self.inline(c) for c in node.children)
        if not shown or _same_address(shown, url):
            return url
        if _LOOKS_LIKE_ADDRESS.match(shown):
            return url  # text that looks like an address shows where the link really goes
        if "://" in shown:
            return f"{_escape_text(shown)} → {url}"
        words = "".join(self.inline(c) for c in node.children if not _has_image(c))
        words = " ".join(words.replace("\n", " ").split())
        if not words:
            return url
        return f"[{words}]({url})"

    def code_block(self, node: _Node) -> list[str]:
        code_node = next(
            (c for c in node.children if isinstance(c, _Node) and c.tag == "code"), None
        )
        classes = " ".join(n.attrs.get("class", "") for n in (node, code_node) if n is not None)
        lang = m.group(1) if (m := _LANGUAGE.search(classes)) else ""
        text = _text_of(node).replace(_SPOILER_OPEN, "").replace(_SPOILER_CLOSE, "")
        text = text.removeprefix("\n").rstrip()
        if not text.strip():
            return []
        text = text.replace("```", "``\u200b`")
        return [f"```{lang}", *text.split("\n"), "```"]

    def blocks(self, children: list[_Node | str]) -> list[str]:
        """The lines of a run of block and inline content, blocks separated by a blank line."""
        out: list[list[str]] = []
        buffer: list[str] = []

        def flush() -> None:
            if buffer:
                lines = [line.strip() for line in "".join(buffer).split("\n")]
                out.append(_squeeze(lines))
                buffer.clear()

        for child in children:
            if isinstance(child, _Node) and (child.tag in _BLOCKS or child.tag == "br"):
                if child.tag == "br":
                    buffer.append("\n")
                    continue
                flush()
                out.append(self.block(child))
            else:
                buffer.append(self.inline(child))
        flush()
        lines: list[str] = []
        for block in out:
            if not block:
                continue
            if lines:
                lines.append("")
            lines.extend(block)
        return lines

    def block(self, node: _Node) -> list[str]:
        tag = node.tag
        if tag == "pre":
            return self.code_block(node)
        if tag in ("h1", "h2", "h3"):
            title = " ".join("".join(self.inline(c) for c in node.children).split())
            return [f"{'#' * int(tag[1])} {title}"] if title else []
        if tag in ("h4", "h5", "h6"):
            title = " ".join("".join(self.inline(c) for c in node.children).split())
            return [_wrap(title, "**")] if title else []
        if tag == "blockquote":
            return [f"> {line}" if line else "> " for line in self.blocks(node.children)]
        if tag in ("ul", "ol"):
            return self.list_lines(node)
        if tag == "hr":
            return ["───"]
        if tag == "tr":
            cells = [
                " ".join("".join(self.inline(c) for c in cell.children).split())
                for cell in node.children
                if isinstance(cell, _Node)
            ]
            return [" | ".join(cells)] if any(cells) else []
        if tag in ("table", "thead", "tbody"):
            return [line for line in self.blocks(node.children) if line]
        return self.blocks(node.children)

    def list_lines(self, node: _Node) -> list[str]:
        start = node.attrs.get("start", "1")
        number = int(start) if start.isdigit() and len(start) < 9 else 1
        lines: list[str] = []
        for child in node.children:
            if isinstance(child, str):
                if child.strip():
                    lines.append(f"- {_escape_text(child.strip())}")
                continue
            body = [
                line
                for line in self.blocks(child.children if child.tag == "li" else [child])
                if line
            ]
            if not body:
                continue
            marker = f"{number}. " if node.tag == "ol" else "- "
            number += 1
            indent = " " * len(marker)
            lines.append(marker + body[0])
            lines.extend(indent + line for line in body[1:])
        return lines


def _has_image(node: _Node | str) -> bool:
    return isinstance(node, _Node) and (
        node.tag == "img" or any(_has_image(c) for c in node.children)
    )


def _squeeze(lines: list[str]) -> list[str]:
    """Lines without leading/trailing blanks and with runs of blank lines cut to one."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def _bare(url: str) -> str:
    url = re.sub(r"^(?:https?://)", "", url.strip(), flags=re.IGNORECASE)
    return url.removeprefix("www.").rstrip("/").casefold()


def _same_address(text: str, href: str) -> bool:
    return _bare(text) == _bare(href) or _bare(text).rstrip(".…") == _bare(href)


def from_html(html: str) -> str:
    """Discord markdown for an HTML fragment (Disqus messages, Hacker News text)."""
    return _convert(html.replace(_SPOILER_OPEN, "").replace(_SPOILER_CLOSE, ""))


def _convert(html: str) -> str:
    return "\n".join(_Writer().blocks(_parse(html).children)).strip("\n")


def from_markdown(text: str) -> str:
    """Discord markdown for Reddit's markdown (spoilers `>!…!<` included)."""
    text = text.replace(_SPOILER_OPEN, "").replace(_SPOILER_CLOSE, "")
    text = _REDDIT_SPOILER.sub(lambda m: f"{_SPOILER_OPEN}{m.group(1)}{_SPOILER_CLOSE}", text)
    return _convert(_MARKDOWN.render(text))


# ---- splitting ------------------------------------------------------------------------------


def _spoiler_marks(line: str) -> int:
    return line.count("||")


def split(text: str, limit: int = render.MESSAGE_CONTENT) -> list[str]:
    """Cut rendered markdown into messages of at most `limit` characters with balanced markup."""
    out: list[str] = []
    lines: list[str] = []
    size = 0
    fence: tuple[str, str] | None = None  # (quote prefix, opening line) of an open code block
    spoiler_open = False  # a spoiler opened in the current message and not yet closed
    reserve = 24  # room for the closing fence and spoiler marks

    def flush() -> None:
        nonlocal lines, size, spoiler_open
        if not lines:
            return
        if spoiler_open:
            _close_spoiler(lines)
        if fence is not None:
            lines.append(f"{fence[0]}```")
        out.append("\n".join(lines).strip("\n"))
        reopened = spoiler_open
        lines, size = [], 0
        if fence is not None:
            lines.append(fence[1])
            size = len(fence[1]) + 1
        spoiler_open = False
        if reopened:
            pending_spoiler[0] = True

    pending_spoiler = [False]
    for raw in text.split("\n"):
        prefix = _QUOTE_PREFIX.match(raw)
        quote = prefix.group() if prefix else ""
        fence_mark = _FENCE_LINE.match(raw)
        room = limit - reserve - len(quote) - 4
        if fence is None and not fence_mark and len(raw) > room:
            pieces = [quote + p for p in render.split_text(raw[len(quote) :], room)]
        elif fence is not None and len(raw) > room:
            body = raw[len(quote) :]
            pieces = [quote + body[i : i + room] for i in range(0, len(body), room)]
        else:
            pieces = [raw]
        for piece in pieces:
            if lines and size + len(piece) + 1 + reserve > limit:
                flush()
            if pending_spoiler[0] and fence is None and not fence_mark:
                piece = _reopen_spoiler(piece)
                pending_spoiler[0] = False
            lines.append(piece)
            size += len(piece) + 1
            if fence_mark:
                continue
            if fence is None and _spoiler_marks(piece) % 2:
                spoiler_open = not spoiler_open
        if fence_mark:
            fence = None if fence is not None else (fence_mark.group(1), raw)
    if fence is not None:  # never left open, whatever the input
        lines.append(f"{fence[0]}```")
        fence = None
    if spoiler_open:
        _close_spoiler(lines)
        spoiler_open = False
    if lines:
        out.append("\n".join(lines).strip("\n"))
    return [part for part in out if part.strip()]


def _close_spoiler(lines: list[str]) -> None:
    for i in range(len(lines) - 1, -1, -1):
        if not _FENCE_LINE.match(lines[i]):
            lines[i] = _guard_url_end(lines[i]) + "||"
            return


_LINE_MARKER = re.compile(r"^(?:> )*(?:\s*(?:[-*]|\d+\.) )?(?:#{1,3} )?")


def _reopen_spoiler(line: str) -> str:
    marker = _LINE_MARKER.match(line)
    at = marker.end() if marker else 0
    return f"{line[:at]}||{line[at:]}"
