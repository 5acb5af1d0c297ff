"""Mutation testing of the modules where a silent bug costs most, and the score per module.

    pip install -e '.[test,quality]'
    python benchmarks/mutation.py                      # run (resumes where a run stopped), then the table
    python benchmarks/mutation.py --report             # only the table of the last run
    python benchmarks/mutation.py 'sortui.server.rights*'  # some mutants only

mutmut (configured in pyproject.toml, ``[tool.mutmut]``) copies the package and the tests into
``mutants/``, changes one thing at a time in the functions of the listed modules, and runs the
tests that reach the function. A mutant the tests do not notice "survived": either a test is
missing, or the change does not matter (benchmarks/README.md lists the survivors and why each is
harmless). Not in CI: a full run takes hours on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
# "    sortui.store.journal.x__undo__mutmut_3: survived" (a method's name has ǁ between class and method)
_RESULT = re.compile(r"^\s*(?P<name>[\w.ǁ]+)__mutmut_\d+: (?P<status>[\w ]+)$")
_KILLED = ("killed", "caught by type check")


def run(mutants: list[str], children: int) -> int:
    # The service in a thread of the tests' process, where mutmut switches the mutant on.
    env = {**os.environ, "SORTUI_TEST_SAMPLES": str(SAMPLES), "SORTUI_TEST_SERVICE": "thread"}
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *mutants]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


def results() -> list[tuple[str, str, str]]:
    """(module, function, status) of every mutant of the last run."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = []
    for line in out.splitlines():
        match = _RESULT.match(line)
        if match:
            module, _, function = match["name"].partition(".x")
            rows.append((module, function.lstrip("_ǁ"), match["status"].strip()))
    return rows


def report(rows: list[tuple[str, str, str]]) -> None:
    """The score of each module over the mutants tested (those not yet run are counted apart)."""
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for module, _, status in rows:
        by_module[module][status] += 1
    print("| module | mutants tested | killed | survived | timeout | no tests | not run yet | killed % |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    total: Counter[str] = Counter()
    for module in sorted(by_module):
        counts = by_module[module]
        total.update(counts)
        print(_row(module, counts))
    print(_row("**all**", total))
    survivors = Counter((m, f, s) for m, f, s in rows if s not in (*_KILLED, "not checked"))
    if survivors:
        print("\nNot killed (module, function: status × how many):")
        for (module, function, status), n in sorted(survivors.items()):
            print(f"- {module} {function}: {status} × {n}")


def _row(name: str, counts: Counter[str]) -> str:
    n = sum(counts.values()) - counts["not checked"]
    killed = sum(counts[s] for s in _KILLED) + counts["timeout"]  # a mutant that hangs the tests is caught
    share = f"{100 * killed / n:.1f}" if n else "-"
    return (
        f"| {name} | {n} | {sum(counts[s] for s in _KILLED)} | {counts['survived']} | {counts['timeout']}"
        f" | {counts['no tests']} | {counts['not checked']} | {share} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mutants", nargs="*", help="mutant names or globs (default: all)")
    parser.add_argument("--report", action="store_true", help="only print the table of the last run")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    args = parser.parse_args(argv)
    if not SAMPLES.is_dir():
        print(f"the sample files are not at {SAMPLES}", file=sys.stderr)
        return 2
    if not args.report:
        run(args.mutants, args.children)
    report(results())
    return 0


if __name__ == "__main__":
    sys.exit(main())
