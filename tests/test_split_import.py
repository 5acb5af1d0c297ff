"""The two-process read of a large SOR XML file (importer: "a large SOR XML file in two parts at once").

Every real download takes that path, so it is forced here on a generated file of a few MB by
lowering the importer's threshold: the working copy must be the one the one-process read gives,
row for row, and an error in either part must be reported as the one-process read reports it.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from sortui.domain.errors import InputError
from sortui.generator.files import write_file_set
from sortui.store import importer
from sortui.store.importer import import_files

# Columns that hold when the import ran, not what it read.
_WHEN_COLUMNS = {"imported_at"}
# Tables that say when the import ran, and the search index's internal storage (its rows are compared
# through the index itself).
_SKIPPED_TABLES = ("import_run", "sqlite_", "search_")


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_file_set(tmp_path_factory.mktemp("split"), 1500, 7, formats=("xml",))["xml"]


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every SOR XML file is read in two parts (on any machine); returns the workers started."""
    started: list[object] = []
    real = importer._new_worker

    def counted(*args: object) -> object:
        worker = real(*args)  # type: ignore[arg-type]
        started.append(worker)
        return worker

    monkeypatch.setattr(importer, "SPLIT_MIN_BYTES", dict.fromkeys(importer.SPLIT_MIN_BYTES, 0))
    monkeypatch.setattr(importer, "_cpus", lambda: 2)
    monkeypatch.setattr(importer, "_new_worker", counted)
    return started


def _read_whole() -> None:
    """From now on one process reads every file whole (the ``split`` fixture's monkeypatch puts it back)."""
    importer.SPLIT_MIN_BYTES = dict.fromkeys(importer.SPLIT_MIN_BYTES, 1 << 60)


