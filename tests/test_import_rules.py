"""The register's rules an import enforces, each refusal worded exactly: duplicate SOR-koder and
lokationsnumre (in one batch, across batches, across files) and parents that lead round in a loop.

tests/test_bad_input.py and tests/test_hostile_input.py show that such files are refused with
the working copy unchanged; these pin down what the refusal says and where it points.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from test_bad_input import line_of, sor_id
from test_hostile_input import HEADER, TREE

from sortui.domain import codes
from sortui.domain.errors import InputError
from sortui.generator.files import write_file_set
from sortui.store import importer
from sortui.store.importer import import_files

_UNIT_TAG = re.compile(rb"<(InstitutionOwner|HealthInstitution|OrganizationalUnit)>")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_file_set(tmp_path_factory.mktemp("rules"), 500, 3, formats=("xml",))["xml"].read_bytes()


def _refusal(db: Path, *paths: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        import_files(db, list(paths))
    assert not db.exists()
    return caught.value


def _owner_at(data: bytes, at: int) -> tuple[str, int]:
    """The SOR-kode and the line of the unit whose element holds position ``at``."""
    start = [m for m in _UNIT_TAG.finditer(data, 0, at)][-1]
    own = data.index(b"<SorIdentifier>", start.end()) + len(b"<SorIdentifier>")
    return data[own : data.index(b"<", own)].decode(), data.count(b"\n", 0, start.start()) + 1


def _glns(data: bytes) -> list[tuple[int, bytes]]:
    """(position, GLN) of each EanLocationCode in ``data``."""
    return [(m.start(1), m.group(1)) for m in re.finditer(rb"<EanLocationCode>(\d+)</EanLocationCode>", data)]


def _with_gln_of(data: bytes, first: int, later: int) -> tuple[bytes, str, int]:
    """``data`` with the ``later``-th lokationsnummer made the ``first``-th's; (data, gln, position)."""
    glns = _glns(data)
    (_, gln), (at, old) = glns[first], glns[later]
    return data[:at] + gln + data[at + len(old) :], gln.decode(), at


def _with_sor_id_of(data: bytes, first: int, later: int) -> tuple[bytes, str, int]:
    """``data`` with the ``later``-th SOR-kode made the ``first``-th's; (data, SOR-kode, position)."""
    ids = list(re.finditer(rb"<SorIdentifier>(\d+)</SorIdentifier>", data))
    same, where = ids[first].group(1), ids[later]
    return data[: where.start(1)] + same + data[where.end(1) :], same.decode(), where.start(1)


def test_a_lokationsnummer_twice_in_one_batch_names_its_second_owner(generated: bytes, tmp_path: Path) -> None:
    data, gln, at = _with_gln_of(generated, 0, 3)
    path = tmp_path / "twice.xml"
    path.write_bytes(data)
    owner, line = _owner_at(data, at)
    error = _refusal(tmp_path / "wc.sqlite", path)
    assert str(error) == f"{path}:{line} (EanLocationCode): duplicate lokationsnummer {gln} (owned by {owner})"


def test_a_lokationsnummer_of_an_earlier_batch_is_found_in_the_working_copy(
    generated: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 10)
    glns = _glns(generated)
    data, gln, at = _with_gln_of(generated, 0, len(glns) - 1)  # the first and the last: batches apart
    path = tmp_path / "twice.xml"
    path.write_bytes(data)
    owner, line = _owner_at(data, at)
    error = _refusal(tmp_path / "wc.sqlite", path)
    assert str(error) == f"{path}:{line} (EanLocationCode): duplicate lokationsnummer {gln} (owned by {owner})"


def test_a_lokationsnummer_of_another_file_is_a_duplicate(generated: bytes, tmp_path: Path, samples_dir: Path) -> None:
    apotek = (samples_dir / "sor" / "ONE_APOTEK.xml").read_bytes()
    (_, gln), *_ = _glns(apotek)
    first_at, first_gln = _glns(generated)[0]
    data = generated[:first_at] + gln + generated[first_at + len(first_gln) :]
    one, other = tmp_path / "apotek.xml", tmp_path / "other.xml"
    one.write_bytes(apotek)
    other.write_bytes(data)
    owner, line = _owner_at(data, first_at)
    error = _refusal(tmp_path / "wc.sqlite", one, other)
    expected = f"duplicate lokationsnummer {gln.decode()} (owned by {owner})"
    assert str(error) == f"{other}:{line} (EanLocationCode): {expected}"


def test_a_sor_kode_of_an_earlier_batch_is_a_duplicate_where_it_comes_again(
    generated: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 10)
    data, sor_id_, at = _with_sor_id_of(generated, 1, -1)
    path = tmp_path / "twice.xml"
    path.write_bytes(data)
    _, line = _owner_at(data, at)
    error = _refusal(tmp_path / "wc.sqlite", path)
    assert str(error) == f"{path}:{line} (SorIdentifier): duplicate SOR-kode {sor_id_}"


