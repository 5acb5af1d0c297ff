"""Diff figures (issue 16): two snapshots of the generated register compared, and what an import pays to record it.

``fig_diff(run)`` (called by ``benchmarks/run.py``) measures, at the harness's scale:

- ``diff_same_s``: ``sortui diff sor.xml sor.xml --json`` as a subprocess (nothing changed);
- ``diff_s``, ``diff_cpu_s``, ``diff_rss_all_mb``: against "the next day's" file, a copy of
  ``sor.xml`` with a unit in 200 renamed, one in 500 closed and one top-level owner in 1,000 removed;
  budget ≤ 10 s at 200,000 entities, bounded memory;
- ``diff_changes``: the changes it found;
- ``diff_record_s``: what an import of the next day's file into the working copy of ``sor.xml``
  spends comparing the two (``store.diff.compare`` on the very same files, in-process).

Run alone: ``python benchmarks/diff_bench.py [ENTITIES]``.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from lxml import etree  # noqa: E402
from run import Measured, Run, measure_process  # noqa: E402

from sortui.formats.sorxml_names import SOR_NS  # noqa: E402

RENAME_EVERY, CLOSE_EVERY, DROP_OWNER_EVERY = 200, 500, 1000
NEXT_NAME = "sor-next.xml"


def _q(local: str) -> str:
    return f"{{{SOR_NS}}}{local}"


def write_next_day(source: Path, target: Path) -> None:
    """A copy of ``source`` with units renamed and closed and owners removed, streamed owner by owner."""
    records = (_q("InstitutionOwner"), _q("HealthInstitution"), _q("OrganizationalUnit"))
    owner_tag, count, owners = _q("InstitutionOwnerEntity"), 0, 0
    context = etree.iterparse(str(source), events=("start", "end"))
    with etree.xmlfile(str(target), encoding="utf-8") as out, contextlib.ExitStack() as stack:
        out.write_declaration()
        root = None
        for event, el in context:
            if root is None:
                root = el
                stack.enter_context(out.element(root.tag, nsmap=root.nsmap))
                continue
            if event != "end" or el.getparent() is not root:
                continue
            if el.tag == owner_tag:
                owners += 1
                if owners % DROP_OWNER_EVERY == 0:
                    el.clear()
                    continue
                for record in el.iter(*records):
                    count += 1
                    if count % RENAME_EVERY == 0:
                        name = record.find(_q("EntityName"))
                        name.text = (name.text or "")[:50] + " (ny)"
                    status = record.find(_q("SorStatus"))
                    if count % CLOSE_EVERY == 0 and status is not None and status.find(_q("ToDate")) is None:
                        from_date = status.find(_q("FromDate"))
                        to_date = etree.Element(_q("ToDate"))
                        to_date.text = from_date.text  # closed the day it took effect: never before it
                        from_date.addnext(to_date)
            out.write(el)
            el.clear()
            while el.getprevious() is not None:
                del root[0]


def next_day(run: Run) -> Path:
    """The next day's file beside the generated one (made once per generated set)."""
    target = run.data / NEXT_NAME
    if not target.exists():
        started = time.perf_counter()
        write_next_day(run.xml, target.with_suffix(".tmp"))
        target.with_suffix(".tmp").replace(target)
        print(f"wrote the next day's file in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return target


def _diff(run: Run, old: Path, new: Path) -> Measured:
    got = measure_process([sys.executable, "-m", "sortui", "diff", str(old), str(new), "--json"])
    if got.code not in (0, 1):
        raise RuntimeError(f"diff failed ({got.code}): {got.stderr}")
    return got


def fig_diff(run: Run) -> None:
    new = next_day(run)
    same = _diff(run, run.xml, run.xml)
    run.values["diff_same_s"] = same.wall_s
    changed = _diff(run, run.xml, new)
    run.values["diff_s"] = changed.wall_s
    run.values["diff_cpu_s"] = changed.cpu_s
    run.values["diff_rss_all_mb"] = changed.rss_all_mb
    run.values["diff_record_s"], run.values["diff_changes"] = _record(run, new)


def _record(run: Run, new: Path) -> tuple[float, int]:
    """The comparison an import of ``new`` into the working copy of ``sor.xml`` runs before its swap."""
    from sortui.store import db, diff
    from sortui.store.importer import import_files

    old_db = run.imported()
    new_db = run.work / "next.sqlite"
    shutil.copyfile(old_db, new_db)
    import_files(new_db, [new])
    conn = db.connect(new_db)
    try:
        conn.execute("ATTACH DATABASE ? AS old", (str(old_db),))
        started = time.perf_counter()
        with conn:
            diff.compare(conn, "old", "main", diff.GROUPS)
        elapsed = time.perf_counter() - started
        return elapsed, sum(diff.change_counts(conn).values())
    finally:
        conn.close()


if __name__ == "__main__":
    from run import main

    entities = sys.argv[1] if len(sys.argv) > 1 else "200000"
    sys.exit(main(["--entities", entities, "--figures", "diff"]))
