"""The files an import keeps beside the working copy while it runs, and removing those of dead ones.

An import of ``working-copy.sqlite`` by process 4242 names every file it makes
``.working-copy.sqlite.import-4242.*``: ``…lock``, held (``flock``) for as long as the import
runs and saying what it imports and since when; ``…tmp``, the staging file of a new working copy
(with its ``-journal``); ``….rows.tmp``, the rows the worker process reading a large SOR XML file
spills. A killed import leaves them behind; whoever finds them with their lock free removes them
(``remove_stale``, run by every command), and a lock that is held names a running import
(``running_imports``). Files of that shape without a lock file are a dead process's when that
process is gone.

No SQLite here: the working copy's own write lock is SQLite's (``db.write_transaction``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: liveness falls back to the process id
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = "lock"
_PID = re.compile(r"\.import-(\d+)\.")


def prefix(db_path: Path, pid: int | None = None) -> str:
    """The start of the names of the files the import by ``pid`` (this process) makes."""
    return f".{Path(db_path).name}.import-{os.getpid() if pid is None else pid}."


@dataclass(frozen=True)
class RunningImport:
    pid: int
    started: str  # ISO time
    files: tuple[str, ...]  # names of the files it imports

    def describe(self) -> str:
        """``an import of sor.xml (process 4242, started 12:03:04)``."""
        what = ", ".join(self.files[:3]) + (", …" if len(self.files) > 3 else "")
        started = self.started[11:19] if len(self.started) >= 19 else self.started
        return f"an import of {what or 'files'} (process {self.pid}, started {started})"


class ImportLock:
    """Held by an import from its start to its end: marks its files as a live process's."""

    def __init__(self, db_path: Path, files: list[Path]):
        self.db_path = Path(db_path)
        self.folder = self.db_path.parent
        self.prefix = prefix(self.db_path)
        self._files = [p.name for p in files]
        self._fd: int | None = None

    def path(self, suffix: str) -> Path:
        """A file of this import, e.g. ``path("tmp")`` for the staging file."""
        return self.folder / f"{self.prefix}{suffix}"

    def __enter__(self) -> ImportLock:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Locked and filled under another name, then renamed: nobody sees the lock file unheld.
        draft = self.path(f"{LOCK_SUFFIX}.new")
        fd = os.open(draft, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            info = {"pid": os.getpid(), "started": datetime.now().isoformat(timespec="seconds"), "files": self._files}
            os.write(fd, json.dumps(info).encode())
            os.replace(draft, self.path(LOCK_SUFFIX))
        except BaseException:
            os.close(fd)
            _unlink(draft)
            raise
        self._fd = fd
        return self

    def forget(self) -> None:
        """In a forked worker: close its copy of the lock, which the import alone holds (and removes)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __exit__(self, *exc: object) -> None:
        """Remove every file of this import, the lock last (unlinked while still held)."""
        for path in _files_of(self.folder, self.prefix):
            if not path.name.endswith(LOCK_SUFFIX):
                _unlink(path)
        _unlink(self.path(LOCK_SUFFIX))
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def running_imports(db_path: Path) -> list[RunningImport]:
    """The imports into ``db_path`` whose process is running (their lock is held), oldest first."""
    found = []
    for lock in _locks(Path(db_path)):
        with _probe(lock) as free:
            if free is False:
                found.append(_read_info(lock))
    return sorted(found, key=lambda r: r.started)


def remove_stale(db_path: Path) -> list[Path]:
    """Remove what imports into ``db_path`` left behind when their process died; returns what went."""
    db_path = Path(db_path)
    folder = db_path.parent
    if not folder.is_dir():
        return []
    removed: list[Path] = []
    with contextlib.suppress(OSError):
        for lock in _locks(db_path):
            with _probe(lock) as free:
                if free:  # nobody holds it: its import is gone
                    group = _files_of(folder, lock.name.removesuffix(LOCK_SUFFIX))
                    removed += [p for p in group if p != lock and _unlink(p)]
                    removed += [lock] if _unlink(lock) else []  # last, while this process holds it
        for path in _unlocked_files(db_path):
            if not _alive(_pid_of(path)) and _unlink(path):
                removed.append(path)
    return removed


# -- helpers ---------------------------------------------------------------------------------------


def _files_of(folder: Path, start: str) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(start)] if folder.is_dir() else []


def _locks(db_path: Path) -> list[Path]:
    start = f".{db_path.name}.import-"
    return [p for p in _files_of(db_path.parent, start) if p.name.endswith(f".{LOCK_SUFFIX}")]


def _unlocked_files(db_path: Path) -> Iterator[Path]:
    """Files of imports into ``db_path`` that have no lock file (an older sortui made them, or a
    crash came between removing them and their lock)."""
    locked = {p.name.removesuffix(LOCK_SUFFIX) for p in _locks(db_path)}
    for path in _files_of(db_path.parent, f".{db_path.name}.import-"):
        if _pid_of(path) is not None and not any(path.name.startswith(start) for start in locked):
            yield path


@contextlib.contextmanager
def _probe(lock: Path) -> Iterator[bool | None]:
    """Whether nobody holds ``lock`` (True, and this process holds it until the block ends), somebody
    does (False), or the file is gone (None)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        yield None
        return
    try:
        if fcntl is None:  # pragma: no cover
            yield not _alive(_pid_of(lock))
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _read_info(lock: Path) -> RunningImport:
    pid = _pid_of(lock) or 0
    try:
        info = json.loads(lock.read_text(encoding="utf-8"))
        return RunningImport(int(info.get("pid", pid)), str(info.get("started", "")), tuple(info.get("files", ())))
    except (OSError, ValueError, TypeError, AttributeError):
        return RunningImport(pid, "", ())


def _pid_of(path: Path) -> int | None:
    match = _PID.search(path.name)
    return int(match.group(1)) if match else None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return True  # not ours to judge
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
