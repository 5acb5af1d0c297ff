"""`sortui check shak` on the real 2011 SHAK file and the real hospital extract."""

from __future__ import annotations

from pathlib import Path

from conftest import RunCli

from sortui.store import db, edits

AFSNIT = "347831000016005"  # carries 2529010 under hospital 2529 (Roskilde Øjenklinik)


def _checks(run_cli: RunCli, *args: str) -> dict:
    result = run_cli("check", "shak", "--json", *args)
    assert result.code == 0, result.err
    return result.json()


def test_the_real_extract_is_consistent_with_the_real_shak_file(run_cli: RunCli, full_wc: Path) -> None:
    report = _checks(run_cli, "--on", "2010-01-26")
    assert report["skipped"] == []
    assert {k: v for k, v in report["counts"].items() if k != "unmapped"} == {"prefix": 0, "invalid": 0, "missing": 0}
    unmapped = {f["shak_code"] for f in report["findings"] if f["check"] == "unmapped"}
    assert "130101" in unmapped  # Rigshospitalet's anaesthesiology: no SOR unit in the extract
    assert "252901" not in unmapped  # carried by Roskilde Øjenklinik, afdeling


def test_each_kind_of_inconsistency_is_found(run_cli: RunCli, full_wc: Path) -> None:
    conn = db.open_working_copy(full_wc)
    edits.set_fields(conn, AFSNIT, {"shak_code": "1301010"})  # Rigshospitalet's code under 2529
    edits.set_fields(conn, "347821000016008", {"shak_code": "252999"})  # not in the SHAK file
    conn.close()
    findings = _checks(run_cli, "--on", "2010-01-26")["findings"]
    by_check = {(f["check"], f["shak_code"], f["sor_id"]) for f in findings}
    assert ("prefix", "1301010", AFSNIT) in by_check
    assert ("missing", "252999", "347821000016008") in by_check
    # 1301010 (ANM-FSTHESIAFDELING AN) closed in 1978: not valid in 2010.
    assert ("invalid", "1301010", AFSNIT) in by_check


def test_codes_not_yet_valid_are_reported_on_an_early_date(run_cli: RunCli, full_wc: Path) -> None:
    report = _checks(run_cli, "--on", "2005-01-01")
    invalid = {f["shak_code"] for f in report["findings"] if f["check"] == "invalid"}
    assert invalid == {"2529", "252901", "2529010"}  # the clinic's codes start 2009-08-01


def test_without_a_shak_file_the_shak_checks_are_skipped(run_cli: RunCli, sor_wc: Path) -> None:
    report = _checks(run_cli)
    assert report["skipped"] == ["invalid", "missing", "unmapped"]
    assert report["counts"]["prefix"] == 0


def test_plain_text_output(run_cli: RunCli, full_wc: Path) -> None:
    result = run_cli("check", "shak", "--on", "2010-01-26")
    assert result.code == 0
    assert "department code valid on the date with no SOR unit" in result.out
    assert run_cli("check", "shak", "--on", "26-01-2010").code == 2
