"""UI figures of the terminal app, measured through a pseudo-terminal like a user's terminal.

``measure_ui(db)`` runs ``sortui --readonly --db DB`` in a pty at 120×40 and returns:

- ``ui_launch_s``: launch to the first usable screen (the tree's top level painted), budget ≤ 1.0 s;
- ``ui_expand_widest_ms``: ``l`` on the widest node to the first paint of its first child, ≤ 100 ms;
- ``ui_bytes_per_move``: bytes written to the terminal per cursor move (``j`` held down) in the tree, ≤ 4 KB;
- ``ui_bytes_per_step``: the same for single moves, each followed by the detail panel's repaint;
- ``ui_peak_rss_mb``: peak RSS of the app after that browsing (VmHWM), ≤ 200 MB.

Run alone: ``python benchmarks/ui_app.py WORKING_COPY``; ``benchmarks/run.py`` calls ``fig_ui``.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import sqlite3
import struct
import sys
import termios
import threading
import time
from contextlib import closing
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLUMNS, LINES = 120, 40
TREE_ICON = "▶ ".encode()


class PtyApp:
    """The app in a pseudo-terminal; a thread collects what it writes, with timestamps."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the app
            os.chdir(REPO)
            os.execvpe(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.started = time.perf_counter()
        self.out = bytearray()
        self.lock = threading.Lock()
        self.last_write = self.started
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.5)
                if not ready:
                    continue
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.out += data
                self.last_write = time.perf_counter()

    def size(self) -> int:
        with self.lock:
            return len(self.out)

    def wait_for(self, needle: bytes, since: int = 0, timeout: float = 20) -> float:
        """Seconds (perf_counter) when ``needle`` appeared in the output after byte ``since``."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                if needle in self.out[since:]:
                    return time.perf_counter()
            time.sleep(0.001)
        raise TimeoutError(f"{needle!r} did not appear within {timeout} s")

    def quiet(self, gap: float = 0.15, timeout: float = 10) -> None:
        """Wait for output (up to 1 s) and then until nothing has been written for ``gap`` seconds."""
        called = time.perf_counter()
        deadline = called + timeout
        while time.perf_counter() < deadline:
            with self.lock:
                last = self.last_write
            now = time.perf_counter()
            if now - last >= gap and (last > called or now - called > 1):
                return
            time.sleep(0.005)

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        try:
            self.send("q")
            deadline = time.perf_counter() + 5
            while time.perf_counter() < deadline:
                pid, _ = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    return
                time.sleep(0.05)
            os.kill(self.pid, signal.SIGTERM)
            os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)


def widest_node(db: Path) -> tuple[str, str, int]:
    """(SOR id, name of its first child, number of children) of the unit with the most children."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        parent, width = conn.execute(
            "SELECT parent_sor_id, count(*) FROM entity WHERE parent_sor_id IS NOT NULL"
            " GROUP BY parent_sor_id ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
        first = conn.execute(
            "SELECT name FROM entity WHERE parent_sor_id = ? AND to_date IS NULL ORDER BY sort_name, sor_id LIMIT 1",
            (parent,),
        ).fetchone()[0]
    return parent, first, width


def measure_ui(db: Path, moves: int = 20) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(REPO), TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES))
    env.pop("TEXTUAL", None)
    app = PtyApp([sys.executable, "-m", "sortui", "--readonly", "--db", str(db)], env)
    values: dict[str, float] = {}
    try:
        values["ui_launch_s"] = app.wait_for(TREE_ICON) - app.started
        app.quiet()
        # bytes per cursor move in the tree: held down (key repeat, 30 a second; the detail panel
        # follows once the cursor rests) and one at a time (each move repaints the detail panel too)
        app.send("l")
        app.quiet()
        before = app.size()
        for _ in range(moves):
            app.send("j")
            time.sleep(1 / 30)
        app.quiet(gap=0.3)
        values["ui_bytes_per_move"] = (app.size() - before) / moves
        before = app.size()
        for _ in range(moves // 2):
            app.send("k")
            app.quiet(gap=0.2)
        values["ui_bytes_per_step"] = (app.size() - before) / (moves // 2)
        # expanding the widest node: go to it, then time l until its first child is painted
        parent, first_child, width = widest_node(db)
        app.send(":")
        app.quiet()
        app.send(parent + "\r")
        app.quiet(gap=0.3)
        mark = app.size()
        sent = time.perf_counter()
        app.send("l")
        values["ui_expand_widest_ms"] = (app.wait_for(first_child[:20].encode(), since=mark) - sent) * 1000
        values["ui_widest_children"] = width
        app.quiet()
        values["ui_peak_rss_mb"] = app.peak_rss_mb()
    finally:
        app.close()
    return values


def fig_ui(run: object) -> None:
    """For benchmarks/run.py: the UI figures on the run's working copy."""
    run.values.update(measure_ui(run.imported()))  # type: ignore[attr-defined]


if __name__ == "__main__":
    for key, value in measure_ui(Path(sys.argv[1])).items():
        print(f"{key:<24} {value:,.2f}")
