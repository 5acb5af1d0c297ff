"""Where the user left the main screen, per working copy: plain data and its file (no Textual).

A small JSON file in the user state folder, named by a hash of the working copy's resolved path
(the demo's file is another working copy, so it has its own). It is written whole to a temporary
file and renamed into place, and read tolerantly: a file that is missing, too large, not JSON, or
holds anything but the expected shape gives the default state (a value of the wrong shape is
dropped, never obeyed): no traceback, and the app starts as it would without it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sortui import paths

PANES = ("tree", "shak")  # the ids of the main screen's left panes
MAX_BYTES = 256 * 1024  # a state file larger than this is not read
MAX_EXPANDED = 300  # expanded nodes remembered
MAX_DEPTH = 16  # keys in the path of one expanded node
MAX_KEY = 80  # characters in one key (SOR-kode, "type:<code>", "letter:<c>")


@dataclass(slots=True)
class SessionState:
    """The unit under the tree's cursor, the expanded nodes (each by the keys of its path from the top),
    the pane shown, the view date and whether closed units are shown."""

    cursor: str | None = None
    expanded: list[list[str]] = field(default_factory=list)
    pane: str = "tree"
    view_date: str | None = None
    show_closed: bool = False


def state_file(working_copy: Path, folder: Path | None = None) -> Path:
    """The state file of ``working_copy`` in ``folder`` (default: the user state folder)."""
    resolved = str(Path(working_copy).expanduser().resolve())
    name = hashlib.sha256(resolved.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return (folder or paths.state_dir()) / "sessions" / f"{name}.json"


def load(path: Path) -> SessionState:
    """The state in ``path``; the default state when it is missing, damaged or of another shape."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            return SessionState()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return SessionState()
    return from_json(data)


def from_json(data: Any) -> SessionState:
    """A state from parsed JSON, each value taken only when it has the expected shape."""
    if not isinstance(data, dict):
        return SessionState()
    expanded = data.get("expanded")
    return SessionState(
        cursor=data["cursor"] if _is_key(data.get("cursor")) else None,
        expanded=[p for p in expanded[:MAX_EXPANDED] if _is_path(p)] if isinstance(expanded, list) else [],
        pane=data["pane"] if data.get("pane") in PANES else "tree",
        view_date=data["view_date"] if _is_date(data.get("view_date")) else None,
        show_closed=data.get("show_closed") is True,
    )


def save(path: Path, state: SessionState) -> None:
    """Write ``state`` to ``path`` atomically (a reader sees the old file or the new one); ``OSError`` if it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".session-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(state), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _is_key(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_KEY and value.isprintable() and not value.isspace()


def _is_path(value: object) -> bool:
    return isinstance(value, list) and 0 < len(value) <= MAX_DEPTH and all(_is_key(k) for k in value)


def _is_date(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 10:
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
