"""Downloading the register's files for ``sortui update``: conditional GET, resume, streamed to disk.

A file is fetched with httpx into a folder beside the working copy, a chunk at a time (memory does
not grow with the file). The ETag and Last-Modified of the last file imported from a URL are kept
in the working copy (table ``download``) and sent as If-None-Match / If-Modified-Since: a 304 means
nothing to do. A download that breaks off leaves its part and the server's validators; the next
run asks for the rest (Range with If-Range) and starts over only if the file changed meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from sortui import __version__
from sortui.sync.client import SyncError, _reason
from sortui.sync.exit_codes import EXIT_UNAVAILABLE
from sortui.sync.state import now

CHUNK = 1 << 16
MAX_BYTES = 8 << 30  # larger than any national extract; a server sending more is not sending a register file
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
Progress = Callable[[str, int, int], None]


class DownloadFailed(SyncError):
    """The file could not be fetched (offline, the server failed or broke off); nothing was imported."""

    exit_code = EXIT_UNAVAILABLE


class DownloadRefused(SyncError):
    """The server answered the URL with an error (404, 403 ...): the URL is wrong, not the network."""

    exit_code = 2


@dataclass(slots=True)
class Validators:
    """What a server said identifies a file's version (sent back on a conditional or resumed GET)."""

    etag: str | None = None
    last_modified: str | None = None

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)


@dataclass(slots=True)
class Fetched:
    url: str
    status: str  # fetched / not-modified / absent (an optional file the server does not have)
    path: Path | None = None  # the downloaded file (status fetched)
    validators: Validators | None = None
    size: int = 0
    resumed_at: int = 0  # bytes already there from an earlier, broken-off download


# -- what the working copy remembers ----------------------------------------------------------------


def remembered(conn: sqlite3.Connection, url: str) -> tuple[Validators, str | None] | None:
    """The validators and SHA-256 of the file last imported from ``url``, if any."""
    row = conn.execute("SELECT etag, last_modified, sha256 FROM download WHERE url = ?", (url,)).fetchone()
    return (Validators(row[0], row[1]), row[2]) if row else None


def remember(conn: sqlite3.Connection, fetched: Fetched, sha256: str) -> None:
    """Keep ``fetched``'s validators for the next conditional GET (not a transaction of its own)."""
    v = fetched.validators or Validators()
    conn.execute(
        "INSERT OR REPLACE INTO download (url, etag, last_modified, sha256, fetched_at) VALUES (?, ?, ?, ?, ?)",
        (fetched.url, v.etag, v.last_modified, sha256, now()),
    )


# -- fetching one URL ------------------------------------------------------------------------------------


def check_url(url: str) -> str:
    """``url`` if it is an http(s) address, else a DownloadRefused saying why."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise DownloadRefused(f"{url!r} is not a download address (http:// or https://HOST/PATH)")
    return url


def file_name(url: str) -> str:
    """The file name a URL's path ends in (letters, digits, ``._-`` only), for the downloaded file."""
    name = httpx.URL(url).path.rstrip("/").rpartition("/")[2]
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".") or "download"


def place(folder: Path, url: str) -> Path:
    """Where ``url`` is downloaded to: a folder of its own (its part and validators survive a failure)."""
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    return folder / key / file_name(url)


