"""Nothing saved is lost, nothing foreign gets in (issue 12), on real files and real processes.

An import and an edit at once (two processes; the import frozen with SIGSTOP where the test needs it
to hold the working copy), an import killed with SIGKILL and the next command cleaning up after it,
pending edits rebased on re-imported data, imports that would empty the working copy, the old value
of an edit read inside its write transaction, control characters refused on every way in (CLI,
the app's forms, import, the central service) and the CSV export for spreadsheets.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, RunCli, Service
from test_app_support import make_app, notices, press, settle
from textual.widgets import Input

from sortui.store import db, edits, importer, journal, workfiles
from sortui.store.importer import import_files

AFSNIT = "347831000016005"  # an OE of the samples: "Roskilde Øjenklinik, beh. afsnit"
AFSNIT_NAME = "Roskilde Øjenklinik, beh. afsnit"
APOTEK_OE = "306031000016009"
APOTEK_GLN = "5790000173624"
XREF = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"
BIG_UNITS = 10_000  # a SOR XML file large enough to be read in two processes


# -- real processes --------------------------------------------------------------------------------


def cli(db_path: Path, *args: object) -> subprocess.Popen[str]:
    """``sortui --db DB ARGS`` started as a process of its own."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    argv = [sys.executable, "-m", "sortui", "--db", str(db_path), *map(str, args)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def cli_run(db_path: Path, *args: object) -> subprocess.CompletedProcess[str]:
    proc = cli(db_path, *args)
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (a point the test waits for, never a time it asserts); give up after minutes."""
    deadline = time.monotonic() + 300
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.005)


def write_lock_held(path: Path) -> bool:
    """Whether another connection holds the working copy's write lock (asked without waiting)."""
    conn = sqlite3.connect(path, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def readable(path: Path) -> bool:
    """Whether the working copy can be read without waiting."""
    conn = sqlite3.connect(path, timeout=0)
    try:
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def import_files_beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if ".import-" in p.name)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sql(path: Path, query: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def name_of(path: Path, sor_id: str) -> str:
    return sql(path, "SELECT name FROM entity WHERE sor_id = ?", sor_id)[0][0]


@pytest.fixture(scope="session")
def big_xml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sortui.generator.files import write_file_set

    path = write_file_set(tmp_path_factory.mktemp("big"), BIG_UNITS, 7, ("xml",))["xml"]
    assert path.stat().st_size > importer.SPLIT_MIN_BYTES["sor-xml"]
    return path


@pytest.fixture(scope="session")
def _big_template(tmp_path_factory: pytest.TempPathFactory, big_xml: Path) -> Path:
    path = tmp_path_factory.mktemp("big-wc") / "big.sqlite"
    import_files(path, [big_xml])
    return path


@pytest.fixture
def big_wc(wc: Path, _big_template: Path) -> Path:
    """A working copy holding ``big_xml``."""
    shutil.copyfile(_big_template, wc)
    return wc


def a_unit(path: Path) -> tuple[str, str]:
    return sql(path, "SELECT sor_id, name FROM entity WHERE kind = 'OE' ORDER BY sor_id LIMIT 1")[0]


def start_import(wc: Path, big_xml: Path) -> subprocess.Popen[str]:
    """An import of ``big_xml`` into ``wc``, returned once it holds the working copy's write lock."""
    importing = cli(wc, "import", big_xml)
    wait_until(lambda: write_lock_held(wc) or importing.poll() is not None, "the import holds the write lock")
    assert importing.poll() is None, importing.communicate()
    return importing


def freeze_holding_lock(importing: subprocess.Popen[str], wc: Path) -> None:
    """SIGSTOP the import at a moment its transaction holds the write lock. The lock seen by
    ``start_import`` may be a passing one (opening a WAL file locks it briefly, and readers with it)
    taken before the transaction begins: a process stopped inside its transaction keeps the lock and
    lets readers read; one stopped anywhere else is let go on and stopped again."""
    while True:
        os.kill(importing.pid, signal.SIGSTOP)
        if write_lock_held(wc) and readable(wc):
            return
        os.kill(importing.pid, signal.SIGCONT)
        assert importing.poll() is None, importing.communicate()
        time.sleep(0.005)


# -- an import and an edit at once -----------------------------------------------------------------


def test_an_edit_made_while_an_import_runs_is_never_lost(big_wc: Path, big_xml: Path) -> None:
    """The edit waits for the import (and is applied on the new data) or is refused: saved means kept."""
    unit, name = a_unit(big_wc)
    importing = start_import(big_wc, big_xml)
    edit = cli_run(big_wc, "set", unit, "name=Rettet under importen")
    _, err = importing.communicate(timeout=300)
    assert importing.returncode == 0, err
    assert "Traceback" not in edit.stderr
    pending = [(e["key"], e["new"]) for e in json.loads(cli_run(big_wc, "changes", "--json").stdout)]
    if edit.returncode == 0:
        assert f"saved #1: {unit}" in edit.stderr
        assert name_of(big_wc, unit) == "Rettet under importen"
        assert pending == [(unit, "Rettet under importen")]
    else:
        assert edit.returncode == 2
        assert f"process {importing.pid}" in edit.stderr and "nothing was changed" in edit.stderr
        assert name_of(big_wc, unit) == name and pending == []


def test_an_edit_while_an_import_holds_the_working_copy_is_refused_naming_it(big_wc: Path, big_xml: Path) -> None:
    unit, name = a_unit(big_wc)
    importing = start_import(big_wc, big_xml)
    freeze_holding_lock(importing, big_wc)  # the import holds the working copy for as long as the test needs
    try:
        edit = cli_run(big_wc, "set", unit, "name=Rettet")
        shown = cli_run(big_wc, "show", unit, "--json")
        files_meanwhile = import_files_beside(big_wc)
    finally:
        os.kill(importing.pid, signal.SIGCONT)
    _, err = importing.communicate(timeout=300)
    assert importing.returncode == 0, err

    assert edit.returncode == 2, edit.stderr
    assert f"an import of {big_xml.name} (process {importing.pid}, started" in edit.stderr
    assert "nothing was changed" in edit.stderr and "Traceback" not in edit.stderr
    assert shown.returncode == 0 and json.loads(shown.stdout)["name"] == name  # reading goes on meanwhile
    assert "removed" not in shown.stderr  # a running import's files are left alone
    assert f".{big_wc.name}.import-{importing.pid}.lock" in files_meanwhile
    assert name_of(big_wc, unit) == name
    assert sql(big_wc, "SELECT count(*) FROM journal") == [(0,)]
    assert import_files_beside(big_wc) == []
    assert cli_run(big_wc, "set", unit, "name=Rettet").returncode == 0
    assert name_of(big_wc, unit) == "Rettet"


# -- the worker ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("zipped", [False, True], ids=["sor.xml", "sor.zip"])
def test_the_cli_forks_its_worker_to_the_working_copy_a_worker_of_its_own_makes(
    wc: Path, big_xml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zipped: bool
) -> None:
    """The CLI (one thread) forks the worker reading the second part (of a zip's XML file, once it
    is written out): its command line is the CLI's own, not the ``python -c`` of a fresh
    interpreter; the rows are those of an import that starts one."""
    if importer._cpus() < 2:
        pytest.skip("one CPU: a file is read in one process")
    source = big_xml
    if zipped:
        source = tmp_path / "sor.zip"
        with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(big_xml, "sor.xml")
    importing = cli(wc, "import", source)
    wait_until(lambda: children(importing.pid) or importing.poll() is not None, "the import's worker has started")
    own = Path(f"/proc/{importing.pid}/cmdline").read_bytes()
    seen = [Path(f"/proc/{w}/cmdline").read_bytes() for w in children(importing.pid)]
    _, err = importing.communicate(timeout=300)
    assert importing.returncode == 0, err
    assert seen and all(line in (own, b"") for line in seen)  # b"": it ended as it was looked at
    assert import_files_beside(wc) == []

    monkeypatch.setattr(importer, "_can_fork", lambda: False)
    started = tmp_path / "exec.sqlite"
    import_files(started, [source])
    tables = ("entity", "address", "location", "search")
    for table in tables:
        query = f"SELECT * FROM {table} ORDER BY rowid"
        assert sql(wc, query) == sql(started, query), table


# -- an import killed midway ---------------------------------------------------------------------------


def _kill_mid_import(wc: Path, big_xml: Path, started: Callable[[], bool]) -> list[str]:
    """Start an import, wait until ``started``, SIGKILL it (its worker is left to end by itself);
    returns the files it left behind."""
    importing = cli(wc, "import", big_xml)
    wait_until(lambda: started() or importing.poll() is not None, "the import is midway")
    assert importing.poll() is None, importing.communicate()
    os.kill(importing.pid, signal.SIGSTOP)
    workers = children(importing.pid)
    for worker in workers:  # held where it is until the import is gone
        os.kill(worker, signal.SIGSTOP)
    os.kill(importing.pid, signal.SIGKILL)
    importing.communicate(timeout=60)
    assert workfiles.running_imports(wc) == []  # the lock was the import's alone: its worker never keeps it
    for worker in workers:
        os.kill(worker, signal.SIGCONT)
    wait_until(lambda: not any(running(w) for w in workers), "the import's worker process has ended")
    return import_files_beside(wc)


def _spilling(wc: Path) -> bool:
    """The worker reading the file's second part has spilled rows (with 2 CPUs; else: no worker)."""
    if importer._cpus() < 2:
        return True
    return any(p.name.endswith(".rows.tmp") and p.stat().st_size for p in wc.parent.iterdir())


def test_an_import_killed_midway_changes_nothing_and_the_next_command_cleans_up(big_wc: Path, big_xml: Path) -> None:
    unit, _ = a_unit(big_wc)
    conn = db.open_working_copy(big_wc)
    edits.set_fields(conn, unit, {"name": "Gemt før importen"})
    conn.close()
    before = sha256(big_wc)

    left = _kill_mid_import(big_wc, big_xml, lambda: write_lock_held(big_wc) and _spilling(big_wc))
    assert any(name.endswith(".lock") for name in left)
    assert importer._cpus() < 2 or any(name.endswith(".rows.tmp") for name in left)

    shown = cli_run(big_wc, "show", unit, "--json")
    assert shown.returncode == 0, shown.stderr
    assert f"removed {len(left)} file(s) an interrupted import left behind" in shown.stderr
    assert json.loads(shown.stdout)["name"] == "Gemt før importen"
    assert sorted(p.name for p in big_wc.parent.iterdir()) == [big_wc.name]
    assert sha256(big_wc) == before


def test_an_import_into_a_new_working_copy_killed_midway_leaves_nothing_after_the_next_command(
    wc: Path, big_xml: Path
) -> None:
    def staging_filled() -> bool:
        locks = [name for name in import_files_beside(wc) if name.endswith(".lock")]
        staging = wc.parent / (locks[0].removesuffix("lock") + "tmp") if locks else None
        return staging is not None and staging.is_file() and staging.stat().st_size > 0 and _spilling(wc)

    left = _kill_mid_import(wc, big_xml, staging_filled)
    assert not wc.exists()
    assert any(name.endswith(".tmp") and ".rows." not in name for name in left)  # the staging copy

    result = cli_run(wc, "locate")
    assert result.returncode == 0, result.stderr
    assert f"removed {len(left)} file(s) an interrupted import left behind" in result.stderr
    assert list(wc.parent.iterdir()) == []


def test_leftovers_without_a_lock_go_once_their_process_is_gone(run_cli: RunCli, sor_wc: Path) -> None:
    """Files of an older sortui (a staging file named by its process, no lock): removed when that
    process no longer runs, kept while it does."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = sor_wc.parent / f".{sor_wc.name}.import-{int(ended.stdout)}.tmp"
    live = sor_wc.parent / f".{sor_wc.name}.import-{os.getppid()}.tmp"  # pytest's parent: running
    dead.write_bytes(b"x" * 4096)
    live.write_bytes(b"y")
    result = run_cli("stats")
    assert result.code == 0
    assert not dead.exists() and live.exists()
    assert f"removed 1 file(s) an interrupted import left behind ({dead.name})" in result.err


# -- the old value of an edit, read inside its write transaction ------------------------------------------


def test_an_edit_reads_the_old_value_it_journals_inside_its_write_transaction(sor_wc: Path) -> None:
    """Another writer tries to change the name at the moment the edit is about to write it (an SQLite
    authorizer runs it as the edit's UPDATE is prepared): the edit already holds the write lock, so
    the other writer is refused and the journal's old value is the value the edit replaced."""
    edit = db.open_working_copy(sor_wc)
    other = sqlite3.connect(sor_wc, timeout=0)
    tried: list[str] = []

    def meanwhile(action: int, table: str | None, *_: object) -> int:
        if action == sqlite3.SQLITE_UPDATE and table == "entity" and not tried:
            try:
                with other:
                    other.execute("UPDATE entity SET name = 'Ændret imellem' WHERE sor_id = ?", (AFSNIT,))
                tried.append("written")
            except sqlite3.OperationalError:
                tried.append("refused: the edit holds the lock")
        return sqlite3.SQLITE_OK

    edit.set_authorizer(meanwhile)
    (entry,) = edits.set_fields(edit, AFSNIT, {"name": "Sengeafsnit"})
    edit.set_authorizer(None)
    edit.close()
    other.close()
    assert tried == ["refused: the edit holds the lock"]
    assert entry.old_value == AFSNIT_NAME
    conn = db.open_working_copy(sor_wc)
    journal.undo(conn, entry.id)
    conn.close()
    assert name_of(sor_wc, AFSNIT) == AFSNIT_NAME


# -- re-importing rebases pending edits -----------------------------------------------------------------


def _renamed_in_file(samples: Path, folder: Path, new_name: str) -> Path:
    data = (samples / "sor" / "ONE_SYGEHUS.xml").read_bytes()
    data = data.replace(
        f"<EntityName>{AFSNIT_NAME}</EntityName>".encode(), f"<EntityName>{new_name}</EntityName>".encode()
    )
    path = folder / "ONE_SYGEHUS.xml"
    path.write_bytes(data)
    return path


def test_a_reimport_rebases_pending_edits_on_the_new_data(
    run_cli: RunCli, sor_wc: Path, samples_dir: Path, sor_samples: list[Path], tmp_path: Path
) -> None:
    assert run_cli("set", AFSNIT, "name=Mit navn").code == 0
    assert run_cli("edi", "add", APOTEK_GLN, "XH1530R", "--from", "2026-01-01").code == 0
    renamed = _renamed_in_file(samples_dir, tmp_path, "Navnet fra filen")
    edi = tmp_path / "LocationsCodeEDITypeMap.csv"
    edi.write_text(f"EanLocationCode;MessageUrn;FromDate\r\n{APOTEK_GLN};{XREF};2020-05-01\r\n", encoding="utf-8")
    result = run_cli("import", renamed, *sor_samples[1:], edi)
    assert result.code == 0, result.err
    assert "pending edits applied again on the new data: 2" in result.err
    assert name_of(sor_wc, AFSNIT) == "Mit navn"

    changes = {c["key"]: c for c in run_cli("changes", "--json").json()}
    assert changes[AFSNIT]["old"] == "Navnet fra filen"
    assert changes[APOTEK_GLN]["old"] == {"from_date": "2020-05-01", "to_date": None}
    plain = tmp_path / "plain.json"
    assert run_cli("export", "--format", "json", "-o", plain).code == 0
    assert "Navnet fra filen" in plain.read_text(encoding="utf-8") and "Mit navn" not in plain.read_text(
        encoding="utf-8"
    )

    for entry in changes.values():
        assert run_cli("changes", "--undo", entry["id"]).code == 0
    assert name_of(sor_wc, AFSNIT) == "Navnet fra filen"
    assert sql(sor_wc, "SELECT from_date FROM location_message WHERE gln = ?", APOTEK_GLN) == [("2020-05-01",)]


# -- imports that would empty the working copy; what an import replaces ------------------------------------


def _empty_sor_tree(samples: Path, folder: Path) -> Path:
    data = (samples / "sor" / "ONE_APOTEK.xml").read_bytes()
    start, end = data.index(b"<InstitutionOwnerEntity>"), data.rindex(b"</InstitutionOwnerEntity>")
    path = folder / "empty.xml"
    path.write_bytes(data[:start] + data[end + len(b"</InstitutionOwnerEntity>") :])
    return path


def test_an_import_that_would_remove_every_unit_is_refused_unless_asked_for(
    run_cli: RunCli, sor_wc: Path, samples_dir: Path, tmp_path: Path
) -> None:
    header_only = tmp_path / "sor.csv"
    header_only.write_bytes(b"SOR-kode;Parent-SOR-kode;SORtype;Enhedsnavn\r\n")
    before = sha256(sor_wc)
    for path in (_empty_sor_tree(samples_dir, tmp_path), header_only):
        result = run_cli("import", path)
        assert result.code == 2
        assert f"{path}: the SOR file holds no units: importing would remove all 10 units" in result.err
        assert "--allow-empty" in result.err
        assert sha256(sor_wc) == before
    assert "--allow-empty" in run_cli("import", "--help").out

    result = run_cli("import", "--allow-empty", header_only)
    assert result.code == 0, result.err
    assert (
        "replaced 10 units (snapshot 2010-01-26 from ONE_APOTEK.xml, ONE_PRAKSIS.xml, ONE_SYGEHUS.xml) with 0"
        in result.err
    )
    assert sql(sor_wc, "SELECT count(*) FROM entity") == [(0,)]


def test_an_import_says_what_it_replaces(run_cli: RunCli, full_wc: Path, samples_dir: Path) -> None:
    result = run_cli("import", samples_dir / "sor" / "ONE_APOTEK.xml", samples_dir / "sor" / "SHAKCOMPLETE.TXT")
    assert result.code == 0, result.err
    assert (
        "replaced 10 units (snapshot 2010-01-26 from ONE_APOTEK.xml, ONE_PRAKSIS.xml, ONE_SYGEHUS.xml) with 3"
        in result.err
    )
    assert "replaced 19428 SHAK-koder (from SHAKCOMPLETE.TXT) with 19428" in result.err
    assert "replaced" not in run_cli("import", samples_dir / "medcom" / "message-definitions.csv").err


# -- control characters on every way in ------------------------------------------------------------------


def test_set_refuses_control_characters_and_a_note_may_have_lines(run_cli: RunCli, sor_wc: Path) -> None:
    for value, where in (
        ("name=Afsnit \x1b[2J\x1b]0;pwned\x07", "Navn holds the control character U+001B"),
        ("name=Afsnit \u202eredrO", "Navn holds the control character U+202E"),
        ("name=Afsnit \u0085", None),  # NEL at the end is white space: stripped
        ("postal.street=Vej\x7f", "Vejnavn holds the control character U+007F"),
        ("note=En note\tmed tab", "Note holds the control character U+0009"),
    ):
        result = run_cli("set", AFSNIT, value)
        if where is None:
            assert result.code == 0, result.err
            continue
        assert result.code == 2, value
        assert where in result.err and "Traceback" not in result.err
        assert "\x1b" not in result.err and "\u202e" not in result.err
    assert run_cli("set", APOTEK_GLN, "note=Linje\x1b[31m").code == 2
    assert run_cli("set", AFSNIT, "note=Første linje\nanden linje").code == 0
    assert sql(sor_wc, "SELECT note FROM entity WHERE sor_id = ?", AFSNIT) == [("Første linje\nanden linje",)]


def test_the_editors_checks_refuse_control_characters(sor_wc: Path) -> None:
    """What the app's unit editor and EDI editor show by the fields (the same checks refuse the save)."""
    conn = db.open_working_copy(sor_wc)
    try:
        unit = edits.check_entity_changes(conn, AFSNIT, {"name": "A\x9bB", "contact.email": "a@b\u2066.dk"})
        number = edits.check_location_changes(conn, APOTEK_GLN, {"note": "\x1b[2J"})
        with pytest.raises(edits.EditError):
            edits.create_unit(conn, AFSNIT, "Ny \x1b[5m")
    finally:
        conn.close()
    assert [(p.field, p.is_error) for p in unit] == [("name", True), ("contact.email", True)]
    assert "U+009B" in unit[0].message and "U+2066" in unit[1].message
    assert number[0].field == "location.note" and "U+001B" in number[0].message


def test_the_service_refuses_control_characters(service: Service) -> None:
    from test_server import op, push

    from sortui.domain.provisional import provisional_sor_id

    with service.http("alice") as http:
        name = push(http, op(AFSNIT, "name", "Afsnit \x1b[2J"))
        created = push(
            http,
            {
                "target": "entity",
                "key": provisional_sor_id(1),
                "op": "create",
                "field": None,
                "old": None,
                "new": {"kind": "OE", "name": "Ny\u202e", "parent_sor_id": AFSNIT, "ean_mode": "inherited"},
                "base_version": 0,
            },
        )
        message = http.post("/messages", json={"text": "Nedetid i aften\x1b]0;x\x07"})
        fine = http.post("/messages", json={"text": "Nedetid i aften\nkl. 20-22"})
        unit = http.get(f"/units/{AFSNIT}").json()
    assert name.status_code == 422 and "U+001B" in name.json()["error"]["message"], name.text
    assert created.status_code == 422 and "U+202E" in created.json()["error"]["message"], created.text
    assert message.status_code == 422 and "U+001B" in message.json()["error"]["message"], message.text
    assert fine.status_code == 201, fine.text
    assert unit["data"]["name"] == AFSNIT_NAME


# -- the CSV export --------------------------------------------------------------------------------------


def test_the_csv_export_round_trips_and_the_spreadsheet_export_runs_no_formula(
    run_cli: RunCli, sor_wc: Path, tmp_path: Path
) -> None:
    formulas = {
        "name": '=HYPERLINK("http://x";"Klik")',
        "postal.street": "+45 Vej",
        "contact.email": "@SUM(1+1)",
        "note": "-2+3",
    }
    assert run_cli("set", AFSNIT, *(f"{k}={v}" for k, v in formulas.items()), "--json").code == 0
    register, sheet = tmp_path / "sor.csv", tmp_path / "units.csv"
    assert run_cli("export", "--format", "csv", "-o", register, "--with-pending").code == 0
    assert run_cli("export", "--format", "spreadsheet", "-o", sheet, "--with-pending").code == 0

    again = tmp_path / "again.sqlite"
    assert run_cli("import", register, db=again).code == 0
    assert sql(again, "SELECT name, note FROM entity WHERE sor_id = ?", AFSNIT) == [
        (formulas["name"], formulas["note"])
    ]

    import csv as csvlib

    text = sheet.read_bytes()
    assert text.startswith(b"\xef\xbb\xbfSOR-kode;")
    rows = list(csvlib.DictReader(text.decode("utf-8-sig").splitlines(), delimiter=";"))
    row = next(r for r in rows if r["SOR-kode"] == AFSNIT)
    assert row["Enhedsnavn"] == "'" + formulas["name"]
    assert row["Postadresse"] == "'+45 Vej" and row["E-mail"] == "'@SUM(1+1)" and row["Note"] == "'-2+3"
    assert not [c for r in rows for c in r.values() if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "spreadsheet" in run_cli("export", "--help").out


# -- the app shows an import's hold on the working copy as a notice --------------------------------------


async def test_the_app_says_so_when_an_import_holds_the_working_copy(big_wc: Path, big_xml: Path) -> None:
    from test_app_edit import go_to

    from sortui.screens.editor import UnitEditor

    unit, name = a_unit(big_wc)
    app = make_app(big_wc)
    async with app.run_test(size=(80, 24)) as pilot:
        await go_to(pilot, unit)
        await press(pilot, "e")
        app.screen.query_one("#f-name", Input).value = "Rettet i appen"
        await settle(pilot)
        importing = start_import(big_wc, big_xml)
        freeze_holding_lock(importing, big_wc)
        try:
            await press(pilot, "f2")  # the save waits for the lock, then gives up
        finally:
            os.kill(importing.pid, signal.SIGCONT)
        assert isinstance(app.screen, UnitEditor)  # still open, with the change typed in
        assert app.screen.query_one("#f-name", Input).value == "Rettet i appen"
        assert any(f"an import of {big_xml.name} (process {importing.pid}" in n for n in notices(app))
        assert any("nothing was changed" in n for n in notices(app))
        importing.communicate(timeout=300)
        assert importing.returncode == 0
    assert name_of(big_wc, unit) == name
