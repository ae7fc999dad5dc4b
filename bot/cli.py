"""The `threadreplay` command line: parse, load, run (and the helpers around them)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import sqlite3
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from bot.terminal import terminal_safe
from storage import queries
from storage.db import Storage, is_url, problem, shown_url
from storage.errors import DatabaseUnusable, ParseError, StorageError
from storage.files import iter_files
from storage.loader import BATCH_FILES, iter_load, parser_pool
from storage.models import FileReport
from storage.parsers import MULTI_ARTICLE, iter_file, parse_file, read_head, sniff
from storage.parsers.disqus import FORMAT as DISQUS_FORMAT
from storage.words import plural

if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_FAILED = 1  # load: some file failed
EXIT_USAGE = 2  # bad input, bad configuration


def _fail(message: str) -> int:
    """Print one clear line on stderr and return the usage/input exit code."""
    print(f"threadreplay: {message}", file=sys.stderr)
    return EXIT_USAGE


def _settings() -> Settings:
    """Read settings, turning a validation error into one line naming the bad variable."""
    # pydantic-settings costs ~0.2 s to import: only for a command that reads the environment.
    from bot.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "settings"
        raise SystemExit(_fail(f"bad configuration {name}: {first['msg']}")) from None


def cmd_parse(args: argparse.Namespace) -> int:
    """`threadreplay parse FILE [--strict]`: the parse as JSON on stdout."""
    path = Path(args.file)
    try:
        if sniff(read_head(path)) in MULTI_ARTICLE:
            return _parse_many(path, strict=args.strict)
        article = parse_file(path, strict=args.strict)
    except ParseError as exc:
        return _fail(str(exc))
    json.dump(article.to_parse_json(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _parse_many(path: Path, *, strict: bool) -> int:
    """A file of many articles (a Disqus export): `{"format", "articles": [...]}`, streamed."""
    with contextlib.closing(iter_file(path, strict=strict)) as articles:
        article = next(articles, None)  # the whole file is checked before the first: no half output
        sys.stdout.write(f'{{\n  "format": {json.dumps(DISQUS_FORMAT)},\n  "articles": [')
        first = True
        while article is not None:
            body = json.dumps(article.to_parse_json(), ensure_ascii=False, indent=2)
            sys.stdout.write(
                ("\n" if first else ",\n") + "\n".join("    " + ln for ln in body.split("\n"))
            )
            first = False
            article = next(articles, None)
    sys.stdout.write("\n  ]\n}\n" if not first else "]\n}\n")
    return 0


class _ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty() and os.environ.get("TERM") != "dumb"

    def __call__(self, done: int, total: int, path: Path) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // max(total, 1)
        name = path.name if len(path.name) <= 40 else path.name[:39] + "…"
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name:<40}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


SHOWN_ARTICLES = 20  # added/updated articles the human report names before counting the rest


def _plural(count: int, word: str) -> str:
    """`1 comment`, `2 comments`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


