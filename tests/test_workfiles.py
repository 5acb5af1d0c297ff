"""The files an import keeps beside the working copy (store/workfiles.py): a held lock names a running
import, even when its lock file is garbled, and nothing of it is removed; its end removes every file."""

from __future__ import annotations

import os
from pathlib import Path

from sortui.store.workfiles import ImportLock, RunningImport, remove_stale, running_imports


def test_a_held_lock_is_a_running_import_and_its_end_removes_its_files(sor_wc: Path, tmp_path: Path) -> None:
    source = tmp_path / "sor.xml"
    with ImportLock(sor_wc, [source]) as lock:
        lock.path("tmp").write_bytes(b"staging")
        lock.path("rows.tmp").write_bytes(b"rows")
        [running] = running_imports(sor_wc)
        assert (running.pid, running.files) == (os.getpid(), ("sor.xml",))
        assert running.describe().startswith(f"an import of sor.xml (process {os.getpid()}, started ")
        assert remove_stale(sor_wc) == []  # held: not stale
        lock.path("lock").write_text("{not json", encoding="utf-8")
        assert running_imports(sor_wc) == [RunningImport(os.getpid(), "", ())]
        assert running_imports(sor_wc)[0].describe() == f"an import of files (process {os.getpid()}, started )"
        assert len(list(sor_wc.parent.iterdir())) == 4
    assert list(sor_wc.parent.iterdir()) == [sor_wc]
    assert running_imports(sor_wc) == []


def test_describe_names_at_most_three_files() -> None:
    running = RunningImport(4242, "2026-12-01T12:03:04", ("a.xml", "b.xml", "c.txt", "d.csv"))
    assert running.describe() == "an import of a.xml, b.xml, c.txt, … (process 4242, started 12:03:04)"


def test_a_leftover_of_this_very_process_is_kept(sor_wc: Path) -> None:
    mine = sor_wc.parent / f".{sor_wc.name}.import-{os.getpid()}.tmp"  # no lock: between two steps of an import
    mine.write_bytes(b"x")
    assert remove_stale(sor_wc) == [] and mine.exists()
