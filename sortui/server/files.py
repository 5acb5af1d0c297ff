"""The register's own download files, published by the service, and its operating messages as RSS.

``GET /files/sor.xml`` (and ``sor.zip``, ``sor.csv``, ``SorEntity_daily.csv``,
``LocationsCodeEDITypeMap.csv``, ``SHAKCOMPLETE.TXT`` when the register has SHAK codes) are open
to anyone, as the register's downloads are. They are written by sortui's own writers from the
register and regenerated when it has changed: the first request after a change starts a new
generation and waits for it (at most ``WAIT`` seconds when an older generation can be served
meanwhile). A generation is a folder of finished files; requests stream them from disk
(Range requests included) with an ETag (the file's SHA-256) and Last-Modified (when its bytes
last changed), and answer 304 to a conditional GET.

``GET /status/feed.xml`` is the operating messages (driftsbeskeder) as an RSS 2.0 feed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

import platformdirs
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from lxml import etree
from sqlalchemy import Engine, func, select

from sortui import __version__
from sortui.domain import wire
from sortui.domain.model import LocationMessage, MessageDefinition, ShakCode
from sortui.formats.common import sha256_of
from sortui.server import register
from sortui.server.schema import EntityRecord, LocationRecord, RegisterState, ShakCodeRecord
from sortui.store import db
from sortui.store.export import export, zip_sor_xml
from sortui.store.rows import EntityBatch, insert_sql, location_row, walk_tree
from sortui.store.tables import LOCATION, LOCATION_MESSAGE, SHAK_CODE

log = logging.getLogger("sortui.server")

WAIT = 20.0  # seconds a request waits for a new generation when it can serve the previous one
BATCH = 2000
TYPE_LISTS = ("owner_type", "institution_type", "unit_type")
MEDIA_TYPES = {
    "sor.xml": "application/xml",
    "sor.zip": "application/zip",
    "sor.csv": "text/csv; charset=windows-1252",
    "SorEntity_daily.csv": "text/csv; charset=utf-8",
    "LocationsCodeEDITypeMap.csv": "text/csv; charset=utf-8",
    "SHAKCOMPLETE.TXT": "text/plain; charset=iso-8859-1",
}
FILE_NAMES = tuple(MEDIA_TYPES)


def default_folder(engine: Engine) -> Path:
    """The user cache folder of this register (its service id keeps two services' files apart)."""
    with engine.connect() as conn:
        service_id = register.service_id(conn)
    return Path(platformdirs.user_cache_dir("sortui")) / "service-files" / service_id


# -- a generation of files -----------------------------------------------------------------------


@dataclass(slots=True)
class Published:
    path: Path
    etag: str
    last_modified: str  # HTTP date
    size: int


@dataclass(slots=True)
class Generation:
    fingerprint: tuple
    folder: Path
    files: dict[str, Published] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)  # a file that could not be written, and why


def fingerprint(engine: Engine) -> tuple:
    """What changes whenever the register does: the feed's head and the number of records of each kind."""
    with engine.connect() as conn:
        head = conn.execute(select(RegisterState.head_seq, RegisterState.service_id)).one()
        counts = tuple(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (EntityRecord, LocationRecord, ShakCodeRecord)
        )
    return (*head, *counts)


