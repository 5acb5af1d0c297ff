"""Nothing from data reaches a terminal raw: the real ``sortui`` process run in a pseudo-terminal on a
working copy with hostile names planted in it (escape sequences, C1 controls, bidi overrides, line
breaks), its output read as the terminal receives it."""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import sqlite3
import struct
import subprocess
import sys
import termios
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO

from sortui.store import db, journal, review
from sortui.store.search_index import rebuild_search
from sortui.sync import state

UNIT = "347831000016005"  # an OE of the samples (Roskilde Øjenklinik)
# Retitles the terminal (OSC 0, ended by BEL), clears the screen, colours what follows, the 8-bit CSI,
# a right-to-left override (what follows reads backwards) and a line break and carriage return that
# would forge a line of output.
HOSTILE = "Evil\x1b]0;PWNED\x07\x1b[2J\x1b[31m red\x9b1m\u202etxt.exe\nsaved #99 fake\rX"
SHOWN = "Evil␛]0;PWNED␇␛[2J␛[31m red\ufffd1m\ufffdtxt.exe␊saved #99 fake␍X"
# What must never appear in what the terminal receives (rich's own styles are ESC [ ... m, never these).
RAW_IN_THE_APP = ("\x1b]0;PWNED", "\x1b[2J", "\x1b[31m red", "\x9b", "\u202e", "\nsaved #99", "fake\rX")
RAW = (*RAW_IN_THE_APP, "\x07")


@dataclass
class Terminal:
    code: int
    text: str  # what the terminal received, decoded