async def _load(args: argparse.Namespace, db: str | Path, pool: ProcessPoolExecutor | None) -> int:
    """Run the loader, streaming the JSON report or collecting a human one."""
    totals = {"added": 0, "updated": 0, "unchanged": 0, "failed": 0}
    failures: list[FileReport] = []
    named: dict[str, list[FileReport]] = {"added": [], "updated": []}
    first = True
    async with await Storage.open(db) as store:
        if args.json:
            sys.stdout.write('{"files": [')
        async for report in iter_load(
            store,
            [Path(p) for p in args.paths],
            strict=args.strict,
            progress=_ProgressBar(),
            pool=pool,
        ):
            totals[report.status] += 1
            if args.json:
                entry = {k: v for k, v in report.model_dump(mode="json").items()}
                sys.stdout.write(
                    ("\n  " if first else ",\n  ") + json.dumps(entry, ensure_ascii=False)
                )
                first = False
            elif report.status == "failed":
                failures.append(report)
            elif report.status in named and report.key is not None:
                kept = named[report.status]
                if args.list_all or len(kept) < SHOWN_ARTICLES:
                    kept.append(report)
        titles = await queries.titles(
            store, [r.key for kept in named.values() for r in kept if r.key]
        )
    if args.json:
        sys.stdout.write("\n], " + json.dumps(totals)[1:] + "\n")
    elif not sum(totals.values()):
        print(
            "threadreplay: no loadable files in "
            + ", ".join(args.paths)
            + " (looked for *.txt, *.text, *.dump, *.xml and *.json, hidden files skipped)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    else:
        for status, kept in named.items():
            for r in kept:
                title = terminal_safe(titles.get(r.key or "", ""))[:100]
                print(f"{status}: {r.key}  {title}  ({_plural(r.comments, 'comment')})")
            rest = totals[status] - len(kept)
            if rest > 0:
                print(f"{status}: … and {rest} more (--list-all names every one)")
        for f in failures:
            print(f"failed: {terminal_safe(f.error or f.path)}", file=sys.stderr)
        print(
            f"{totals['added']} added, {totals['updated']} updated, {totals['unchanged']} unchanged,"
            f" {totals['failed']} failed  ({_shown(db)})"
        )
    return EXIT_FAILED if totals["failed"] else 0


def _target(args: argparse.Namespace) -> str | Path:
    """The store a command uses: --db (a SQLite file or a postgresql:// URL), else THREADREPLAY_DB."""
    if args.db:
        return str(args.db) if is_url(args.db) else Path(args.db)
    return _settings().db


def _shown(db: str | Path) -> str:
    """The store as output may name it: a URL without its password."""
    return shown_url(db) if isinstance(db, str) else str(db)


def cmd_load(args: argparse.Namespace) -> int:
    """`threadreplay load PATH... [--db FILE] [--json] [--list-all]`."""
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"threadreplay: no such file or directory: {missing[0]}", file=sys.stderr)
        return EXIT_FAILED
    db = _target(args)
    paths = [Path(p) for p in args.paths]
    if next(itertools.islice(iter_files(paths), BATCH_FILES, None), None) is None:
        return asyncio.run(_load(args, db, None))  # one batch: parsed here, no process started
    # More than a batch: the parser processes are forked before the store (and its thread) opens.
    pool = parser_pool(fork=True)
    try:
        return asyncio.run(_load(args, db, pool))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # interrupted: the queued files are not parsed


def cmd_run(args: argparse.Namespace) -> int:
    """`threadreplay run`: start the bot (standalone)."""
    from bot.standalone import run  # imports discord only when the bot is wanted

    return run(_settings())


async def _preview(args: argparse.Namespace, db: str | Path) -> int:
    from bot.replay.plan import build_plan
    from bot.replay.preview import plan_text
    from storage.models import Mode, Pace
    from storage.queries import article_counts, get_article

    async with await Storage.open(db) as store:
        stored = await get_article(store, args.key)
        counts = await article_counts(store, stored.id) if stored is not None else None
    if stored is None:
        return _fail(
            f"no article with key {args.key!r} in {_shown(db)}"
            " (load it first: threadreplay load FILE)"
        )
    plan = build_plan(
        stored.article,
        Mode(args.mode),
        include_spam=args.include_spam,
        avatars=_settings().avatars,
    )
    page = Path(args.html) if args.html else None
    if page is not None:
        from bot.replay.page import replay_page

        try:  # written first: a page that cannot be written is reported before any output
            page.write_text(replay_page(stored, plan, Pace(args.pace), counts), "utf-8")
        except OSError as exc:
            return _fail(f"cannot write {page}: {exc.strerror or exc}")
    sys.stdout.write(plan_text(stored.article, plan, Pace(args.pace)))
    if page is not None:
        sys.stdout.write(f"The page of this replay is in {page} (open it in any browser).\n")
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    """`threadreplay preview KEY [--mode …] [--html FILE]`: the replay plan and every message,
    without Discord (and, with --html, as a page)."""
    db = _target(args)
    if isinstance(db, Path) and not db.exists():
        return _fail(
            f"database {db} does not exist (load some dumps first: threadreplay load seeds)"
        )
    return asyncio.run(_preview(args, db))


SEARCH_MAX = 100  # --limit's ceiling: each part (articles, comments) returns at most this many


def _highlights(marked: str) -> tuple[str, list[list[int]]]:
    """A snippet without its hit markers, and the [start, end) offsets of the hits in it."""
    text, spans = "", []
    for i, piece in enumerate(marked.split(queries.HIT_START)):
        hit, sep, rest = piece.partition(queries.HIT_END)
        if i and sep:  # the piece before the first start marker is never a hit
            spans.append([len(text), len(text) + len(hit)])
            text += hit + rest
        else:
            text += piece
    return text, spans


def _hit_json(hit: queries.SearchHit) -> dict[str, object]:
    """One hit in `search --json`'s stable shape (README: threadreplay search)."""
    snippet, spans = _highlights(hit.snippet)
    entry: dict[str, object] = {"key": hit.key, "title": hit.title}
    if hit.author is not None:
        entry |= {"author": hit.author, "position": hit.position}
    return entry | {"snippet": snippet, "highlights": spans}