class Publisher:
    """Keeps the files of the newest register generation; ``current()`` regenerates them when it changed."""

    def __init__(self, engine: Engine, folder: Path | None = None):
        self.engine = engine
        self._folder = folder
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._job: threading.Thread | None = None
        self._done = threading.Event()
        self._failed: tuple[tuple, str] | None = None  # a fingerprint whose generation failed, and why

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = default_folder(self.engine)
        return self._folder

    def current(self) -> Generation:
        """The files of the register as it is now (or, while they are written, of a moment ago)."""
        wanted = fingerprint(self.engine)
        with self._lock:
            if self._generation is None:
                self._generation = self._on_disk()
            gen = self._generation
            if gen is not None and gen.fingerprint == wanted:
                return gen
            if self._failed is not None and self._failed[0] == wanted:
                raise FilesUnavailable(self._failed[1])
            if self._job is None:
                self._done = threading.Event()  # one per generation: whoever waits, waits for this one
                self._job = threading.Thread(target=self._generate, args=(wanted,), name="sortui-files", daemon=True)
                self._job.start()
            done = self._done
        done.wait(WAIT if gen is not None else None)
        with self._lock:
            if self._generation is None:
                raise FilesUnavailable(self._failed[1] if self._failed else "the files are being written")
            return self._generation

    def _generate(self, wanted: tuple) -> None:
        try:
            gen = generate(self.engine, self.folder, wanted, self._generation)
            with self._lock:
                old, self._generation, self._failed = self._generation, gen, None
            # The generation before stays: a request may have been handed one of its files a moment ago.
            # Older ones go (a file being sent stays readable until it is closed).
            keep = {gen.folder.name, old.folder.name if old else ""}
            for folder in self.folder.glob("gen-*"):
                if folder.name not in keep:
                    shutil.rmtree(folder, ignore_errors=True)
        except Exception as exc:
            log.error("the register's files could not be written: %s", exc)
            with self._lock:
                self._failed = (wanted, f"the register's files could not be written ({type(exc).__name__})")
        finally:
            with self._lock:
                self._job = None
            self._done.set()

    def _on_disk(self) -> Generation | None:
        """The generation a previous run of the service left (served while a newer one is written)."""
        try:
            manifest = json.loads((self.folder / "current.json").read_text())
            folder = self.folder / manifest["folder"]
            files = {name: Published(folder / name, **info) for name, info in manifest["files"].items()}
            fingerprint = tuple(manifest["fingerprint"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not all(p.path.is_file() for p in files.values()):
            return None
        return Generation(fingerprint, folder, files, dict(manifest.get("problems", {})))


class FilesUnavailable(Exception):
    """The files cannot be served right now (being written for the first time, or writing failed)."""


def generate(engine: Engine, root: Path, wanted: tuple, previous: Generation | None = None) -> Generation:
    """Write every file of the register into a new folder under ``root``; returns the generation."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"gen-{time.time_ns()}"
    folder.mkdir()
    gen = Generation(wanted, folder)
    try:
        with contextlib.closing(_working_copy(engine, folder / "register.sqlite")) as conn:
            for name, write in _WRITERS.items():
                path = folder / name
                try:
                    if write(conn, path) is False:
                        continue  # nothing to publish (no SHAK codes)
                except ValueError as exc:  # a value the format cannot carry: that file only is missing
                    gen.problems[name] = str(exc)
                    path.unlink(missing_ok=True)
                    continue
                gen.files[name] = _published(path, previous.files.get(name) if previous else None)
        (folder / "register.sqlite").unlink()
        _write_manifest(root, gen)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return gen


def _published(path: Path, before: Published | None) -> Published:
    digest = sha256_of(path)
    etag = f'"{digest[:32]}"'
    same = before is not None and before.etag == etag
    stamp = before.last_modified if same and before else format_datetime(datetime.now(UTC), usegmt=True)
    return Published(path, etag, stamp, path.stat().st_size)


def _write_manifest(root: Path, gen: Generation) -> None:
    manifest = {
        "fingerprint": list(gen.fingerprint),
        "folder": gen.folder.name,
        "files": {n: {"etag": p.etag, "last_modified": p.last_modified, "size": p.size} for n, p in gen.files.items()},
        "problems": gen.problems,
    }
    tmp = root / "current.json.tmp"
    tmp.write_text(json.dumps(manifest))
    tmp.replace(root / "current.json")


# -- the register as a working copy, and the files from it --------------------------------------------


def _working_copy(engine: Engine, path: Path) -> sqlite3.Connection:
    """The register in a throw-away working copy, which the export and the writers read."""
    conn = db.open_working_copy(path)
    conn.execute("PRAGMA synchronous = OFF")
    with engine.connect() as source, conn:
        batch = EntityBatch()
        result = source.execution_options(yield_per=BATCH).execute(
            select(EntityRecord.version, EntityRecord.data).order_by(EntityRecord.sor_id)
        )
        for version, data in result:
            batch.add(wire.entity_from_data(json.loads(data), version))
            if batch.count >= BATCH:
                batch.flush(conn)
        batch.flush(conn)
        _copy_locations(source, conn)
        _copy_shak(source, conn)
    return conn


def _copy_locations(source: Any, conn: sqlite3.Connection) -> None:
    result = source.execution_options(yield_per=BATCH).execute(
        select(LocationRecord.version, LocationRecord.data).order_by(LocationRecord.gln)
    )
    for part in result.partitions(BATCH):
        locations, messages = [], []
        for version, text in part:
            data = json.loads(text)
            loc = wire.location_from_data(data, version)
            locations.append(location_row(loc))
            for urn, dates in (data.get("messages") or {}).items():
                msg = LocationMessage(loc.gln, urn, dates.get("from_date"), dates.get("to_date"))
                messages.append(LOCATION_MESSAGE.values(msg))
        conn.executemany(insert_sql("location", LOCATION.names), locations)
        conn.executemany(insert_sql("location_message", LOCATION_MESSAGE.names), messages)


def _copy_shak(source: Any, conn: sqlite3.Connection) -> None:
    result = source.execution_options(yield_per=BATCH).execute(
        select(ShakCodeRecord.data).order_by(ShakCodeRecord.code, ShakCodeRecord.valid_from)
    )
    for part in result.partitions(BATCH):
        codes = [ShakCode(**json.loads(text)) for (text,) in part]
        conn.executemany(
            insert_sql("shak_code", SHAK_CODE.names),
            [SHAK_CODE.values(c, level=c.record_type, parent_code=None) for c in codes],
        )


def _write_xml(conn: sqlite3.Connection, path: Path) -> bool:
    export(conn, "xml", path)
    return True


def _write_zip(conn: sqlite3.Connection, path: Path) -> bool:
    xml = path.with_name("sor.xml")
    if not xml.exists():
        raise ValueError("sor.xml could not be written, so neither could sor.zip")
    zip_sor_xml(xml, path, datetime.now())
    return True


def _write_csv(conn: sqlite3.Connection, path: Path) -> bool:
    export(conn, "csv", path)
    return True


def _write_sor2(conn: sqlite3.Connection, path: Path) -> bool:
    """SorEntity_daily.csv: what is valid or still to come today (units closed before today are left out)."""
    from sortui.formats.sor2csv import write_sor2_csv

    today = date.today().isoformat()
    marks = ", ".join("?" * len(TYPE_LISTS))
    names = dict(conn.execute(f"SELECT code, text FROM code_list WHERE list IN ({marks})", TYPE_LISTS).fetchall())
    current = (ent for _, ent in walk_tree(conn) if ent.to_date is None or ent.to_date >= today)
    write_sor2_csv(current, path, type_names=names)
    conn.row_factory = None
    return True


def _write_edi(conn: sqlite3.Connection, path: Path) -> bool:
    from sortui.formats.edimap import write_location_messages

    conn.row_factory = None
    defs = conn.execute("SELECT urn, format, grp, type_code, version_code, title FROM message_definition")
    catalogue = {row[0]: MessageDefinition(*row) for row in defs}
    rows = conn.execute("SELECT gln, message_urn, from_date, to_date FROM location_message ORDER BY gln, message_urn")
    write_location_messages((LocationMessage(*row) for row in rows), path, catalogue)
    return True


def _write_shak(conn: sqlite3.Connection, path: Path) -> bool:
    from sortui.formats.shak import write_shak_complete

    conn.row_factory = None
    if conn.execute("SELECT 1 FROM shak_code LIMIT 1").fetchone() is None:
        return False
    cols = "code, record_type, valid_from, valid_to, changed, text, grp_a, grp_b, op_code, grp_c, grp_d"
    rows = conn.execute(f"SELECT {cols} FROM shak_code ORDER BY code, valid_from")
    write_shak_complete((ShakCode(*row) for row in rows), path)
    return True


_WRITERS: dict[str, Callable[[sqlite3.Connection, Path], bool]] = {
    "sor.xml": _write_xml,
    "sor.zip": _write_zip,
    "sor.csv": _write_csv,
    "SorEntity_daily.csv": _write_sor2,
    "LocationsCodeEDITypeMap.csv": _write_edi,
    "SHAKCOMPLETE.TXT": _write_shak,
}


# -- the routes ------------------------------------------------------------------------------------------

router = APIRouter()


def _error(status: int, code: str, message: str) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type="application/json")


@router.get("/files/{name}", tags=["files"])
def get_file(name: str, request: Request) -> Response:
    """One of the register's download files (no sign-in): ETag, Last-Modified, 304, Range."""
    if name not in MEDIA_TYPES:
        return _error(404, "not_found", f"no file {name!r}; the service publishes {', '.join(FILE_NAMES)}")
    publisher: Publisher = request.app.state.publisher
    try:
        gen = publisher.current()
    except FilesUnavailable as exc:
        return _error(503, "files_unavailable", str(exc))
    found = gen.files.get(name)
    if found is None:
        why = gen.problems.get(name)
        message = f"{name} could not be written: {why}" if why else f"the register has no data for {name}"
        return _error(503 if why else 404, "files_unavailable" if why else "not_found", message)
    headers = {"ETag": found.etag, "Last-Modified": found.last_modified, "Cache-Control": "no-cache"}
    if _not_modified(request, found):
        return Response(status_code=304, headers=headers)
    return FileResponse(found.path, media_type=MEDIA_TYPES[name], headers=headers, filename=name)


def _not_modified(request: Request, found: Published) -> bool:
    """RFC 9110: If-None-Match decides when it is sent; If-Modified-Since only without it."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or found.etag in tags
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(found.last_modified) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


# -- the operating messages as RSS 2.0 ------------------------------------------------------------------

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
FEED_ITEMS = 50


def _xml_text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _rss_date(iso: str) -> str:
    """An RFC 822 date (RSS 2.0's) of an ISO time; a time without a zone is taken as UTC."""
    try:
        stamp = datetime.fromisoformat(iso)
    except ValueError:
        stamp = datetime.now(UTC)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return format_datetime(stamp.astimezone(UTC), usegmt=True)


def feed_xml(status: dict[str, Any], link: str) -> bytes:
    """The operating messages of ``status`` (``register.status``) as an RSS 2.0 document."""
    rss = etree.Element("rss", version="2.0")
    channel = etree.SubElement(rss, "channel")
    for tag, text in (
        ("title", "sortui: operating messages"),
        ("link", link),
        ("description", "Driftsbeskeder of the sortui central service, newest first"),
        ("generator", f"sortui {__version__}"),
        ("lastBuildDate", _rss_date(status["time"])),
    ):
        etree.SubElement(channel, tag).text = text
    for message in status["messages"]:
        item = etree.SubElement(channel, "item")
        text = _xml_text(message["text"])
        first = text.splitlines()[0] if text.strip() else text
        title = first if len(first) <= 80 else first[:79] + "…"
        etree.SubElement(item, "title").text = f"[{message['severity']}] {title}"
        etree.SubElement(item, "description").text = text
        etree.SubElement(item, "category").text = message["severity"]
        etree.SubElement(item, "pubDate").text = _rss_date(message["time"])
        guid = etree.SubElement(item, "guid", isPermaLink="false")
        guid.text = f"sortui:{_xml_text(status['service_id'])}:message:{message['id']}"
    return etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@router.get("/status/feed.xml", tags=["status"])
def get_feed(request: Request) -> Response:
    """The operating messages (driftsbeskeder) in force, newest first, as an RSS 2.0 feed. No sign-in needed."""
    with request.app.state.engine.connect() as conn:
        status = register.status(conn, limit=FEED_ITEMS)
    body = feed_xml(status, str(request.url))
    return Response(body, media_type="application/rss+xml; charset=utf-8", headers={"Cache-Control": "no-cache"})
