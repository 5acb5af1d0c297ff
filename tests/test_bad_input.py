"""Bad input: ``sortui import BAD`` exits 2, says where (file, line, element or column) and changes nothing.

Every case starts from a working copy holding the three SOR samples, records its sha256 and the
files in its folder, runs the import and checks the working copy is byte-for-byte as it was and
no staging file is left behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import socket
import sqlite3
import zipfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sortui.domain import codes
from sortui.formats import sorcsv

SECRET = "TOPSECRET-f00d-4242"
APOTEK_GLN = "5790000173624"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def line_of(data: bytes, needle: bytes, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th ``needle`` in ``data``."""
    at = -1
    for _ in range(occurrence):
        at = data.index(needle, at + 1)
    return data.count(b"\n", 0, at) + 1


def sor_id(n: int) -> str:
    body = f"{n}100001600"
    return body + codes.verhoeff_digit(body)


@dataclass
class Case:
    paths: list[Path]  # what is imported
    file: Path  # the file the error must name
    line: int | None  # the line it must name (None: no line)
    where: list[str] = field(default_factory=list)  # element/column (or other text) stderr must hold


Builder = Callable[[Path, Path], Case]


def _sample(samples: Path, name: str) -> bytes:
    return (samples / "sor" / name).read_bytes()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- malformed XML -------------------------------------------------------------------------------------


def truncated(tmp: Path, samples: Path) -> Case:
    data = _sample(samples, "ONE_SYGEHUS.xml")
    cut = data.index(b"<SorIdentifier>347821000016008") + len(b"<SorIdentifier>3478")
    path = _write(tmp / "truncated.xml", data[:cut])
    return Case([path], path, data[:cut].count(b"\n") + 1, ["SorIdentifier", "malformed XML"])


def wrong_root(tmp: Path, samples: Path) -> Case:
    data = _sample(samples, "ONE_APOTEK.xml").replace(b"SorTree", b"SorForest")
    path = _write(tmp / "wrong-root.xml", data)
    return Case([path], path, 2, ["(SorForest)", "root element"])


def unknown_namespace(tmp: Path, samples: Path) -> Case:
    data = _sample(samples, "ONE_APOTEK.xml").replace(
        b'xmlns="urn:oio:sundhedsstyrelsen:organisation:1.0.0"', b'xmlns="urn:example:not-sor:2.0"'
    )
    path = _write(tmp / "other-namespace.xml", data)
    return Case([path], path, 2, ["(SorTree)", "urn:example:not-sor:2.0"])


def latin1_declared_utf8(tmp: Path, samples: Path) -> Case:
    text = _sample(samples, "ONE_APOTEK.xml").decode("utf-8-sig")
    data = text.encode("latin-1")
    assert b'encoding="UTF-8"' in data
    first_non_ascii = next(i for i, b in enumerate(data) if b > 127)
    path = _write(tmp / "latin1.xml", data)
    return Case([path], path, data.count(b"\n", 0, first_non_ascii) + 1, ["column", "encoding"])


# -- entities --------------------------------------------------------------------------------------------

LAUGHS = "\n".join([" <!ENTITY lol0 'lol'>"] + [f" <!ENTITY lol{i} '{f'&lol{i - 1};' * 10}'>" for i in range(1, 10)])


def _with_doctype(samples: Path, doctype: str, name_value: str, padding: str = "") -> bytes:
    """ONE_APOTEK.xml with a DOCTYPE after the declaration and the owner's name replaced."""
    text = _sample(samples, "ONE_APOTEK.xml").decode("utf-8-sig")
    decl, rest = text.split("\n", 1)
    rest = rest.replace("<EntityName>Værløse Apotek</EntityName>", f"<EntityName>{name_value}</EntityName>", 1)
    return (decl + "\n" + padding + doctype + "\n" + rest).encode("utf-8")


# Puts the DOCTYPE beyond the first 64 KB (the reader once looked only there; it is still refused on
# its own line); the comment keeps "SorTree" in the first 4 KB so the file is still taken for SOR XML.
PADDING = "<!-- SorTree " + "x" * 70_000 + " -->\n"


def billion_laughs(tmp: Path, samples: Path) -> Case:
    data = _with_doctype(samples, f"<!DOCTYPE SorTree [\n{LAUGHS}\n]>", "&lol9;")
    path = _write(tmp / "bomb.xml", data)
    return Case([path], path, 2, ["(DOCTYPE)"])


def billion_laughs_late(tmp: Path, samples: Path) -> Case:
    data = _with_doctype(samples, f"<!DOCTYPE SorTree [\n{LAUGHS}\n]>", "&lol9;", PADDING)
    path = _write(tmp / "bomb-late.xml", data)
    return Case([path], path, line_of(data, b"<!DOCTYPE"), ["(DOCTYPE)"])