def _contents(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows, in a fixed order (the search index by its rowids and columns)."""
    with closing(sqlite3.connect(db)) as conn:
        names = [
            r[0]
            for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            if not r[0].startswith(_SKIPPED_TABLES)
        ]
        out = {}
        for name in names:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({name})") if r[1] not in _WHEN_COLUMNS]
            select = ", ".join(["rowid", *columns] if name == "search" else columns)
            out[name] = conn.execute(f"SELECT {select} FROM {name} ORDER BY {select}").fetchall()
        return out


def _import_error(db: Path, path: Path) -> str:
    with pytest.raises(InputError) as caught:
        import_files(db, [path])
    return str(caught.value)


def test_the_two_part_read_gives_the_working_copy_of_the_whole_read(
    register: Path, tmp_path: Path, split: list[object]
) -> None:
    import_files(tmp_path / "split.sqlite", [register])
    assert split and split[0] is not None  # it did read in two parts
    split.clear()
    _read_whole()
    import_files(tmp_path / "whole.sqlite", [register])
    assert not split
    split_rows, whole_rows = _contents(tmp_path / "split.sqlite"), _contents(tmp_path / "whole.sqlite")
    assert split_rows.keys() == whole_rows.keys() and len(split_rows["entity"]) == 1500
    for table in whole_rows:
        assert split_rows[table] == whole_rows[table], table


def test_an_import_into_a_working_copy_in_two_parts_replaces_it(
    register: Path, tmp_path: Path, split: list[object], sor_samples: list[Path]
) -> None:
    db = tmp_path / "wc.sqlite"
    import_files(db, sor_samples)
    report = import_files(db, [register])
    assert split and report.files[0].rows == 1500
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] == 1500


def _with_bad_date(register: Path, target: Path, at: float) -> tuple[Path, int]:
    """A copy of ``register`` with the FromDate nearest ``at`` of the file (0..1) made impossible."""
    lines = register.read_bytes().split(b"\n")
    start = int(len(lines) * at)
    index = next(i for i in range(start, len(lines)) if b"<FromDate>" in lines[i])
    lines[index] = lines[index].replace(b"<FromDate>", b"<FromDate>2010-02-30</FromDate><!--", 1) + b"-->"
    target.write_bytes(b"\n".join(lines))
    return target, index + 1


@pytest.mark.parametrize("at", [0.05, 0.95], ids=["first part", "second part"])
def test_an_error_in_either_part_is_the_one_the_whole_read_reports(
    register: Path, tmp_path: Path, split: list[object], at: float
) -> None:
    bad, line = _with_bad_date(register, tmp_path / "bad.xml", at)
    in_parts = _import_error(tmp_path / "split.sqlite", bad)
    assert split  # the worker was started
    _read_whole()
    whole = _import_error(tmp_path / "whole.sqlite", bad)
    assert in_parts == whole
    where = re.search(r"bad\.xml:(\d+) \(FromDate\)", whole)  # the line of the unit the date is of
    assert where and line - 100 < int(where.group(1)) < line, whole
    assert not (tmp_path / "split.sqlite").exists() and not (tmp_path / "whole.sqlite").exists()


@pytest.mark.parametrize("at", [0.05, 0.95], ids=["first part", "second part"])
def test_malformed_xml_in_either_part_is_named_as_the_whole_read_names_it(
    register: Path, tmp_path: Path, split: list[object], at: float
) -> None:
    data = register.read_bytes()
    cut = data.index(b"<EntityName>", int(len(data) * at))
    bad = tmp_path / "broken.xml"
    bad.write_bytes(data[:cut] + b"<EntityName <<" + data[cut:])
    line = data[:cut].count(b"\n") + 1
    in_parts = _import_error(tmp_path / "split.sqlite", bad)
    _read_whole()
    assert in_parts == _import_error(tmp_path / "whole.sqlite", bad)
    assert f"line {line}" in in_parts


# -- the worker's own read, run in this process ------------------------------------------------
# The worker is a process of its own in every import; here its function runs in a thread of the
# test's process, so that what it sends can be compared with a one-process read directly.


def _whole_rows(kind: str, path: Path) -> tuple[dict[str, list[tuple]], list[tuple], dict[str, object]]:
    """Every table row and search row of ``path`` read by one reader, and what its header said."""
    entities, reader = importer._part_entities(kind, path, str(path), None)  # type: ignore[arg-type]
    batch, search = importer.EntityBatch(), []
    for ent in entities:
        batch.add(ent)
        search.append(importer.search_row(ent))
    header = {k: getattr(reader, k, None) for k in ("snapshot_date", "created_at")}
    return batch.tables, search, header


def _run_worker(kind: str, path: Path, part: object, spill: Path) -> tuple[list[tuple], list[tuple]]:
    """Run the worker's read of ``part`` in a thread; returns (its messages, the chunks they name)."""
    import os
    import threading
    from multiprocessing.connection import Connection

    read_end, write_end = os.pipe()
    receiver = Connection(read_end, writable=False)
    sender = Connection(write_end, readable=False)
    thread = threading.Thread(
        target=importer._read_part, args=(str(path), kind, str(path), part, str(spill), sender), daemon=True
    )
    thread.start()
    messages, chunks = [], []
    with receiver:
        while True:
            try:
                messages.append(receiver.recv())
            except EOFError:
                break
    thread.join()
    with open(spill, "rb") as out:
        for message in messages:
            if message[0] == "rows":
                chunks.append(importer.marshal.loads(out.read(message[2])))
        assert out.read() == b""  # every byte spilled is named by a message
    return messages, chunks


@pytest.fixture(scope="module")
def flat_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_file_set(tmp_path_factory.mktemp("flat"), 1200, 5, formats=("csv", "sor2"))


@pytest.mark.parametrize("kind", ["sor-xml", "sor-csv", "sor2-csv"])
def test_the_workers_part_and_the_first_part_are_the_whole_file_row_for_row(
    register: Path, flat_files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    path = {"sor-xml": register, "sor-csv": flat_files["csv"], "sor2-csv": flat_files["sor2"]}[kind]
    monkeypatch.setattr(importer, "SPLIT_MIN_BYTES", dict.fromkeys(importer.SPLIT_MIN_BYTES, 0))
    monkeypatch.setattr(importer, "PART_BATCH", 97)  # many chunks, the last one short
    first, second = importer._parts(path, kind, fork=False)  # type: ignore[misc]
    messages, chunks = _run_worker(kind, path, second, tmp_path / "rows.spill")

    tables, search, header = _whole_rows(kind, path)
    entities, reader = importer._part_entities(kind, path, str(path), first)
    head = importer.EntityBatch()
    for ent in entities:
        head.add(ent)
    assert head.count and len(chunks) >= 3
    for table, rows in tables.items():
        assert head.tables[table] + [r for c, _ in chunks for r in c[table]] == rows, table
    assert [r for _, s in chunks for r in s] == search[head.count :]
    assert all(len(c["entity"]) == 97 for c, _ in chunks[:-1]) and 0 < len(chunks[-1][0]["entity"]) <= 97

    rows, done = messages[:-1], messages[-1]
    assert [m[0] for m in rows] == ["rows"] * len(chunks)
    read = [m[1] for m in rows]
    assert read == sorted(read) and read[0] > 0 and read[-1] <= path.stat().st_size
    assert done[0] == "done"
    warnings, warning_count, seen = done[1]
    assert warning_count == len(warnings)
    if kind == "sor-xml":  # the part's own header is not the file's; what it says later is
        assert {**{k: getattr(reader, k) for k in ("snapshot_date", "created_at")}, **seen} == header
    else:
        assert seen == {}


def test_a_worker_that_cannot_read_its_part_says_why_and_closes_the_pipe(
    register: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad, _ = _with_bad_date(register, tmp_path / "bad.xml", 0.95)
    monkeypatch.setattr(importer, "SPLIT_MIN_BYTES", dict.fromkeys(importer.SPLIT_MIN_BYTES, 0))
    _, second = importer._parts(bad, "sor-xml", fork=False)  # type: ignore[misc]
    messages, _ = _run_worker("sor-xml", bad, second, tmp_path / "rows.spill")
    assert messages[-1][0] == "failed"
    assert messages[-1][1].startswith("InputError: ") and "FromDate" in messages[-1][1]
    assert all(m[0] == "rows" for m in messages[:-1])


def test_the_worker_takes_its_arguments_from_stdin(
    register: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import os
    import pickle
    import types
    from multiprocessing.connection import Connection

    monkeypatch.setattr(importer, "SPLIT_MIN_BYTES", dict.fromkeys(importer.SPLIT_MIN_BYTES, 0))
    _, second = importer._parts(register, "sor-xml", fork=False)  # type: ignore[misc]
    read_end, write_end = os.pipe()
    spill = tmp_path / "rows.spill"
    args = pickle.dumps((str(register), "sor-xml", "the label", second, str(spill), write_end))
    monkeypatch.setattr(importer.sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(args)))
    monkeypatch.setattr(importer, "PART_BATCH", 1 << 30)  # one chunk: the pipe holds its notice
    importer._part_main()
    with Connection(read_end, writable=False) as receiver:
        first = receiver.recv()
        assert first[0] == "rows" and first[2] == spill.stat().st_size
        assert receiver.recv()[0] == "done"
        with pytest.raises(EOFError):
            receiver.recv()


# -- when a file is read in two parts ------------------------------------------------------------------


def test_the_share_read_here_is_a_third_plus_the_workers_head_start_at_most_two_fifths() -> None:
    mib = 1 << 20
    assert importer._split_share(1000 * mib, "sor-xml", fork=False) == pytest.approx(0.28 + 10 / 1000)
    assert importer._split_share(100 * mib, "sor-csv", fork=False) == pytest.approx(0.30 + 1 / 100)
    assert importer._split_share(20 * mib, "sor-xml", fork=False) == 0.4  # a small file: the cap
    assert importer._split_share(10 * mib, "sor2-csv", fork=False) == 0.4


def test_a_forked_worker_has_no_head_start_to_make_up() -> None:
    mib = 1 << 20
    assert importer._split_share(20 * mib, "sor-xml", fork=True) == 0.35
    assert importer._split_share(1000 * mib, "sor-xml", fork=True) == 0.35
    assert importer._split_share(10 * mib, "sor2-csv", fork=True) == 0.32


def test_the_worker_is_forked_only_on_linux_with_no_other_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer.sys, "platform", "linux")
    monkeypatch.setattr(importer.threading, "active_count", lambda: 1)
    assert importer._can_fork()
    monkeypatch.setattr(importer.threading, "active_count", lambda: 2)  # the app's threads, a progress bar's
    assert not importer._can_fork()
    monkeypatch.setattr(importer.threading, "active_count", lambda: 1)
    monkeypatch.setattr(importer.sys, "platform", "darwin")
    assert not importer._can_fork()


def test_a_file_below_its_threshold_is_read_whole(register: Path, tmp_path: Path) -> None:
    size = register.stat().st_size
    assert importer._parts(register, "sor-xml", fork=False) is None  # a few MB: below 8 MiB
    importer.SPLIT_MIN_BYTES["sor-xml"], saved = size, importer.SPLIT_MIN_BYTES["sor-xml"]
    try:
        first, second = importer._parts(register, "sor-xml", fork=False)  # type: ignore[misc]
        assert first.start == 0 and first.end == second.start and second.end is None  # type: ignore[attr-defined]
        assert abs(first.end - 0.4 * size) < 0.05 * size  # type: ignore[attr-defined]  # at the owner nearest the share
        importer.SPLIT_MIN_BYTES["sor-xml"] = size + 1
        assert importer._parts(register, "sor-xml", fork=False) is None
    finally:
        importer.SPLIT_MIN_BYTES["sor-xml"] = saved


def test_one_cpu_or_no_interpreter_reads_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "_cpus", lambda: 2)
    assert importer._can_split()
    monkeypatch.setattr(importer.sys, "frozen", True, raising=False)
    assert not importer._can_split()
    monkeypatch.delattr(importer.sys, "frozen")
    monkeypatch.setattr(importer.sys, "executable", "")
    assert not importer._can_split()
    monkeypatch.setattr(importer.sys, "executable", "/usr/bin/python3")
    monkeypatch.setattr(importer, "_cpus", lambda: 1)
    assert not importer._can_split()


def test_the_cpus_counted_are_those_this_process_may_use() -> None:
    import os

    assert importer._cpus() == len(os.sched_getaffinity(0))


def test_a_zips_size_is_what_its_members_claim(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "sor.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.xml", b"a" * 1000)
        zf.writestr("b.txt", b"b" * 234)
    assert importer._zipped_size(path) == 1234
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not a zip")
    assert importer._zipped_size(tmp_path / "broken.zip") == 0
    assert importer._zipped_size(tmp_path / "missing.zip") == 0


def test_a_small_zip_is_not_unpacked_for_a_worker(register: Path, tmp_path: Path, split: list[object]) -> None:
    import zipfile

    from sortui.store import workfiles

    path = tmp_path / "sor.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(register, "Sor.xml")
    db = tmp_path / "wc.sqlite"
    importer.SPLIT_MIN_BYTES["sor-xml"] = register.stat().st_size + 1  # the member is just too small
    with workfiles.ImportLock(db, [path]) as lock:
        assert importer._split(path, "sor-xml", str(path), lock, fork=False) is None
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["sor.zip", *_lock_files(tmp_path)])
    importer.SPLIT_MIN_BYTES["sor-xml"] = 0
    with workfiles.ImportLock(db, [path]) as lock:
        found = importer._split(path, "sor-xml", str(path), lock, fork=False)
        assert found is not None
        with found.worker:
            assert found.label == f"{path}!Sor.xml" and found.source.read_bytes() == register.read_bytes()
            assert found.source.parent == lock.folder and found.kind == "sor-xml"
        found.source.unlink()