def _hit_line(hit: queries.SearchHit, bold: bool) -> str:
    """One hit for a terminal: where it is, then its snippet with the hits marked."""
    where = f"{hit.key}  {terminal_safe(hit.title)[:80]}"
    if hit.author is not None:
        where += f"  #{hit.position} {terminal_safe(hit.author)[:40]}"
    on, off = ("\033[1m", "\033[0m") if bold else ("[", "]")
    pieces = terminal_safe(hit.snippet.replace("\n", " ")).split(queries.HIT_START)
    snippet = pieces[0] + "".join(on + p.replace(queries.HIT_END, off, 1) for p in pieces[1:])
    return f"{where}\n    {snippet}"


async def _search(args: argparse.Namespace, db: str | Path) -> int:
    async with await Storage.open(db) as store:
        hits = await queries.search(store, args.query, limit=args.limit)
    articles = [h for h in hits if h.author is None]
    comments = [h for h in hits if h.author is not None]
    if args.json:
        out = {
            "query": args.query,
            "articles": [_hit_json(h) for h in articles],
            "comments": [_hit_json(h) for h in comments],
        }
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    else:
        bold = sys.stdout.isatty() and os.environ.get("TERM") != "dumb"
        for title, part in (("Articles", articles), ("Comments", comments)):
            if part:
                print(f"{title}:")
                print("\n".join(_hit_line(h, bold) for h in part))
        if not hits:
            print(f"threadreplay: nothing matches {terminal_safe(args.query)!r}", file=sys.stderr)
    return 0 if hits else EXIT_FAILED


def cmd_search(args: argparse.Namespace) -> int:
    """`threadreplay search QUERY [--db DB] [--limit N] [--json]`: the bot's /article search."""
    if not args.query.strip():
        return _fail("the search query is empty")
    db = _target(args)
    if isinstance(db, Path) and not db.exists():
        return _fail(
            f"database {db} does not exist (load some dumps first: threadreplay load seeds)"
        )
    return asyncio.run(_search(args, db))


def _limit(text: str) -> int:
    """--limit: a whole number from 1 to SEARCH_MAX."""
    if not text.isdigit() or not 1 <= int(text) <= SEARCH_MAX:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {SEARCH_MAX}")
    return int(text)


def cmd_invite(args: argparse.Namespace) -> int:
    """`threadreplay invite --app-id ID`: the OAuth2 URL with exactly the permissions the bot needs."""
    from bot.permissions import invite_url  # imports discord only when asked

    print(invite_url(args.app_id))
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """`threadreplay backup FILE [--db DB]`: a consistent copy, safe while the bot runs."""
    target = _target(args)
    if isinstance(target, str):
        return _fail(
            f"backup copies a SQLite file; {_shown(target)} is PostgreSQL: use pg_dump for it"
        )
    db = target
    target = Path(args.file)
    if not db.is_file():
        return _fail(f"database {db} does not exist")
    if target.exists():
        return _fail(f"{target} already exists; choose a new file name (backups never overwrite)")
    partial = target.with_name(target.name + ".partial")
    try:
        # SQLite's online backup: a snapshot of one moment, while the bot goes on writing.
        with (
            contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as source,
            contextlib.closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)
            (check,) = copy.execute("PRAGMA quick_check").fetchone()
            (articles,) = copy.execute("SELECT count(*) FROM articles").fetchone()
        if check != "ok":
            raise sqlite3.DatabaseError(f"the copy failed its check: {check}")
        partial.replace(target)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        return _fail(f"database {db}: {problem(exc)}")
    except OSError as exc:
        partial.unlink(missing_ok=True)
        return _fail(f"cannot write {target}: {exc.strerror or exc}")
    print(
        f"backed up {db} to {target} ({plural(articles, 'article')}, {target.stat().st_size:,} bytes)"
    )
    return 0


def cmd_migrate_db(args: argparse.Namespace) -> int:
    """`threadreplay migrate-db --to URL [--db FILE]`: copy the SQLite store into PostgreSQL."""
    from storage.migrate import copy_store

    source = _target(args)
    if isinstance(source, str):
        return _fail(f"--db must be the SQLite file to copy from, not a URL ({_shown(source)})")
    if not is_url(args.to):
        return _fail("--to must be a PostgreSQL URL: postgresql://user:password@host/database")
    if not source.is_file():
        return _fail(f"database {source} does not exist")
    try:
        report = asyncio.run(copy_store(source, args.to))
    except StorageError as exc:
        return _fail(str(exc))
    width = max(len(c.table) for c in report)
    for c in report:
        print(f"{c.table:<{width}}  {c.source:>10,} rows  {c.target:>10,} copied")
    print(f"copied {source} into {_shown(args.to)}; every count matches")
    return 0


