"""The service's own download files and RSS feed, and ``sortui update`` against them (issue 16).

A real ``sortui serve`` on 127.0.0.1 (loaded with the three real extracts and SHAKCOMPLETE.TXT),
real HTTP through httpx, real working copies.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from conftest import SAMPLES, SERVICE_USERS, Desk, Service, free_port, new_service
from lxml import etree

from sortui import cli as sortui_cli
from sortui.store.importer import import_files
from sortui.sync.download import place
from sortui.sync.update import downloads_folder

SCHEMA = SAMPLES / "sor" / "schema" / "SorTree.xsd"
AFSNIT, HOSPITAL, APOTEK = "347831000016005", "347811000016004", "306011000016003"
FILES = ("sor.xml", "sor.zip", "sor.csv", "SorEntity_daily.csv", "LocationsCodeEDITypeMap.csv", "SHAKCOMPLETE.TXT")


@pytest.fixture(scope="session")
def _files_template(tmp_path_factory: pytest.TempPathFactory, sor_samples: list[Path], samples_dir: Path) -> Path:
    """A service database with the three extracts, SHAKCOMPLETE.TXT and the test users."""
    from sortui.server.db import make_engine
    from sortui.server.users import add_user

    path = tmp_path_factory.mktemp("files-service") / "service.sqlite"
    url = f"sqlite:///{path}"
    files = [*map(str, sor_samples), str(samples_dir / "sor" / "SHAKCOMPLETE.TXT")]
    assert sortui_cli.main(["server", "init", "--database", url, "--from", *files]) == 0
    engine = make_engine(url)
    for name, (role, subtrees, password) in SERVICE_USERS.items():
        add_user(engine, name, role, password, subtrees)
    engine.dispose()
    return path


def _start(folder: Path, template: Path) -> Service:
    folder.mkdir()
    shutil.copyfile(template, folder / "service.sqlite")
    svc = new_service(
        f"sqlite:///{folder / 'service.sqlite'}", folder / "service.log", ("--files-dir", str(folder / "files"))
    )
    svc.start()
    return svc


@pytest.fixture
def files_service(tmp_path: Path, _files_template: Path) -> Iterator[Service]:
    svc = _start(tmp_path / "service", _files_template)
    yield svc
    svc.stop()


@pytest.fixture
def desk(tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch, plain_keyring: Path, files_service: Service) -> Desk:
    return Desk(tmp_path, run_cli, monkeypatch, files_service)


def get(svc: Service, name: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{svc.url}/files/{name}", headers=headers, timeout=60)


def _schema() -> etree.XMLSchema:
    if not SCHEMA.is_file():
        pytest.skip(f"schema not found at {SCHEMA}")
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def rename(svc: Service, sor_id: str, name: str) -> None:
    """Another client's edit: a changeset renaming ``sor_id`` (as erik, whose subtree it is)."""
    with svc.http("erik") as http:
        unit = http.get(f"/units/{sor_id}").json()
        op = {"target": "entity", "key": sor_id, "op": "set", "field": "name", "old": unit["data"]["name"]}
        body = {"id": uuid.uuid4().hex, "operations": [{**op, "new": name, "base_version": unit["version"]}]}
        assert http.post("/changesets", json=body).status_code == 200


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the service's files ------------------------------------------------------------------------------


