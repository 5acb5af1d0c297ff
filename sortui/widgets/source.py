"""The app's access to the working copy: a pool of SQLite connections for thread workers.

No Textual here. Each thread worker takes a connection from the pool for the time
of its query and gives it back, so no connection is used by two threads at once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sortui.store import db


class Source:
    """Where the app reads from: the working copy at ``path``, read-only or not."""

    def __init__(self, path: Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._epoch = 0  # bumped by reset(): connections from before are closed when given back

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for this thread alone until the block ends."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
            epoch = self._epoch
        if conn is None:
            conn = db.connect(self.path, readonly=self.readonly)
        try:
            yield conn
        finally:
            conn.row_factory = None
            with self._lock:
                keep = not self._closed and epoch == self._epoch
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    def reset(self) -> None:
        """Close idle connections (after the file was replaced, e.g. by an import)."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._epoch += 1
        for conn in idle:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.reset()