def run_in_terminal(
    args: list[str], env: dict[str, str], keys: list[tuple[str, str]] = (), deadline: float = 90
) -> Terminal:
    """Run ``python -m sortui ARGS`` on an 80×24 pseudo-terminal; each of ``keys`` is (wait for this in
    the output, then type this). Returns the exit code and everything written to the terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sortui", *args], stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO
    )
    os.close(slave)
    received = b""
    pending = list(keys)
    give_up = time.monotonic() + deadline  # only against a hang; nothing here measures speed
    try:
        while time.monotonic() < give_up:
            if pending and pending[0][0] in received.decode("utf-8", "replace"):
                os.write(master, pending.pop(0)[1].encode())
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not chunk:
                    break
                received += chunk
            elif proc.poll() is not None:
                break
        else:
            raise AssertionError(
                f"sortui {args} did not finish (still to type: {pending}); it wrote: {received[-2000:]!r}"
            )
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        os.close(master)
    return Terminal(code, received.decode("utf-8", "replace"))


def assert_nothing_raw(result: Terminal) -> None:
    for raw in RAW:
        assert raw not in result.text, f"{raw!r} reached the terminal: {result.text!r}"
    assert "Traceback" not in result.text


@pytest.fixture
def hostile_wc(full_wc: Path) -> Path:
    """The samples and SHAK, with a unit named HOSTILE (its note and SHAK code too), a journal entry, a
    conflict, a review session and a snapshot file name made of it."""
    with closing(db.open_working_copy(full_wc)) as conn, conn:
        conn.execute(
            "UPDATE entity SET name = ?, note = ?, shak_code = '2529999' WHERE sor_id = ?", (HOSTILE, HOSTILE, UNIT)
        )
        rebuild_search(conn)
        entry = journal.record_entry(conn, "entity", UNIT, "set", "name", "Afsnit", HOSTILE, 1)
        conflict = state.Conflict(0, entry.id, "entity", UNIT, "name", HOSTILE, HOSTILE, HOSTILE, 1, 2, "2024-06-01")
        state.record_conflict(conn, conflict)
        conn.execute("UPDATE snapshot SET source_file = ? WHERE rowid = (SELECT min(rowid) FROM snapshot)", (HOSTILE,))
    with closing(db.open_working_copy(full_wc)) as conn:
        review.start(conn, HOSTILE, "2024-06-01", subtree=UNIT)
    return full_wc


@pytest.fixture
def terminal_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SORTUI_DB", "NO_COLOR", "COLUMNS", "LINES")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["TERM"] = "xterm-256color"
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    return env


@pytest.mark.parametrize(
    "command",
    [
        ("show", UNIT),
        ("search", "Evil"),
        ("changes",),
        ("conflicts",),
        ("review", "list"),
        ("stats",),
        ("check", "shak", "--on", "2010-01-26"),
    ],
)
def test_text_output_shows_hostile_names_as_symbols(
    hostile_wc: Path, terminal_env: dict[str, str], command: tuple[str, ...]
) -> None:
    result = run_in_terminal(["--db", str(hostile_wc), *command], terminal_env)
    assert result.code == 0, result.text
    assert_nothing_raw(result)
    if command[0] == "search":  # a hit is one line of the terminal's 80 columns: a long name is cut
        assert SHOWN[:30] in result.text and "…" in result.text
    else:
        assert SHOWN in result.text  # shown whole, on one line, every control as a visible symbol


@pytest.mark.parametrize(
    ("command", "found"),
    [
        (("show", UNIT, "--json"), lambda data: data["name"]),
        (("search", "Evil", "--json"), lambda data: data["hits"][0]["name"]),
        (("changes", "--json"), lambda data: data[0]["new"]),
        (("conflicts", "--json"), lambda data: data[0]["server"]),
        (("review", "list", "--json"), lambda data: data[0]["name"]),
    ],
)
def test_json_output_escapes_what_a_terminal_would_obey(
    hostile_wc: Path, terminal_env: dict[str, str], command: tuple[str, ...], found: object
) -> None:
    result = run_in_terminal(["--db", str(hostile_wc), *command], terminal_env)
    assert result.code == 0, result.text
    assert_nothing_raw(result)
    assert found(json.loads(result.text.replace("\r\n", "\n"))) == HOSTILE  # type: ignore[operator]  # lossless


def test_the_saved_line_and_messages_quoting_data(hostile_wc: Path, terminal_env: dict[str, str]) -> None:
    saved = run_in_terminal(["--db", str(hostile_wc), "set", UNIT, "note=ren"], terminal_env)
    assert saved.code == 0, saved.text
    assert_nothing_raw(saved)
    assert f"saved #2: {UNIT} Note: {SHOWN} → ren" in saved.text

    missing = run_in_terminal(["--db", str(hostile_wc), "show", HOSTILE.replace("\n", " ")], terminal_env)
    assert missing.code == 1
    assert_nothing_raw(missing)
    assert "not found" in missing.text and "␛]0;PWNED␇" in missing.text

    usage = run_in_terminal(["--db", str(hostile_wc), "stats", HOSTILE], terminal_env)  # argparse quotes it
    assert usage.code == 2
    assert_nothing_raw(usage)
    assert "unrecognized arguments" in usage.text and "␛]0;PWNED␇" in usage.text

    located = run_in_terminal(["--db", str(hostile_wc.parent / HOSTILE), "locate"], terminal_env)
    assert located.code == 0
    assert_nothing_raw(located)
    assert "␛]0;PWNED␇" in located.text


def test_import_of_a_file_with_a_hostile_name(
    tmp_path: Path, sor_samples: list[Path], terminal_env: dict[str, str]
) -> None:
    hostile_file = tmp_path / "Evil\x1b]0;PWNED\x07\u202eonly.xml"
    shutil.copyfile(sor_samples[0], hostile_file)
    result = run_in_terminal(["--db", str(tmp_path / "new.sqlite"), "import", str(hostile_file)], terminal_env)
    assert result.code == 0, result.text
    assert_nothing_raw(result)
    assert "Evil␛]0;PWNED␇\ufffdonly.xml" in result.text


def test_the_app_draws_hostile_names_as_symbols(hostile_wc: Path, terminal_env: dict[str, str]) -> None:
    # Once the tree has loaded, go to the unit; once it is drawn, quit.
    keys = [("institutionsejere", ":"), ("SOR id, location number (GLN)", f"{UNIT}\r"), ("PWNED", "q")]
    result = run_in_terminal(["--db", str(hostile_wc)], terminal_env, keys)
    assert result.code == 0, result.text[-2000:]
    for raw in (*RAW_IN_THE_APP, "PWNED\x07"):  # Textual itself sends BEL (ending its own OSC 22)
        assert raw not in result.text
    assert "␛]0;PWNED␇" in result.text
    with closing(sqlite3.connect(hostile_wc)) as conn:  # shown, never changed
        assert conn.execute("SELECT name FROM entity WHERE sor_id = ?", (UNIT,)).fetchone() == (HOSTILE,)
