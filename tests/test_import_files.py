"""What an import says about the files it is given, how a new working copy is put in place, and the
search index it streams: each refusal worded exactly, the file on disk checked byte for byte.

tests/test_bad_input.py and tests/test_hostile_input.py show that such files are refused with the
working copy unchanged, through the CLI; these pin down the words and what is left on disk.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest
from conftest import NEW_GLN
from edited_extracts import EDI_HEADER
from test_trust_data import _empty_sor_tree

from sortui.domain.errors import InputError
from sortui.store import importer, search_index
from sortui.store.importer import detect, import_files

_KNOWN = (
    "not a file sortui knows (SOR XML or zip, sor.csv, SorEntity CSV, SHAKCOMPLETE.TXT, "
    "SHAKregion.txt, location-number/message-type CSV, MedCom catalogue)"
)


def _refused(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        detect(path)
    return str(caught.value)


# -- what a path is ---------------------------------------------------------------------------------


def test_a_directory_is_refused_by_name(tmp_path: Path) -> None:
    assert _refused(tmp_path) == f"{tmp_path}: a directory, not a file (name the files in it)"


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    assert _refused(tmp_path / "sor.xml") == f"{tmp_path / 'sor.xml'}: no such file"


def test_a_pipe_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "sor.xml"
    os.mkfifo(fifo)
    assert _refused(fifo) == f"{fifo}: not a regular file (a pipe or a device?)"


def test_a_file_that_cannot_be_read_says_what_the_system_said() -> None:
    path = Path("/proc/self/mem")  # a regular file that cannot be read from its start (EIO), even as root
    if not path.is_file():
        pytest.skip("no /proc/self/mem here")
    assert _refused(path) == f"{path}: cannot read the file: {os.strerror(5)}"


def test_a_file_of_no_known_kind_is_refused_at_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Indkøbsliste:\nmælk\n", encoding="utf-8")
    assert _refused(path) == f"{path}:1: {_KNOWN}"


def test_each_kind_of_file_is_told_apart(samples_dir: Path, tmp_path: Path) -> None:
    csv = tmp_path / "sor.csv"
    csv.write_bytes(b"SOR-kode;Parent-SOR-kode;SORtype;Enhedsnavn\r\n")
    assert detect(samples_dir / "sor" / "ONE_APOTEK.xml") == "sor-xml"
    assert detect(samples_dir / "sor" / "SHAKCOMPLETE.TXT") == "shak-complete"
    assert detect(samples_dir / "medcom" / "message-definitions.csv") == "medcom"
    assert detect(csv) == "sor-csv"


# -- an import that would remove every unit ---------------------------------------------------------


def _header_only(folder: Path) -> Path:
    path = folder / "sor.csv"
    path.write_bytes(b"SOR-kode;Parent-SOR-kode;SORtype;Enhedsnavn\r\n")
    return path


def _units(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM entity").fetchone()[0]


def test_two_sor_files_without_units_are_refused_by_the_first(sor_wc: Path, samples_dir: Path, tmp_path: Path) -> None:
    empty, header_only = _empty_sor_tree(samples_dir, tmp_path), _header_only(tmp_path)
    with pytest.raises(InputError) as caught:
        import_files(sor_wc, [header_only, empty])  # the XML file is loaded first, whatever the order named
    assert str(caught.value) == (
        f"{empty}: the SOR files hold no units: importing would remove all 10 units of the working copy"
        " (add --allow-empty to import it anyway)"
    )
    assert _units(sor_wc) == 10


def test_one_sor_file_without_units_says_the_file_holds_none(sor_wc: Path, samples_dir: Path, tmp_path: Path) -> None:
    empty = _empty_sor_tree(samples_dir, tmp_path)
    with pytest.raises(InputError) as caught:
        import_files(sor_wc, [empty])
    assert str(caught.value).startswith(f"{empty}: the SOR file holds no units: importing would remove all 10 units")


def test_a_sor_file_without_units_is_imported_when_asked_for(sor_wc: Path, samples_dir: Path, tmp_path: Path) -> None:
    report = import_files(sor_wc, [_empty_sor_tree(samples_dir, tmp_path)], allow_empty=True)
    assert [(r.kind, r.before, r.after) for r in report.replaced] == [("sor", 10, 0)]
    assert _units(sor_wc) == 0


def test_a_sor_file_without_units_into_a_working_copy_without_units_needs_no_asking(
    samples_dir: Path, tmp_path: Path
) -> None:
    db = tmp_path / "wc.sqlite"
    empty = _empty_sor_tree(samples_dir, tmp_path)
    import_files(db, [empty])  # a new working copy: nothing to remove
    import_files(db, [_header_only(tmp_path)])  # one without units: nothing to remove either
    assert _units(db) == 0


def test_units_in_any_sor_file_of_the_import_are_enough(sor_wc: Path, samples_dir: Path, tmp_path: Path) -> None:
    import_files(sor_wc, [_empty_sor_tree(samples_dir, tmp_path), samples_dir / "sor" / "ONE_PRAKSIS.xml"])
    assert _units(sor_wc) > 0


def test_a_shak_file_alone_does_not_count_as_removing_units(sor_wc: Path, samples_dir: Path) -> None:
    import_files(sor_wc, [samples_dir / "sor" / "SHAKCOMPLETE.TXT"])
    assert _units(sor_wc) == 10


# -- a new working copy put in place ----------------------------------------------------------------


def _foreign_wal(folder: Path) -> tuple[bytes, bytes]:
    """The write-ahead log and shared-memory file of another database, with commits not yet in it."""
    other = folder / "other.sqlite"
    keep = sqlite3.connect(other, isolation_level=None)
    keep.execute("PRAGMA journal_mode = WAL")
    keep.execute("PRAGMA wal_autocheckpoint = 0")
    keep.execute("CREATE TABLE entity (x)")
    keep.executemany("INSERT INTO entity VALUES (?)", [(n,) for n in range(2000)])
    wal, shm = Path(f"{other}-wal").read_bytes(), Path(f"{other}-shm").read_bytes()
    keep.close()
    return wal, shm


def test_a_new_working_copy_replaces_a_write_ahead_log_left_beside_its_name(samples_dir: Path, tmp_path: Path) -> None:
    """A -wal of another database at the new file's name would be replayed into it by the next opener."""
    wal, shm = _foreign_wal(tmp_path)
    db = tmp_path / "wc.sqlite"
    Path(f"{db}-wal").write_bytes(wal)
    Path(f"{db}-shm").write_bytes(shm)
    import_files(db, [samples_dir / "sor" / "ONE_APOTEK.xml"])
    assert not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] == 3


