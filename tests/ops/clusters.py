"""Two real PostgreSQL clusters on this machine: a primary and a streaming replica of it.

Made from scratch in a temporary folder with the machine's PostgreSQL programs (initdb, then
pg_basebackup from the primary, as a deployment makes a standby), on free loopback ports, and
removed again. The machine's own cluster is not touched. As root, the servers run as the
`postgres` user, as PostgreSQL insists.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg


def bindir() -> Path:
    """The newest installed PostgreSQL's programs (PG_BINDIR chooses others)."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's initdb was not found (set PG_BINDIR)")
    return Path(initdb).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(command: Sequence[str], **kwargs: object) -> None:
    """Run a PostgreSQL program, as the postgres user when we are root."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120, **kwargs)  # type: ignore[call-overload]


class Cluster:
    def __init__(self, folder: Path, name: str) -> None:
        self.data = folder / name
        self.folder = folder
        self.port = free_port()
        self.log = folder / f"{name}.log"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.folder} -c fsync=off -c full_page_writes=off"
        )
        run([str(bindir() / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
             "-o", options, "start"])  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        run([str(bindir() / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=5)

    def sql(self, query: str, database: str = "postgres") -> object:
        """Run one statement and return the first column of its first row (or None)."""
        with self.connect(database) as connection:
            cursor = connection.execute(query)  # type: ignore[arg-type]
            row = cursor.fetchone() if cursor.description else None
        return row[0] if row else None


class Pair:
    """A primary and a replica streaming from it, in a temporary folder."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="portal-replica-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.primary = Cluster(self.folder, "primary")
        self.replica = Cluster(self.folder, "replica")

    def make_primary(self) -> None:
        run([str(bindir() / "initdb"), "-D", str(self.primary.data), "-U", "postgres",
             "-A", "trust", "--no-sync"])  # fmt: skip
        self.primary.start()

    def make_replica(self) -> None:
        """Copy the primary as a standby (-R: standby.signal, primary_conninfo) and start it."""
        run([str(bindir() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary.port),
             "-U", "postgres", "-D", str(self.replica.data), "-R", "-X", "stream", "-c", "fast",
             "--no-sync"])  # fmt: skip
        self.replica.start()
        self.wait_until_replayed()

    def wait_until_replayed(self, seconds: float = 30) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            behind = self.replica.sql(
                f"SELECT pg_wal_lsn_diff('{target}', pg_last_wal_replay_lsn()) > 0"
            )
            if behind is False:
                return
            time.sleep(0.1)
        raise TimeoutError("the replica did not catch up")

    def remove(self) -> None:
        for cluster in (self.replica, self.primary):
            if (cluster.data / "postmaster.pid").exists():
                try:
                    cluster.stop("immediate")
                except subprocess.CalledProcessError:
                    pass
        shutil.rmtree(self.folder, ignore_errors=True)
