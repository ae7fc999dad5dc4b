"""The source's own formatting as Discord markdown: Disqus and Hacker News HTML, Reddit's markdown.

Pure, like `render`. Only the constructs we know are written as Discord markdown (bold, italic,
underline, strikethrough, inline code, code blocks, quotes, lists, links, spoilers, headings,
images); every piece of text between them is escaped by `render.escape`, so archive text still
shows literally, cannot ping and cannot break out of its message. Reddit's markdown is read by
markdown-it (CommonMark, raw HTML off) and its HTML goes through the same converter.

Pieces written separately are joined so that their meeting point means nothing new: no mention
made of two halves (`<` + `@1>`), no two markers run together (`*a*` + `*b*`), no bare link that
swallows what follows it. Markup never holds a block: a `<b>` or a spoiler around paragraphs or
code is written line by line, outside the code.

`split` cuts a rendered comment into messages: a code block cut in two is closed and reopened with
its language, a quote keeps its marker on both sides, a spoiler open at a cut is closed and
reopened, and a line is cut between words, never inside an inline code span or an escape, so every
message has balanced markup.
"""

from __future__ import annotations

import bisect
import contextlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock

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
_CODE_TAGS = frozenset({"code", "tt", "kbd", "samp"})
_SPACES = re.compile(r"\s+")
_LANGUAGE = re.compile(r"(?:language-|lang-)([A-Za-z0-9_+#-]{1,20})")
_LOOKS_LIKE_ADDRESS = re.compile(
    r"^\s*(?:[a-z][a-z0-9+.-]*://|www\.)\S*\s*$|^\s*[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:[/:?#]\S*)?\s*$",
    re.IGNORECASE,
)
_FENCE_LINE = re.compile(r"^((?:> )*)```")
_QUOTE_PREFIX = re.compile(r"^ *(?:> )+")
# What starts a line before its words: indentation, quote markers, a list marker, a heading.
_LINE_MARKER = re.compile(r"^ *(?:> )*(?: *(?:[-*]|\d+\.) )?(?:#{1,3} )?")
_ZWSP = "\u200b"
_ESCAPE_OR_BACKTICK = re.compile(r"\\.|`", re.DOTALL)
# Text render.escape leaves as it is: no markdown, mention, list, quote or link character.
_PLAIN = re.compile(r"[^\\*_~`|\[\]>#<@:0-9-]*")

# Reddit's spoilers, `>!text!<`, become these private-use marks before markdown-it reads the text
# (which would otherwise see a quote), and `<spoiler>` tags in the HTML it writes.
_SPOILER_OPEN, _SPOILER_CLOSE = "\ue000", "\ue001"
_MD_FENCE = re.compile(r"^(?:[ \t]*>)*[ \t]*(`{3,}|~{3,})")
_BACKTICKS = re.compile(r"`+")
_HTML_CODE = re.compile(r"<code[^>]*>.*?</code>", re.DOTALL)
_MD_DEEP = 16  # markdown-it drops what is nested past its maxNesting (20): deeper is read as text

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])