def test_a_new_working_copy_is_in_wal_mode_on_disk(samples_dir: Path, tmp_path: Path) -> None:
    """So that its first reader, even one that may not write, reads it as every later one will."""
    db = tmp_path / "wc.sqlite"
    import_files(db, [samples_dir / "sor" / "ONE_APOTEK.xml"])
    header = db.read_bytes()[:20]
    assert header[:16] == b"SQLite format 3\x00"
    assert (header[18], header[19]) == (2, 2)  # write and read versions 2: WAL
    assert not Path(f"{db}-journal").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wc.sqlite"]


def test_the_folder_of_a_new_working_copy_is_synced_after_the_rename(
    samples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rename is only durable once the directory that holds it is on disk."""
    synced: list[tuple[bool, bool]] = []  # (a directory, the new file already in it)
    db = tmp_path / "wc.sqlite"
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append((stat.S_ISDIR(os.fstat(fd).st_mode), db.exists()))
        real(fd)

    monkeypatch.setattr(importer.os, "fsync", fsync)
    import_files(db, [samples_dir / "sor" / "ONE_APOTEK.xml"])
    assert (True, True) in synced


def test_a_folder_that_cannot_be_synced_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(fd: int) -> None:
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(importer.os, "fsync", refuse)
    importer._fsync_dir(tmp_path)  # some file systems cannot sync a directory: the rename stands
    importer._fsync_dir(tmp_path / "gone")  # nor open one that went


# -- the search index streamed as the units are written ---------------------------------------------


def _search_rows(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT rowid, name, other FROM search ORDER BY rowid").fetchall()


def _streamed_and_rebuilt(db: Path) -> tuple[list[tuple], list[tuple]]:
    with closing(sqlite3.connect(db)) as conn:
        streamed = _search_rows(conn)
        search_index.rebuild_search(conn)
        return streamed, _search_rows(conn)


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the times an import fills the search index again from the tables instead of streaming it."""
    calls: list[int] = []
    real = importer.rebuild_search

    def counted(conn: sqlite3.Connection) -> None:
        calls.append(1)
        real(conn)

    monkeypatch.setattr(importer, "rebuild_search", counted)
    return calls


def test_the_streamed_index_of_several_files_in_many_batches_is_the_rebuilt_one(
    sor_samples: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuilds: list[int]
) -> None:
    monkeypatch.setattr(importer, "BATCH", 2)
    db = tmp_path / "wc.sqlite"
    import_files(db, sor_samples)
    streamed, rebuilt = _streamed_and_rebuilt(db)
    assert len(streamed) == 10 and streamed == rebuilt
    assert rebuilds == []  # streamed, not filled again from the tables


def test_the_streamed_index_of_a_working_copy_imported_again_is_the_rebuilt_one(
    sor_wc: Path, sor_samples: list[Path], monkeypatch: pytest.MonkeyPatch, rebuilds: list[int]
) -> None:
    monkeypatch.setattr(importer, "BATCH", 3)
    import_files(sor_wc, list(reversed(sor_samples)))
    streamed, rebuilt = _streamed_and_rebuilt(sor_wc)
    assert len(streamed) == 10 and streamed == rebuilt
    assert rebuilds == []


def test_units_numbered_otherwise_than_streamed_get_their_index_rebuilt(
    sor_samples: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rebuilds: list[int]
) -> None:
    """Should the entities' rowids not follow on from each other, the streamed rows would name the wrong
    units: the index is filled from the tables instead."""
    real = importer.EntityBatch.flush

    def with_a_gap(self: importer.EntityBatch, conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO entity (rowid, sor_id, kind, name, sort_name, ean_mode, version)"
            " SELECT coalesce(max(rowid), 0) + 5, 'gap', 'IE', '', '', '', 1 FROM entity"
        )
        real(self, conn)  # numbered after the gap's row
        conn.execute("DELETE FROM entity WHERE sor_id = 'gap'")

    monkeypatch.setattr(importer.EntityBatch, "flush", with_a_gap)
    db = tmp_path / "wc.sqlite"
    import_files(db, sor_samples[:1])
    streamed, rebuilt = _streamed_and_rebuilt(db)
    assert streamed == rebuilt and len(rebuilt) == _units(db)
    assert rebuilds == [1]


# -- SHAK codes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1000, 7])
def test_a_shak_code_twice_from_the_same_day_is_named_where_it_comes_again(
    samples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(importer, "BATCH", batch)  # the second one in the last batch, or batches later
    lines = (samples_dir / "sor" / "SHAKCOMPLETE.TXT").read_bytes().splitlines(keepends=True)[:30]
    path = tmp_path / "SHAKCOMPLETE.TXT"
    path.write_bytes(b"".join([*lines, lines[4]]))
    code, valid_from = lines[4][3:13].decode().strip(), lines[4][23:31].decode()
    with pytest.raises(InputError) as caught:
        import_files(tmp_path / "wc.sqlite", [path])
    day = f"{valid_from[:4]}-{valid_from[4:6]}-{valid_from[6:]}"
    assert str(caught.value) == f"{path}:31 (DatoFra): SHAK-kode {code} from {day} appears twice"
    assert not (tmp_path / "wc.sqlite").exists()


# -- message types on lokationsnumre ----------------------------------------------------------------

APOTEK_GLN = "5790000173624"
XREF = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"


def _edi_map(folder: Path, *rows: str) -> Path:
    path = folder / "LocationsCodeEDITypeMap.csv"
    path.write_text(EDI_HEADER + "".join(f"{r}\r\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def catalogue(samples_dir: Path) -> Path:
    return samples_dir / "medcom" / "message-definitions.csv"


def _edi_refusal(db: Path, *paths: Path) -> str:
    before = db.read_bytes()
    with pytest.raises(InputError) as caught:
        import_files(db, list(paths))
    assert db.read_bytes() == before
    return str(caught.value)


def test_a_message_type_the_catalogue_lacks_is_named_on_its_line(sor_wc: Path, catalogue: Path, tmp_path: Path) -> None:
    path = _edi_map(tmp_path, f"{APOTEK_GLN};{XREF};;;;2024-01-01;", f"{APOTEK_GLN};urn:dk:ukendt:type;;;;;")
    assert _edi_refusal(sor_wc, catalogue, path) == (
        f"{path}:3 (MessageUrn): message type 'urn:dk:ukendt:type' is not in the MedCom catalogue"
    )
    unknown_codes = _edi_map(tmp_path, f"{APOTEK_GLN};;XREF99;XH9999R;;;")
    assert _edi_refusal(sor_wc, catalogue, unknown_codes) == (
        f"{unknown_codes}:2 (MessageUrn): message type 'XREF99:XH9999R' is not in the MedCom catalogue"
    )


def test_a_message_type_registered_twice_on_a_lokationsnummer_is_refused_where_it_comes_again(
    sor_wc: Path, catalogue: Path, tmp_path: Path
) -> None:
    path = _edi_map(tmp_path, f"{APOTEK_GLN};{XREF};;;;2024-01-01;", f"{APOTEK_GLN};;XREF15;XH1530R;;;")
    assert _edi_refusal(sor_wc, catalogue, path) == f"{path}:3: message type {XREF} registered twice on {APOTEK_GLN}"


def test_message_types_by_urn_or_by_codes_are_stored_and_unknown_numbers_warned_of(
    sor_wc: Path, catalogue: Path, tmp_path: Path
) -> None:
    stranger = NEW_GLN  # a valid lokationsnummer no unit of the working copy has
    path = _edi_map(
        tmp_path,
        f"{APOTEK_GLN};;XREF15;XH1530R;;2024-01-01;2030-12-31",
        f"{stranger};{XREF};;;;;",
    )
    report = import_files(sor_wc, [catalogue, path])
    edi = next(f for f in report.files if f.kind == "edi-map")
    assert edi.rows == 2
    assert [str(w) for w in edi.warnings] == [
        f"{path}:3 (EanLocationCode): warning: lokationsnummer {stranger} is not in the working copy"
    ]
    with closing(sqlite3.connect(sor_wc)) as conn:
        stored = conn.execute("SELECT gln, message_urn, from_date, to_date FROM location_message ORDER BY gln")
        assert stored.fetchall() == [(APOTEK_GLN, XREF, "2024-01-01", "2030-12-31"), (stranger, XREF, None, None)]


# -- the worker process of a split import ---------------------------------------------------------


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated register of 500 units in SOR XML."""
    from sortui.generator.files import write_file_set

    return write_file_set(tmp_path_factory.mktemp("register"), 500, 5, formats=("xml",))["xml"]


def test_a_worker_whose_python_fails_says_nothing_on_the_terminal_and_the_file_is_read_whole(
    register: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Its traceback would land in the middle of the user's progress bar: its stderr goes nowhere, and
    this process reads the file itself."""
    failing = tmp_path / "python"
    # It takes its arguments (as Python would, before failing), then fails with a traceback.
    script = "#!/bin/sh\ncat > /dev/null\necho 'Traceback (most recent call last): boom' >&2\nexit 1\n"
    failing.write_text(script, encoding="utf-8")
    failing.chmod(0o755)
    monkeypatch.setattr(importer, "SPLIT_MIN_BYTES", dict.fromkeys(importer.SPLIT_MIN_BYTES, 0))
    monkeypatch.setattr(importer, "_cpus", lambda: 2)
    monkeypatch.setattr(importer.sys, "executable", str(failing))
    spills: list[Path] = []
    real = importer._PartWorker

    def recorded(*args: object) -> object:
        worker = real(*args)  # type: ignore[arg-type]
        spills.append(worker._spill)  # type: ignore[arg-type]
        return worker

    monkeypatch.setattr(importer, "_PartWorker", recorded)
    report = import_files(tmp_path / "wc.sqlite", [register])
    assert report.files[0].rows == 500
    assert capfd.readouterr().err == ""
    (spill,) = spills
    assert spill.parent == tmp_path  # beside the working copy, where a killed import's leftovers are found
    assert not spill.exists()


@pytest.mark.parametrize("forking", [False, True], ids=["worker-started-in-a-thread", "worker-forked"])
def test_a_working_copy_that_cannot_be_opened_is_the_error_though_the_worker_failed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, samples_dir: Path, forking: bool
) -> None:
    from sortui.store.db import WorkingCopyError

    monkeypatch.setattr(importer, "_can_fork", lambda: forking)

    def fails(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")  # writing a zip's XML file out for the worker, say

    monkeypatch.setattr(importer, "_first_split", fails)
    db = tmp_path / "wc.sqlite"
    db.write_bytes(b"not a database, but a file of another program " * 100)
    with pytest.raises(WorkingCopyError, match="not a working copy"):
        import_files(db, [samples_dir / "sor" / "ONE_APOTEK.xml"])
    with pytest.raises(OSError, match="No space left"):  # with a working copy, the worker's error is the one
        import_files(tmp_path / "new.sqlite", [samples_dir / "sor" / "ONE_APOTEK.xml"])


def test_each_file_is_reported_by_its_path(sor_wc: Path, sor_samples: list[Path], catalogue: Path) -> None:
    paths = [*sor_samples, catalogue]
    report = import_files(sor_wc, paths)
    assert sorted(f.path for f in report.files) == sorted(str(p) for p in paths)


def test_a_whole_read_reports_its_progress_in_bytes_as_it_goes(
    register: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 20)
    calls: list[tuple[str, int, int]] = []
    import_files(tmp_path / "wc.sqlite", [register], progress=lambda *call: calls.append(call))
    size = register.stat().st_size
    assert {label for label, _, _ in calls} == {str(register)}
    assert calls[-1][1:] == (size, size)
    done = [d for _, d, _ in calls[:-1]]
    assert len(done) >= 10 and all(0 < d <= size for d in done) and done == sorted(done) and done[0] < size // 2
    assert {total for _, _, total in calls} == {size}