def _secret_file(tmp: Path) -> Path:
    secret = tmp / "secret.txt"
    secret.write_text(SECRET + "\n", encoding="utf-8")
    return secret


def external_file_entity(tmp: Path, samples: Path) -> Case:
    secret = _secret_file(tmp)
    doctype = f'<!DOCTYPE SorTree [ <!ENTITY xxe SYSTEM "{secret.as_uri()}"> ]>'
    path = _write(tmp / "xxe-file.xml", _with_doctype(samples, doctype, "A&xxe;B"))
    return Case([path], path, 2, ["(DOCTYPE)"])


def external_file_entity_late(tmp: Path, samples: Path) -> Case:
    secret = _secret_file(tmp)
    doctype = f'<!DOCTYPE SorTree [ <!ENTITY xxe SYSTEM "{secret.as_uri()}"> ]>'
    data = _with_doctype(samples, doctype, "A&xxe;B", PADDING)
    path = _write(tmp / "xxe-file-late.xml", data)
    return Case([path], path, line_of(data, b"<!DOCTYPE"), ["(DOCTYPE)"])


def external_http_entity(tmp: Path, samples: Path) -> Case:
    doctype = '<!DOCTYPE SorTree [ <!ENTITY xxe SYSTEM "http://127.0.0.1:1/secret"> ]>'
    path = _write(tmp / "xxe-http.xml", _with_doctype(samples, doctype, "A&xxe;B"))
    return Case([path], path, 2, ["(DOCTYPE)"])


# -- register rules --------------------------------------------------------------------------------------


def _duplicate_unit(data: bytes) -> bytes:
    start = data.index(b"<OrganizationalUnitEntity>")
    end = data.index(b"</OrganizationalUnitEntity>") + len(b"</OrganizationalUnitEntity>")
    return data.replace(b"</HealthInstitutionEntity>", data[start:end] + b"\n</HealthInstitutionEntity>", 1)


def duplicate_in_one_file(tmp: Path, samples: Path) -> Case:
    data = _duplicate_unit(_sample(samples, "ONE_APOTEK.xml"))
    path = _write(tmp / "duplicate.xml", data)
    line = line_of(data, b"<OrganizationalUnit>", 2)
    return Case([path], path, line, ["(SorIdentifier)", "duplicate SOR-kode 306031000016009"])


def duplicate_across_files(tmp: Path, samples: Path) -> Case:
    data = _sample(samples, "ONE_APOTEK.xml")
    again = _write(tmp / "apotek-again.xml", data)
    first = samples / "sor" / "ONE_APOTEK.xml"
    return Case([first, again], again, line_of(data, b"<InstitutionOwner>"), ["(SorIdentifier)", "306011000016003"])


def bad_gln_check_digit(tmp: Path, samples: Path) -> Case:
    data = _sample(samples, "ONE_APOTEK.xml").replace(APOTEK_GLN.encode(), b"5790000173625")
    path = _write(tmp / "bad-gln.xml", data)
    return Case([path], path, line_of(data, b"<InstitutionOwner>"), ["(EanLocationCode)", "5790000173625"])


def name_61_chars(tmp: Path, samples: Path) -> Case:
    data = _sample(samples, "ONE_APOTEK.xml")
    si = data.index(b"<HealthInstitution>")
    name = "Værløse Apotek".encode()
    at = data.index(name, si)
    data = data[:at] + ("Å" * 61).encode() + data[at + len(name) :]
    path = _write(tmp / "long-name.xml", data)
    return Case([path], path, line_of(data, b"<HealthInstitution>"), ["(EntityName)", "61 characters"])


def phone_21_chars(tmp: Path, samples: Path) -> Case:
    data = _sample(samples, "ONE_APOTEK.xml").replace(b"42482209", b"1" * 21)
    path = _write(tmp / "long-phone.xml", data)
    return Case([path], path, line_of(data, b"<InstitutionOwner>"), ["(TelephoneNumberIdentifier)", "21 characters"])


