"""Parser for the "text dump" format: a scraped news page with its nested comment list flattened to text.

Shape (see seeds/): donation-widget lines, the title (often twice), an image caption, the body paragraphs,
a call to action, then comments as `• Author` headers indented 2 + 2·depth spaces with their bodies two
spaces deeper. Real dumps are messier; every recovery is reported as a ParseWarning.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from storage.errors import ParseError
from storage.models import Article, Comment, ParseWarning
from storage.spam import is_spam, spam_reasons
from storage.summary import summarize

FORMAT = "textdump"
INDENT_STEP = 2  # one nesting level, in columns
MAX_AUTHOR = 100  # a header whose "name" is longer is kept, with a warning: it may be a sentence

_BULLETS = "•◦▪‣●○■*-–"  # what a header (or a list item) starts with; most lines start otherwise
_BULLET_CLASS = f"[{re.escape(_BULLETS)}]"
_HEADER = re.compile(rf"^{_BULLET_CLASS}[ \t\u00a0]+(?P<author>\S.*?)\s*$")
_WIDGET = re.compile(r"^(?:[$€£]\s?[\d.,]+|[\d.,]+\s?[$€£])$")
# An image label: `FILE IMAGE:`, `FILE PHOTO:`, `PHOTO:`, `Image:`, `REUTERS IMAGE:`, `Photo credit:`…
_CAPTION = re.compile(
    r"^(?:[\w.&'-]+\s+){0,2}(?:image|photo|photograph|picture|illustration|video|pictured|"
    r"graphic|screenshot)s?\s*(?:credit\s*)?[:|–-]",
    re.IGNORECASE,
)
# The call to action that ends the article and starts the comment list.
_CALL_TO_ACTION = re.compile(
    r"^do\s+you\s+like\s+this\s+content\??\s*(?:consider\s+(?:helping|supporting)\s+us!?)?$",
    re.IGNORECASE,
)
_BULLET = re.compile(rf"^{_BULLET_CLASS}[ \t\u00a0]+\S")
_BOILERPLATE = re.compile(
    r"^(?:do\s+you\s+like\s+this\s+content\??\s*consider\s+(?:helping|supporting)\s+us!?"
    r"|consider\s+(?:helping|supporting)\s+us!?|support\s+(?:us|our\s+work)!?"
    r"|(?:please\s+)?(?:donate|subscribe)(?:\s+(?:now|today|here))?!?"
    r"|subscribe\s+to\s+(?:our|the)\s+newsletter!?|become\s+a\s+patron!?"
    r"|advertisement|share(?:\s+this(?:\s+article)?)?:?|tweet|related(?:\s+articles)?:?"
    r"|load\s+more\s+comments|show\s+more\s+replies|powered\s+by\s+disqus|\d+\s+comments?"
    r"|sort\s+by\s+(?:best|newest|oldest))$",
    re.IGNORECASE,
)
_DELETED = re.compile(
    r"^(?:\[(?:deleted|removed)\]|(?:this\s+)?comment\s+(?:was|has\s+been|is)?\s*"
    r"(?:deleted|removed)(?:\s+by\s+(?:the\s+)?(?:author|user|moderator|a\s+moderator|admin))?\.?)$",
    re.IGNORECASE,
)
_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})


_SPACES = " \u00a0\u2002\u2003\u2009"  # white space that indents, each one column
_LEADING = "\t" + _SPACES


def _indent(line: str) -> int:
    """Leading white space in columns; a tab counts as one nesting step, a no-break space as a space."""
    width = len(line) - len(line.lstrip(_LEADING))
    if width and "\t" in line[:width]:
        return width + line.count("\t", 0, width) * (INDENT_STEP - 1)
    return width


def _norm(text: str) -> str:
    """Comparison key for titles: curly quotes straightened, spaces collapsed, case folded."""
    return " ".join(text.translate(_QUOTES).split()).casefold()


def comment_key(parent_key: str, author: str, ordinal: int) -> str:
    """A comment's identity: stable when other authors' replies are inserted or bodies are edited."""
    raw = f"{parent_key}\x1f{author}\x1f{ordinal}".encode()
    return hashlib.blake2b(raw, digest_size=8).hexdigest()


@dataclass
class _Open:
    """A comment being read: its header position and the body paragraphs gathered so far."""

    index: int
    indent: int
    line: int
    author: str
    depth: int
    parent: int | None
    key: str
    paragraphs: list[list[str]] = field(default_factory=list)
    gap: bool = True  # a blank line was seen since the last body line


@dataclass
class _Parser:
    """One parse of one file; holds the lines, the warnings and the comments built so far."""

    lines: list[str]
    path: str
    strict: bool
    warnings: list[ParseWarning]
    comments: list[_Open] = field(default_factory=list)
    step: int = INDENT_STEP  # columns per nesting level, learnt from the first header
    seen: dict[tuple[int | None, str], int] = field(default_factory=dict)  # same-author siblings
    bullets: set[str] = field(default_factory=set)  # the bullet characters of headers read so far

    def warn(self, line: int | None, code: str, message: str) -> None:
        """Record a recovery; under --strict, structural recoveries are errors."""
        if self.strict and code == "indent-jump":
            raise ParseError(self.path, line, message + " (--strict)")
        self.warnings.append(ParseWarning(line=line, code=code, message=message))

    def next_text(self, i: int) -> tuple[int, bool]:
        """Index of the next non-blank line after i (len(lines) if none), and whether a blank came first."""
        j = i + 1
        while j < len(self.lines) and not self.lines[j].strip():
            j += 1
        return j, j > i + 1

    def is_header(self, i: int, in_body_of: _Open | None, *, first: bool = False) -> bool:
        """Decide whether line i is a comment header `• Author` or a bullet inside a comment's text.

        `first`: the first comment of a page without a call to action, where an article's list
        could be taken for comments (see find_start).
        """
        line = self.lines[i]
        stripped = line.lstrip(_LEADING)
        if not stripped or stripped[0] not in _BULLETS:
            return False
        match = _HEADER.match(stripped)
        if not match:
            return False
        indent = _indent(line)
        j, blank_first = self.next_text(i)
        has_body = j < len(self.lines) and _indent(self.lines[j]) > indent
        if in_body_of is None:
            if not first or not has_body:
                return has_body
            # Its header is followed by its text, deeper and not itself a list item (an article's
            # list item with a sub-list under it is followed by a deeper bullet), unless the comment
            # is a deleted one's placeholder, which has no text and only replies.
            return not _BULLET.match(self.lines[j].strip()) or bool(_DELETED.match(match["author"]))
        if indent <= in_body_of.indent + 1:
            # Shallower than the open comment's text: cannot be part of it, so a sibling or an uncle.
            return True
        # As deep as the open comment's text: a reply header is followed by its own, deeper body; a
        # pasted list item is followed by text at its own depth. A wrapped list item ("- point" then
        # "  more") also has deeper text, but only right below it; a reply with no blank line before
        # its body must therefore at least use a bullet this file's headers already use.
        return has_body and (blank_first or stripped[0] in self.bullets)

    def find_start(self) -> int:
        """Index of the first comment header (len(lines) when the page has no comments).

        Only position decides: the comments follow the call to action (`Do you like this
        content? …`), and nothing before it is a comment, lists included. Without one, the first
        header followed by its text starts them; when the article above holds list items too, the
        boundary is a guess and is reported.
        """
        after = 0
        for i, line in enumerate(self.lines):
            if line[:1] not in _LEADING and _CALL_TO_ACTION.match(line.strip()):
                after = i + 1
        for i in range(after, len(self.lines)):
            if self.lines[i].strip() and self.is_header(i, None, first=not after):
                if not after and any(
                    _BULLET.match(line.strip()) for line in self.lines[:i] if _indent(line) > 0
                ):
                    self.warn(
                        i + 1,
                        "comments-start-guessed",
                        "no call to action before the comments, and the article has list items:"
                        f" the comments are taken to start at line {i + 1}",
                    )
                return i
        return len(self.lines)

    def open_comment(self, i: int, stack: list[_Open]) -> _Open:
        """Start the comment whose header is line i, attached to the nearest shallower comment."""
        indent = _indent(self.lines[i])
        author = _HEADER.match(self.lines[i].strip(_LEADING))["author"]  # type: ignore[index]  # the line matched _HEADER when it was classified
        author = author.strip()
        if len(author) > MAX_AUTHOR:
            self.warn(
                i + 1,
                "long-author",
                f"the author name of this comment is {len(author)} characters long;"
                " kept as written (is it a sentence?)",
            )
        while stack and stack[-1].indent >= indent:
            stack.pop()
        parent = stack[-1] if stack else None
        if not self.comments:
            # The format indents top-level headers by one step (2 + 2·depth); a dump made with 4-space
            # steps says so on its first header, and replies are judged by that step, not by ours.
            self.step = indent if 2 <= indent <= 8 else INDENT_STEP
        if parent is not None and indent - parent.indent > self.step + 1:
            levels = (indent - parent.indent) // self.step
            self.warn(
                i + 1,
                "indent-jump",
                f"reply by {author!r} is indented {levels} levels below its parent "
                f"(line {parent.line}); attached to it at depth {parent.depth + 1}",
            )
        slot = (parent.index if parent else None, author)
        siblings = self.seen[slot] = self.seen.get(slot, -1) + 1
        comment = _Open(
            index=len(self.comments),
            indent=indent,
            line=i + 1,
            author=author,
            depth=parent.depth + 1 if parent else 0,
            parent=parent.index if parent else None,
            key=comment_key(parent.key if parent else "", author, siblings),
        )
        self.comments.append(comment)
        self.bullets.add(self.lines[i].lstrip(_LEADING)[0])
        stack.append(comment)
        return comment

    def read_comments(self, start: int) -> None:
        """Read every comment from line `start` to the end of the file."""
        stack: list[_Open] = []
        current: _Open | None = None
        for i in range(start, len(self.lines)):
            raw = self.lines[i]
            text = raw.strip()
            if not text:
                if current is not None:
                    current.gap = True
                continue
            if self.is_header(i, current):
                current = self.open_comment(i, stack)
                continue
            assert current is not None  # find_start guarantees a header comes first
            if _indent(raw) <= current.indent:
                if _BOILERPLATE.match(text):
                    continue  # page furniture between or after comments ("Load more comments")
                self.warn(
                    i + 1,
                    "dedented-text",
                    f"text is not indented under the comment by {current.author!r} "
                    f"(line {current.line}); kept as part of it",
                )
            if current.gap or not current.paragraphs:
                current.paragraphs.append([])
            current.paragraphs[-1].append(text)
            current.gap = False

    def read_article(self, end: int) -> tuple[str | None, str | None, list[str]]:
        """Title, caption and paragraphs from the lines before the comments."""
        blocks: list[list[str]] = []
        after_blank = True
        for raw in self.lines[:end]:
            text = raw.strip()
            if not text:
                after_blank = True
                continue
            if after_blank:
                blocks.append([])
            blocks[-1].append(text)
            after_blank = False
        title: str | None = None
        caption: str | None = None
        paragraphs: list[str] = []
        for block in blocks:
            # Donation-widget lines (`2,500 $`) are page furniture only above the title; below it
            # the same shape is the article's own text.
            kept = [t for t in block if title is not None or not _WIDGET.match(t)]
            if not kept:
                continue
            if _BOILERPLATE.match(" ".join(kept)):
                continue
            # A page title is one line (an <h1>); with no blank line after it, the title, its
            # duplicate and what follows share a block, so peel the title lines off the front.
            while kept and (title is None or _norm(kept[0]) == _norm(title)):
                title = title or kept[0]
                kept = kept[1:]
            if not kept:
                continue
            if caption is None and not paragraphs and _CAPTION.match(kept[0]):
                caption = kept[0]  # the first line after the title block, when it is labelled
                kept = kept[1:]
                if not kept:
                    continue
            if caption is None and not paragraphs:
                caption = ""  # the first block was not a caption: no later line can be one
            paragraphs.append("\n".join(kept))
        return title, caption or None, paragraphs


def parse_text_dump(
    text: str,
    *,
    key: str,
    path: str,
    strict: bool = False,
    warnings: list[ParseWarning] | None = None,
) -> Article:
    """Parse a decoded text dump into an Article; raises ParseError (file, line, problem) on failure."""
    parser = _Parser(
        lines=text.split("\n"), path=path, strict=strict, warnings=list(warnings or [])
    )
    start = parser.find_start()
    title, caption, paragraphs = parser.read_article(start)
    parser.read_comments(start)
    if title is None:
        if not parser.comments:
            raise ParseError(path, 1, "no title, article text or comments found")
        parser.warn(1, "no-title", f"no title before the comments; using the file name {key!r}")
        title = key
    comments: list[Comment] = []
    for c in parser.comments:
        body = "\n\n".join("\n".join(p) for p in c.paragraphs)
        # A deleted item of a nested HTML list has no author, so its placeholder lands where the
        # header's name would be (`• This comment was deleted.`), with the replies nested below it.
        deleted = bool(_DELETED.match(body) or (not body and _DELETED.match(c.author)))
        if not body and not deleted:
            parser.warn(c.line, "empty-comment", f"comment by {c.author!r} has no text")
        reasons = spam_reasons(body)
        spam = is_spam(reasons)
        comments.append(
            Comment(
                index=c.index,
                key=c.key,
                author=c.author,
                depth=c.depth,
                parent=c.parent,
                text=body,
                spam=spam,
                spam_reasons=reasons if spam else [],
                deleted=deleted,
                line=c.line,
            )
        )
    return Article(
        key=key,
        format=FORMAT,
        title=title,
        caption=caption,
        paragraphs=paragraphs,
        summary=summarize(paragraphs),
        comments=comments,
        warnings=parser.warnings,
    )
