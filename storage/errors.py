"""The parser's and the store's own error types."""

from __future__ import annotations


class ParseError(Exception):
    """A file that cannot be parsed: names the file, the 1-based line (if any) and the problem."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")


class StorageError(Exception):
    """The store refused an operation (e.g. two files claiming the same article key)."""


class DatabaseUnusable(StorageError):
    """The database file cannot be opened as a threadreplay store: names the file and the problem.

    Raised by `Storage.open` before anything is written: a file that is not a database, a directory,
    a path that cannot be created or written, or a store migrated by a newer threadreplay.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"database {path}: {problem}")
