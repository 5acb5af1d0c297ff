"""The data generator: deterministic files in every format that import cleanly, with the register's shape."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from sortui.domain.codes import gs1_check_digit, verhoeff_valid
from sortui.formats.shak import read_shak_complete
from sortui.generator import demo
from sortui.generator.danish import MUNICIPALITIES, POST_TOWNS_BY_MUNICIPALITY
from sortui.generator.files import FILE_NAMES, import_order, write_file_set
from sortui.generator.tree import generate
from sortui.generator.units import INST, OWNER_MUNICIPALITY, OWNER_PRIVATE, OWNER_REGION, OWNER_STATE
from sortui.store.importer import ImportReport, import_files

N = 1500
SEED = 11
SNAPSHOT = "2026-11-01"
SOR_ID_RE = re.compile(r"^[1-9][0-9]*100001600[0-9]$")


@pytest.fixture(scope="module")
def file_set(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_file_set(tmp_path_factory.mktemp("gen-a"), N, SEED)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, file_set: dict[str, Path]) -> tuple[Path, ImportReport]:
    """The XML, SHAK and message-type files imported together into one working copy."""
    db = tmp_path_factory.mktemp("wc") / "wc.sqlite"
    report = import_files(db, [file_set["xml"], file_set["shak"], file_set["edi"]])
    return db, report


@pytest.fixture
def conn(imported: tuple[Path, ImportReport]) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(imported[0])) as connection:
        yield connection


def _no_warnings(report: ImportReport) -> None:
    for f in report.files:
        assert f.warning_count == 0, [str(w) for w in f.warnings]


def test_same_count_and_seed_give_identical_files(tmp_path: Path, file_set: dict[str, Path]) -> None:
    again = write_file_set(tmp_path, N, SEED)
    assert set(again) == set(FILE_NAMES)
    for kind, path in file_set.items():
        assert path.read_bytes() == again[kind].read_bytes(), kind


def test_another_seed_gives_another_tree() -> None:
    first = [n.entity.name for n, _ in zip(generate(600, 1), range(300), strict=False)]
    second = [n.entity.name for n, _ in zip(generate(600, 2), range(300), strict=False)]
    assert first != second


def test_exactly_the_asked_number_of_entities_in_tree_order() -> None:
    seen: dict[str, int] = {}
    for node in generate(N, SEED):
        ent = node.entity
        if node.depth:
            assert seen[ent.parent_sor_id] == node.depth - 1  # type: ignore[index]
        seen[ent.sor_id] = node.depth
        assert ent.kind == ("IE" if node.depth == 0 else "SI" if node.depth == 1 else "OE")
    assert len(seen) == N


def test_xml_shak_and_message_types_import_without_errors_or_warnings(imported: tuple[Path, ImportReport]) -> None:
    _, report = imported
    assert [f.kind for f in report.files] == ["sor-xml", "shak-complete", "edi-map"]
    assert report.files[0].rows == N
    _no_warnings(report)


@pytest.mark.parametrize("kind", ["zip", "csv", "sor2"])
def test_other_formats_import_without_errors_or_warnings(tmp_path: Path, file_set: dict[str, Path], kind: str) -> None:
    report = import_files(tmp_path / "wc.sqlite", [file_set[kind]])
    _no_warnings(report)
    assert report.files[0].rows == N if kind != "sor2" else 0 < report.files[0].rows < N


def test_sor2_daily_leaves_out_units_already_closed(tmp_path: Path, file_set: dict[str, Path]) -> None:
    db = tmp_path / "wc.sqlite"
    import_files(db, [file_set["sor2"]])
    with closing(sqlite3.connect(db)) as c:
        assert c.execute("SELECT count(*) FROM entity WHERE to_date < ?", (SNAPSHOT,)).fetchone()[0] == 0
        assert c.execute("SELECT count(*) FROM entity WHERE from_date > ?", (SNAPSHOT,)).fetchone()[0] > 0


def test_import_order_puts_the_tree_first(file_set: dict[str, Path]) -> None:
    assert import_order(file_set) == [file_set["zip"], file_set["shak"], file_set["edi"]]


def _owners(conn: sqlite3.Connection, owner_type: str) -> int:
    sql = "SELECT count(*) FROM entity WHERE kind = 'IE' AND entity_type_code = ?"
    return conn.execute(sql, (owner_type,)).fetchone()[0]


def test_owners_regions_municipalities_state_and_many_private(conn: sqlite3.Connection) -> None:
    assert _owners(conn, OWNER_REGION) == 5
    assert _owners(conn, OWNER_MUNICIPALITY) == 98
    assert _owners(conn, OWNER_STATE) == 1
    assert _owners(conn, OWNER_PRIVATE) > 150
    names = {r[0] for r in conn.execute("SELECT name FROM entity WHERE entity_type_code = ?", (OWNER_MUNICIPALITY,))}
    assert {"Københavns Kommune", "Aarhus Kommune", "Læsø Kommune"} <= names


def test_danish_reference_data_is_complete() -> None:
    assert len(MUNICIPALITIES) == 98
    assert len({m.code for m in MUNICIPALITIES}) == 98
    assert all(POST_TOWNS_BY_MUNICIPALITY[m.code] for m in MUNICIPALITIES)
    assert sum(len(t) for t in POST_TOWNS_BY_MUNICIPALITY.values()) >= 150


def test_gps_have_six_digit_ydernumre_with_leading_zeros(conn: sqlite3.Connection) -> None:
    rows = conn.execute(
        "SELECT o.provider_number FROM entity o JOIN entity s ON s.sor_id = o.parent_sor_id"
        " WHERE s.entity_type_code = ? AND o.kind = 'OE'",
        (INST["gp"],),
    ).fetchall()
    numbers = [r[0] for r in rows]
    assert len(numbers) > 40
    assert all(n and re.fullmatch(r"[0-9]{6}", n) for n in numbers)
    assert any(n.startswith("0") for n in numbers)
    everyone = [r[0] for r in conn.execute("SELECT provider_number FROM entity WHERE provider_number IS NOT NULL")]
    assert len(everyone) == len(set(everyone))


def test_pharmacies_have_number_and_branch(conn: sqlite3.Connection) -> None:
    numbers = [r[0] for r in conn.execute("SELECT pharmacy_number FROM entity WHERE pharmacy_number IS NOT NULL")]
    assert numbers and all(re.fullmatch(r"[0-9]+,[0-9]+", n) for n in numbers)


def test_about_a_fifth_closed_and_some_future(conn: sqlite3.Connection) -> None:
    closed = conn.execute("SELECT count(*) FROM entity WHERE to_date < ?", (SNAPSHOT,)).fetchone()[0]
    future = conn.execute("SELECT count(*) FROM entity WHERE from_date > ?", (SNAPSHOT,)).fetchone()[0]
    assert 0.15 <= closed / N <= 0.27
    assert future > 5
    bad = conn.execute(
        "SELECT count(*) FROM entity WHERE first_from_date > from_date OR updated_at > ? OR to_date < from_date",
        (SNAPSHOT,),
    ).fetchone()[0]
    assert bad == 0


def test_children_of_a_closed_unit_are_closed_too(conn: sqlite3.Connection) -> None:
    open_under_closed = conn.execute(
        "SELECT count(*) FROM entity c JOIN entity p ON p.sor_id = c.parent_sor_id"
        " WHERE p.to_date IS NOT NULL AND (c.to_date IS NULL OR c.to_date > p.to_date)"
    ).fetchone()[0]
    assert open_under_closed == 0


def test_shak_codes_of_the_tree_are_in_shakcomplete_with_history(
    conn: sqlite3.Connection, file_set: dict[str, Path]
) -> None:
    lines = list(read_shak_complete(file_set["shak"]))
    in_file = {line.code for line in lines}
    in_tree = {r[0] for r in conn.execute("SELECT shak_code FROM entity WHERE shak_code IS NOT NULL")}
    assert in_tree and in_tree <= in_file
    versions: dict[str, set[str]] = {}
    for line in lines:
        versions.setdefault(line.code, set()).add(line.text)
    assert any(len(texts) >= 2 for texts in versions.values())


def _hospital_of_each_unit(conn: sqlite3.Connection) -> list[tuple[str, str | None, str | None, str]]:
    """(sor_id, SHAK code, unit type, hospital SHAK) for each OE below a hospital SI."""
    return conn.execute(
        """
        WITH RECURSIVE below(sor_id, hospital) AS (
            SELECT sor_id, shak_code FROM entity WHERE kind = 'SI' AND entity_type_code = :hospital
            UNION ALL
            SELECT e.sor_id, below.hospital FROM entity e JOIN below ON e.parent_sor_id = below.sor_id
        )
        SELECT e.sor_id, e.shak_code, e.entity_type_code, below.hospital
        FROM below JOIN entity e ON e.sor_id = below.sor_id WHERE e.kind = 'OE'
        """,
        {"hospital": INST["hospital"]},
    ).fetchall()


def test_units_below_hospitals_have_shak_prefix_unit_type_and_flags(conn: sqlite3.Connection) -> None:
    units = _hospital_of_each_unit(conn)
    assert len(units) > 200
    for sor_id, shak, unit_type, hospital in units:
        assert unit_type, sor_id
        assert shak is None or shak.startswith(hospital), (sor_id, shak, hospital)
    ids = [u[0] for u in units]
    marks = ",".join("?" * len(ids))
    flags = conn.execute(f"SELECT count(*) FROM entity WHERE sor_id IN ({marks}) AND ambulant IS NULL", ids)
    assert flags.fetchone()[0] == 0
    elsewhere = conn.execute(
        f"SELECT count(*) FROM entity WHERE kind = 'OE' AND sor_id NOT IN ({marks})"
        " AND (ambulant IS NOT NULL OR entity_type_code IS NOT NULL)",
        ids,
    )
    assert elsewhere.fetchone()[0] == 0


def test_ids_and_location_numbers_have_valid_check_digits(conn: sqlite3.Connection) -> None:
    ids = [r[0] for r in conn.execute("SELECT sor_id FROM entity")]
    assert all(SOR_ID_RE.match(i) and verhoeff_valid(i) for i in ids)
    glns = [r[0] for r in conn.execute("SELECT gln FROM location")]
    assert len(glns) > 100
    assert all(g.startswith("579") and len(g) == 13 and gs1_check_digit(g[:12]) == g[12] for g in glns)


def test_location_numbers_owned_or_inherited_from_an_owner(conn: sqlite3.Connection) -> None:
    modes = dict(conn.execute("SELECT ean_mode, count(*) FROM entity GROUP BY ean_mode").fetchall())
    assert modes["own"] > 100 and modes["inherited"] > 100
    orphan = conn.execute(
        "SELECT count(*) FROM entity c JOIN entity p ON p.sor_id = c.parent_sor_id"
        " WHERE c.ean_mode = 'inherited' AND p.ean_mode = 'none'"
    ).fetchone()[0]
    assert orphan == 0


def test_message_types_come_from_the_catalogue_by_receiver(conn: sqlite3.Connection) -> None:
    unknown = conn.execute(
        "SELECT count(*) FROM location_message m LEFT JOIN message_definition d ON d.urn = m.message_urn"
        " WHERE d.urn IS NULL"
    ).fetchone()[0]
    assert unknown == 0
    gp_types = {
        r[0]
        for r in conn.execute(
            """
            SELECT d.type_code FROM entity e JOIN location l ON l.owner_sor_id = e.sor_id
            JOIN location_message m ON m.gln = l.gln JOIN message_definition d ON d.urn = m.message_urn
            WHERE e.kind = 'IE' AND e.sor_id IN (SELECT parent_sor_id FROM entity WHERE entity_type_code = ?)
            """,
            (INST["gp"],),
        )
    }
    assert {"RPT01", "DIS01", "XDIS01"} <= gp_types
    assert "XREF15" not in gp_types
    municipal = {
        r[0]
        for r in conn.execute(
            """
            SELECT d.type_code FROM location l JOIN location_message m ON m.gln = l.gln
            JOIN message_definition d ON d.urn = m.message_urn WHERE l.owner_sor_id IN (
                SELECT s.sor_id FROM entity s JOIN entity o ON o.sor_id = s.parent_sor_id WHERE o.entity_type_code = ?
            )
            """,
            (OWNER_MUNICIPALITY,),
        )
    }
    assert {"XREF15", "carecommunication"} <= municipal


def test_top_level_holds_every_private_owner(conn: sqlite3.Connection) -> None:
    widest = conn.execute(
        "SELECT parent_sor_id, count(*) AS n FROM entity GROUP BY parent_sor_id ORDER BY n DESC LIMIT 1"
    ).fetchone()
    assert widest[0] is None and widest[1] > 250


def test_generate_command_writes_the_files(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    result = run_cli("generate", "--entities", "600", "--seed", "3", "-o", out, "--formats", "zip,shak")
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == ["SHAKCOMPLETE.TXT", "sor.zip"]
    assert run_cli("generate", "--entities", "10", "-o", out).code == 2


def _entities(db: Path) -> int:
    with closing(sqlite3.connect(db)) as c:
        return c.execute("SELECT count(*) FROM entity").fetchone()[0]


def test_the_demo_working_copy_is_made_from_the_demo_files_and_kept(tmp_path: Path) -> None:
    files = demo.demo_files()
    assert [f.name for f in files] == list(demo.DEMO_FILE_NAMES)
    assert sum(f.stat().st_size for f in files) < 3_000_000
    db = tmp_path / "data" / "demo.sqlite"
    assert demo.ensure_demo(db) is True  # made, folder and all
    assert _entities(db) == demo.DEMO_ENTITIES
    with closing(sqlite3.connect(db)) as c:
        assert c.execute("SELECT count(*) FROM location_message").fetchone()[0] > 0
        c.execute("UPDATE entity SET name = 'prøvet i demoen' WHERE kind = 'IE'")  # the user tries an edit
        c.commit()
    assert demo.ensure_demo(db) is False  # current: kept as it is, edits and all
    with closing(sqlite3.connect(db)) as c:
        assert c.execute("SELECT count(*) FROM entity WHERE name = 'prøvet i demoen'").fetchone()[0] > 0
    assert sorted(p.name for p in db.parent.iterdir()) == ["demo.sqlite"]  # nothing left beside it


def test_a_stale_or_broken_demo_working_copy_is_made_again(tmp_path: Path, sor_samples: list[Path]) -> None:
    db = tmp_path / "demo.sqlite"
    import_files(db, sor_samples)  # another snapshot than the bundled one (as after the demo files changed)
    Path(f"{db}-wal").write_bytes(b"stale write-ahead log")
    assert demo.ensure_demo(db) is True
    assert _entities(db) == demo.DEMO_ENTITIES
    db.write_bytes(b"not a database at all")
    assert demo.ensure_demo(db) is True
    assert _entities(db) == demo.DEMO_ENTITIES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.sqlite"]


def _content(path: Path) -> bytes:
    """A file's bytes; for a zip, its member's (compressed bytes may differ between zlib versions)."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            return zf.read(zf.namelist()[0])
    return path.read_bytes()


def test_demo_files_are_what_the_generator_makes(tmp_path: Path) -> None:
    for path in demo.write_demo(tmp_path):
        shipped = demo.demo_dir() / path.name
        assert _content(path) == _content(shipped), f"{shipped} is stale: run python benchmarks/make_demo.py"
