"""Hostile and broken input (issue 12): refused with one line naming file, line and field, exit 2, in
bounded memory, the working copy unchanged.

The hostile zips are built here: a 2 MB zip whose XML holds a 2 GB comment, CDATA section,
processing instruction, attribute, text or name. Their deflate data is written once per repeated
piece (``deflate_repeated``), so building one takes a moment and no memory; sortui refuses each
after reading a few MB of it (the peak RSS, measured by hand, is in benchmarks/README.md). The
member's CRC is left 0: it is checked at the member's end, which sortui never reaches.
"""

from __future__ import annotations

import csv
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from test_bad_input import Builder, Case, _sample, _sor_csv, _write, check_refused, line_of, sor_id

from sortui.formats import sor2csv

MIB = 1 << 20
GIB_PIECES = 2048  # a 1 MiB piece this many times: 2 GiB


def deflate_repeated(pieces: list[tuple[bytes, int]]) -> tuple[bytes, int]:
    """Raw deflate data of ``pieces`` (each ``(data, times)``) and their uncompressed size.

    A full flush after each piece makes a piece compress to the same bytes every time after the
    first, so a piece repeated a thousand times is compressed twice.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    out: list[bytes] = []
    size = 0
    for data, times in pieces:
        first = comp.compress(data) + comp.flush(zlib.Z_FULL_FLUSH)
        out.append(first)
        if times > 1:
            again = comp.compress(data) + comp.flush(zlib.Z_FULL_FLUSH)
            out.append(again * (times - 1))
        size += len(data) * times
    out.append(comp.flush())
    return b"".join(out), size


def write_zip(path: Path, name: str, deflated: bytes, size: int) -> Path:
    """A zip file of one deflated member (local header, data, central directory, end record)."""
    encoded = name.encode()
    fields = (20, 0, zipfile.ZIP_DEFLATED, 0, 0x21, 0, len(deflated), size, len(encoded))
    local = struct.pack("<4s5HIIIHH", b"PK\x03\x04", *fields[:5], *fields[5:], 0) + encoded
    central = struct.pack("<4s6HIIIHHHHHII", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, 0) + encoded
    end = struct.pack("<4s4HIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(deflated), 0)
    path.write_bytes(local + deflated + central + end)
    return path


def _apotek_split(samples: Path, before: bytes) -> tuple[bytes, bytes]:
    data = _sample(samples, "ONE_APOTEK.xml")
    at = data.index(before)
    return data[:at], data[at:]


def _hostile_zip(tmp: Path, samples: Path, name: str, start: bytes, piece: bytes, end: bytes) -> Case:
    """ONE_APOTEK.xml in a zip with ``start`` + 2 GiB of ``piece`` + ``end`` on a line of its own
    before the first owner; the refusal names that line."""
    head, tail = _apotek_split(samples, b"<InstitutionOwnerEntity>")
    deflated, size = deflate_repeated([(head + start, 1), (piece * (MIB // len(piece)), GIB_PIECES), (end + tail, 1)])
    path = write_zip(tmp / f"{name}.zip", "sor.xml", deflated, size)
    assert path.stat().st_size < 3 * MIB and size > 2_000_000_000
    line = head.count(b"\n") + 1
    return Case([path], Path(f"{path}!sor.xml"), line, ["more than 2 MB of XML without a SOR element"])


def huge_comment(tmp: Path, samples: Path) -> Case:
    return _hostile_zip(tmp, samples, "comment", b"<!-- ", b"x", b" -->\n")


def huge_cdata(tmp: Path, samples: Path) -> Case:
    return _hostile_zip(tmp, samples, "cdata", b"<![CDATA[", b"<x>", b"]]>\n")


def huge_processing_instruction(tmp: Path, samples: Path) -> Case:
    return _hostile_zip(tmp, samples, "pi", b"<?sortui ", b"<>", b"?>\n")


def huge_attribute(tmp: Path, samples: Path) -> Case:
    return _hostile_zip(tmp, samples, "attribute", b'<Note text="', b"x", b'"/>\n')


def huge_attribute_of_markup(tmp: Path, samples: Path) -> Case:
    """'<' is not allowed in an attribute value, yet the parser keeps the start tag until its '>'."""
    return _hostile_zip(tmp, samples, "attribute-markup", b'<Note text="', b"<>", b'"/>\n')


def huge_name(tmp: Path, samples: Path) -> Case:
    return _hostile_zip(tmp, samples, "name", b"<N", b"a", b"/>\n")


def huge_text(tmp: Path, samples: Path) -> Case:
    return _hostile_zip(tmp, samples, "text", b"<Note>", b"x", b"</Note>\n")


def many_foreign_elements(tmp: Path, samples: Path) -> Case:
    return _hostile_zip(tmp, samples, "elements", b"", b"<x/>", b"\n")


def zip_bomb(tmp: Path, samples: Path) -> Case:
    """Valid SOR XML (empty owners) that expands 1000 times: stopped at 100 times the zip's size."""
    head, tail = _apotek_split(samples, b"<InstitutionOwnerEntity>")
    owner = b"<InstitutionOwnerEntity>" + b" " * 975 + b"</InstitutionOwnerEntity>"  # 1 KB
    owners = owner * (MIB // len(owner))
    deflated, size = deflate_repeated([(head, 1), (owners, 500), (b"\n" + tail, 1)])
    path = write_zip(tmp / "bomb.zip", "sor.xml", deflated, size)
    assert size / path.stat().st_size > 200
    return Case([path], Path(f"{path}!sor.xml"), head.count(b"\n") + 1, ["100 times its compressed size"])


# -- files that are not what they seem ---------------------------------------------------------------


def truncated_zip(tmp: Path, samples: Path) -> Case:
    whole = tmp / "whole.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sor.xml", _sample(samples, "ONE_SYGEHUS.xml"))
    path = _write(tmp / "sor.zip", whole.read_bytes()[:-40])
    return Case([path], path, None, ["damaged or truncated zip"])


