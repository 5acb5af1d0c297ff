"""Batch edits: ``sortui set --from FILE`` and ``sortui edi add --from-file FILE`` against a process per edit.

    python benchmarks/batch_bench.py [--entities 20000] [--edits 10000]

On a working copy of the generated set (``run.prepare``'s cache), times as whole processes:
``--edits`` field edits in one ``set --from`` (a name, a phone number or an e-mail address on
distinct units, some lines of one unit consecutive), the same number of message types added by one
``edi add --from-file``, and 20 single ``sortui set`` calls (the cost of a process per edit). Each
batch runs on a fresh copy of the imported working copy. Budget (issue 13): 10,000 edits ≤ 10 s.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import CACHE, REPO, prepare

SORTUI = [sys.executable, "-m", "sortui"]
FIELDS = ("name", "contact.phone", "contact.email")


def _run(db: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([*SORTUI, "--db", str(db), *args], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def set_file(db: Path, edits: int, path: Path) -> int:
    """``edits`` lines of key,field,value: up to three fields of each unit, its lines consecutive."""
    with closing(sqlite3.connect(db)) as conn:
        units = [r[0] for r in conn.execute("SELECT sor_id FROM entity WHERE to_date IS NULL ORDER BY sor_id")]
    lines = ["key,field,value"]
    for i in range(edits):
        sor_id, field = units[(i // 3) % len(units)], FIELDS[i % 3]
        value = {"name": f"Enhed {i}", "contact.phone": f"{30000000 + i}", "contact.email": f"e{i}@example.dk"}[field]
        lines.append(f"{sor_id},{field},{value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len({ln.split(",")[0] for ln in lines[1:]})


def edi_file(db: Path, edits: int, path: Path) -> None:
    """``edits`` lines of gln,message: message types the numbers do not have yet."""
    with closing(sqlite3.connect(db)) as conn:
        glns = [r[0] for r in conn.execute("SELECT gln FROM location ORDER BY gln")]
        urns = [r[0] for r in conn.execute("SELECT urn FROM message_definition ORDER BY urn")]
        have = set(conn.execute("SELECT gln, message_urn FROM location_message"))
    lines = ["gln,message"]
    pairs = ((g, u) for u in urns for g in glns if (g, u) not in have)
    for _, (gln, urn) in zip(range(edits), pairs, strict=False):
        lines.append(f"{gln},{urn}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--edits", type=int, default=10_000)
    args = parser.parse_args(argv)
    run = prepare(args.entities, CACHE)
    base = run.imported()
    rows = []
    db = run.work / "batch.sqlite"

    def fresh() -> Path:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        shutil.copy(base, db)
        return db

    units = set_file(base, args.edits, run.work / "set.csv")
    rows.append(
        (
            f"set --from: {args.edits:,} edits of {units:,} units",
            _run(fresh(), "set", "--from", str(run.work / "set.csv")),
        )
    )
    edi_file(base, args.edits, run.work / "edi.csv")
    rows.append(
        (
            f"edi add --from-file: {args.edits:,} message types",
            _run(fresh(), "edi", "add", "--from-file", str(run.work / "edi.csv")),
        )
    )
    fresh()
    with closing(sqlite3.connect(db)) as conn:
        units20 = [r[0] for r in conn.execute("SELECT sor_id FROM entity WHERE to_date IS NULL LIMIT 20")]
    singles = [_run(db, "set", sid, f"name=Enhed {i}") for i, sid in enumerate(units20)]
    per_edit = statistics.median(singles)
    rows.append(("one `sortui set` per edit: median of 20", per_edit))
    rows.append((f"  … extrapolated to {args.edits:,} edits", per_edit * args.edits))
    print(f"{args.entities:,} entities ({base})")
    print("| batch | wall (s) |\n|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
