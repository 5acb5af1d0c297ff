"""The ``sortui`` command: look-ups by every kind of key, search, stats, locate, exit codes, JSON purity."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import REPO
from test_roundtrip import SYNTHETIC

APOTEK_IE, APOTEK_SI, APOTEK_OE, APOTEK_GLN = "306011000016003", "306021000016007", "306031000016009", "5790000173624"
PRAKSIS_IE, PRAKSIS_OE = "8321000016007", "8341000016002"
SYGEHUS = ("347801000016001", "347811000016004", "347821000016008", "347831000016005")
DIS01 = "urn:dk:healthcare:medcom:messaging:edifact:meddis:dis01:d0134l"
REF01 = "urn:dk:healthcare:medcom:messaging:edifact:medref:ref01:h0131r"


@pytest.fixture
def edi_map(tmp_path: Path) -> Path:
    path = tmp_path / "LocationsCodeEDITypeMap.csv"
    path.write_text(
        "EanLocationCode;MessageUrn;TypeCode;VersionCode;Format;FromDate;ToDate\r\n"
        f"{APOTEK_GLN};{DIS01};;;;2010-01-01;\r\n"
        f"{APOTEK_GLN};;REF01;H0131R;;2011-02-03;2030-12-31\r\n",
        encoding="utf-8",
    )
    return path


# -- show -------------------------------------------------------------------------------------------


def test_show_by_gln(run_cli, wc: Path, sor_samples: list[Path], edi_map: Path) -> None:
    assert run_cli("import", *sor_samples, edi_map).code == 0
    result = run_cli("show", APOTEK_GLN, "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert (data["type"], data["gln"], data["owner_sor_id"]) == ("location", APOTEK_GLN, APOTEK_IE)
    assert (data["only_internal"], data["non_active"]) == (False, False)
    assert (data["system_supplier"], data["system_type"]) == ("1001000055001", "221000045007")
    assert (data["communication_supplier"], data["communication_supplier_name"]) == ("41000035001", "KMD")
    assert (data["region_code"], data["region_name"]) == ("1084", "Region Hovedstaden")
    assert data["edi_administrator"] == "106"
    assert (data["from_date"], data["updated_at"], data["first_from_date"]) == (
        "1995-02-20",
        "2009-04-02",
        "1995-02-20",
    )
    assert data["units_receiving"] == 3  # the owner and the two units inheriting its number
    messages = {m["urn"]: m for m in data["message_types"]}
    assert set(messages) == {DIS01, REF01}
    assert (messages[REF01]["type_code"], messages[REF01]["version_code"]) == ("REF01", "H0131R")
    assert (messages[REF01]["from_date"], messages[REF01]["to_date"]) == ("2011-02-03", "2030-12-31")
    assert messages[DIS01]["title"] == "Udskrivningsepikrise" and messages[DIS01]["format"] == "EDIFACT"
    assert run_cli("show", f"gln:{APOTEK_GLN}", "--json").json() == data

    text = run_cli("show", APOTEK_GLN)
    assert text.code == 0 and APOTEK_GLN in text.out and "DIS01" in text.out


def test_show_by_provider_number_keeps_the_leading_zero(run_cli, sor_wc: Path) -> None:
    result = run_cli("show", "019062", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert (data["type"], data["sor_id"], data["provider_number"]) == ("unit", PRAKSIS_OE, "019062")
    assert run_cli("show", "yder:019062", "--json").json() == data
    missing = run_cli("show", "19062", "--json")
    assert missing.code == 1 and missing.out == ""


def test_show_by_sor_id(run_cli, sor_wc: Path) -> None:
    data = run_cli("show", APOTEK_OE, "--json").json()
    assert (data["kind"], data["name"], data["pharmacy_number"]) == ("OE", "Værløse Apotek", "362,1")
    assert data["parent_sor_id"] == APOTEK_SI
    assert run_cli("show", f"sor:{APOTEK_OE}", "--json").json() == data
    text = run_cli("show", APOTEK_OE)
    assert text.code == 0 and "Værløse Apotek" in text.out and APOTEK_GLN in text.out


def test_show_prints_names_literally(run_cli, wc: Path, tmp_path: Path) -> None:
    """A name with rich markup in it is shown as it is, not interpreted."""
    xml = tmp_path / "synthetic.xml"
    xml.write_text(SYNTHETIC, encoding="utf-8")
    assert run_cli("import", xml).code == 0
    hits = run_cli("search", "Sønderå", "--json").json()["hits"]
    [si] = [h for h in hits if h["kind"] == "SI"]
    result = run_cli("show", si["sor_id"])
    assert result.code == 0
    assert "Sygehus Sønderå [bold]x[/]" in result.out


@pytest.mark.parametrize("key", ["99999999999", "5790000000005", "nonsense", "sor:019062", "gln:019062"])
def test_show_unknown_key_exits_1(run_cli, sor_wc: Path, key: str) -> None:
    result = run_cli("show", key, "--json")
    assert result.code == 1
    assert result.out == ""
    assert "not found" in result.err


# Every command that works on a working copy (only `import`, and `login --create`, make one).
ON_A_WORKING_COPY = [
    ("show", "019062"),
    ("show", "019062", "--json"),
    ("search", "Værløse"),
    ("stats",),
    ("shak",),
    ("check", "shak"),
    ("export", "--format", "csv", "-o", "out.csv"),
    ("set", APOTEK_OE, "note=x"),
    ("edi", "add", APOTEK_GLN, "XD1530L"),
    ("changes",),
    ("changes", "--json"),
    ("changes", "--undo", "1"),
    ("changes", "--discard-all", "--yes"),
    ("review", "start", "runde", "--search", "a"),
    ("review", "list"),
    ("review", "export", "runde", "--format", "csv"),
    ("review", "delete", "runde", "--yes"),
    ("login", "http://127.0.0.1:9", "--user", "alice", "--password-stdin"),
    ("logout",),
    ("sync",),
    ("sync", "--dry-run"),
    ("conflicts",),
    ("resolve", "1", "--mine"),
    (),  # the app
]


@pytest.mark.parametrize("args", ON_A_WORKING_COPY, ids=lambda a: " ".join(a) or "the app")
def test_a_command_without_a_working_copy_says_how_to_make_one_and_makes_nothing(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    folder = tmp_path / "typo"
    folder.mkdir()
    missing = folder / "wrok-copy.sqlite"
    monkeypatch.chdir(folder)
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))
    monkeypatch.setattr("sortui.app.run", lambda args: pytest.fail("the app must not start"))
    result = run_cli(*args, db=missing)
    assert result.code == 1, result.err
    assert f"no working copy at {missing}: make one with `sortui import FILE...`" in result.err
    assert result.out == "" and "Traceback" not in result.err
    assert list(folder.iterdir()) == []  # nothing made: no empty file, no demo


def test_a_folder_or_an_empty_file_is_not_a_working_copy(run_cli, tmp_path: Path) -> None:
    folder = run_cli("stats", db=tmp_path)
    assert folder.code == 2 and "is a folder, not a working copy" in folder.err
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    result = run_cli("set", APOTEK_OE, "note=x", db=empty)
    assert result.code == 1 and "is an empty file, not a working copy" in result.err
    assert empty.read_bytes() == b""


# -- search -----------------------------------------------------------------------------------------


def _ids(result) -> list[str]:
    assert result.code == 0, result.err
    return [h["sor_id"] for h in result.json()["hits"]]


def test_search_names_ignore_case(run_cli, sor_wc: Path) -> None:
    apotek = {APOTEK_IE, APOTEK_SI, APOTEK_OE}
    for text in ("Værløse", "værløse", "VÆRLØSE", "værl", "Værløse Apotek"):
        assert set(_ids(run_cli("search", text, "--json"))) == apotek, text
    found = run_cli("search", "Værløse", "--json").json()
    assert (found["query"], found["total"], found["more"], found["offset"], found["under"]) == (
        "Værløse",
        3,
        False,
        0,
        None,
    )
    assert set(found["hits"][0]) == {"sor_id", "kind", "name", "to_date", "match", "path"}
    assert found["hits"][2]["path"] == [
        {"sor_id": APOTEK_IE, "kind": "IE", "name": "Værløse Apotek"},
        {"sor_id": APOTEK_SI, "kind": "SI", "name": "Værløse Apotek"},
    ]


def test_search_finds_danish_letters_typed_the_ascii_way(run_cli, sor_wc: Path) -> None:
    """On a jump host without æ ø å on the keyboard, the usual ASCII spellings still find the unit."""
    apotek = {APOTEK_IE, APOTEK_SI, APOTEK_OE}
    for text in ("vaerlose", "varlose", "Vaerloese", "VAERLØSE", "vaerl"):
        assert set(_ids(run_cli("search", text, "--json"))) == apotek, text
    for text in ("ojenklinik", "oejenklinik", "øjenklinik"):
        assert len(_ids(run_cli("search", text, "--json"))) == 4, text
    assert run_cli("search", "vaerlosex", "--json").code == 1


def test_search_by_sor_id_prefix_gln_and_address(run_cli, sor_wc: Path) -> None:
    assert set(_ids(run_cli("search", "3060", "--json"))) == {APOTEK_IE, APOTEK_SI, APOTEK_OE}
    assert set(_ids(run_cli("search", "3478", "--json"))) == set(SYGEHUS)
    assert _ids(run_cli("search", APOTEK_OE, "--json"))[0] == APOTEK_OE
    assert _ids(run_cli("search", "5790000141227", "--json")) == [PRAKSIS_IE]
    assert _ids(run_cli("search", "Gilleleje", "--json")) == [PRAKSIS_IE]
    assert _ids(run_cli("search", "019062", "--json"))[0] == PRAKSIS_OE
    assert run_cli("search", "019062", "--json").json()["hits"][0]["match"] == {
        "field": "ydernummer",
        "value": "019062",
    }
    nothing = run_cli("search", "zzzz", "--json")
    assert nothing.code == 1 and nothing.json()["hits"] == [] and "no units match 'zzzz'" in nothing.err


def test_search_inside_words(run_cli, sor_wc: Path) -> None:
    assert _ids(run_cli("search", "jenklin", "--json")) == list(SYGEHUS)
    assert _ids(run_cli("search", "filtenb", "--json")) == [PRAKSIS_IE, "8331000016009", PRAKSIS_OE]
    assert _ids(run_cli("search", "terbrog", "--json")) == [PRAKSIS_IE]  # Vesterbrogade


def test_search_text_output(run_cli, sor_wc: Path) -> None:
    result = run_cli("search", "Værløse")
    assert result.code == 0
    assert result.out.count("Værløse Apotek") == 4 and APOTEK_OE in result.out  # the OE's line: "· Værløse Apotek"
    assert "3 hits" in result.err
    lines = run_cli("search", "klinik").out.splitlines()
    assert len(lines) == 4 and all(len(line) <= 80 for line in lines)
    assert lines[3] == "347831000016005  OE Roskilde Øjenklinik, beh. afsnit · Roskilde Øjenklinik"  # the institution
    by_code = run_cli("search", "3478310").out  # the SOR-kode that matched is not said twice
    assert by_code.count("347831000016005") == 1 and "SOR-kode" not in by_code


def test_search_pages(run_cli, sor_wc: Path) -> None:
    every = _ids(run_cli("search", "a", "--json", "--limit", "100"))
    assert len(every) == 5  # a word starting with a: Apotek, afdeling, afsnit
    pages = [run_cli("search", "a", "--json", "--limit", "3", "--offset", str(o)) for o in (0, 3)]
    assert [h for p in pages for h in _ids(p)] == every and {p.json()["total"] for p in pages} == {5}
    text = run_cli("search", "a", "--limit", "3")
    assert text.out.count("\n") == 3 and "hits 1-3 of 5; --offset 3 for more" in text.err
    past = run_cli("search", "a", "--offset", "5")
    assert past.code == 1 and "5 hits: none after --offset 5" in past.err
    assert run_cli("search", "a", "--limit", "0").code == 2 and run_cli("search", "a", "--offset", "-1").code == 2


def test_search_under_a_unit(run_cli, sor_wc: Path) -> None:
    result = run_cli("search", "a", "--under", SYGEHUS[1], "--json")
    assert _ids(result) == list(SYGEHUS[2:]) and result.json()["under"] == SYGEHUS[1]
    assert "under Roskilde Øjenklinik (347811000016004)" in run_cli("search", "a", "--under", SYGEHUS[1]).err
    unknown = run_cli("search", "a", "--under", "123456")
    assert unknown.code == 1 and "123456: no unit with that SOR-kode" in unknown.err


@pytest.mark.parametrize("text", ["", "  ", "...", "«»"])
def test_search_for_nothing_says_so(run_cli, sor_wc: Path, text: str) -> None:
    result = run_cli("search", text)
    assert result.code == 1 and result.out == "" and "nothing to search for" in result.err


# -- stats, shak, locate ------------------------------------------------------------------------------


def test_stats_text(run_cli, sor_wc: Path) -> None:
    result = run_cli("stats")
    assert result.code == 0
    assert "Institutionsejere (IE)" in result.out and "ONE_APOTEK.xml" in result.out


def test_stats_rejects_a_bad_date(run_cli, sor_wc: Path) -> None:
    result = run_cli("stats", "--on", "2009-13-01", "--json")
    assert result.code == 2 and result.out == ""
    assert "2009-13-01" in result.err


def test_shak_command(run_cli, full_wc: Path) -> None:
    hospitals = run_cli("shak", "--json").json()
    assert "2529" in {h["code"] for h in hospitals} and {h["level"] for h in hospitals} == {"sgh"}
    one = run_cli("shak", "2529", "--json").json()
    assert one["sor_ids"] == [SYGEHUS[1]] and "252901" in {c["code"] for c in one["children"]}
    assert run_cli("shak", "0000", "--json").code == 1


def test_shak_command_as_text_and_on_a_day(run_cli, full_wc: Path) -> None:
    lines = run_cli("shak", "2529").out.splitlines()
    assert lines[0] == "SHAK-kode 2529  (sgh)"
    assert lines[1].split() == ["2009-08-01", "–", "Roskilde", "Øjenklinik"]
    assert lines[2] == "1 unit with this code" and lines[3].split() == [SYGEHUS[1], "Roskilde", "Øjenklinik"]
    assert lines[4] == "1 code below" and lines[5].split()[:2] == ["252901", "2009-08-01"]
    before = run_cli("shak", "2529", "--valid-on", "2001-01-01", "--json").json()  # before it was valid
    assert before["versions"] == [] and before["sor_ids"] == [SYGEHUS[1]]
    assert run_cli("shak", "2529", "--valid-on", "2010-01-01", "--json").json()["versions"][0]["from"] == "2009-08-01"
    listed = run_cli("shak").out.splitlines()
    assert any(line.split()[:2] == ["2529", "2009-08-01"] for line in listed)
    assert run_cli("show", "shak:2529").out.splitlines()[:2] == lines[:2]


def test_locate(run_cli, wc: Path, sor_samples: list[Path], tmp_path: Path) -> None:
    before = run_cli("locate", "--json")
    assert before.code == 0
    data = before.json()
    assert set(data) >= {"working_copy", "working_copy_exists", "demo_working_copy", "config_file", "data_dir"}
    assert data["working_copy"] == str(wc) and data["working_copy_exists"] is False
    assert Path(data["demo_working_copy"]) == tmp_path / "xdg-data" / "sortui" / "demo.sqlite"
    assert data["demo_working_copy_exists"] is False
    assert (Path(data["data_dir"]) / "codelists").is_dir()
    assert run_cli("import", *sor_samples).code == 0
    assert run_cli("locate", "--json").json()["working_copy_exists"] is True
    # Without --db the working copy comes from $SORTUI_DB (set to wc by the fixture).
    assert run_cli("locate", "--json", db=None).json()["working_copy"] == str(wc)


# -- output discipline and exit codes -----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("show", APOTEK_OE, "--json"),
        ("show", APOTEK_GLN, "--json"),
        ("show", "019062", "--json"),
        ("search", "Værløse", "--json"),
        ("stats", "--json"),
        ("stats", "--on", "2009-01-01", "--json"),
        ("locate", "--json"),
        ("shak", "--json"),
    ],
)
def test_json_goes_alone_to_stdout(run_cli, sor_wc: Path, args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.code == 0, result.err
    json.loads(result.out)
    assert result.out.lstrip()[0] in "[{"


def test_import_reports_on_stderr_only(run_cli, wc: Path, sor_samples: list[Path]) -> None:
    result = run_cli("import", *sor_samples)
    assert result.code == 0
    assert result.out == ""
    assert "imported 4 rows (sor-xml)" in result.err and str(wc) in result.err


def test_usage_errors_exit_2(run_cli, sor_wc: Path, sor_samples: list[Path]) -> None:
    assert run_cli("show").code == 2
    assert run_cli("export", "--format", "pdf", "-o", "x.pdf").code == 2
    readonly = run_cli("--readonly", "import", sor_samples[0])
    assert readonly.code == 2 and "readonly" in readonly.err


# -- the real command, in a separate process -----------------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["SORTUI_DB"] = str(tmp_path / "env-default.sqlite")
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    env.pop("COLUMNS", None)
    return env


def _run(cmd: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, env=_env(tmp_path), timeout=60, check=False)


def test_python_m_sortui_exit_codes(tmp_path: Path, sor_wc: Path) -> None:
    base = [sys.executable, "-m", "sortui", "--db", str(sor_wc)]
    version = _run([sys.executable, "-m", "sortui", "--version"], tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("sortui ")

    found = _run([*base, "show", "019062", "--json"], tmp_path)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["sor_id"] == PRAKSIS_OE

    missing = _run([*base, "show", "99999999999"], tmp_path)
    assert missing.returncode == 1 and "not found" in missing.stderr

    bad = _run([*base, "import", str(tmp_path / "nope.xml")], tmp_path)
    assert bad.returncode == 2 and "nope.xml" in bad.stderr
    assert "Traceback" not in bad.stderr

    usage = _run([*base, "frobnicate"], tmp_path)
    assert usage.returncode == 2 and "usage" in usage.stderr


def _console_script() -> list[str]:
    """The installed ``sortui`` script, or (not installed) exactly what it runs, read from pyproject.toml."""
    here = Path(sys.executable).parent / "sortui"
    found = str(here) if here.is_file() else shutil.which("sortui")
    if found:
        return [found]
    with open(REPO / "pyproject.toml", "rb") as fh:
        target = tomllib.load(fh)["project"]["scripts"]["sortui"]
    module, _, func = target.partition(":")
    code = f"import sys; sys.argv[0] = 'sortui'; from {module} import {func}; sys.exit({func}())"
    return [sys.executable, "-c", code]


def test_console_script(tmp_path: Path, sor_wc: Path) -> None:
    script = _console_script()
    version = _run([*script, "--version"], tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("sortui ")
    stats = _run([*script, "--db", str(sor_wc), "stats", "--json"], tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["IE"] == 3
    assert _run([*script, "--db", str(sor_wc), "show", "nonsense"], tmp_path).returncode == 1
    assert _run([*script, "--db", str(sor_wc), "import", str(tmp_path)], tmp_path).returncode == 2


def test_import_reports_warnings_with_file_and_line(run_cli, tmp_path: Path) -> None:
    bad_check_digit = tmp_path / "warn.xml"
    bad_check_digit.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<SorTree xmlns="urn:oio:sundhedsstyrelsen:organisation:1.0.0">\n'
        "<InstitutionOwnerEntity><InstitutionOwner><SorIdentifier>347801000016002</SorIdentifier>"
        "<EntityName>X</EntityName></InstitutionOwner></InstitutionOwnerEntity></SorTree>\n",
        encoding="utf-8",
    )
    result = run_cli("import", bad_check_digit)
    assert result.code == 0
    assert f"{bad_check_digit}:3 (SorIdentifier): warning:" in result.err
    assert "Verhoeff" in result.err