def damaged_zip_member(tmp: Path, samples: Path) -> Case:
    """A member whose data does not match its CRC-32 (found at its end)."""
    path = tmp / "sor.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sor.xml", _sample(samples, "ONE_SYGEHUS.xml"))
    raw = bytearray(path.read_bytes())
    crc = raw.index(b"PK\x01\x02") + 16  # the CRC-32 in the central directory
    raw[crc : crc + 4] = bytes(b ^ 0xFF for b in raw[crc : crc + 4])
    path.write_bytes(bytes(raw))
    return Case([path], Path(f"{path}!sor.xml"), None, ["cannot read file", "CRC"])


def zip_of_two_xml_files(tmp: Path, samples: Path) -> Case:
    path = tmp / "sor.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("sor.xml", _sample(samples, "ONE_APOTEK.xml"))
        zf.writestr("old/sor.xml", _sample(samples, "ONE_PRAKSIS.xml"))
    return Case([path], path, None, ["a zip of 2 XML files (sor.xml, old/sor.xml)"])


def utf16_xml(tmp: Path, samples: Path) -> Case:
    text = _sample(samples, "ONE_APOTEK.xml").decode("utf-8-sig").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = _write(tmp / "sor.xml", text.encode("utf-16"))
    return Case([path], path, None, ["UTF-16"])


def sqlite_file(tmp: Path, samples: Path) -> Case:
    import sqlite3

    path = tmp / "copy.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES ('SOR-kode;Enhedsnavn\r\n\r')")
    conn.close()
    return Case([path], path, None, ["a SQLite database"])


def a_directory(tmp: Path, samples: Path) -> Case:
    path = tmp / "downloads"
    path.mkdir()
    return Case([path], path, None, ["a directory, not a file"])


def unreadable_file(tmp: Path, samples: Path) -> Case:
    """/proc/self/mem is a regular file that cannot be read from its start (EIO), even as root."""
    path = Path("/proc/self/mem")
    if not path.is_file():
        pytest.skip("no /proc/self/mem here")
    return Case([path], path, None, ["cannot read the file"])


def binary_file(tmp: Path, samples: Path) -> Case:
    path = _write(tmp / "sor.csv", b"SOR-kode;Enhedsnavn\r\n\x00\x01\x02")
    return Case([path], path, None, ["binary file"])


# -- line ends and quoting ------------------------------------------------------------------------------

HEADER = "SOR-kode;Parent-SOR-kode;SORtype;Enhedsnavn"


