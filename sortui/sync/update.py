"""``sortui update``: fetch the register's download files and import them as one snapshot.

The files come from URLs given, or from the central service's own downloads (``/files/...``).
Each is fetched with a conditional GET (``download.py``); what is new is imported all or nothing,
the import applies pending edits again on the new data and records what changed
(``store.diff.record_import``). A file the server says is not modified, or whose bytes are those
imported last time, changes nothing.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from sortui.formats.common import sha256_of
from sortui.store import db
from sortui.store.importer import ImportReport, import_files
from sortui.sync.client import normalise_url
from sortui.sync.download import Fetched, Progress, fetch, remember, remembered

# The service's files that make a working copy (the SOR tree, SHAK codes, message types), in import
# order; the service has SHAK codes only when it was loaded with them, so those may be missing.
SERVICE_FILES: tuple[tuple[str, bool], ...] = (
    ("sor.zip", False),
    ("SHAKCOMPLETE.TXT", True),
    ("LocationsCodeEDITypeMap.csv", True),
)


@dataclass(slots=True)
class Source:
    url: str
    optional: bool = False  # a 404 means the server has no such file, not an error


@dataclass(slots=True)
class UpdateResult:
    fetched: list[Fetched] = field(default_factory=list)
    same: list[str] = field(default_factory=list)  # downloaded, but the bytes imported last time
    report: ImportReport | None = None  # None: nothing was imported


def service_sources(service_url: str) -> list[Source]:
    base = normalise_url(service_url)
    return [Source(f"{base}/files/{name}", optional) for name, optional in SERVICE_FILES]


def downloads_folder(db_path: Path) -> Path:
    """Where downloads wait to be imported (and broken-off ones to be resumed): beside the working copy."""
    return db_path.with_name(f".{db_path.name}.downloads")


def update(
    db_path: Path,
    sources: Sequence[Source],
    progress: Progress | None = None,
    *,
    insecure: bool = False,
) -> UpdateResult:
    """Fetch ``sources`` and import what is new into the working copy at ``db_path``."""
    db_path = Path(db_path)
    with closing(db.open_working_copy(db_path)) as conn:
        known = {s.url: remembered(conn, s.url) for s in sources}
    folder = downloads_folder(db_path)
    result = UpdateResult()
    for source in sources:
        before = known[source.url]
        got = fetch(
            source.url,
            folder,
            before[0] if before else None,
            progress,
            optional=source.optional,
            insecure=insecure,
        )
        result.fetched.append(got)
    new, digests = [], {}
    for got in result.fetched:
        if got.path is None:
            continue
        digests[got.url] = sha256_of(got.path)
        before = known[got.url]
        if before is not None and before[1] == digests[got.url]:
            result.same.append(got.url)
        else:
            new.append(got)
    if new:
        result.report = import_files(db_path, [got.path for got in new if got.path is not None], progress)
        urls = {str(got.path): got.url for got in new}
        for report in result.report.files:  # name what was imported by where it came from
            report.path = urls.get(report.path, report.path)
    _remember(db_path, [g for g in result.fetched if g.path is not None], digests)
    shutil.rmtree(folder, ignore_errors=True)
    return result


def _remember(db_path: Path, fetched: list[Fetched], digests: dict[str, str]) -> None:
    """Keep the validators of what was imported, and name the snapshots by their URL, not the temporary file."""
    if not fetched:
        return
    with closing(db.open_working_copy(db_path)) as conn, conn:
        for got in fetched:
            remember(conn, got, digests[got.url])
            assert got.path is not None
            conn.execute(
                "UPDATE snapshot SET source_file = ? WHERE source_file = ?", (got.url, str(got.path.resolve()))
            )
