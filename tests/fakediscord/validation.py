"""Discord's request-body limits, reported as 50035 ``Invalid Form Body`` or 50006."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from . import errors
from .errors import FormErrors

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
THREAD_NAME_MAX = 100
WEBHOOK_NAME_MAX = 80
ACTION_ROWS_MAX = 5
CUSTOM_ID_MAX = 100
CHOICES_MAX = 25
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
Path = tuple[str | int, ...]


def _len(value: Any) -> int:
    return len(value) if isinstance(value, str) else 0


def embed_size(embed: dict[str, Any]) -> int:
    """Characters counted toward the 6000 limit: title, description, fields, footer, author."""
    size = _len(embed.get("title")) + _len(embed.get("description"))
    for fld in embed.get("fields") or []:
        size += _len(fld.get("name")) + _len(fld.get("value"))
    size += _len((embed.get("footer") or {}).get("text"))
    size += _len((embed.get("author") or {}).get("name"))
    return size


def _check_embed(form: FormErrors, path: Path, embed: dict[str, Any]) -> None:
    for key, limit in (("title", EMBED_TITLE_MAX), ("description", EMBED_DESCRIPTION_MAX)):
        if _len(embed.get(key)) > limit:
            form.max_length((*path, key), limit)
    fields = embed.get("fields") or []
    if len(fields) > EMBED_FIELDS_MAX:
        form.max_length((*path, "fields"), EMBED_FIELDS_MAX)
    for index, fld in enumerate(fields):
        for key, limit in (("name", EMBED_FIELD_NAME_MAX), ("value", EMBED_FIELD_VALUE_MAX)):
            value = fld.get(key)
            if not isinstance(value, str) or not value.strip():
                form.required((*path, "fields", index, key))
            elif len(value) > limit:
                form.max_length((*path, "fields", index, key), limit)
    footer = embed.get("footer")
    if footer is not None and _len(footer.get("text")) > EMBED_FOOTER_MAX:
        form.max_length((*path, "footer", "text"), EMBED_FOOTER_MAX)
    author = embed.get("author")
    if author is not None and _len(author.get("name")) > EMBED_AUTHOR_MAX:
        form.max_length((*path, "author", "name"), EMBED_AUTHOR_MAX)


def _check_components(form: FormErrors, path: Path, components: Sequence[dict[str, Any]]) -> None:
    top_level = [c for c in components if c.get("type") == 1]
    if len(top_level) > ACTION_ROWS_MAX:
        form.max_length((*path, "components"), ACTION_ROWS_MAX)
    for index, row in enumerate(components):
        for child_index, child in enumerate(row.get("components") or []):
            custom_id = child.get("custom_id")
            if custom_id is not None and len(custom_id) > CUSTOM_ID_MAX:
                where = (*path, "components", index, "components", child_index, "custom_id")
                form.max_length(where, CUSTOM_ID_MAX)


def check_message(form: FormErrors, body: dict[str, Any], path: Path = ()) -> None:
    """Record every limit ``body`` (a message create/edit payload) breaks."""
    content = body.get("content")
    if content is not None and len(str(content)) > CONTENT_MAX:
        form.max_length((*path, "content"), CONTENT_MAX)
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS_MAX:
        form.max_length((*path, "embeds"), EMBEDS_MAX)
    for index, embed in enumerate(embeds):
        _check_embed(form, (*path, "embeds", index), embed)
    if sum(embed_size(e) for e in embeds) > EMBED_TOTAL_MAX:
        form.add(
            (*path, "embeds"), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000"
        )
    _check_components(form, path, body.get("components") or [])


URL_MAX = 2048


def check_url(form: FormErrors, path: Path, value: object) -> None:
    """Discord's check of a URL field (`avatar_url`, embed urls): http(s), well formed."""
    text = str(value)
    if len(text) > URL_MAX:
        form.max_length(path, URL_MAX)
    elif not re.match(r"^https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?$", text, re.IGNORECASE):
        form.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def is_empty(body: dict[str, Any], *, files: int = 0) -> bool:
    """True when a new message would have nothing to show (Discord's 50006)."""
    content = body.get("content")
    has_content = isinstance(content, str) and content.strip() != ""
    keys = ("embeds", "components", "sticker_ids", "attachments")
    return not (has_content or files or body.get("poll") or any(body.get(k) for k in keys))


def validate_message(body: dict[str, Any], *, files: int = 0, path: Path = ()) -> None:
    """Raise 50035 for broken limits, then 50006 if the message would be empty."""
    form = FormErrors()
    check_message(form, body, path)
    form.raise_if_any()
    if is_empty(body, files=files):
        raise errors.empty_message()


def validate_thread_name(name: Any, form: FormErrors | None = None) -> FormErrors:
    """Record an error unless ``name`` is 1-100 characters (after trimming, as Discord does)."""
    form = FormErrors() if form is None else form
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= THREAD_NAME_MAX:
        form.bad_length(("name",), 1, THREAD_NAME_MAX)
    return form


def check_webhook_name(form: FormErrors, key: str, name: Any) -> None:
    """Record Discord's webhook-name errors: length, ``discord``/``clyde``, ``everyone``/``here``."""
    if not isinstance(name, str) or not 1 <= len(name) <= WEBHOOK_NAME_MAX:
        form.bad_length((key,), 1, WEBHOOK_NAME_MAX)
        return
    lowered = name.lower()
    for word in ("discord", "clyde"):
        if word in lowered:
            form.add((key,), "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{word}"')
    if lowered.strip() in ("everyone", "here"):
        form.add((key,), "USERNAME_INVALID", f'Username cannot be "{lowered.strip()}"')


def validate_commands(commands: Sequence[dict[str, Any]]) -> None:
    """Check registered commands: names, descriptions, option counts and choices."""
    form = FormErrors()
    for index, command in enumerate(commands):
        _check_command(form, (index,), command, top=True)
    form.raise_if_any()


def _check_command(form: FormErrors, path: Path, command: dict[str, Any], *, top: bool) -> None:
    kind = command.get("type", 1)
    name = command.get("name")
    chat = not top or kind == 1
    if not isinstance(name, str) or not COMMAND_NAME.match(name) or (chat and name != name.lower()):
        form.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    description = command.get("description", "")
    if chat and not 1 <= len(description or "") <= 100:
        form.bad_length((*path, "description"), 1, 100)
    options = command.get("options") or []
    if len(options) > 25:
        form.max_length((*path, "options"), 25)
    seen_optional = False
    for index, option in enumerate(options):
        if option.get("type") in (1, 2):
            _check_command(form, (*path, "options", index), option, top=False)
            continue
        _check_command(form, (*path, "options", index), {**option, "options": []}, top=False)
        if option.get("required"):
            if seen_optional:
                form.add(
                    (*path, "options", index, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        if len(option.get("choices") or []) > CHOICES_MAX:
            form.max_length((*path, "options", index, "choices"), CHOICES_MAX)


def validate_choices(choices: Any) -> None:
    """Check an autocomplete answer: at most 25 choices, names 1-100, string values <= 100."""
    form = FormErrors()
    if not isinstance(choices, list):
        form.required(("data", "choices"))
        form.raise_if_any()
    if len(choices) > CHOICES_MAX:
        form.max_length(("data", "choices"), CHOICES_MAX)
    for index, choice in enumerate(choices):
        name = choice.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            form.bad_length(("data", "choices", index, "name"), 1, 100)
        value = choice.get("value")
        if isinstance(value, str) and len(value) > 100:
            form.max_length(("data", "choices", index, "value"), 100)
    form.raise_if_any()