def test_a_sor_kode_twice_in_one_batch_is_named_where_it_comes_again(generated: bytes, tmp_path: Path) -> None:
    data, sor_id_, at = _with_sor_id_of(generated, 5, 9)
    path = tmp_path / "twice.xml"
    path.write_bytes(data)
    _, line = _owner_at(data, at)
    error = _refusal(tmp_path / "wc.sqlite", path)
    assert str(error) == f"{path}:{line} (SorIdentifier): duplicate SOR-kode {sor_id_}"


# -- parents that lead round ---------------------------------------------------------------------------


def _csv(path: Path, *rows: tuple[str, str, str, str]) -> Path:
    lines = [HEADER, *(";".join(r) for r in (*TREE, *rows))]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path


def _loop(first: int, length: int) -> list[tuple[str, str, str, str]]:
    """``length`` units, each the parent of the one before it, the first the child of the last."""
    ids = [sor_id(first + i) for i in range(length)]
    return [(ids[i], ids[(i + 1) % length], "OE", f"Afd {i}") for i in range(length)]


def test_a_loop_of_five_is_shown_whole(tmp_path: Path) -> None:
    path = _csv(tmp_path / "sor.csv", *_loop(510, 5))
    error = _refusal(tmp_path / "wc.sqlite", path)
    ids = [sor_id(510 + i) for i in (0, 1, 2, 3, 4, 0)]
    assert str(error) == (
        f"{path}:4 (Parent-SOR-kode): the parents of unit {ids[0]} lead round to itself ({' → '.join(ids)})"
    )


def test_a_long_loop_is_shown_by_its_first_five_and_an_ellipsis(tmp_path: Path) -> None:
    path = _csv(tmp_path / "sor.csv", *_loop(510, 7))
    error = _refusal(tmp_path / "wc.sqlite", path)
    shown = " → ".join([*(sor_id(510 + i) for i in range(5)), "…", sor_id(510)])
    assert str(error) == (
        f"{path}:4 (Parent-SOR-kode): the parents of unit {sor_id(510)} lead round to itself ({shown})"
    )


def test_units_hanging_under_a_loop_name_the_loop_not_themselves(tmp_path: Path) -> None:
    # A branch of two units hangs under a loop of three; the branch comes first in the file.
    branch = [(sor_id(520), sor_id(521), "OE", "Gren 1"), (sor_id(521), sor_id(531), "OE", "Gren 2")]
    loop = [
        (sor_id(530), sor_id(532), "OE", "A"),
        (sor_id(531), sor_id(530), "OE", "B"),
        (sor_id(532), sor_id(531), "OE", "C"),
    ]
    path = _csv(tmp_path / "sor.csv", *branch, *loop)
    error = _refusal(tmp_path / "wc.sqlite", path)
    shown = " → ".join(sor_id(n) for n in (531, 530, 532, 531))
    line = 4 + len(branch) + 1  # the line of the first unit of the loop the branch reaches
    assert str(error) == (
        f"{path}:{line} (Parent-SOR-kode): the parents of unit {sor_id(531)} lead round to itself ({shown})"
    )


def test_a_unit_that_is_its_own_parent_is_named_on_its_line(tmp_path: Path) -> None:
    path = _csv(tmp_path / "sor.csv", (sor_id(503), sor_id(502), "OE", "A"), (sor_id(504), sor_id(504), "OE", "B"))
    error = _refusal(tmp_path / "wc.sqlite", path)
    assert str(error) == f"{path}:5 (Parent-SOR-kode): unit {sor_id(504)} is its own parent"


def test_a_tree_without_loops_imports(tmp_path: Path) -> None:
    path = _csv(tmp_path / "sor.csv", (sor_id(503), sor_id(502), "OE", "A"), (sor_id(504), sor_id(503), "OE", "B"))
    report = import_files(tmp_path / "wc.sqlite", [path])
    assert report.files[0].rows == 4


def test_the_line_of_an_xml_unit_is_that_of_its_element(samples_dir: Path) -> None:
    data = (samples_dir / "sor" / "ONE_APOTEK.xml").read_bytes()
    assert _owner_at(data, data.index(b"306031000016009") + 3) == (
        "306031000016009",
        line_of(data, b"<OrganizationalUnit>"),
    )


def test_a_duplicate_inside_a_zip_is_named_by_the_zip_and_its_member(generated: bytes, tmp_path: Path) -> None:
    data, sor_id_, at = _with_sor_id_of(generated, 2, 7)
    path = tmp_path / "sor.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Sor.xml", data)
    _, line = _owner_at(data, at)
    error = _refusal(tmp_path / "wc.sqlite", path)
    assert str(error) == f"{path}!Sor.xml:{line} (SorIdentifier): duplicate SOR-kode {sor_id_}"