def version() -> str:
    """The installed threadreplay's version."""
    try:
        return metadata.version("threadreplay")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def snowflake(text: str) -> int:
    """An argparse type for Discord ids: 17 to 20 digits, below 2**64."""
    value = text.strip()
    if not (value.isascii() and value.isdigit() and 17 <= len(value) <= 20) or int(value) >= 2**64:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Discord id (17-20 digits: the Application ID on the Developer"
            " Portal's General Information page)"
        )
    return int(value)


def _db_option(p: argparse.ArgumentParser) -> None:
    """`--db DB`: the store a command reads or writes (see `_target`)."""
    p.add_argument(
        "--db",
        metavar="DB",
        help="database: a SQLite file or a postgresql:// URL"
        " (default: THREADREPLAY_DB or threadreplay.db)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="threadreplay", description="Replay archived article discussions into Discord threads."
    )
    parser.add_argument("--version", action="version", version=f"threadreplay {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "parse", help="parse one file (dump, Disqus, Reddit, HN) and print it as JSON"
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--strict", action="store_true", help="treat recovered structure problems as errors"
    )
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("load", help="load dumps (files or directories) into the database")
    p.add_argument("paths", nargs="+", metavar="PATH")
    _db_option(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--strict", action="store_true", help="treat recovered structure problems as errors"
    )
    p.add_argument(
        "--list-all",
        action="store_true",
        help=f"name every added and updated article (default: the first {SHOWN_ARTICLES} of each)",
    )
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("run", help="start the Discord bot")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "preview", help="show what a replay of an article will post, without Discord"
    )
    p.add_argument("key", metavar="KEY", help="the article's key (see threadreplay load's report)")
    p.add_argument(
        "--mode",
        choices=["threads", "single"],
        default="threads",
        help="threads: a thread per top-level comment; single: all in one thread (default: threads)",
    )
    p.add_argument(
        "--pace",
        choices=["fast", "steady", "natural"],
        default="fast",
        help="the pace the time estimate is for (default: fast)",
    )
    p.add_argument(
        "--include-spam", action="store_true", help="show spam comments (under a spoiler)"
    )
    _db_option(p)
    p.add_argument(
        "--html",
        metavar="FILE",
        help="also write the replay as one self-contained HTML page (the card, every thread and"
        " message with its avatar, name, reply line and formatting, the warnings); it opens"
        " offline in any browser, only the avatars load from their service",
    )
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser(
        "backup", help="copy the database to FILE consistently, even while the bot runs"
    )
    p.add_argument("file", metavar="FILE", help="the new backup file (never overwritten)")
    p.add_argument(
        "--db", metavar="DB", help="database file (default: THREADREPLAY_DB or threadreplay.db)"
    )
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser(
        "migrate-db",
        help="copy the SQLite store (articles, replays and their ledger, feed) into an empty"
        " PostgreSQL database, and check every table's count",
    )
    p.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the PostgreSQL database: postgresql://user:password@host/database (must be empty)",
    )
    p.add_argument(
        "--db", metavar="FILE", help="the SQLite file (default: THREADREPLAY_DB or threadreplay.db)"
    )
    p.set_defaults(func=cmd_migrate_db)

    p = sub.add_parser(
        "search", help="full-text search over articles and comments, as the bot's /article search"
    )
    p.add_argument("query", metavar="QUERY", help='words, "a phrase", prefix*, OR, NOT, NEAR(…)')
    _db_option(p)
    p.add_argument(
        "--limit",
        type=_limit,
        default=10,
        metavar="N",
        help=f"at most N articles and N comments (1-{SEARCH_MAX}, default 10 as in Discord)",
    )
    p.add_argument("--json", action="store_true", help="print the hits as JSON (README: search)")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("invite", help="print the URL that adds the bot to a server")
    p.add_argument(
        "--app-id", type=snowflake, required=True, metavar="ID", help="the application (client) id"
    )
    p.set_defaults(func=cmd_invite)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `threadreplay` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DatabaseUnusable as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`threadreplay parse x | head`): not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