# Joining pieces: what may not be made of two halves, what may not touch its twin.
# (A lookahead, so that `<@` does not hide the `@everyone` it overlaps.)
_JOIN_MENTION = re.compile(r"(?=(@(?:everyone|here)|<(?:[@#/:]|a:|t:|id:)))")
_MARKER_CHARS = frozenset("*_~|`")
_SCHEME = re.compile(r"(?:https?|steam)://", re.IGNORECASE)
_URL_RUN = re.compile(r"[^\s<]*")
_URL_SCAN = 4096  # a longer bare link cannot sit in one message with what follows it
_LINK_TAIL_CHARS = ".,:;\"')]"
# What may follow a bare link without becoming part of it: a space or `<`, maybe after punctuation
# Discord leaves out of a link (`https://x.example, and`), or punctuation only (for now).
_ENDS_LINK = re.compile(r"[.,:;\"')\]]*(?:[\s<]|\Z)")


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    """A forgiving DOM: unknown end tags are ignored, `<p>`/`<li>` close their open sibling, blocks
    close an open `<p>`, and nesting past MAX_NESTING adds text only."""

    def __init__(self, unescape: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]
        self.hidden = 0
        self.too_deep = 0
        self.unescape = unescape
        self.text: list[str] = []  # text not yet added: html.parser hands it over in pieces

    def add_text(self) -> None:
        """The text read since the last tag, as one string: html.parser hands `<@1>` over as `<`
        and `@1>`, and each half escaped alone would leave a live mention."""
        if self.text:
            data = "".join(self.text)
            self.text.clear()
            # Disqus exports from WordPress encode entities twice (`&amp;#8220;`): decoded until
            # nothing changes, as the plain text is (storage.parsers.htmltext).
            self.stack[-1].children.append(unescape_fully(data) if self.unescape else data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.add_text()
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
        self.add_text()
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
        if not self.hidden:
            self.text.append(data)

    def close(self) -> None:
        super().close()
        self.add_text()


def _parse(html: str, unescape: bool = False) -> _Node:
    builder = _TreeBuilder(unescape)
    try:
        builder.feed(html)
        builder.close()
    except AssertionError:  # html.parser still asserts on a few malformed declarations
        text = _SPACES.sub(" ", re.sub(r"<[^>]*>", " ", html))
        return _Node("root", children=[unescape_fully(text) if unescape else text])
    return builder.root


def _text_of(node: _Node | str) -> str:
    """All text under a node, as is (for code and for comparing a link's text with its address)."""
    if isinstance(node, str):
        return node
    if node.tag == "br":
        return "\n"
    return "".join(_text_of(c) for c in node.children)


def _images(node: _Node) -> list[_Node]:
    """The `<img>` tags under a node, in order."""
    found: list[_Node] = []
    for child in node.children:
        if isinstance(child, _Node):
            found.extend([child] if child.tag == "img" else _images(child))
    return found


def _safe_url(url: str) -> str | None:
    """An http(s) address Discord shows as a link and that cannot end a link early or mention."""
    url = unescape_fully(url).strip()
    if not re.match(r"https?://[^\s/?#]+", url, re.IGNORECASE) or len(url) > 1500:
        return None
    for char, code in (
        (" ", "%20"), ("(", "%28"), (")", "%29"), ("<", "%3C"), (">", "%3E"), ("|", "%7C"),
        ("`", "%60"), ('"', "%22"), ("\\", "%5C"),
    ):  # fmt: skip
        url = url.replace(char, code)
    url = re.sub(r"[\x00-\x1f\x7f\s]", "", url)
    return re.sub(r"@(?=everyone|here)", "%40", url, flags=re.IGNORECASE)


def _live_url_start(text: str) -> int | None:
    """Where a bare link running to the very end of `text` starts, if one does: Discord would read
    whatever is written right after it as part of the address. A link already closed (`<…>`, or
    the address of a masked link) is not live."""
    tail = text[-_URL_SCAN:]
    if "://" not in tail:
        return None
    run = _URL_RUN.match(tail[::-1])
    run_start = len(tail) - (run.end() if run else 0)
    pos = run_start
    while (m := _SCHEME.search(tail, pos)) is not None:
        start = m.start()
        before = tail[start - 1] if start else ""
        if before == "<" and (end := tail.find(">", start)) >= 0:
            pos = end + 1  # `<address>`: closed by its `>`
        elif tail[max(0, start - 2) : start] == "](" and (end := tail.find(")", start)) >= 0:
            pos = end + 1  # a masked link's address, closed by its `)`
        else:
            return len(text) - len(tail) + start
    return None


def _guard(text: str, start: int) -> str:
    """The bare link from `start` to the end of `text` as `<address>` (shown the same, ended)."""
    url = text[start:]
    core = url.rstrip(_LINK_TAIL_CHARS) or url
    return f"{text[:start]}<{core}>{url[len(core) :]}"


def _guard_url_end(text: str) -> str:
    """A bare link at the very end of `text` in `<…>`: a marker written right after it would
    otherwise be read by Discord as part of the address."""
    start = _live_url_start(text)
    return text if start is None else _guard(text, start)


class _Joiner:
    """Concatenates pieces written separately (escaped text, markup, links) so that where they
    meet means nothing new: a mention made of two halves (`<` + `@1>`, `@every` + `one`) and two
    like markers running together (`*a*` + `*b*` would read `**`) get a zero-width space between
    them, and a bare link followed by anything but a space (or punctuation and a space, which
    Discord leaves out of a link) is closed: `<address>`."""

    __slots__ = ("parts", "tail", "url")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.tail = ""  # the last characters written, to see across the join
        self.url = False  # an address may run to the end of what is written

    def add(self, piece: str) -> None:
        if not piece:
            return
        if self.parts:
            if self.url and not _ENDS_LINK.match(piece):
                self.close_link()
            first = piece[0]
            window = self.tail + piece[:12]
            if (first == self.tail[-1] and first in _MARKER_CHARS) or (
                ("@" in window or "<" in window)
                and any(
                    m.start() < len(self.tail) < m.end(1) for m in _JOIN_MENTION.finditer(window)
                )
            ):
                piece = _ZWSP + piece
        self.parts.append(piece)
        if self.url or "://" in self.tail[-3:] + piece:
            run = _URL_RUN.match(piece[::-1])
            after_break = run.end() if run else 0
            if after_break < len(piece):  # a space or `<` ends any link before it
                self.url = "://" in piece[len(piece) - after_break :]
            else:
                self.url = True
        self.tail = (self.tail + piece[-12:])[-12:]

    def close_link(self) -> None:
        """Close a bare link at the end of what is written (it may be followed by pieces of
        punctuation only, left outside it then)."""
        k = len(self.parts) - 1
        while k > 0 and not self.parts[k].strip(_LINK_TAIL_CHARS):
            k -= 1
        text = "".join(self.parts[k:])
        start = _live_url_start(text)
        if start is not None:
            self.parts[k:] = [_guard(text, start)]
            self.tail = "".join(self.parts[-12:])[-12:]
        self.url = False

    def text(self) -> str:
        return "".join(self.parts)


def _wrap(inner: str, marker: str) -> str:
    """`inner` between `marker`s, with its outer white space kept outside them."""
    core = inner.strip()
    if not core:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()) :]
    return f"{lead}{marker}{_guard_url_end(core)}{marker}{trail}"