def fetch(
    url: str,
    folder: Path,
    known: Validators | None = None,
    progress: Progress | None = None,
    *,
    optional: bool = False,
    insecure: bool = False,
) -> Fetched:
    """Download ``url`` into ``folder`` unless its version is ``known`` (304); ``optional``: a 404 is no error."""
    check_url(url)
    target = place(folder, url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with httpx.Client(
        verify=not insecure,
        timeout=DOWNLOAD_TIMEOUT,
        follow_redirects=True,
        headers={"User-Agent": f"sortui/{__version__}", "Accept-Encoding": "identity"},
    ) as http:
        return _Transfer(http, url, target, progress).run(known, optional)


class _Transfer:
    """One URL into one file: the part, its validators beside it, the answer's status codes."""

    def __init__(self, http: httpx.Client, url: str, target: Path, progress: Progress | None):
        self.http, self.url, self.target, self.progress = http, url, target, progress
        self.part = target.with_name(target.name + ".part")
        self.meta = target.with_name("part.json")  # the URL and validators of the part
        self.host = httpx.URL(url).host

    def run(self, known: Validators | None, optional: bool) -> Fetched:
        self.target.unlink(missing_ok=True)
        partial = self._partial()
        headers: dict[str, str] = {}
        if partial is not None:
            size, validators = partial
            headers["Range"] = f"bytes={size}-"
            headers["If-Range"] = validators.etag or validators.last_modified or ""
        elif known:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        try:
            with self.http.stream("GET", self.url, headers=headers) as answer:
                if answer.status_code == 416 and partial is not None:  # the part is not a prefix any more
                    self._drop_part()
                    return self.run(known, optional)
                return self._answer(answer, partial, optional)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            kept = " (what was downloaded before is kept for the next try)" if self.part.exists() else ""
            raise DownloadFailed(
                f"cannot reach {self.host} ({_reason(exc)}): offline? Nothing was changed{kept}."
            ) from None
        except httpx.TimeoutException:
            raise DownloadFailed(self._stopped("the server stopped answering")) from None
        except httpx.TransportError as exc:
            raise DownloadFailed(self._stopped(_reason(exc))) from None

    def _answer(self, answer: httpx.Response, partial: tuple[int, Validators] | None, optional: bool) -> Fetched:
        status = answer.status_code
        if status == 304:
            return Fetched(self.url, "not-modified")
        if status in (404, 410) and optional:
            return Fetched(self.url, "absent")
        if status >= 400:
            cls = DownloadFailed if status >= 500 else DownloadRefused
            raise cls(f"{self.url}: the server answered HTTP {status} {answer.reason_phrase}".rstrip())
        if status not in (200, 206):
            raise DownloadFailed(f"{self.url}: unexpected answer HTTP {status}")
        validators = Validators(answer.headers.get("etag"), answer.headers.get("last-modified"))
        start = 0
        if status == 206:
            assert partial is not None
            start = self._range_start(answer, partial[0])
            validators = partial[1]
        else:
            self._drop_part()
            if validators and "content-encoding" not in answer.headers:  # resumable: say how, before any byte
                self.meta.write_text(
                    json.dumps({"url": self.url, "etag": validators.etag, "lm": validators.last_modified})
                )
        total = _expected_total(answer, start)
        size = self._receive(answer, start, total)
        self.part.replace(self.target)
        self.meta.unlink(missing_ok=True)
        return Fetched(self.url, "fetched", self.target, validators, size, start)

    def _receive(self, answer: httpx.Response, start: int, total: int | None) -> int:
        done = start
        label = f"download {file_name(self.url)}"
        with open(self.part, "ab" if start else "wb") as out:
            for chunk in answer.iter_bytes(CHUNK):
                done += len(chunk)
                if done > MAX_BYTES:
                    self._drop_part()
                    raise DownloadRefused(f"{self.url}: more than {MAX_BYTES >> 30} GB; not a register file")
                out.write(chunk)
                if self.progress:
                    self.progress(label, done, total or done)
        if total is not None and done != total:
            raise DownloadFailed(self._stopped(f"{done:,} of {total:,} bytes arrived"))
        return done

    def _range_start(self, answer: httpx.Response, size: int) -> int:
        match = re.match(r"bytes (\d+)-\d+/(\d+|\*)", answer.headers.get("content-range", ""))
        if match is None or int(match.group(1)) != size:
            self._drop_part()
            raise DownloadFailed(f"{self.url}: the server resumed at the wrong place; run `sortui update` again")
        return size

    def _partial(self) -> tuple[int, Validators] | None:
        """The size and validators of a part left by a broken-off download of this URL."""
        try:
            meta = json.loads(self.meta.read_text())
            size = self.part.stat().st_size
        except (OSError, ValueError):
            self._drop_part()
            return None
        validators = Validators(meta.get("etag"), meta.get("lm")) if isinstance(meta, dict) else Validators()
        if not isinstance(meta, dict) or meta.get("url") != self.url or not validators or size == 0:
            self._drop_part()
            return None
        return size, validators

    def _drop_part(self) -> None:
        self.part.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)

    def _stopped(self, why: str) -> str:
        done = self.part.stat().st_size if self.part.exists() else 0
        if done and self.meta.exists():
            return (
                f"the download of {self.url} stopped after {done:,} bytes ({why}); nothing was imported. "
                "Run `sortui update` again to resume it."
            )
        self._drop_part()
        return f"the download of {self.url} failed ({why}); nothing was imported. Run `sortui update` again."


def _expected_total(answer: httpx.Response, start: int) -> int | None:
    length = answer.headers.get("content-length")
    if length is None or not length.isdigit() or "content-encoding" in answer.headers:
        return None
    return start + int(length)
