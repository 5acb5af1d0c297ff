"""Review sessions in the store and the `sortui review` CLI (the app's review screen has its own tests)."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pytest
from conftest import RunCli

from sortui.store import db, edits, review

OWNER = "347801000016001"  # Roskilde Øjenklinik (IE) with its contact data and postal address
ON = "2010-01-26"


@pytest.fixture
def conn(sor_wc: Path) -> sqlite3.Connection:
    connection = db.open_working_copy(sor_wc)
    yield connection
    connection.close()


def test_rules_find_what_they_say(conn: sqlite3.Connection) -> None:
    assert review.start(conn, "edi", ON, rule="no-message-types") == 2
    assert {i.key for i in review.items(conn, "edi")} == {"5790000141227", "5790000173624"}
    assert review.start(conn, "phone-before", ON, rule="no-phone") == 0
    edits.set_fields(conn, OWNER, {"contact.phone": None})
    assert review.start(conn, "phone-after", ON, rule="no-phone") == 4
    edits.set_fields(conn, OWNER, {"to_date": "2009-12-31"})
    assert review.start(conn, "closed", ON, rule="address-from-closed-parent") == 3
    reasons = {i.reason for i in review.items(conn, "closed")}
    assert reasons == {"postadresse nedarvet fra Roskilde Øjenklinik (lukket 2009-12-31)"}
    edits.set_fields(conn, "347831000016005", {"to_date": "2010-02-10"})
    assert review.start(conn, "soon", ON, rule="closing-soon") == 1


def test_search_and_subtree_sources_and_errors(conn: sqlite3.Connection) -> None:
    assert review.start(conn, "søg", ON, search="værløse") == 3
    assert review.start(conn, "træ", ON, subtree=OWNER) == 4
    assert next(i.key for i in review.items(conn, "træ")) == OWNER
    with pytest.raises(review.ReviewError, match="exists already"):
        review.start(conn, "træ", ON, subtree=OWNER)
    with pytest.raises(review.ReviewError, match="unknown rule"):
        review.start(conn, "x", ON, rule="nope")
    for sources in ({"rule": "no-phone", "search": "x"}, {"rule": "no-phone", "subtree": OWNER}, {}):
        with pytest.raises(review.ReviewError, match="give one of a rule, a search or a subtree"):
            review.start(conn, "x", ON, **sources)
    assert review.start(conn, "søg-træ", ON, search="klinik", subtree=OWNER) == 4
    assert {i.reason for i in review.items(conn, "søg-træ")} == {f"søgning: klinik i undertræet {OWNER}"}
    with pytest.raises(review.ReviewError, match="no unit"):
        review.start(conn, "x", ON, subtree="123456789012")


def test_decisions_undo_and_resume(sor_wc: Path) -> None:
    conn = db.open_working_copy(sor_wc)
    review.start(conn, "træ", ON, subtree=OWNER)
    assert review.decide(conn, "træ", 1, "approved") == 2
    with pytest.raises(review.ReviewError, match="needs a note"):
        review.decide(conn, "træ", 2, "flagged")
    assert review.decide(conn, "træ", 2, "flagged", "forkert adresse") == 3
    assert review.decide(conn, "træ", 3, "skipped") == 4
    assert review.undo_last(conn, "træ") == 3
    assert review.item(conn, "træ", 3).decision is None  # type: ignore[union-attr]
    conn.close()
    # Quit and resume: the position and decisions are in the working copy.
    conn = db.open_working_copy(sor_wc)
    info = review.summary(conn, "træ")
    assert (info.position, info.decided, info.approved, info.flagged) == (3, 2, 1, 1)
    assert [i.seq for i in review.decided(conn, "træ")] == [2, 1]
    review.decide_many(conn, "træ", [3, 4], "approved")
    assert review.summary(conn, "træ").decided == 4
    assert review.undo_last(conn, "træ") == 4
    conn.close()


def test_cli_start_list_export_delete(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    assert run_cli("review", "start", "edi", "--rule", "no-message-types", "--on", ON).code == 0
    assert run_cli("review", "start", "edi", "--rule", "no-message-types").code == 2
    assert run_cli("review", "start", "x", "--subtree", "123456789012").code == 1
    assert run_cli("review", "start", "x").code == 2  # a source is required
    assert run_cli("review", "start", "x", "--rule", "no-phone", "--search", "a").code == 2
    assert run_cli("review", "start", "øjen", "--search", "jenklin", "--subtree", OWNER).code == 0
    assert run_cli("review", "start", "many", "--search", "a", "--subtree", "123456").code == 1
    conn = db.open_working_copy(sor_wc)
    review.decide(conn, "edi", 1, "flagged", "mangler; kontakt leverandør")
    conn.close()
    listed = run_cli("review", "list", "--json").json()
    assert [(s["name"], s["size"], s["decided"], s["flagged"]) for s in listed] == [("edi", 2, 1, 1), ("øjen", 4, 0, 0)]
    rules = run_cli("review", "rules", "--json").json()
    assert "no-message-types" in {r["name"] for r in rules}
    exported = run_cli("review", "export", "edi", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(exported.out), delimiter=";"))
    assert [(r["key"], r["decision"], r["note"]) for r in rows] == [
        ("5790000141227", "flagged", "mangler; kontakt leverandør"),
        ("5790000173624", "", ""),
    ]
    out = tmp_path / "edi.json"
    assert run_cli("review", "export", "edi", "--format", "json", "-o", out).code == 0
    assert '"name": "Michael Filtenborg"' in out.read_text(encoding="utf-8")
    assert run_cli("review", "export", "nope", "--format", "json").code == 1
    assert run_cli("review", "delete", "edi").code == 2
    assert run_cli("review", "delete", "edi", "--yes").code == 0
    assert [s["name"] for s in run_cli("review", "list", "--json").json()] == ["øjen"]


def test_decide_many_is_one_transaction_and_next_undecided(conn: sqlite3.Connection) -> None:
    size = review.start(conn, "træ", ON, subtree=OWNER)
    assert size == 4
    assert review.next_undecided(conn, "træ", 0) == 1
    assert review.decide_many(conn, "træ", [1, 3], "approved", "ændret: Telefon = 12345678") == 4
    assert [(i.seq, i.decision) for i in review.items(conn, "træ")] == [
        (1, "approved"),
        (2, None),
        (3, "approved"),
        (4, None),
    ]
    assert review.next_undecided(conn, "træ", 2) == 4
    assert review.next_undecided(conn, "træ", 4) == 2  # wraps round
    with pytest.raises(review.ReviewError, match="no item 9"):
        review.decide_many(conn, "træ", [2, 9], "approved")
    assert review.item(conn, "træ", 2).decision is None  # type: ignore[union-attr]  # nothing written
    assert review.undo_last(conn, "træ") == 3
    assert review.summary(conn, "træ").position == 3
    review.decide_many(conn, "træ", [2, 3, 4], "skipped")
    assert review.next_undecided(conn, "træ", 0) is None
    assert review.summary(conn, "træ").position == 4  # the last item stays the position
