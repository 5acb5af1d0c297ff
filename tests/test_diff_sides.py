"""How one side of a diff is read (sortui/store/diff_files.py): a duplicate in a flat file named
where it comes again, progress as the rows stream in, and a folder with a file that cannot be read.

tests/test_diff.py compares whole sides through the CLI; these read one side at a time."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from sortui.domain.errors import InputError
from sortui.generator.files import write_file_set
from sortui.store import diff_files
from sortui.store.diff_files import load_side, side_files

SOR_CSV_HEADER = "SOR-kode;Parent-SOR-kode;SORtype;Enhedsnavn"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_file_set(tmp_path_factory.mktemp("side"), 500, 5, formats=("xml", "csv"))


def _load(paths: list[Path], folder: Path, raw: bool = False, progress: diff_files.Progress | None = None) -> Path:
    side = side_files(paths)
    side.raw_sor = raw
    load_side(side, folder / "side.sqlite", progress)
    return folder / "side.sqlite"


def _count(db: Path, table: str) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _repeated_row(path: Path, row: int) -> tuple[Path, str, int]:
    """``path`` (a sor.csv) with its ``row``-th data row written again at the end: (path, SOR-kode, line)."""
    lines = path.read_bytes().split(b"\r\n")
    body = [line for line in lines[1:] if line]
    twice = path.with_name("twice.csv")
    twice.write_bytes(b"\r\n".join([lines[0], *body, body[row]]) + b"\r\n")
    return twice, body[row].split(b";")[0].decode("latin-1"), len(body) + 2


@pytest.mark.parametrize("batch", [5000, 7])
def test_a_sor_kode_twice_in_a_flat_file_is_named_where_it_comes_again(
    generated: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(diff_files, "BATCH", batch)  # in the batch of its first, or batches later
    twice, sor_id, line = _repeated_row(generated["csv"], 3)
    with pytest.raises(InputError) as caught:
        _load([twice], tmp_path)
    assert str(caught.value) == f"{twice}:{line} (SorIdentifier): duplicate SOR-kode {sor_id}"


def test_a_lokationsnummer_twice_in_a_flat_file_is_named_where_it_comes_again(
    generated: dict[str, Path], tmp_path: Path
) -> None:
    from sortui.domain import codes

    lines = generated["csv"].read_bytes().split(b"\r\n")
    header = lines[0].split(b";")
    gln_column = header.index(b"Lokationsnummer")
    rows = [line.split(b";") for line in lines[1:] if line]
    owners = [i for i, r in enumerate(rows) if r[gln_column]]
    first, second = owners[0], owners[1]
    rows[second][gln_column] = rows[first][gln_column]
    twice = tmp_path / "sor.csv"
    twice.write_bytes(b"\r\n".join([lines[0], *(b";".join(r) for r in rows)]) + b"\r\n")
    gln = rows[first][gln_column].decode()
    assert not codes.gln_errors(gln)
    with pytest.raises(InputError) as caught:
        _load([twice], tmp_path)
    assert str(caught.value) == f"{twice}:{second + 2} (EanLocationCode): duplicate lokationsnummer {gln}"


@pytest.mark.parametrize("raw", [True, False])
def test_a_sor_xml_side_reports_its_progress_in_bytes_as_the_rows_stream_in(
    generated: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: bool
) -> None:
    monkeypatch.setattr(diff_files, "BATCH", 50)
    path = generated["xml"]
    calls: list[tuple[str, int, int]] = []
    db = _load([path], tmp_path, raw, lambda *call: calls.append(call))
    assert _count(db, "sor_raw" if raw else "entity") == 500
    size = path.stat().st_size
    assert len(calls) >= 5 and {(label, total) for label, _, total in calls} == {(str(path), size)}
    done = [d for _, d, _ in calls]
    assert done == sorted(done) and 0 < done[0] < size


def test_a_folder_with_a_file_that_cannot_be_read_says_which(tmp_path: Path) -> None:
    unreadable = Path("/proc/self/mem")  # a regular file that cannot be read from its start (EIO), even as root
    if not unreadable.is_file():
        pytest.skip("no /proc/self/mem here")
    folder = tmp_path / "download"
    folder.mkdir()
    (folder / "mem").symlink_to(unreadable)
    with pytest.raises(InputError) as caught:
        side_files([folder])
    assert str(caught.value).startswith(f"{folder / 'mem'}: cannot read file: ")