# -- warnings: all counted, the first 50 kept ------------------------------------------------------------


def _bad_check_digit(n: int) -> str:
    """A SOR-kode of the right shape whose Verhoeff check digit is wrong (a warning, not an error)."""
    body = f"{n}100001600"
    return body + str((int(codes.verhoeff_digit(body)) + 1) % 10)


def _units_with_warnings(path: Path, count: int) -> Path:
    return _csv(path, *((_bad_check_digit(1000 + i), sor_id(502), "OE", f"Afd {i}") for i in range(count)))


def test_every_warning_is_counted_and_the_first_fifty_kept(tmp_path: Path) -> None:
    path = _units_with_warnings(tmp_path / "sor.csv", 60)
    report = import_files(tmp_path / "wc.sqlite", [path]).files[0]
    assert (report.rows, report.warning_count, len(report.warnings)) == (62, 60, importer.MAX_WARNINGS_KEPT)
    first, last = report.warnings[0], report.warnings[-1]
    assert str(first) == (
        f"{path}:4 (SOR-kode): warning: OE {_bad_check_digit(1000)}: "
        f"SOR-kode {_bad_check_digit(1000)} fails the Verhoeff check digit"
    )
    assert last.at.line == 4 + 49


def test_fifty_warnings_are_all_kept(tmp_path: Path) -> None:
    path = _units_with_warnings(tmp_path / "sor.csv", 50)
    report = import_files(tmp_path / "wc.sqlite", [path]).files[0]
    assert (report.warning_count, len(report.warnings)) == (50, 50)


def test_warnings_read_in_two_parts_are_counted_as_in_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _units_with_warnings(tmp_path / "sor.csv", 3000)
    whole = import_files(tmp_path / "whole.sqlite", [path]).files[0]
    monkeypatch.setattr(importer, "SPLIT_MIN_BYTES", dict.fromkeys(importer.SPLIT_MIN_BYTES, 0))
    monkeypatch.setattr(importer, "_cpus", lambda: 2)
    started: list[object] = []
    real = importer._new_worker
    monkeypatch.setattr(importer, "_new_worker", lambda *a: started.append(1) or real(*a))
    split = import_files(tmp_path / "split.sqlite", [path]).files[0]
    assert started and whole.warning_count == split.warning_count == 3000
    assert [str(w) for w in split.warnings] == [str(w) for w in whole.warnings]


# -- SHAKregion.txt ----------------------------------------------------------------------------------------


def _region(path: Path, *lines: str) -> Path:
    path.write_bytes("".join(f"{line}\n" for line in lines).encode("latin-1"))
    return path


def test_a_shak_region_file_replaces_the_hospitals_and_says_what_it_read(
    tmp_path: Path, sor_samples: list[Path]
) -> None:
    import hashlib
    import sqlite3
    from contextlib import closing

    db = tmp_path / "wc.sqlite"
    first = _region(
        tmp_path / "SHAKregion.txt",
        "1301\tRigshospitalet\t19760401\t25000101\t1\t101\t1084\t347811000016004",
        "2529\tRoskilde Øjenklinik\t20050201\t20101231\t2\t161\t1085\t",
        "2529\tRoskilde Øjenklinik, ny\t20050201\t25000101\t2\t161\t1085\t",  # the same key again: the last counts
    )
    report = import_files(db, [*sor_samples, first])
    assert [(f.kind, f.rows) for f in report.files][-1] == ("shak-region", 3)
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT code, name, valid_from, valid_to, ownership, institution_type, region_code, sor_id"
            " FROM shak_hospital ORDER BY code"
        ).fetchall()
        snapshot = conn.execute("SELECT source_file, rows, sha256 FROM snapshot WHERE kind = 'shak-region'").fetchall()
    assert rows == [
        ("1301", "Rigshospitalet", "1976-04-01", None, "1", "101", "1084", "347811000016004"),
        ("2529", "Roskilde Øjenklinik, ny", "2005-02-01", None, "2", "161", "1085", None),
    ]
    assert snapshot == [(str(first.resolve()), 3, hashlib.sha256(first.read_bytes()).hexdigest())]

    second = _region(
        tmp_path / "other.txt",
        "4202\tAalborg\t20070101\t25000101\t1\t101\t1081\t",
        "4203\tHjørring\t\t25000101\t1\t101\t1081\t",  # no start: an empty one, part of the key
    )
    import_files(db, [second])
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT code, valid_from FROM shak_hospital ORDER BY code").fetchall() == [
            ("4202", "2007-01-01"),
            ("4203", ""),
        ]
        assert conn.execute("SELECT source_file FROM snapshot WHERE kind = 'shak-region'").fetchall() == [
            (str(second.resolve()),)
        ]
        assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] > 0  # the rest is kept