def _rows(*rows: tuple[str, ...]) -> list[str]:
    return [HEADER, *(";".join(r) for r in rows)]


TREE = ((sor_id(501), "", "IE", "Ejer"), (sor_id(502), sor_id(501), "SI", "Institution"))


def cr_line_ends(tmp: Path, samples: Path) -> Case:
    path = _write(tmp / "sor.csv", "\r".join(_rows(*TREE)).encode("latin-1") + b"\r")
    return Case([path], path, 1, ["carriage return"])


def first_line_ends_in_cr(tmp: Path, samples: Path) -> Case:
    lines = _rows(*TREE)
    path = _write(tmp / "sor.csv", (lines[0] + "\r" + "\r\n".join(lines[1:]) + "\r\n").encode("latin-1"))
    return Case([path], path, 1, ["carriage return"])


def cr_inside_a_line(tmp: Path, samples: Path) -> Case:
    lines = _rows(*TREE, (sor_id(503), sor_id(502), "OE", "Af\rdeling"))
    path = _write(tmp / "sor.csv", ("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return Case([path], path, 4, ["carriage return"])


def unterminated_quote(tmp: Path, samples: Path) -> Case:
    """Reported on the line where the quote opened, not at the end of the file."""
    lines = _rows(
        TREE[0],
        (sor_id(502), sor_id(501), "SI", '"Institution'),
        *[(sor_id(510 + i), sor_id(502), "OE", f"Afd {i}") for i in range(5)],
    )
    path = _write(tmp / "sor.csv", ("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return Case([path], path, 3, ["quote", "never closed"])


# -- parents that loop -----------------------------------------------------------------------------------


def csv_self_parent(tmp: Path, samples: Path) -> Case:
    lines = _rows(*TREE, (sor_id(503), sor_id(503), "OE", "Sig selv"))
    path = _write(tmp / "sor.csv", ("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return Case([path], path, 4, ["(Parent-SOR-kode)", f"{sor_id(503)} is its own parent"])


def csv_parent_loop(tmp: Path, samples: Path) -> Case:
    loop = [
        (sor_id(503), sor_id(505), "OE", "A"),
        (sor_id(504), sor_id(503), "OE", "B"),
        (sor_id(505), sor_id(504), "OE", "C"),
    ]
    path = _write(tmp / "sor.csv", ("\r\n".join(_rows(*TREE, *loop)) + "\r\n").encode("latin-1"))
    return Case([path], path, 4, ["(Parent-SOR-kode)", "lead round to itself", f"{sor_id(503)} → {sor_id(505)}"])


def sor2_parent_loop(tmp: Path, samples: Path) -> Case:
    path = tmp / "SorEntity_daily.csv"
    rows = [
        {"SorId": sor_id(501), "SorType": "IE", "EntityName": "Ejer"},
        {"SorId": sor_id(502), "SorType": "SI", "EntityName": "Institution", "ParentSorId": sor_id(501)},
        {"SorId": sor_id(503), "SorType": "OE", "EntityName": "A", "ParentSorId": sor_id(504)},
        {"SorId": sor_id(504), "SorType": "OE", "EntityName": "B", "ParentSorId": sor_id(503)},
    ]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(sor2csv.COLUMNS), delimiter=";", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return Case([path], path, 4, ["(ParentSorId)", "lead round to itself"])


def xml_unit_repeating_its_parent(tmp: Path, samples: Path) -> Case:
    """The XML's nesting cannot loop; a unit with its parent's SOR-kode is a duplicate."""
    data = _sample(samples, "ONE_APOTEK.xml")
    parent = b"306021000016007"  # the SI
    child = data.index(b"<OrganizationalUnit>")
    own = data.index(b"<SorIdentifier>", child) + len(b"<SorIdentifier>")
    data = data[:own] + parent + data[own + len(parent) :]
    path = _write(tmp / "repeat.xml", data)
    return Case([path], path, line_of(data, b"<OrganizationalUnit>"), ["duplicate SOR-kode 306021000016007"])


# -- control characters ------------------------------------------------------------------------------------


def csv_name_with_escape(tmp: Path, samples: Path) -> Case:
    rows = [{"SOR-kode": sor_id(501), "SORtype": "IE", "Enhedsnavn": "Ejer \x1b[2J\x1b]0;pwned\x07"}]
    path = _sor_csv(tmp / "sor.csv", rows)
    return Case([path], path, 2, ["(Enhedsnavn)", "control character U+001B"])


def xml_name_with_bidi_override(tmp: Path, samples: Path) -> Case:
    data = _sample(samples, "ONE_APOTEK.xml").replace("Værløse Apotek".encode(), "Værløse \u202eketopA".encode(), 1)
    path = _write(tmp / "bidi.xml", data)
    return Case([path], path, line_of(data, b"<InstitutionOwner>"), ["(EntityName)", "U+202E"])


def xml_street_with_c1_control(tmp: Path, samples: Path) -> Case:
    data = _sample(samples, "ONE_APOTEK.xml")
    at = data.index(b"<dkcc2005:StreetName>") + len(b"<dkcc2005:StreetName>")
    data = data[:at] + "\u009b31m".encode() + data[at:]
    path = _write(tmp / "c1.xml", data)
    return Case([path], path, line_of(data, b"<InstitutionOwner>"), ["(StreetName)", "U+009B"])


def shak_text_with_escape(tmp: Path, samples: Path) -> Case:
    lines = (samples / "sor" / "SHAKCOMPLETE.TXT").read_bytes().split(b"\n")[:3]
    lines[1] = lines[1][:50] + b"\x1b" + lines[1][51:]
    path = _write(tmp / "SHAKCOMPLETE.TXT", b"\n".join(lines) + b"\n")
    return Case([path], path, 2, ["(Tekst)", "U+001B"])


CASES: list[Builder] = [
    huge_comment,
    huge_cdata,
    huge_processing_instruction,
    huge_attribute,
    huge_attribute_of_markup,
    huge_name,
    huge_text,
    many_foreign_elements,
    zip_bomb,
    truncated_zip,
    damaged_zip_member,
    zip_of_two_xml_files,
    utf16_xml,
    sqlite_file,
    a_directory,
    unreadable_file,
    binary_file,
    cr_line_ends,
    first_line_ends_in_cr,
    cr_inside_a_line,
    unterminated_quote,
    csv_self_parent,
    csv_parent_loop,
    sor2_parent_loop,
    xml_unit_repeating_its_parent,
    csv_name_with_escape,
    xml_name_with_bidi_override,
    xml_street_with_c1_control,
    shak_text_with_escape,
]


@pytest.mark.parametrize("build", CASES, ids=[c.__name__ for c in CASES])
def test_hostile_input_is_refused_and_changes_nothing(
    run_cli, sor_wc: Path, tmp_path: Path, samples_dir: Path, build: Builder
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    check_refused(run_cli, sor_wc, build(inputs, samples_dir))


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_file_without_read_permission(run_cli, sor_wc: Path, tmp_path: Path, samples_dir: Path) -> None:
    path = _write(tmp_path / "locked.xml", _sample(samples_dir, "ONE_APOTEK.xml"))
    path.chmod(0)
    check_refused(run_cli, sor_wc, Case([path], path, None, ["cannot read the file", "ermission denied"]))


def test_a_sor_csv_with_a_bom_is_read_as_utf8(run_cli, wc: Path, tmp_path: Path) -> None:
    """What a spreadsheet saves as "CSV UTF-8": a BOM, then UTF-8. Not "missing column SOR-kode"."""
    lines = _rows(TREE[0], (sor_id(502), sor_id(501), "SI", "Sundhedshus Æbeløgade"))
    path = _write(tmp_path / "sor.csv", b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))
    result = run_cli("import", path)
    assert result.code == 0, result.err
    assert "Sundhedshus Æbeløgade" in run_cli("show", sor_id(502)).out


def test_a_lone_surrogate_on_the_command_line_is_refused(run_cli, sor_wc: Path) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates: refused, not a traceback."""
    before = sor_wc.read_bytes()
    for args in (("set", "306031000016009", "name=Apotek \udcff"), ("show", "3060\udcff"), ("search", "\udce6")):
        result = run_cli(*args)
        assert result.code == 2, result.err
        assert "not UTF-8" in result.err and "U+DC" in result.err and "Traceback" not in result.err
    assert sor_wc.read_bytes() == before
