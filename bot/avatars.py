"""Author faces: the `avatar_url` each replayed comment is posted with.

Discord fetches the image itself, so the bot serves nothing: a generated avatar is an address at a
well-known identicon service (Gravatar's `d=identicon`, forced with `f=y` so no real Gravatar is
ever looked up), derived from a hash of the source kind and the author's name: the same author of
the same source gets the same face in every replay and after restarts. Never from an e-mail address.
"""

from __future__ import annotations

import hashlib

from storage.models import Comment

GENERATED = "generated"
NONE = "none"
HASH = "{hash}"
GENERATED_TEMPLATE = "https://gravatar.com/avatar/{hash}?d=identicon&f=y&s=128"
# One face for deleted and anonymous authors: Gravatar's neutral silhouette.
NEUTRAL = "https://gravatar.com/avatar/?d=mp&f=y&s=128"
_NAMELESS = frozenset({"", "[deleted]", "deleted", "[removed]", "anonymous", "guest"})


def author_hash(source: str, author: str) -> str:
    """32 hex digits naming one author of one source kind (white space and case of the name kept,
    runs of spaces folded, as the webhook name shows it)."""
    name = " ".join(author.split())
    return hashlib.sha256(f"{source}\x1f{name}".encode()).hexdigest()[:32]


def is_nameless(comment: Comment) -> bool:
    """Deleted comments and authors without a name share the neutral face."""
    return comment.deleted or " ".join(comment.author.split()).casefold() in _NAMELESS


def avatar_url(source: str, comment: Comment, style: str = GENERATED) -> str | None:
    """The avatar address for `comment` of an article from `source` under the admin's `style`:
    `generated`, `none` (Discord's default webhook face) or a URL template with `{hash}`."""
    if style == NONE:
        return None
    template = GENERATED_TEMPLATE if style == GENERATED else style
    if is_nameless(comment):
        return NEUTRAL if style == GENERATED else template.replace(HASH, "0" * 32)
    return template.replace(HASH, author_hash(source, comment.author))
