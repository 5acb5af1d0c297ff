"""The bundled demo snapshot (``data/demo``) and the demo's own working copy made from it.

Plain ``sortui`` with no working copy yet opens the demo working copy (``paths.demo_db_path``),
rebuilt from the snapshot when missing or out of date; the user's working copy is made only by
``sortui import`` (or ``login --create``), so the demo never mixes with real data.

The files are generated (``python benchmarks/make_demo.py`` rewrites them) with ``DEMO_ENTITIES``
and ``DEMO_SEED``; the generator is deterministic, so regenerating only changes them when the
generator itself changes.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from sortui.formats.common import sha256_of
from sortui.paths import data_dir
from sortui.store import db

if TYPE_CHECKING:
    from sortui.store.importer import Progress

DEMO_ENTITIES = 3_000
DEMO_SEED = 2026
DEMO_FORMATS = ("zip", "shak", "edi")
# In import order: the SOR tree first, then SHAK, then the message types on its location numbers.
DEMO_FILE_NAMES = ("sor.zip", "SHAKCOMPLETE.TXT", "LocationsCodeEDITypeMap.csv")


def demo_dir() -> Path:
    return data_dir() / "demo"


def demo_files() -> list[Path]:
    """The demo files in import order (only those that exist)."""
    folder = demo_dir()
    return [folder / name for name in DEMO_FILE_NAMES if (folder / name).is_file()]


@functools.cache
def snapshot_hashes() -> frozenset[str]:
    """The SHA-256 of each bundled demo file (what an import of them records in ``snapshot``)."""
    return frozenset(sha256_of(f) for f in demo_files())


def is_demo_snapshot(hashes: Iterable[object]) -> bool:
    """Whether the files a working copy was imported from (their hashes) are exactly the demo's."""
    return bool(snapshot_hashes()) and set(hashes) == snapshot_hashes()


def holds_demo(db_path: Path) -> bool:
    """Whether ``db_path`` is a working copy of exactly the bundled demo snapshot at this schema version
    (the demo's own file; or a user's working copy an older sortui filled with the demo)."""
    path = Path(db_path)
    if not path.is_file() or path.stat().st_size == 0:
        return False
    try:  # not read-only: the last connection to close removes its -wal and -shm again, leaving no trace
        with closing(db.connect(path)) as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] != db.SCHEMA_VERSION:
                return False
            return is_demo_snapshot(r[0] for r in conn.execute("SELECT sha256 FROM snapshot"))
    except sqlite3.Error:  # not a working copy (any more)
        return False


def ensure_demo(db_path: Path, progress: Progress | None = None) -> bool:
    """Make ``db_path`` the demo working copy if it is missing or out of date; True when it (re)built it.
    ``progress`` follows the import (the importer's callback).

    A demo made from another snapshot (or by an older sortui) is replaced whole, edits made in the
    demo with it: it is built beside it and swapped in, so ``db_path`` is never half made.
    """
    files = demo_files()
    if not files:
        raise FileNotFoundError(f"the demo snapshot is missing from this build ({demo_dir()})")
    path = Path(db_path)
    if holds_demo(path):
        return False
    from sortui.store.importer import import_files

    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.build-{os.getpid()}")
    db.remove_database(building)
    try:
        import_files(building, files, progress)
        db.remove_database(path, keep_file=True)
        os.replace(building, path)
    finally:
        db.remove_database(building)
    return True


def write_demo(folder: Path | None = None) -> list[Path]:
    """(Re)generate the demo files into ``folder`` (default: the shipped ``data/demo``)."""
    from sortui.generator.files import write_file_set

    target = folder or demo_dir()
    paths = write_file_set(target, DEMO_ENTITIES, DEMO_SEED, DEMO_FORMATS)
    return [paths[kind] for kind in DEMO_FORMATS]
