"""A throwaway PostgreSQL cluster for the tests: `initdb` in a temporary folder, `pg_ctl` on a free port.

One cluster serves the whole session (starting one takes a couple of seconds); every test gets a
database of its own, created empty from `template0` and dropped afterwards. Root may not run the
server (`initdb` refuses), so as root the cluster belongs to the `postgres` user that Debian's
package creates, and is driven through `runuser`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

PASSWORD = "pw-never-logged-9f3a"  # a real password, so the tests can check it never shows


def _bin(name: str) -> str:
    """The server binary `name`: PATH first, then Debian's versioned folder."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    raise RuntimeError(
        f"{name} not found: install PostgreSQL's server (apt-get install postgresql)"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """A running cluster on 127.0.0.1:`port`, superuser `threadreplay` with a password."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        self._names = itertools.count(1)

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        """initdb, then start the server and wait until it accepts connections."""
        self.root.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD)
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            _bin("initdb"), "-D", str(self.data), "-U", "threadreplay", "--pwfile", str(pwfile),
            "-A", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8", "--no-sync",
        )  # fmt: skip
        self.serve()

    def serve(self) -> None:
        """Start the server on the cluster's folder and wait until it accepts connections."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            _bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server immediately; the folder is removed by the caller."""
        with contextlib.suppress(subprocess.SubprocessError):
            self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        """A connection URL (with the password) for `database`."""
        return f"postgresql://threadreplay:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        name = f"t{os.getpid()}_{next(self._names)}"
        self.psql(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one statement with psql and return its unaligned output."""
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        done = subprocess.run(
            [shutil.which("psql") or _bin("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", "threadreplay", "-d", database, "-c", sql],
            check=True, capture_output=True, text=True, env=env, timeout=60,
        )  # fmt: skip
        return done.stdout.strip()


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Start a cluster in a temporary folder, yield it, stop it and remove the folder."""
    root = Path(tempfile.mkdtemp(prefix="threadreplay-pg-"))
    os.chmod(root, 0o755)
    cluster = Cluster(root / "cluster")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
