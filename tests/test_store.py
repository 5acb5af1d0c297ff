"""The working copy: schema versioning, migrations, tree queries, search, validity filters."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sortui.domain import codes
from sortui.domain.model import Address, Entity, Location
from sortui.store import db, queries, search
from sortui.store.rows import EntityBatch, load_entity
from sortui.store.search_index import rebuild_search
from sortui.store.tables import TABLES


def sor_id(n: int) -> str:
    body = f"{n}100001600"
    return body + codes.verhoeff_digit(body)


def gln(n: int) -> str:
    body = f"579{n:09d}"
    return body + codes.gs1_check_digit(body)


def build_tree(conn: sqlite3.Connection, wide: int = 20_000) -> dict[str, str]:
    """An owner with an institution of ``wide`` units (every 10th closed), one of them nested deeper."""
    ids = {"ie": sor_id(1), "si": sor_id(2), "deep": sor_id(3)}
    batch = EntityBatch()
    owner = Entity(ids["ie"], "IE", "Region Testland", ean_mode="own", from_date="2000-01-01")
    owner.location = Location(
        gln=gln(1),
        owner_sor_id=ids["ie"],
        system_supplier="1",
        system_type="2",
        communication_supplier="41000035001",
        region_code="1084",
        edi_administrator="106",
    )
    owner.addresses = [
        Address("postal", street="Regionsvej", building="1", postcode="2100", district_name="København Ø")
    ]
    batch.add(owner)
    batch.add(
        Entity(
            ids["si"],
            "SI",
            "Testhospital",
            parent_sor_id=ids["ie"],
            ean_mode="inherited",
            shak_code="1301",
            from_date="2000-01-01",
        )
    )
    for i in range(wide):
        closed = "2010-12-31" if i % 10 == 0 else None
        batch.add(
            Entity(
                sor_id(1000 + i),
                "OE",
                f"Afsnit {i:05d}",
                parent_sor_id=ids["si"],
                ean_mode="inherited",
                from_date="2001-01-01",
                to_date=closed,
            )
        )
    batch.add(
        Entity(
            ids["deep"],
            "OE",
            "Dybt afsnit",
            parent_sor_id=sor_id(1001),
            ean_mode="inherited",
            shak_code="130101A",
            from_date="2001-01-01",
        )
    )
    with conn:
        batch.flush(conn)
        rebuild_search(conn)
    return ids


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    connection = db.open_working_copy(tmp_path / "wc.sqlite")
    yield connection
    connection.close()


def test_new_working_copy_is_marked_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "wc.sqlite"
    conn = db.open_working_copy(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM message_definition").fetchone()[0] == 108
    assert conn.execute("SELECT text FROM code_list WHERE list='region' AND code='1084'").fetchone()[0] == (
        "Region Hovedstaden"
    )
    conn.close()


def test_a_new_working_copy_has_the_record_tables_of_the_layout(tmp_path: Path) -> None:
    conn = db.open_working_copy(tmp_path / "wc.sqlite")
    for table in TABLES.values():
        info = [(r[1], bool(r[3]), r[5] > 0) for r in conn.execute(f"PRAGMA table_info({table.name})")]
        assert info == [(c.name, not c.nullable, c.name in table.primary_key) for c in table.columns], table.name
        keys = sorted(conn.execute(f"PRAGMA table_info({table.name})"), key=lambda r: r[5])
        assert tuple(r[1] for r in keys if r[5]) == table.primary_key
        indexes = {r[1] for r in conn.execute(f"PRAGMA index_list({table.name})") if r[3] == "c"}
        assert indexes == set(table.indexes), table.name
        for name, columns in table.indexes.items():
            assert tuple(r[2] for r in conn.execute(f"PRAGMA index_info({name})")) == columns
    conn.close()


def test_migrations_run_in_order_on_an_older_working_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "wc.sqlite"
    db.open_working_copy(path).close()
    monkeypatch.setattr(db, "SCHEMA_VERSION", db.SCHEMA_VERSION + 1)
    monkeypatch.setitem(db.MIGRATIONS, db.SCHEMA_VERSION, lambda c: c.execute("CREATE TABLE added (x)"))
    conn = db.open_working_copy(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM added").fetchone()[0] == 0
    conn.close()


def test_newer_working_copy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wc.sqlite"
    conn = db.open_working_copy(path)
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(db.WorkingCopyError, match="knows up to"):
        db.open_working_copy(path)


def test_foreign_sqlite_file_and_garbage_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE t (x)")
    with pytest.raises(db.WorkingCopyError, match="not a sortui working copy"):
        db.open_working_copy(other)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(db.WorkingCopyError):
        db.open_working_copy(garbage)


def test_readonly_open_of_missing_file_does_not_create_it(tmp_path: Path) -> None:
    with pytest.raises(db.WorkingCopyError):
        db.open_working_copy(tmp_path / "missing.sqlite", readonly=True)
    assert not (tmp_path / "missing.sqlite").exists()


def test_children_page_of_a_wide_node_with_counts(conn: sqlite3.Connection) -> None:
    ids = build_tree(conn)
    page = queries.children(conn, ids["si"], offset=0, limit=200)
    assert len(page) == 200
    assert [n.name for n in page[:2]] == ["Afsnit 00000", "Afsnit 00001"]
    assert page[1].child_count == 1 and page[0].child_count == 0
    assert queries.child_count(conn, ids["si"]) == 20_000
    last = queries.children(conn, ids["si"], offset=19_900, limit=200)
    assert len(last) == 100 and last[-1].name == "Afsnit 19999"
    top = queries.children(conn, None)
    assert [(n.kind, n.child_count, n.own_gln) for n in top] == [("IE", 1, gln(1))]


def test_children_valid_on_a_date_hide_closed_units(conn: sqlite3.Connection) -> None:
    ids = build_tree(conn, wide=100)
    assert queries.child_count(conn, ids["si"], on="2020-01-01") == 90
    assert queries.child_count(conn, ids["si"], on="2005-01-01") == 100
    assert queries.child_count(conn, ids["si"], on="1999-01-01") == 0
    si = queries.node(conn, ids["si"], on="2020-01-01")
    assert si is not None and si.child_count == 90


def test_path_to_root_and_inherited_values(conn: sqlite3.Connection) -> None:
    ids = build_tree(conn, wide=10)
    path = queries.path_to_root(conn, ids["deep"])
    assert [p[1] for p in path] == ["IE", "SI", "OE", "OE"]
    eff = queries.effective_values(conn, ids["deep"])
    assert eff.location.value is not None and eff.location.value.gln == gln(1)
    assert eff.location.source_sor_id == ids["ie"]
    assert eff.postal.value is not None and eff.postal.source_name == "Region Testland"
    assert queries.units_using_location(conn, gln(1)) == 13


def test_search_by_name_code_and_address_exact_id_first(conn: sqlite3.Connection) -> None:
    ids = build_tree(conn, wide=50)

    def found(text: str, limit: int = 50) -> list[str]:
        return [h.sor_id for h in search.search(conn, text, limit=limit).hits]

    assert found("dybt") == [ids["deep"]]
    assert found("130101A")[0] == ids["deep"]
    assert found(ids["si"])[0] == ids["si"]
    assert found(gln(1))[0] == ids["ie"]
    assert found("københavn")[0] == ids["ie"]
    assert len(found("afsnit", limit=20)) == 20
    assert found("  ") == []
    assert found('"; DROP TABLE entity; --') == []


def test_find_key_kinds(conn: sqlite3.Connection) -> None:
    ids = build_tree(conn, wide=5)
    assert queries.find_key(conn, ids["si"]) == [("sor_id", ids["si"])]
    assert queries.find_key(conn, gln(1)) == [("gln", gln(1))]
    assert queries.find_key(conn, "130101a") == [("shak", "130101A")]
    assert queries.find_key(conn, "999999") == []


def test_load_entity_returns_own_values_only(conn: sqlite3.Connection) -> None:
    ids = build_tree(conn, wide=5)
    si = load_entity(conn, ids["si"])
    assert si is not None and si.addresses == [] and si.location is None and si.ean_mode == "inherited"
    ie = load_entity(conn, ids["ie"])
    assert ie is not None and ie.location is not None and ie.location.region_code == "1084"


def test_stats_counts_by_kind_and_date(conn: sqlite3.Connection) -> None:
    build_tree(conn, wide=100)
    assert queries.stats(conn)["OE"] == 101
    assert queries.stats(conn, "2020-01-01")["OE"] == 91
    assert queries.stats(conn)["location_numbers"] == 1
