"""The bundled demo snapshot (``data/demo``): what the app opens when the working copy is empty.

The files are generated (``python benchmarks/make_demo.py`` rewrites them) with ``DEMO_ENTITIES``
and ``DEMO_SEED``; the generator is deterministic, so regenerating only changes them when the
generator itself changes.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sortui.paths import data_dir

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


def has_entities(db_path: Path) -> bool:
    """Whether the working copy at ``db_path`` holds any SOR entity (a missing or empty file holds none)."""
    path = Path(db_path)
    if not path.exists() or path.stat().st_size == 0:
        return False
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        try:
            return conn.execute("SELECT 1 FROM entity LIMIT 1").fetchone() is not None
        except sqlite3.OperationalError:  # no entity table yet: a fresh file
            return False


def ensure_demo_working_copy(db_path: Path) -> bool:
    """Import the demo snapshot into ``db_path`` when it has no entities yet; True when it did."""
    files = demo_files()
    if not files or has_entities(db_path):
        return False
    from sortui.store.importer import import_files

    import_files(Path(db_path), files)
    return True


def write_demo(folder: Path | None = None) -> list[Path]:
    """(Re)generate the demo files into ``folder`` (default: the shipped ``data/demo``)."""
    from sortui.generator.files import write_file_set

    target = folder or demo_dir()
    paths = write_file_set(target, DEMO_ENTITIES, DEMO_SEED, DEMO_FORMATS)
    return [paths[kind] for kind in DEMO_FORMATS]