def _wrap_lines(lines: list[str], marker: str) -> list[str]:
    """Each line of text between `marker`s, after its quote, list or heading marker; code blocks
    and blank lines as they are (markup around a code block would be part of its fence line)."""
    out: list[str] = []
    inside = False
    for line in lines:
        if _FENCE_LINE.match(line):
            inside = not inside
            out.append(line)
        elif inside or not line.strip():
            out.append(line)
        else:
            m = _LINE_MARKER.match(line)
            at = m.end() if m else 0
            out.append(line[:at] + _wrap(line[at:], marker))
    return out


def _escape_text(text: str) -> str:
    """`render.escape`, and no backtick left bare: render leaves bare links as they are, and a
    link cut by `split` must not start a message with three of them (a code block)."""
    if _PLAIN.fullmatch(text):  # most text: nothing to escape (and escaping costs)
        return text
    escaped = render.escape(text)
    if "`" not in escaped:
        return escaped
    return _ESCAPE_OR_BACKTICK.sub(lambda m: m.group() if len(m.group()) == 2 else "%60", escaped)


def _code_span(text: str) -> str:
    if not text.strip():
        return text
    return render.code(text).replace("||", "|\u200b|")


def _marker(node: _Node) -> str | None:
    if node.tag in _WRAP:
        return _WRAP[node.tag]
    if node.tag == "span" and "spoiler" in node.attrs.get("class", ""):
        return "||"
    return None


def _lines_of(text: str) -> list[str]:
    return _squeeze([line.strip() for line in text.split("\n")])


