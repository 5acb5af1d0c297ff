"""Batch edits: ``sortui set --from FILE`` and ``sortui edi add|remove --from-file FILE``, all or nothing."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from conftest import RunCli

SYGEHUS_SI = "347811000016004"
AFSNIT = "347831000016005"  # Roskilde Øjenklinik, beh. afsnit
APOTEK_GLN = "5790000173624"
XH1530R = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"


def _digest(path: Path) -> str:
    """What the working copy holds (its tables' rows), to show a refused batch changed nothing."""
    with closing(sqlite3.connect(path)) as conn:
        rows = [repr(r) for t in ("entity", "address", "location", "location_message", "journal")
                for r in conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2")]  # fmt: skip
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_set_from_csv_applies_every_line_in_one_journal_run(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    batch = _write(
        tmp_path / "edits.csv",
        "key,field,value\n"
        f"{AFSNIT},name,Sengeafsnit\n"
        f'{AFSNIT},postal.street,"Køgevej 7, 1. sal"\n'
        f"{AFSNIT},ambulant,nej\n"
        f"{APOTEK_GLN},location.non_active,ja\n"
        f"{SYGEHUS_SI},contact.phone,46361266\n",
    )
    result = run_cli("set", "--from", batch)
    assert result.code == 0, result.err
    assert "saved 5 changes (#1–#5) from 5 lines" in result.err
    changes = run_cli("changes", "--json").json()
    assert [(c["id"], c["key"], c["field"], c["new"]) for c in changes] == [
        (1, AFSNIT, "name", "Sengeafsnit"),
        (2, AFSNIT, "postal.street", "Køgevej 7, 1. sal"),
        (3, AFSNIT, "ambulant", False),
        (4, APOTEK_GLN, "location.non_active", True),
        (5, SYGEHUS_SI, "contact.phone", "46361266"),
    ]
    assert len({c["created_at"] for c in changes}) <= 2  # one transaction, within a second
    assert len({c["group"] for c in changes}) == 1 and changes[0]["group"] is not None  # one bulk change
    assert "one bulk change: sortui changes --undo 1 undoes it" in result.err
    listed = run_cli("changes")
    assert "Bulk change 1: 5 changes on 2 units and 1 lokationsnummer" in listed.out, listed.out
    again = run_cli("set", "--from", batch)
    assert again.code == 0 and "nothing changed" in again.err


def test_a_batch_is_undone_in_one_step(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    before = _digest(sor_wc)
    first = _write(tmp_path / "first.csv", f"key,field,value\n{AFSNIT},name,Sengeafsnit\n{AFSNIT},ambulant,nej\n")
    second = _write(tmp_path / "second.csv", f"key,field,value\n{SYGEHUS_SI},contact.phone,46361266\n")
    assert run_cli("set", "--from", first).code == 0
    assert run_cli("set", "--from", second).code == 0
    undone = run_cli("changes", "--undo", "2")  # the first batch's second entry: the whole batch goes
    assert undone.code == 0 and "undone the bulk change of #2: 2 entries" in undone.err
    assert [c["key"] for c in run_cli("changes", "--json").json()] == [SYGEHUS_SI]
    assert run_cli("changes", "--undo", "3").code == 0
    assert _digest(sor_wc) == before


def test_set_from_json_lines_and_semicolons(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    lines = [
        {"key": AFSNIT, "field": "name", "value": "Ny; med semikolon"},
        {"key": AFSNIT, "field": "ambulant", "value": False},
        {"key": AFSNIT, "field": "contact.email", "value": None},
    ]
    jsonl = _write(tmp_path / "edits.jsonl", "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n")
    assert run_cli("set", "--from", jsonl, "--json").json()[1]["new"] is False
    semi = _write(tmp_path / "edits.csv", f"key;field;value\n{SYGEHUS_SI};contact.phone;46361267\n")
    assert run_cli("set", "--from", semi).code == 0
    shown = run_cli("show", AFSNIT, "--json").json()
    assert shown["name"] == "Ny; med semikolon"


def test_a_refused_line_saves_nothing_and_lines_are_listed(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    before = _digest(sor_wc)
    batch = _write(
        tmp_path / "edits.csv",
        "key,field,value\n"
        f"{AFSNIT},name,Sengeafsnit\n"  # good
        f"{AFSNIT},contact.phone,12\n"  # line 3: too short
        f"{SYGEHUS_SI},nosuchfield,1\n"  # line 4
        f"999999999999999,name,x\n"  # line 5: no such unit
        f"{AFSNIT},name,Igen\n"  # line 6: good on its own
        f"{AFSNIT},name,\x1b[31mrød\n",  # line 7: a control character
    )
    result = run_cli("set", "--from", batch)
    assert result.code == 2
    listed = [line.split(f"{batch}:")[1].split(":")[0] for line in result.err.splitlines() if f"{batch}:" in line]
    listed = [number for number in listed if number.isdigit()]
    assert listed == ["3", "4", "5", "7"]
    assert "4 edits refused; nothing was saved" in result.err
    assert "\x1b" not in result.err
    assert _digest(sor_wc) == before


def test_the_same_field_twice_in_one_run_of_lines_is_refused(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    batch = _write(tmp_path / "e.csv", f"key,field,value\n{AFSNIT},name,A\n{AFSNIT},name,B\n")
    result = run_cli("set", "--from", batch)
    assert result.code == 2 and f"{batch}:3: name of {AFSNIT} is set on line 2 already" in result.err


def test_lines_of_one_unit_are_validated_together(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    # Each alone is refused (Gyldig til before the old Gyldig fra), together they are valid.
    batch = _write(tmp_path / "e.csv", f"key,field,value\n{AFSNIT},to_date,1991-01-01\n{AFSNIT},from_date,1990-01-01\n")
    assert run_cli("set", AFSNIT, "to_date=1991-01-01").code == 2
    result = run_cli("set", "--from", batch)
    assert result.code == 0, result.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"key,field\n1,name\n", ":1: expected the columns key, field, value (missing 'value')"),
        (b"key,field,value,extra\n1,name,x,y\n", "unknown 'extra'"),
        (b"key,field,value\n" + AFSNIT.encode() + b",name,\xff\n", ":2: not valid utf-8"),
        (b"key,field,value\n,name,x\n", ":2 (key): key is empty"),
        (b'key,field,value\n1,name,"open\n', "a quote opened in this row is never closed"),
        (b'{"key": "1", "field": "name", "value": "x"}\n{"key": \n', ":2: not JSON"),
        (b'{"key": "1", "field": "name", "value": {"a": 1}}\n', "a dict is not a value sortui can set"),
        (b"[1, 2]\n", "expected the columns"),
    ],
)
def test_a_malformed_batch_file_is_named_by_line(
    run_cli: RunCli, sor_wc: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    before = _digest(sor_wc)
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = run_cli("set", "--from", path)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err
    assert _digest(sor_wc) == before


def test_edi_batch_adds_and_removes_all_or_nothing(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    good = _write(tmp_path / "add.csv", f"gln,message,from\n{APOTEK_GLN},XH1530R,2026-01-01\n")
    result = run_cli("edi", "add", "--from-file", good)
    assert result.code == 0 and "saved 1 changes (#1)" in result.err
    assert run_cli("changes", "--json").json()[0]["new"] == {"from_date": "2026-01-01", "to_date": None}
    before = _digest(sor_wc)
    bad = _write(
        tmp_path / "remove.jsonl",
        f'{{"gln": "{APOTEK_GLN}", "message": "XH1530R"}}\n{{"gln": "{APOTEK_GLN}", "message": "nonsense"}}\n',
    )
    refused = run_cli("edi", "remove", "--from-file", bad)
    assert refused.code == 2 and f"{bad}:2: 'nonsense' is not a message type" in refused.err
    assert _digest(sor_wc) == before
    _write(bad, f'{{"gln": "{APOTEK_GLN}", "message": "{XH1530R}"}}\n')
    assert run_cli("edi", "remove", "--from-file", bad).code == 0
    assert [c["op"] for c in run_cli("changes", "--json").json()] == ["add", "remove"]


def test_a_batch_and_single_arguments_do_not_mix(run_cli: RunCli, sor_wc: Path, tmp_path: Path) -> None:
    batch = _write(tmp_path / "e.csv", "key,field,value\n")
    assert run_cli("set", AFSNIT, "name=x", "--from", batch).code == 2
    assert run_cli("set").code == 2
    assert run_cli("edi", "add", APOTEK_GLN, "--from-file", batch).code == 2
    assert run_cli("--readonly", "set", "--from", batch).code == 2
    assert run_cli("set", "--from", tmp_path / "missing.csv").code == 2
