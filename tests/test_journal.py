"""Edits through the journal: validation, undo, discard, exports with and without pending edits,
re-import keeping pending edits, and a save that survives the process being killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunCli

from sortui.store import db, edits, journal
from sortui.store.importer import import_files
from sortui.store.journal import EditError

AFSNIT = "347831000016005"  # Roskilde Øjenklinik, beh. afsnit (OE under a hospital SI with SHAK 2529)
APOTEK_GLN = "5790000173624"


def test_set_fields_applies_and_journals_in_one_go(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    entries = edits.set_fields(conn, AFSNIT, {"name": "Sengeafsnit", "postal.street": "Køgevej", "ambulant": False})
    assert [(e.field, e.old_value, e.new_value) for e in entries] == [
        ("name", "Roskilde Øjenklinik, beh. afsnit", "Sengeafsnit"),
        ("postal.street", None, "Køgevej"),
        ("ambulant", True, False),
    ]
    assert conn.execute("SELECT name, ambulant FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone() == (
        "Sengeafsnit",
        0,
    )
    assert conn.execute("SELECT street FROM address WHERE sor_id = ? AND kind = 'postal'", (AFSNIT,)).fetchone() == (
        "Køgevej",
    )
    assert journal.pending_keys(conn) == {AFSNIT}
    assert conn.execute(
        "SELECT e.sor_id FROM search JOIN entity e ON e.rowid = search.rowid WHERE search MATCH 'sengeafsnit'"
    ).fetchall() == [(AFSNIT,)]
    conn.close()


def test_a_refused_change_writes_nothing(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    with pytest.raises(EditError) as info:
        edits.set_fields(conn, AFSNIT, {"name": "Nyt navn", "contact.phone": "123", "shak_code": "25"})
    assert {p.field for p in info.value.problems} == {"contact.phone", "shak_code"}
    assert journal.pending_count(conn) == 0
    assert conn.execute("SELECT name FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone()[0].endswith("beh. afsnit")
    conn.close()


def test_shak_code_outside_the_hospital_is_a_warning(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    (entry,) = edits.set_fields(conn, AFSNIT, {"shak_code": "1301011"})
    assert "does not start with the hospital's code 2529" in entry.warnings[0]
    conn.close()


def test_undo_restores_and_refuses_out_of_order(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    (first,) = edits.set_fields(conn, AFSNIT, {"name": "Et"})
    (second,) = edits.set_fields(conn, AFSNIT, {"name": "To"})
    with pytest.raises(EditError, match="undo change"):
        journal.undo(conn, first.id)
    journal.undo(conn, second.id)
    journal.undo(conn, first.id)
    assert conn.execute("SELECT name FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone()[0].endswith("beh. afsnit")
    assert journal.pending_count(conn) == 0
    conn.close()


def test_message_types_add_remove_and_discard_all(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    edits.add_message(conn, APOTEK_GLN, "XREF15:XH1530R")
    assert edits.add_message(conn, APOTEK_GLN, "XH1530R") is None  # no duplicate registration
    edits.remove_message(conn, APOTEK_GLN, "XH1530R")
    edits.set_location_fields(conn, APOTEK_GLN, {"only_internal": True})
    with pytest.raises(EditError):
        edits.set_location_fields(conn, APOTEK_GLN, {"region_code": None})
    with pytest.raises(EditError, match="not a message type"):
        edits.add_message(conn, APOTEK_GLN, "XX9999")
    edits.add_message(conn, APOTEK_GLN, "D0134L")
    assert journal.discard_all(conn) == 4
    assert conn.execute("SELECT count(*) FROM location_message").fetchone()[0] == 0
    assert conn.execute("SELECT only_internal FROM location WHERE gln = ?", (APOTEK_GLN,)).fetchone()[0] == 0
    conn.close()


def test_move_unit_checks_the_tree(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    with pytest.raises(EditError, match="own subtree"):
        edits.move_unit(conn, "347821000016008", AFSNIT)
    with pytest.raises(EditError, match="under an institution"):
        edits.move_unit(conn, AFSNIT, "306011000016003")
    entry = edits.move_unit(conn, AFSNIT, "306021000016007")
    assert entry.old_value == "347821000016008"
    assert conn.execute("SELECT parent_sor_id FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone()[0] == (
        "306021000016007"
    )
    journal.undo(conn, entry.id)
    assert conn.execute("SELECT parent_sor_id FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone()[0] == (
        "347821000016008"
    )
    conn.close()


def test_cli_set_edi_changes_and_export(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    assert run_cli("set", AFSNIT, "name=Sengeafsnit", "contact.phone=46361266").code == 0
    refused = run_cli("set", AFSNIT, "contact.phone=12")
    assert refused.code == 2 and "contact.phone" in refused.err
    assert run_cli("set", AFSNIT, "nosuchfield=1").code == 2
    assert run_cli("set", "999999999999999", "name=x").code == 1
    assert run_cli("edi", "add", APOTEK_GLN, "XH1530R", "--from", "2026-01-01").code == 0
    assert run_cli("set", APOTEK_GLN, "non_active=ja").code == 0
    changes = run_cli("changes", "--json").json()
    assert [(c["key"], c["field"]) for c in changes] == [
        (AFSNIT, "name"),
        (AFSNIT, "contact.phone"),
        (APOTEK_GLN, "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"),
        (APOTEK_GLN, "location.non_active"),
    ]
    assert changes[2]["new"] == {"from_date": "2026-01-01", "to_date": None}
    plain, pending = tmp_path / "plain.json", tmp_path / "pending.json"
    assert run_cli("export", "--format", "json", "-o", plain).code == 0
    assert run_cli("export", "--format", "json", "-o", pending, "--with-pending").code == 0
    assert "Sengeafsnit" not in plain.read_text(encoding="utf-8")
    assert "Sengeafsnit" in pending.read_text(encoding="utf-8")
    assert run_cli("changes", "--discard-all").code == 2
    assert run_cli("changes", "--undo", 99).code == 1
    assert run_cli("changes", "--discard-all", "--yes").code == 0
    assert run_cli("changes", "--json").json() == []
    assert run_cli("--readonly", "set", AFSNIT, "name=x").code == 2


def test_reimport_keeps_pending_edits(sor_wc: Path, sor_samples: list[Path]) -> None:
    conn = db.open_working_copy(sor_wc)
    edits.set_fields(conn, AFSNIT, {"name": "Sengeafsnit"})
    conn.close()
    report = import_files(sor_wc, sor_samples)
    assert report.notes.reapplied == 1
    conn = db.open_working_copy(sor_wc)
    assert conn.execute("SELECT name FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone()[0] == "Sengeafsnit"
    assert journal.pending_count(conn) == 1
    conn.close()


def test_a_saved_edit_survives_the_process_being_killed(sor_wc: Path) -> None:
    """The save is committed before set_fields returns: SIGKILL right after it loses nothing."""
    code = (
        "import os, signal, sys\n"
        "from sortui.store import db, edits\n"
        "conn = db.open_working_copy(sys.argv[1])\n"
        f"edits.set_fields(conn, {AFSNIT!r}, {{'name': 'Gemt før drab'}})\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", code, str(sor_wc)], env=env, capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    conn = db.open_working_copy(sor_wc)
    (entry,) = journal.pending(conn)
    assert (entry.field, entry.new_value) == ("name", "Gemt før drab")
    assert conn.execute("SELECT name FROM entity WHERE sor_id = ?", (AFSNIT,)).fetchone()[0] == "Gemt før drab"
    conn.close()
    assert json.loads(json.dumps(entry.old_value)) == "Roskilde Øjenklinik, beh. afsnit"