def _lock_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name != "sor.zip"]


def test_a_kind_that_is_not_a_sor_file_is_never_split(register: Path, tmp_path: Path, split: list[object]) -> None:
    from sortui.store import workfiles

    with workfiles.ImportLock(tmp_path / "wc.sqlite", [register]) as lock:
        assert importer._split(register, "shak-complete", str(register), lock, fork=False) is None
        assert not split


def test_a_worker_that_cannot_start_leaves_the_file_to_this_process(
    register: Path, tmp_path: Path, split: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sortui.store import workfiles

    def cannot(*args: object) -> object:
        raise OSError("no process can be started here")

    monkeypatch.setattr(importer, "_PartWorker", cannot)
    with workfiles.ImportLock(tmp_path / "wc.sqlite", [register]) as lock:
        assert importer._new_worker(register, "sor-xml", str(register), None, lock, False) is None  # type: ignore[arg-type]
    report = import_files(tmp_path / "wc.sqlite", [register])
    assert report.files[0].rows == 1500


def test_work_in_the_background_hands_back_its_result_or_its_error() -> None:
    assert importer._in_background(lambda x: x * 2, 21)() == 42

    def fails(_: object) -> None:
        raise ValueError("the reason")

    with pytest.raises(ValueError, match="the reason"):
        importer._in_background(fails, None)()


def test_a_split_import_uses_both_parts_and_reports_its_progress_in_order_to_the_end(
    register: Path, tmp_path: Path, split: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    outcomes: list[bool] = []
    spills: list[str] = []
    real_parts, real_init = importer._Loader._load_sor_parts, importer._PartWorker.__init__

    def recorded(self: object, *args: object) -> bool:
        outcomes.append(real_parts(self, *args))  # type: ignore[arg-type]
        return outcomes[-1]

    def named(self: importer._PartWorker, *args: object) -> None:
        real_init(self, *args)  # type: ignore[arg-type]
        spills.append(self._spill.name if self._spill else "")

    monkeypatch.setattr(importer._Loader, "_load_sor_parts", recorded)
    monkeypatch.setattr(importer._PartWorker, "__init__", named)
    monkeypatch.setattr(importer, "BATCH", 97)  # progress after every batch (of this process's part)
    calls: list[tuple[str, int, int]] = []
    import_files(tmp_path / "wc.sqlite", [register], progress=lambda *a: calls.append(a))  # type: ignore[arg-type]
    assert outcomes == [True]  # the parts were used, not the whole read after a failure
    assert len(spills) == 1 and spills[0].endswith(".rows.tmp")
    size = register.stat().st_size
    done = [c[1] for c in calls]
    assert all(c[0] == str(register) and c[2] == size for c in calls)
    assert len(done) > 3 and done == sorted(done) and done[0] < size and done[-1] == size
