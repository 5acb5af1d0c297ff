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
