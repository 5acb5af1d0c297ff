"""Cold start of each command class as whole processes, against a bare Python start in the same run.

    python benchmarks/startup_bench.py [--db WORKING_COPY] [--runs 10]

Prints a table of medians (and the fastest run) of ``--runs`` starts each: a bare
``python -c "import sqlite3"``, the lookups (``show``, ``search``, ``stats``, ``changes``), ``--help``,
and the app to its first usable screen (the tree's top level painted, read through a pseudo-terminal
by ``ui_app.PtyApp``). Without ``--db`` it measures the demo's working copy (made if missing).
Budgets (issue 13): ``show`` ≤ 150 ms and ≤ 8× the bare start; the app's first screen ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ui_app import COLUMNS, LINES, REPO, TREE_ICON, PtyApp

# As installed: pip compiles the bytecode, so a start reads it and compiles nothing (an environment
# that sets PYTHONDONTWRITEBYTECODE would compile every module on every start, several times slower).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _process_s(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of a run of ``argv``; CPU time is what a loaded machine changes least."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO, env=ENV)
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def _app_s(db: Path) -> tuple[float, float]:
    env = dict(ENV, TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES))
    env.pop("TEXTUAL", None)
    app = PtyApp([sys.executable, "-m", "sortui", "--readonly", "--db", str(db)], env)
    try:
        return app.wait_for(TREE_ICON) - app.started, float("nan")
    finally:
        app.close()


def _a_key(db: Path) -> tuple[str, str]:
    """A SOR-kode and a word of a name to look up."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        sor_id, name = conn.execute("SELECT sor_id, name FROM entity ORDER BY sor_id LIMIT 1 OFFSET 7").fetchone()
    return sor_id, name.split()[0]


def commands(db: Path) -> dict[str, Callable[[], tuple[float, float]]]:
    py, sortui = sys.executable, [sys.executable, "-m", "sortui", "--db", str(db)]
    key, word = _a_key(db)
    return {
        'bare python -c "import sqlite3"': lambda: _process_s([py, "-c", "import sqlite3"]),
        f"sortui show {key}": lambda: _process_s([*sortui, "show", key]),
        f"sortui search {word}": lambda: _process_s([*sortui, "search", word]),
        "sortui stats": lambda: _process_s([*sortui, "stats"]),
        "sortui changes": lambda: _process_s([*sortui, "changes"]),
        "sortui --help": lambda: _process_s([*sortui, "--help"]),
        "app: first usable screen": lambda: _app_s(db),
    }


def measure(db: Path, runs: int) -> list[tuple[str, float, float, float]]:
    """(what, median wall, fastest wall, median CPU) in seconds; the commands take turns, so that load
    is shared fairly."""
    timed = commands(db)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in timed}
    for run in timed.values():
        run()  # warm the file cache and write the bytecode
    for _ in range(runs):
        for name, run in timed.items():
            samples[name].append(run())
    return [
        (name, statistics.median(w for w, _ in s), min(w for w, _ in s), statistics.median(c for _, c in s))
        for name, s in samples.items()
    ]


def table(rows: list[tuple[str, float, float, float]]) -> str:
    bare, bare_cpu = rows[0][1], rows[0][3]
    lines = [
        "| start | median wall (ms) | fastest (ms) | × bare | median CPU (ms) | CPU × bare |",
        "|---|---|---|---|---|---|",
    ]
    for name, median, fastest, cpu in rows:
        cpu_cells = "– | –" if cpu != cpu else f"{cpu * 1000:.0f} | {cpu / bare_cpu:.1f}×"
        lines.append(f"| {name} | {median * 1000:.0f} | {fastest * 1000:.0f} | {median / bare:.1f}× | {cpu_cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="working copy (default: the demo's)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    if args.db is None:
        from sortui.generator.demo import ensure_demo
        from sortui.paths import demo_db_path

        args.db = demo_db_path()
        ensure_demo(args.db)
    with closing(sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)) as conn:
        units = conn.execute("SELECT count(*) FROM entity").fetchone()[0]
    print(f"{args.db} ({units:,} units), median of {args.runs}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(table(measure(args.db, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