class _Writer:
    """Walks the DOM and writes Discord markdown lines."""

    def __init__(self) -> None:
        self._has_block: dict[int, bool] = {}
        self._active: set[str] = set()  # markers applied by an enclosing tag
        self._in_link = 0

    @contextlib.contextmanager
    def _inside(self, marker: str) -> Iterator[None]:
        """Markup `marker` applies to everything written in the block (inner tags do not repeat
        it); the set is as before afterwards."""
        added = marker not in self._active
        self._active.add(marker)
        try:
            yield
        finally:
            if added:
                self._active.discard(marker)

    def has_block(self, node: _Node) -> bool:
        """Whether a block (a paragraph, a quote, code…) is somewhere under an inline tag."""
        known = self._has_block.get(id(node))
        if known is None:
            known = any(
                isinstance(c, _Node) and (c.tag in _BLOCKS or self.has_block(c))
                for c in node.children
            )
            self._has_block[id(node)] = known
        return known

    def join(self, children: Iterable[_Node | str]) -> str:
        joiner = _Joiner()
        for child in children:
            joiner.add(self.inline(child))
        return joiner.text()

    def inline(self, node: _Node | str) -> str:
        if isinstance(node, str):
            return _escape_text(_SPACES.sub(" ", node))
        tag = node.tag
        if tag == "br":
            return "\n"
        if tag == "img":
            return self.image(node)
        if tag in _CODE_TAGS or tag == "pre":  # a `<pre>` here is in a heading, cell or link
            return _code_span(" ".join(_text_of(node).split()))
        if tag == "a":
            return self.link(node)
        marker = _marker(node)
        if marker is None or marker in self._active:  # `<i><em>x</em></i>` is `*x*`, not `**x**`
            inner = self.join(node.children)
            return f"\n{inner}\n" if tag in _BLOCKS else inner
        with self._inside(marker):
            inner = self.join(node.children)
        return _wrap(inner, marker)

    def image(self, node: _Node) -> str:
        url = _safe_url(node.attrs.get("src", ""))
        if url is None:
            alt = node.attrs.get("alt", "").strip()
            return _escape_text(f"[image: {alt}]") if alt else ""
        return f"\n{url}\n"  # a direct image link on its own line: Discord shows the image

    def link(self, node: _Node) -> str:
        if self._in_link:  # a link inside a link: its words
            return self.join(node.children)
        url = _safe_url(node.attrs.get("href", ""))
        if url is None:  # mailto:, javascript:, relative: the words only
            return self.join(node.children)
        images = "".join(self.image(img) for img in _images(node))  # a linked image shows too
        return images + self._link_text(node, url)

    def _link_text(self, node: _Node, url: str) -> str:
        shown = " ".join(_text_of(node).split())
        if not shown or _same_address(shown, url):
            return url
        if _LOOKS_LIKE_ADDRESS.match(shown):
            return url  # text that looks like an address shows where the link really goes
        if "://" in shown:
            return f"{_escape_text(shown)} → {url}"
        self._in_link += 1
        try:
            words = self.join(c for c in node.children if not _has_image(c))
        finally:
            self._in_link -= 1
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
        text = _text_of(node).removeprefix("\n").rstrip()
        if not text.strip():
            return []
        # No three backticks in a row (a run of six is not two safe runs of three), so nothing
        # inside can close the block.
        text = re.sub(r"(?<=``)`", "\u200b`", text)
        return [f"```{lang}", *text.split("\n"), "```"]

    def blocks(self, children: list[_Node | str]) -> list[str]:
        """The lines of a run of block and inline content, blocks separated by a blank line."""
        out: list[list[str]] = []
        buffer = _Joiner()

        def flush() -> None:
            nonlocal buffer
            if buffer.parts:
                out.append(_lines_of(buffer.text()))
                buffer = _Joiner()

        for child in children:
            if isinstance(child, _Node) and child.tag == "br":
                buffer.add("\n")
            elif isinstance(child, _Node) and child.tag in _BLOCKS:
                flush()
                out.append(self.block(child))
            elif isinstance(child, _Node) and self.has_block(child):
                flush()
                out.append(self.hoisted(child))
            else:
                buffer.add(self.inline(child))
        flush()
        lines: list[str] = []
        for block in out:
            if not block:
                continue
            if lines:
                lines.append("")
            lines.extend(block)
        return lines

    def hoisted(self, node: _Node) -> list[str]:
        """An inline tag holding blocks (`<b><p>…</p></b>`, `<spoiler><pre>…`): its blocks, with
        its markup around each line of text."""
        if node.tag in _CODE_TAGS:
            return [_code_span(" ".join(_text_of(node).split()))]
        if node.tag == "a":
            if _safe_url(node.attrs.get("href", "")) is None:
                return self.blocks(node.children)
            return _lines_of(self.link(node))
        marker = _marker(node)
        if marker is None or marker in self._active:
            return self.blocks(node.children)
        with self._inside(marker):
            lines = self.blocks(node.children)
        return _wrap_lines(lines, marker)

    def block(self, node: _Node) -> list[str]:
        tag = node.tag
        if tag == "pre":
            return self.code_block(node)
        if tag in ("h1", "h2", "h3"):
            title = " ".join(self.join(node.children).split())
            return [f"{'#' * int(tag[1])} {title}"] if title else []
        if tag in ("h4", "h5", "h6"):
            bold = "**" not in self._active
            with self._inside("**"):
                title = " ".join(self.join(node.children).split())
            return [_wrap(title, "**") if bold else title] if title else []
        if tag == "blockquote":
            return [f"> {line}" if line else "> " for line in self.blocks(node.children)]
        if tag in ("ul", "ol"):
            return self.list_lines(node)
        if tag == "li":  # an item outside any list
            return self.list_lines(_Node("ul", children=[node]))
        if tag == "hr":
            return ["───"]
        if tag == "tr":
            cells = [
                " ".join(self.join(cell.children).split())
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
                    lines.append(f"- {_escape_text(_SPACES.sub(' ', child).strip())}")
                continue
            body = _without_blank_text_lines(
                self.blocks(child.children if child.tag == "li" else [child])
            )
            if not body:
                continue
            marker = f"{number}. " if node.tag == "ol" else "- "
            number += 1
            indent = " " * len(marker)
            rest = body
            if not _FENCE_LINE.match(body[0]):
                lines.append(marker + body[0])
                rest = body[1:]
            else:
                lines.append(marker.rstrip())  # the item's code block starts on the next line
            inside = False
            for line in rest:
                # Fence lines and code stay at the start of the line, where `split` sees them.
                if _FENCE_LINE.match(line):
                    inside = not inside
                    lines.append(line)
                else:
                    lines.append(line if inside else indent + line)
        return lines


def _without_blank_text_lines(lines: list[str]) -> list[str]:
    """`lines` without blank lines, except those inside code blocks."""
    out: list[str] = []
    inside = False
    for line in lines:
        if _FENCE_LINE.match(line):
            inside = not inside
        if inside or line:
            out.append(line)
    return out


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


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def from_html(html: str) -> str:
    """Discord markdown for an HTML fragment (Disqus messages, Hacker News text)."""
    html = _newlines(html).replace(_SPOILER_OPEN, "").replace(_SPOILER_CLOSE, "")
    return _convert(_parse(html, unescape=True))


def _convert(root: _Node) -> str:
    return "\n".join(_Writer().blocks(root.children)).strip("\n")


# ---- Reddit's markdown -----------------------------------------------------------------------


def _too_deep(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Past _MD_DEEP levels of quotes and lists, the rest of the block as one paragraph of text:
    markdown-it would drop it (its maxNesting), and each level costs a recursion."""
    if state.level < _MD_DEEP:
        return False
    if silent:
        return True
    line = start + 1
    while line < end and (state.isEmpty(line) or state.sCount[line] >= state.blkIndent):
        line += 1
    content = state.getLines(start, line, state.blkIndent, False).strip()
    state.line = line
    token = state.push("paragraph_open", "p", 1)
    token.map = [start, line]
    token = state.push("inline", "", 0)
    token.content = content
    token.map = [start, line]
    token.children = []
    state.push("paragraph_close", "p", -1)
    return True


_MARKDOWN.block.ruler.before(_MARKDOWN.block.ruler.__rules__[0].name, "too_deep", _too_deep)


def _code_ranges(line: str) -> list[tuple[int, int]]:
    """Where a line's inline code spans are: a run of backticks up to the next run as long."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(line)]
    by_length: dict[int, list[int]] = {}
    for i, (s, e) in enumerate(runs):
        by_length.setdefault(e - s, []).append(i)
    ranges: list[tuple[int, int]] = []
    i = 0
    while i < len(runs):
        s, e = runs[i]
        same = by_length[e - s]
        k = bisect.bisect_right(same, i)
        if k < len(same):
            ranges.append((s, runs[same[k]][1]))
            i = same[k] + 1
        else:
            i += 1
    return ranges


def _mark_line(line: str) -> str:
    """One line with its spoilers, `>!text!<`, as private-use marks; one scan, not a regex that
    tries every `>!` to the end of the line; `>!` and `!<` inside inline code are code."""
    if ">!" not in line:
        return line
    ranges = _code_ranges(line)
    starts = [s for s, _ in ranges]

    def in_code(i: int) -> bool:
        k = bisect.bisect_right(starts, i) - 1
        return k >= 0 and i < ranges[k][1]

    out: list[str] = []
    done = search = 0
    while (opening := line.find(">!", search)) >= 0:
        if in_code(opening) or opening + 2 >= len(line) or line[opening + 2].isspace():
            search = opening + 1
            continue
        closing = line.find("!<", opening + 3)
        while closing >= 0 and in_code(closing):
            closing = line.find("!<", closing + 1)
        if closing < 0:
            break
        out += [line[done:opening], _SPOILER_OPEN, line[opening + 2 : closing], _SPOILER_CLOSE]
        done = search = closing + 2
    out.append(line[done:])
    return "".join(out)


def _mark_spoilers(text: str) -> str:
    """Reddit's spoilers as marks, outside fenced code blocks and inline code."""
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        m = _MD_FENCE.match(line)
        if fence is not None:
            closes = (
                m is not None
                and m.group(1)[0] == fence[0]
                and len(m.group(1)) >= len(fence)
                and not line[m.end() :].strip()
            )
            if closes:
                fence = None
            out.append(line)
        elif m and not (m.group(1)[0] == "`" and "`" in line[m.end() :]):
            fence = m.group(1)
            out.append(line)
        else:
            out.append(_mark_line(line))
    return "\n".join(out)


def _spoilers_as_tags(html: str) -> str:
    """The marks as `<spoiler>` tags; inside code (an indented block) as the text Reddit wrote."""
    html = _HTML_CODE.sub(
        lambda m: m.group().replace(_SPOILER_OPEN, "&gt;!").replace(_SPOILER_CLOSE, "!&lt;"), html
    )
    return html.replace(_SPOILER_OPEN, "<spoiler>").replace(_SPOILER_CLOSE, "</spoiler>")


def from_markdown(text: str) -> str:
    """Discord markdown for Reddit's markdown (spoilers `>!…!<` included)."""
    text = _newlines(text).replace(_SPOILER_OPEN, "").replace(_SPOILER_CLOSE, "")
    html = _MARKDOWN.render(_mark_spoilers(text))
    return _convert(_parse(_spoilers_as_tags(html)))


# ---- splitting ------------------------------------------------------------------------------

# A line's atoms, which a cut does not go through: inline code spans, masked links, `<address>`,
# spoiler marks, escapes; then white space and runs of plain characters.
_ATOM = re.compile(
    r"``.*?``|`[^`]*`|\[(?:\\.|[^\]\\]){0,2000}\]\([^\s)]{0,2000}\)|<[^\s<>]{1,2000}>"
    r"|\|\||\\.|\s+|[^\s\\`|\[<]+|."
)
# The atoms of a masked link's text, for a link too long to keep whole.
_INNER_ATOM = re.compile(r"``.*?``|`[^`]*`|\|\||\\.|\s+|[^\s\\`|]+|.")
_SPOILER_ROOM = 6  # "||" reopened at the start of a message, "||" and "<>" around a link at its end


def _is_blank(line: str) -> bool:
    """A line with nothing to show: empty, or only quote markers."""
    return not line.replace(">", "").strip()


def _fit_prefix(prefix: str, limit: int) -> str:
    """A quote prefix short enough to repeat on every line of a message of `limit` characters."""
    cap = max(2, limit // 8)
    return prefix if len(prefix) <= cap else "> " * max(1, cap // 2)


def _hard_cut(text: str, room: int) -> list[str]:
    """A run without spaces in pieces of at most `room`, never after half an escape or before a
    combining mark."""
    pieces: list[str] = []
    while len(text) > room:
        cut = room
        while cut > 1 and (
            unicodedata.combining(text[cut])
            or text[cut] in "\u200d\ufe0f"
            or (len(text[:cut]) - len(text[:cut].rstrip("\\"))) % 2
        ):
            cut -= 1
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text] if text else pieces


def _cut_atom(atom: str, room: int) -> list[str]:
    """An atom longer than `room` in pieces; an inline code span as several spans."""
    if len(atom) <= room:
        return [atom]
    if atom.startswith("`") and atom.endswith("`") and len(atom) > 2:
        ticks = "`` " if atom.startswith("`` ") and atom.endswith(" ``") else "`"
        inner = atom[len(ticks) : -len(ticks)]
        size = max(1, room - 2 * len(ticks) - 1)
        spans = [f"{ticks}{c}{ticks[::-1]}" for c in render.split_text(inner, size) if c]
        return [spans[0], *(" " + s for s in spans[1:])]
    return _hard_cut(atom, room)


def _cut_line(body: str, room: int) -> list[str]:
    """A line too long for one message in pieces of at most `room`: between words, or between
    atoms of a word longer than a piece; only the white space at a cut is lost."""
    pieces: list[str] = []
    current = ""
    gap = ""
    word: list[str] = []

    def place(word: list[str], gap: str) -> None:
        nonlocal current
        text = "".join(word)
        if len(current) + len(gap) + len(text) <= room:
            current += gap + text
            return
        if current.strip():
            pieces.append(current)
        current = ""
        if len(text) <= room:
            current = text
            return
        for atom in word:
            # A masked link too long for a piece is cut as its text (its code spans kept whole).
            inner = _INNER_ATOM.findall(atom) if atom.startswith("[") else [atom]
            for chunk in (c for a in inner for c in _cut_atom(a, room)):
                if len(current) + len(chunk) > room:
                    if current.strip():
                        pieces.append(current)
                    current = chunk.lstrip()
                else:
                    current += chunk

    for atom in _ATOM.findall(body):
        if atom.isspace():
            if word:
                place(word, gap)
                word, gap = [], ""
            gap += atom
        else:
            word.append(atom)
    if word:
        place(word, gap)
    if current.strip():
        pieces.append(current)
    return pieces


def _reopen_spoiler(line: str) -> str:
    """The line with the cut spoiler reopened after its line marker; a line that starts by closing
    it loses that mark instead (an empty spoiler `||||` would swallow the next one)."""
    marker = _LINE_MARKER.match(line)
    at = marker.end() if marker else 0
    if line.startswith("||", at):
        return line[:at] + line[at + 2 :]
    return f"{line[:at]}||{line[at:]}"


class _Splitter:
    """The state of `split`: the message being filled and what is open at its end."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[str] = []
        self.lines: list[str] = []
        self.size = 0  # len("\n".join(lines)) + 1, when there are lines
        # A code block open at the end of `lines`: its quote prefix as written, as repeated here
        # (shortened if long), and its opening line.
        self.fence: tuple[str, str, str] | None = None
        self.opened_here = False  # the fence's opening line is the last line of this message
        self.spoiler = False  # a spoiler open at the end of `lines`
        self.reopen = False  # a spoiler cut at a flush or a code block: reopen it on the next line

    def closer(self) -> str:
        return f"{self.fence[1]}```" if self.fence else ""

    def append(self, line: str) -> None:
        self.lines.append(line)
        self.size += len(line) + 1

    def close_spoiler(self) -> None:
        """End the open spoiler on the last line with words."""
        at = next(
            (i for i in range(len(self.lines) - 1, -1, -1) if not _is_blank(self.lines[i])), -1
        )
        if at < 0:
            self.spoiler = False
            return
        self.lines[at] = _guard_url_end(self.lines[at]) + "||"
        self.size = sum(len(line) + 1 for line in self.lines)
        self.spoiler = False
        self.reopen = True

    def flush(self) -> None:
        carried = None
        if self.fence is not None and self.opened_here:
            carried = self.lines.pop()  # a code block starts the next message, not ends this one
        if self.fence is None or carried is not None:
            while self.lines and _is_blank(self.lines[-1]):
                self.lines.pop()
        if self.spoiler:
            self.close_spoiler()
        if self.fence is not None and carried is None:
            self.lines.append(self.closer())
        part = "\n".join(self.lines).strip("\n")
        if part.strip():
            self.parts.append(part)
        self.lines, self.size = [], 0
        if self.fence is not None:
            self.append(carried if carried is not None else self.fence[2])
            self.opened_here = carried is not None

    def fits(self, line: str, reserve: int) -> bool:
        return self.size + len(line) + reserve <= self.limit

    def add_text(self, piece: str) -> None:
        if _is_blank(piece):
            if self.lines:
                if not self.fits(piece, 4 if self.spoiler else 0):
                    self.flush()
                if self.lines:
                    self.append(piece)
            return

        def prepared() -> tuple[str, bool]:
            line = _reopen_spoiler(piece) if self.reopen else piece
            return line, self.spoiler != bool(line.count("||") % 2)

        line, after = prepared()
        if self.lines and not self.fits(line, 4 if after else 0):
            self.flush()
            line, after = prepared()
        self.append(line)
        self.reopen = False
        self.spoiler = after

    def add_code(self, piece: str) -> None:
        if not self.fits(piece, len(self.closer()) + 1):
            self.flush()
        self.append(piece)
        self.opened_here = False

    def open_fence(self, fence: tuple[str, str, str]) -> None:
        if self.spoiler:  # a spoiler never holds a code block: closed before, reopened after
            self.close_spoiler()
        opener = fence[2]
        self.fence = fence
        if self.lines and not self.fits(opener, len(self.closer()) + 1):
            self.fence = None
            self.flush()
            self.fence = fence
        self.append(opener)
        self.opened_here = True

    def close_fence(self) -> None:
        self.append(self.closer())
        self.fence = None
        self.opened_here = False

    def line(self, raw: str) -> None:
        limit = self.limit
        if self.fence is not None:
            if _FENCE_LINE.match(raw):
                self.close_fence()  # its room was kept
                return
            written, prefix, opener = self.fence
            body = raw[len(written) :] if raw.startswith(written) else raw
            room = max(1, limit - len(opener) - 2 * (len(prefix) + 1) - 4)
            for i in range(0, max(len(body), 1), room):
                self.add_code(prefix + body[i : i + room])
            return
        fence = _FENCE_LINE.match(raw)
        if fence:
            prefix = _fit_prefix(fence.group(1), limit)
            self.open_fence((fence.group(1), prefix, prefix + raw[fence.end(1) :]))
            return
        m = _QUOTE_PREFIX.match(raw)
        prefix = m.group() if m else ""
        body = raw[len(prefix) :]
        prefix = _fit_prefix(prefix, limit)
        room = limit - _SPOILER_ROOM - len(prefix)
        if len(body) <= room:
            self.add_text(prefix + body)
            return
        for piece in _cut_line(body, room):
            self.add_text(prefix + piece)

    def finish(self) -> list[str]:
        if self.fence is not None:  # never left open, whatever the input
            if self.opened_here:
                self.lines.pop()
                self.size = sum(len(line) + 1 for line in self.lines)
                self.fence = None
            else:
                self.close_fence()
        while self.fence is None and self.lines and _is_blank(self.lines[-1]):
            self.lines.pop()
        if self.spoiler:
            self.close_spoiler()
        part = "\n".join(self.lines).strip("\n")
        if part.strip():
            self.parts.append(part)
        return self.parts


def split(text: str, limit: int = render.MESSAGE_CONTENT) -> list[str]:
    """Cut rendered markdown into messages of at most `limit` characters with balanced markup."""
    splitter = _Splitter(limit)
    for raw in text.split("\n"):
        splitter.line(raw)
    return splitter.finish()