def test_the_files_are_the_registers_own_downloads(files_service: Service, samples_dir: Path, tmp_path: Path) -> None:
    answers = {name: get(files_service, name) for name in FILES}  # no sign-in: open to anyone
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
        assert answer.headers["etag"].startswith('"') and answer.headers["last-modified"].endswith("GMT")
    xml = answers["sor.xml"].content
    assert _schema().validate(etree.parse(io.BytesIO(xml))), _schema().error_log
    with zipfile.ZipFile(io.BytesIO(answers["sor.zip"].content)) as zf:
        assert zf.read("sor.xml") == xml
    assert answers["SHAKCOMPLETE.TXT"].content == (samples_dir / "sor" / "SHAKCOMPLETE.TXT").read_bytes()
    for name in ("sor.xml", "sor.csv", "SorEntity_daily.csv"):  # each reads back into the same register
        (tmp_path / name).write_bytes(answers[name].content)
        wc = tmp_path / f"{name}.sqlite"
        import_files(wc, [tmp_path / name])
        with closing(sqlite3.connect(wc)) as conn:
            assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] == 10, name
            assert conn.execute("SELECT name FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone()[0]


def test_a_conditional_get_is_answered_304_and_a_range_206(files_service: Service) -> None:
    first = get(files_service, "sor.zip")
    etag, stamp = first.headers["etag"], first.headers["last-modified"]
    again = get(files_service, "sor.zip", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert get(files_service, "sor.zip", **{"If-Modified-Since": stamp}).status_code == 304
    assert get(files_service, "sor.zip", **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    assert get(files_service, "sor.zip", **{"If-None-Match": '"other"', "If-Modified-Since": stamp}).status_code == 200
    part = get(files_service, "sor.zip", Range="bytes=100-")
    assert part.status_code == 206 and part.content == first.content[100:]


def test_the_files_follow_the_register(files_service: Service) -> None:
    before = {name: get(files_service, name) for name in ("sor.xml", "SHAKCOMPLETE.TXT")}
    rename(files_service, AFSNIT, "Sengeafsnit Øst")
    xml = get(files_service, "sor.xml", **{"If-None-Match": before["sor.xml"].headers["etag"]})
    assert xml.status_code == 200 and "Sengeafsnit Øst".encode() in xml.content
    assert xml.headers["etag"] != before["sor.xml"].headers["etag"]
    shak = get(files_service, "SHAKCOMPLETE.TXT")  # written again, but the same bytes: the same version
    assert shak.headers["etag"] == before["SHAKCOMPLETE.TXT"].headers["etag"]
    assert shak.headers["last-modified"] == before["SHAKCOMPLETE.TXT"].headers["last-modified"]


def test_a_restarted_service_serves_the_files_it_wrote(files_service: Service) -> None:
    first = get(files_service, "sor.xml")
    files_service.stop()
    files_service.start()
    assert get(files_service, "sor.xml", **{"If-None-Match": first.headers["etag"]}).status_code == 304


def test_without_shak_codes_there_is_no_shakcomplete(tmp_path: Path, _service_template: Path) -> None:
    svc = _start(tmp_path / "plain", _service_template)
    try:
        answer = get(svc, "SHAKCOMPLETE.TXT")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
        assert get(svc, "sor.xml").status_code == 200
        unknown = get(svc, "passwords.txt")
        assert unknown.status_code == 404 and "sor.xml" in unknown.json()["error"]["message"]
        assert httpx.post(f"{svc.url}/files/sor.xml", timeout=10).status_code == 405
    finally:
        svc.stop()


def test_operating_messages_as_an_rss_feed(files_service: Service) -> None:
    with files_service.http("alice") as http:
        for text, severity in (("Planlagt nedetid <lørdag> & søndag", "warning"), ("Alt kører igen", "info")):
            assert http.post("/messages", json={"text": text, "severity": severity}).status_code == 201
        refused = http.post("/messages", json={"text": "Alt kører \x07igen"})  # a control character
        assert refused.status_code == 422 and "text" in refused.text
        gone = http.post("/messages", json={"text": "Trukket tilbage"}).json()["id"]
        assert http.delete(f"/messages/{gone}").status_code == 204
    answer = httpx.get(f"{files_service.url}/status/feed.xml", timeout=10)  # no sign-in
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/rss+xml")
    rss = etree.fromstring(answer.content)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext("title") and channel.findtext("link").endswith("/status/feed.xml")
    items = channel.findall("item")
    assert [i.findtext("description") for i in items] == ["Alt kører igen", "Planlagt nedetid <lørdag> & søndag"]
    assert items[1].findtext("title") == "[warning] Planlagt nedetid <lørdag> & søndag"
    assert items[1].findtext("category") == "warning" and items[1].findtext("pubDate").endswith("GMT")
    assert len({i.findtext("guid") for i in items}) == 2


# -- sortui update ----------------------------------------------------------------------------------------


def test_update_from_the_service_first_fetch_then_304(desk: Desk) -> None:
    desk.login("a", "viv")
    first = desk.cli("a", "update")
    assert first.code == 0, first.err
    assert first.err.count(": downloaded") == 3 and "imported 19428 rows (shak-complete)" in first.err
    assert desk.sql("a", "SELECT count(*) FROM entity") == [(10,)]
    assert desk.sql("a", "SELECT source_file FROM snapshot WHERE kind = 'sor'") == [
        (f"{desk.service.url}/files/sor.zip",)
    ]
    assert not downloads_folder(desk.wc("a")).exists()
    stamp = desk.sql("a", "SELECT imported_at FROM import_run")
    before = digest(desk.wc("a"))
    again = desk.cli("a", "update")
    assert again.code == 0 and again.err.count(": not modified") == 3
    assert "Nothing changed: the working copy is up to date" in again.err
    assert digest(desk.wc("a")) == before and desk.sql("a", "SELECT imported_at FROM import_run") == stamp


def test_update_brings_a_changed_file_and_keeps_pending_edits(desk: Desk) -> None:
    desk.login("a", "viv")
    assert desk.cli("a", "update").code == 0
    assert desk.cli("a", "set", APOTEK, "name=Apoteket lokalt").code == 0  # pending, not synced
    rename(desk.service, AFSNIT, "Sengeafsnit Vest")
    result = desk.cli("a", "update")
    assert result.code == 0, result.err
    assert "sor.zip: downloaded" in result.err and "SHAKCOMPLETE.TXT: not modified" in result.err
    assert "Units: 1 changed" in result.err and "pending edits applied again on the new data: 1" in result.err
    assert desk.name_of("a") == "Sengeafsnit Vest"
    assert desk.sql("a", "SELECT name FROM entity WHERE sor_id = ?", APOTEK) == [("Apoteket lokalt",)]
    assert desk.journal("a") == [("pending", "name")]
    [change] = json.loads(desk.cli("a", "diff", "--since-snapshot", "--json").out)
    assert change["sor_id"] == AFSNIT and change["fields"]["name"][1] == "Sengeafsnit Vest"


def test_a_broken_off_download_is_resumed(desk: Desk, files_service: Service) -> None:
    url = f"{files_service.url}/files/sor.xml"
    whole = get(files_service, "sor.xml")
    target = place(downloads_folder(desk.wc("a")), url)
    target.parent.mkdir(parents=True)
    target.with_name("sor.xml.part").write_bytes(whole.content[:4000])
    target.with_name("part.json").write_text(json.dumps({"url": url, "etag": whole.headers["etag"], "lm": None}))
    result = desk.cli("a", "update", url)
    assert result.code == 0, result.err
    assert f"downloaded {len(whole.content):,} bytes, resumed after 4,000" in result.err
    assert desk.sql("a", "SELECT count(*) FROM entity") == [(10,)]


def test_a_part_of_an_older_version_is_not_resumed(desk: Desk, files_service: Service) -> None:
    url = f"{files_service.url}/files/sor.xml"
    target = place(downloads_folder(desk.wc("a")), url)
    target.parent.mkdir(parents=True)
    target.with_name("sor.xml.part").write_bytes(b"<not the file any more>")
    target.with_name("part.json").write_text(json.dumps({"url": url, "etag": '"an-old-version"', "lm": None}))
    result = desk.cli("a", "update", url)  # If-Range does not match: the whole file comes again
    assert result.code == 0, result.err
    assert "resumed" not in result.err and desk.sql("a", "SELECT count(*) FROM entity") == [(10,)]


def test_offline_a_wrong_url_and_not_a_register_file_change_nothing(desk: Desk, files_service: Service) -> None:
    desk.login("a", "viv")
    assert desk.cli("a", "update").code == 0
    before = digest(desk.wc("a"))
    offline = desk.cli("a", "update", f"http://127.0.0.1:{free_port()}/files/sor.zip")
    assert offline.code == 3 and "cannot reach 127.0.0.1" in offline.err and "offline?" in offline.err
    missing = desk.cli("a", "update", f"{files_service.url}/files/sor.tar")
    assert missing.code == 2 and "HTTP 404" in missing.err
    garbage = desk.cli("a", "update", f"{files_service.url}/status/feed.xml")
    assert garbage.code == 2 and "feed.xml" in garbage.err and "Traceback" not in garbage.err
    assert desk.cli("a", "update", "ftp://example.org/sor.zip").code == 2
    assert digest(desk.wc("a")) == before


def test_the_same_bytes_without_a_304_are_not_imported_again(desk: Desk, files_service: Service) -> None:
    url = f"{files_service.url}/files/sor.csv"
    assert desk.cli("a", "update", url).code == 0
    with closing(sqlite3.connect(desk.wc("a"))) as conn, conn:
        conn.execute("UPDATE download SET etag = NULL, last_modified = NULL")  # as from a server without validators
    stamp = desk.sql("a", "SELECT imported_at FROM import_run")
    result = desk.cli("a", "update", url)
    assert result.code == 0 and "the same bytes as the file imported last time" in result.err
    assert desk.sql("a", "SELECT imported_at FROM import_run") == stamp


def test_update_needs_a_url_or_a_service(run_cli, wc: Path) -> None:
    result = run_cli("update")
    assert result.code == 2 and "sortui login URL" in result.err
    assert run_cli("--readonly", "update", "http://127.0.0.1/x").code == 2


# -- a server that misbehaves (a real HTTP server on 127.0.0.1) ----------------------------------------


@pytest.fixture
def odd_server() -> Iterator[tuple[str, dict]]:
    """A server whose answer a test sets: ``answer["status"]``, ``["headers"]``, ``["body"]``."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answer: dict = {"status": 200, "headers": {}, "body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer["range"] = self.headers.get("Range")
            self.send_response(answer["status"])
            for name, value in answer["headers"].items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer["body"])

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/files/sor.xml", answer
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "headers", "body", "code", "says"),
    [
        (503, {"Content-Length": "0"}, b"", 3, "the server answered HTTP 503 Service Unavailable"),
        (204, {}, b"", 3, "unexpected answer HTTP 204"),
        (200, {"Content-Length": "100000"}, b"<SorTree>", 3, "failed ("),  # breaks off, no validators: nothing kept
        (200, {"Content-Length": "900000", "ETag": '"v1"'}, b" " * 300_000, 3, "to resume it"),
    ],
    ids=["503", "204", "broken-off", "broken-off-resumable"],
)
def test_a_misbehaving_server_changes_nothing(
    run_cli, sor_wc: Path, odd_server: tuple[str, dict], status: int, headers: dict, body: bytes, code: int, says: str
) -> None:
    url, answer = odd_server
    answer.update(status=status, headers={"Connection": "close", **headers}, body=body)
    before = digest(sor_wc)
    result = run_cli("update", url)
    assert result.code == code and says in result.err and "Traceback" not in result.err
    assert digest(sor_wc) == before
    target = place(downloads_folder(sor_wc), url)
    kept = sorted(p.name for p in target.parent.iterdir()) if target.parent.exists() else []
    assert kept == (["part.json", "sor.xml.part"] if "resume" in says else [])


def test_a_resume_at_the_wrong_place_starts_over_next_time(run_cli, sor_wc: Path, odd_server: tuple[str, dict]) -> None:
    url, answer = odd_server
    target = place(downloads_folder(sor_wc), url)
    target.parent.mkdir(parents=True)
    target.with_name("sor.xml.part").write_bytes(b"x" * 100)
    target.with_name("part.json").write_text(json.dumps({"url": url, "etag": '"v1"', "lm": None}))
    answer.update(status=206, headers={"Content-Range": "bytes 0-9/10", "Content-Length": "10"}, body=b"0123456789")
    result = run_cli("update", url)
    assert answer["range"] == "bytes=100-"
    assert result.code == 3 and "the server resumed at the wrong place" in result.err
    assert not target.with_name("sor.xml.part").exists() and not target.with_name("part.json").exists()