def _sor_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = list(sorcsv.COLUMNS)
    with open(path, "w", encoding=sorcsv.ENCODING, newline="") as fh:
        writer = csv.writer(fh, delimiter=sorcsv.DELIMITER, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([row.get(c, "") for c in columns])
    return path


def _csv_tree(parent_of_si: str) -> list[dict[str, str]]:
    return [
        {"SOR-kode": sor_id(501), "SORtype": "IE", "Enhedsnavn": "Ejer æøå"},
        {"SOR-kode": sor_id(502), "Parent-SOR-kode": parent_of_si, "SORtype": "SI", "Enhedsnavn": "Institution"},
        {"SOR-kode": sor_id(503), "Parent-SOR-kode": sor_id(501), "SORtype": "SI", "Enhedsnavn": "Anden"},
    ]


def csv_parent_missing(tmp: Path, samples: Path) -> Case:
    path = _sor_csv(tmp / "sor.csv", _csv_tree(sor_id(999)))
    return Case([path], path, 3, ["(Parent-SOR-kode)", sor_id(999)])


def csv_parent_blank(tmp: Path, samples: Path) -> Case:
    path = _sor_csv(tmp / "sor.csv", _csv_tree(""))
    return Case([path], path, 3, ["(Parent-SOR-kode)", "needs a parent"])


def csv_si_under_an_si(tmp: Path, samples: Path) -> Case:
    path = _sor_csv(tmp / "sor.csv", _csv_tree(sor_id(503)))
    return Case([path], path, 3, [f"SI {sor_id(502)} cannot have a parent of kind SI"])


def csv_oe_under_an_owner(tmp: Path, samples: Path) -> Case:
    unit = {"SOR-kode": sor_id(504), "Parent-SOR-kode": sor_id(501), "SORtype": "OE", "Enhedsnavn": "Afsnit"}
    path = _sor_csv(tmp / "sor.csv", [*_csv_tree(sor_id(501)), unit])
    return Case([path], path, 5, [f"OE {sor_id(504)} cannot have a parent of kind IE"])


# -- not a register file at all ---------------------------------------------------------------------------


def zip_without_xml(tmp: Path, samples: Path) -> Case:
    path = tmp / "sor.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("LÆSMIG.txt", "ingen xml her\n")
        zf.writestr("data/sor.csv", "SOR-kode;Enhedsnavn\n")
    return Case([path], path, 1, [])


def empty_file(tmp: Path, samples: Path) -> Case:
    path = _write(tmp / "empty.xml", b"")
    return Case([path], path, 1, [])


def unknown_kind(tmp: Path, samples: Path) -> Case:
    path = _write(tmp / "notes.txt", "Indkøbsliste:\nmælk\nrugbrød\n".encode())
    return Case([path], path, 1, ["not a file sortui knows"])


def missing_file(tmp: Path, samples: Path) -> Case:
    path = tmp / "does-not-exist.xml"
    return Case([path], path, None, ["no such file"])


def good_then_bad(tmp: Path, samples: Path) -> Case:
    """All or nothing: a good SHAK file and a good SOR file are not kept when the last file is bad."""
    data = _sample(samples, "ONE_APOTEK.xml").replace(APOTEK_GLN.encode(), b"5790000173620")
    bad = _write(tmp / "bad-gln.xml", data)
    good = [samples / "sor" / "SHAKCOMPLETE.TXT", samples / "sor" / "ONE_PRAKSIS.xml"]
    return Case([*good, bad], bad, line_of(data, b"<InstitutionOwner>"), ["(EanLocationCode)"])


CASES: list[Builder] = [
    truncated,
    wrong_root,
    unknown_namespace,
    latin1_declared_utf8,
    billion_laughs,
    billion_laughs_late,
    external_file_entity,
    external_file_entity_late,
    external_http_entity,
    duplicate_in_one_file,
    duplicate_across_files,
    bad_gln_check_digit,
    name_61_chars,
    phone_21_chars,
    csv_parent_missing,
    csv_parent_blank,
    csv_si_under_an_si,
    csv_oe_under_an_owner,
    zip_without_xml,
    empty_file,
    unknown_kind,
    missing_file,
    good_then_bad,
]


def _state(wc: Path) -> tuple[str, list[str]]:
    return sha256(wc), sorted(p.name for p in wc.parent.iterdir())


@pytest.mark.parametrize("build", CASES, ids=[c.__name__ for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(
    run_cli, sor_wc: Path, tmp_path: Path, samples_dir: Path, build: Builder
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    check_refused(run_cli, sor_wc, build(inputs, samples_dir))


def check_refused(run_cli, sor_wc: Path, case: Case) -> None:  # type: ignore[no-untyped-def]
    """``import`` of the case's files exits 2 naming its file and line (and ``where``), no traceback,
    and leaves the working copy and its folder as they were."""
    before = _state(sor_wc)
    assert before[1] == [sor_wc.name]

    result = run_cli("import", *case.paths)

    assert result.code == 2, result.err
    assert result.out == ""
    err = result.err
    assert "Traceback" not in err
    where = str(case.file) if case.line is None else f"{case.file}:{case.line}"
    assert where in err, f"expected {where!r} in {err!r}"
    for text in case.where:
        assert text in err, f"expected {text!r} in {err!r}"
    assert _state(sor_wc) == before
    assert SECRET not in result.out and SECRET not in err
    for p in sor_wc.parent.iterdir():
        assert SECRET.encode() not in p.read_bytes()


def test_bad_import_into_a_new_working_copy_creates_nothing(run_cli, wc: Path, tmp_path: Path) -> None:
    bad = _write(tmp_path / "empty.xml", b"")
    result = run_cli("import", bad)
    assert result.code == 2
    assert list(wc.parent.iterdir()) == []


def test_external_entity_is_never_fetched(run_cli, sor_wc: Path, tmp_path: Path, samples_dir: Path) -> None:
    """A live listener on localhost: neither an external entity nor an external DTD may connect to it."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        before = _state(sor_wc)
        for i, doctype in enumerate(
            [
                f'<!DOCTYPE SorTree [ <!ENTITY xxe SYSTEM "{url}/entity"> ]>',
                f'<!DOCTYPE SorTree SYSTEM "{url}/sor.dtd">',
                f'<!DOCTYPE SorTree [ <!ENTITY % p SYSTEM "{url}/param"> %p; ]>',
            ]
        ):
            for padding in ("", PADDING):
                data = _with_doctype(samples_dir, doctype, "A&xxe;B" if i == 0 else "X", padding)
                path = _write(tmp_path / f"xxe-{i}-{len(padding)}.xml", data)
                result = run_cli("import", path)
                assert result.code == 2, result.err
                assert "DOCTYPE" in result.err
        with pytest.raises(BlockingIOError):
            server.accept()
        assert _state(sor_wc) == before


def test_successful_import_leaves_no_staging_files_and_records_snapshots(
    run_cli, wc: Path, sor_samples: list[Path]
) -> None:
    result = run_cli("import", *sor_samples)
    assert result.code == 0, result.err
    assert [p.name for p in wc.parent.iterdir()] == [wc.name]
    with closing(sqlite3.connect(wc)) as conn:
        rows = conn.execute(
            "SELECT source_file, snapshot_date, created_at, imported_at, sha256, rows FROM snapshot WHERE kind = 'sor'"
        ).fetchall()
    by_file = {Path(r[0]): r for r in rows}
    assert set(by_file) == {p.resolve() for p in sor_samples}
    counts = {"ONE_SYGEHUS.xml": 4, "ONE_APOTEK.xml": 3, "ONE_PRAKSIS.xml": 3}
    for path in sor_samples:
        _, snapshot_date, created_at, imported_at, digest, count = by_file[path.resolve()]
        assert (snapshot_date, created_at) == ("2010-01-26", "2010-01-26T00:00:00+01:00")
        assert digest == sha256(path)
        assert imported_at and count == counts[path.name]

    # Re-importing replaces the data and the snapshot rows, still without leftovers.
    assert run_cli("import", sor_samples[1]).code == 0
    assert [p.name for p in wc.parent.iterdir()] == [wc.name]
    with closing(sqlite3.connect(wc)) as conn:
        assert conn.execute("SELECT count(*) FROM entity").fetchone()[0] == 3
        assert [Path(r[0]).name for r in conn.execute("SELECT source_file FROM snapshot WHERE kind = 'sor'")] == [
            "ONE_APOTEK.xml"
        ]


class _Dribble(io.RawIOBase):
    """A file that hands out at most ``step`` bytes a read."""

    def __init__(self, data: bytes, step: int):
        self._data, self._at, self._step = data, 0, step

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self._data[self._at : self._at + min(self._step, size if size >= 0 else self._step)]
        self._at += len(chunk)
        return chunk


@pytest.mark.parametrize("step", [1, 3, 4, 8, 4096])
def test_a_declaration_split_between_reads_is_refused_on_its_line(step: int) -> None:
    """The stream refuses a DOCTYPE whichever reads its bytes arrive in, naming its own line."""
    from sortui.domain.errors import InputError
    from sortui.formats.sorxml import CountingStream

    data = b'<?xml version="1.0"?>\n<!-- a -->\n\n<!DOCTYPE SorTree [ <!ENTITY a "b"> ]>\n<SorTree/>\n'
    stream = CountingStream(_Dribble(data, step), "f.xml")
    with pytest.raises(InputError) as refused:
        while stream.read(step):
            pass
    assert (refused.value.at.line, refused.value.at.where) == (4, "DOCTYPE")


def test_declarations_after_the_prolog_are_left_to_the_parser() -> None:
    """Once the first element is read, the text of a comment or CDATA may say anything."""
    from sortui.formats.sorxml import CountingStream

    data = b"<SorTree><!-- <!DOCTYPE x> --><![CDATA[<!ENTITY y>]]></SorTree>"
    stream = CountingStream(_Dribble(data, 10), "f.xml")
    assert stream.read(9) == b"<SorTree>"
    stream.in_prolog = False
    assert b"".join(iter(lambda: stream.read(10), b"")) == data[9:]
