"""A large ``sor.zip`` is read in two processes as a large ``sor.xml`` is: its XML file is written beside the
working copy and read in two parts, to exactly the working copy reading the zip as a whole would make."""

from __future__ import annotations

import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from conftest import RunCli

from sortui.domain.errors import InputError
from sortui.store import importer, workfiles
from sortui.store.importer import import_files

UNITS = 10_000  # large enough to be read in two processes


@pytest.fixture(scope="module")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from sortui.generator.files import write_file_set

    written = write_file_set(tmp_path_factory.mktemp("big"), UNITS, 3, ("xml", "zip"))
    assert written["xml"].stat().st_size > importer.SPLIT_MIN_BYTES["sor-xml"]
    return written["xml"], written["zip"]


def _rows(path: Path) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return [
            *conn.execute("SELECT * FROM entity ORDER BY rowid"),
            *conn.execute("SELECT * FROM address ORDER BY rowid"),
            *conn.execute("SELECT rowid, * FROM search ORDER BY rowid"),
        ]


def test_a_large_zip_is_split_like_the_xml_file_it_holds(big_files: tuple[Path, Path], tmp_path: Path) -> None:
    xml, zipped = big_files
    with workfiles.ImportLock(tmp_path / "wc.sqlite", [zipped]) as lock:
        split = importer._split(zipped, "sor-xml", str(zipped), lock, fork=False)
        assert split is not None
        with split.worker:
            assert split.source.read_bytes() == xml.read_bytes()
            assert split.label == f"{zipped}!sor.xml"
    assert not split.source.exists()  # the import's files go with it


def test_the_zip_read_in_parts_makes_the_working_copy_the_xml_file_makes(
    big_files: tuple[Path, Path], tmp_path: Path
) -> None:
    xml, zipped = big_files
    from_xml, from_zip = tmp_path / "xml.sqlite", tmp_path / "zip.sqlite"
    import_files(from_xml, [xml])
    import_files(from_zip, [zipped])
    assert _rows(from_zip) == _rows(from_xml)
    assert not [p for p in tmp_path.iterdir() if ".import-" in p.name]


def test_a_damaged_zip_is_reported_as_reading_it_whole_would(
    big_files: tuple[Path, Path], tmp_path: Path, run_cli: RunCli, wc: Path
) -> None:
    xml, _ = big_files
    data = xml.read_bytes()
    cut = data.rindex(b"<InstitutionOwnerEntity>", 0, len(data) * 3 // 4) + 200  # inside the worker's part
    damaged = tmp_path / "sor.zip"
    with zipfile.ZipFile(damaged, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sor.xml", data[:cut] + b"<<" + data[cut:])
    plain = tmp_path / "sor.xml"
    plain.write_bytes(data[:cut] + b"<<" + data[cut:])
    from_zip = run_cli("import", damaged)
    from_xml = run_cli("import", plain)
    assert from_zip.code == from_xml.code == 2
    where = from_xml.err.split(f"{plain}:", 1)[1]
    assert from_zip.err.split(f"{damaged}!sor.xml:", 1)[1] == where
    assert not wc.exists()


@pytest.fixture(scope="module")
def big_flat(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from sortui.generator.files import write_file_set

    written = write_file_set(tmp_path_factory.mktemp("flat"), 12_000, 5, ("csv", "sor2"))
    assert all(p.stat().st_size > importer.SPLIT_MIN_BYTES["sor-csv"] for p in written.values())
    return {"sor-csv": written["csv"], "sor2-csv": written["sor2"]}


@pytest.mark.parametrize("kind", ["sor-csv", "sor2-csv"])
def test_a_large_csv_file_read_in_two_parts_gives_the_rows_of_the_whole(
    big_flat: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    path = big_flat[kind]
    parts = importer._parts(path, kind, fork=False)
    assert parts is not None and parts[0].end == parts[1].start
    whole = list(importer._flat_entities(kind, path, "f", None)[0])
    halves = [list(importer._part_entities(kind, path, "f", part)[0]) for part in parts]
    assert halves[0] and halves[1] and halves[0] + halves[1] == whole  # source lines included
    with workfiles.ImportLock(tmp_path / "wc.sqlite", [path]) as lock:
        split = importer._split(path, kind, str(path), lock, fork=False)
        assert split is not None and split.source == path
        split.worker.__exit__()
    report = import_files(tmp_path / "wc.sqlite", [path])
    assert report.files[0].rows == len(whole)


def test_a_cut_inside_a_quoted_value_is_read_as_the_whole_file_would_be(
    tmp_path: Path, big_flat: dict[str, Path]
) -> None:
    """A quote the count misreads (a stray one, not opening a value) puts the cut inside a quoted value
    that runs over lines: the first part then ends inside it, and the whole file is read instead, which
    says what reading it whole says."""
    from sortui.formats.common import split_csv

    lines = big_flat["sor-csv"].read_bytes().split(b"\n")
    header, rows = lines[0], [r for r in lines[1:] if r]
    middle = len(rows) // 2
    name_at = header.split(b";").index(b"Enhedsnavn") if b"Enhedsnavn" in header.split(b";") else 2
    stray = rows[middle - 1].split(b";")
    stray[name_at] = stray[name_at] + b'"'  # a literal quote inside an unquoted value
    spanning = rows[middle].split(b";")
    spanning[name_at] = b'"' + spanning[name_at] + b"\n" + b"fortsat" + b'"'
    rows[middle - 1], rows[middle] = b";".join(stray), b";".join(spanning)
    path = tmp_path / "sor.csv"
    path.write_bytes(b"\n".join([header, *rows]) + b"\n")
    stray_row_end = len(header) + 1 + sum(len(r) + 1 for r in rows[: middle - 1]) + len(rows[middle - 1])
    first, _ = split_csv(path, stray_row_end / path.stat().st_size) or (None, None)
    assert first is not None and first.end is not None
    with pytest.raises(InputError, match="a quote opened in this row is never closed"):
        list(importer._part_entities("sor-csv", path, "f", first)[0])
    # Read whole, the value is one (its line feed is what is refused), on the line where its row starts.
    with pytest.raises(InputError) as refused:
        import_files(tmp_path / "wc.sqlite", [path])
    assert f"{path}:{middle + 2} (Enhedsnavn)" in str(refused.value) and "U+000A" in str(refused.value)
