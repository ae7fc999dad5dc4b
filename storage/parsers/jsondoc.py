"""Reading JSON sources: decoding with clear errors, and typed access that names the JSON path.

Every shape error says where it is, as a path from the top of the document (`[1].data.children[3]`),
so a user can find the bad spot in a file of thousands of lines.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from storage.errors import ParseError


def load_json(data: bytes, path: str) -> Any:
    """Decode a JSON document (UTF-8/16/32, with or without BOM); ParseError with the line if invalid."""
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise ParseError(
            path, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    except UnicodeDecodeError as exc:
        raise ParseError(path, None, f"not valid JSON: not UTF-8 text ({exc.reason})") from None
    except RecursionError:
        raise ParseError(path, None, "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ParseError(path, None, f"not valid JSON: {exc}") from None


def kind(value: object) -> str:
    """What a JSON value is, for messages: 'an object', 'a string', 'null'…"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number"


def child(where: str, step: str | int) -> str:
    """The path of a member (`.name`) or an element (`[3]`) below `where`."""
    return f"{where}[{step}]" if isinstance(step, int) else f"{where}.{step}"


class Reader:
    """Typed access to one document; every failure is a ParseError naming the file and JSON path."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, problem: str) -> NoReturn:
        """Raise the ParseError for `problem` at JSON path `where`."""
        raise ParseError(self.path, None, f"at {where or 'the top level'}: {problem}")

    def obj(self, value: object, where: str) -> dict[str, Any]:
        """`value` as an object, or fail."""
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, found {kind(value)}")
        return value

    def arr(self, value: object, where: str) -> list[Any]:
        """`value` as an array, or fail."""
        if not isinstance(value, list):
            self.fail(where, f"expected an array, found {kind(value)}")
        return value

    def text(
        self, obj: dict[str, Any], name: str, where: str, *, default: str | None = None
    ) -> str:
        """Member `name` as a string; a missing or null member gives `default` (None: required)."""
        value = obj.get(name)
        if value is None and default is not None:
            return default
        if not isinstance(value, str):
            self.fail(child(where, name), f"expected a string, found {kind(value)}")
        return value

    def ident(self, obj: dict[str, Any], name: str, where: str) -> str:
        """Member `name` as an id: a non-empty string or an integer, returned as a string."""
        value = obj.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.fail(
            child(where, name), f"expected an id (a string or an integer), found {kind(value)}"
        )
