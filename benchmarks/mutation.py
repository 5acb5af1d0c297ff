"""Mutation testing of the modules where a silent bug costs most, and the score per module.

    pip install -e '.[test,quality]'
    python benchmarks/mutation.py                      # run (resumes where a run stopped), then the table
    python benchmarks/mutation.py --report             # only the table of the last run
    python benchmarks/mutation.py 'sortui.server.rights*'  # some mutants only
    python benchmarks/mutation.py --sample 100         # the same random 100 of each module, run, then scored
    python benchmarks/mutation.py --sample 100 'sortui.store.importer*'  # that sample of one module
    python benchmarks/mutation.py --report --sample 100  # only the sample's table

mutmut (configured in pyproject.toml, ``[tool.mutmut]``) copies the package and the tests into
``mutants/``, changes one thing at a time in the functions of the listed modules, and runs the
tests that reach the function. A mutant the tests do not notice "survived": either a test is
missing, or the change does not matter (benchmarks/README.md lists the survivors and why each is
harmless). Not in CI: a full run takes hours on 2 cores.

A sample is a fixed random choice (``--seed``) of mutants from each module, among all of them: its
score estimates the module's, with a 95 % interval (Wilson). Running it tests again the mutants of
the sample that were not killed before (tests may have been added since) and those not run yet.
Sampling needs the mutants made: a run that was started once, even if stopped, has made them.
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import math
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
# "    sortui.store.journal.x__undo__mutmut_3: survived" (a method's name has ǁ between class and method)
_RESULT = re.compile(r"^\s*(?P<full>(?P<name>[\w.ǁ]+)__mutmut_\d+): (?P<status>[\w ]+)$")
_KILLED = ("killed", "caught by type check")
_SQL_CASE = "equivalent (SQL case)"


def run(mutants: list[str], children: int) -> int:
    # The service in a thread of the tests' process, where mutmut switches the mutant on.
    env = {**os.environ, "SORTUI_TEST_SAMPLES": str(SAMPLES), "SORTUI_TEST_SERVICE": "thread"}
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(children), *mutants]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


class Result(NamedTuple):
    name: str  # the mutant's full name
    module: str
    function: str
    status: str


def results() -> list[Result]:
    """Every mutant and its status in the last run; a survivor that only changes the case of SQL is
    "equivalent (SQL case)"."""
    out = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = []
    sql_case = sql_case_mutants()
    for line in out.splitlines():
        match = _RESULT.match(line)
        if match:
            module, _, function = match["name"].partition(".x")
            status = match["status"].strip()
            if status == "survived" and match["full"] in sql_case:
                status = _SQL_CASE
            rows.append(Result(match["full"], module, function.lstrip("_ǁ"), status))
    return rows


def sample(rows: list[Result], per_module: int, seed: int) -> list[Result]:
    """The same random ``per_module`` mutants of each module for the same ``seed`` (all of a smaller one)."""
    by_module: dict[str, list[Result]] = defaultdict(list)
    for row in rows:
        by_module[row.module].append(row)
    chosen: list[Result] = []
    for module, found in sorted(by_module.items()):
        found.sort()
        chosen += random.Random(f"{seed}:{module}").sample(found, min(per_module, len(found)))
    return chosen


def _named(name: str, globs: list[str]) -> bool:
    return not globs or any(fnmatch.fnmatchcase(name, glob) for glob in globs)


def to_test_again(rows: list[Result]) -> list[str]:
    """The mutants that tests added since could now kill, or that were never run."""
    return [r.name for r in rows if r.status not in (*_KILLED, "timeout", _SQL_CASE)]


# SQL is read without regard to case, but for quoted literals and identifiers (SQLite; PostgreSQL folds
# unquoted names): a mutant that only changes the case of an SQL string outside its quotes, or of a
# table's or column's name on its way into one (``for table in ("address", ...)``), is equivalent.
_SQL_CALLS = frozenset(
    {"execute", "executemany", "executescript", "exec_driver_sql", "text", "entries_where", "insert_sql"}
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def sql_case_mutants(root: Path = ROOT) -> set[str]:
    """The mutants (full names) that only change the case of SQL (``_only_sql_case``)."""
    found: set[str] = set()
    names = sql_names()
    for path in (root / "mutants").rglob("*.py.meta"):
        source = path.with_suffix("")
        module = ".".join(source.relative_to(root / "mutants").with_suffix("").parts)
        functions = {
            node.name: node
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name
        }
        for name, node in functions.items():
            base, _, number = name.rpartition("__mutmut_")
            orig = functions.get(f"{base}__mutmut_orig")
            if number.isdigit() and orig is not None and _only_sql_case(orig, node, names):
                found.add(f"{module}.{name}")
    return found


def _only_sql_case(orig: ast.AST, mutant: ast.AST, names: frozenset[str] = frozenset()) -> bool:
    """Whether ``mutant`` only changes the letter case of SQL: of a statement outside its quotes, or of
    one of ``names`` (the tables and columns) held as a plain value (not compared, not a key) that
    reaches SQL through a variable."""
    before, after = _strings(orig), _strings(mutant)
    if len(before) != len(after) or _shape(orig) != _shape(mutant):
        return False
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a[0] != b[0]]
    if len(changed) != 1:
        return False
    (text, in_sql, plain), (new, _, _) = changed[0]
    if text.lower() != new.lower():
        return False
    if in_sql:
        return _QUOTED.findall(text) == _QUOTED.findall(new)
    return plain and text in names


def _strings(tree: ast.AST) -> list[tuple[str, bool, bool]]:
    """Each string constant of ``tree`` in order, whether it is (part of) an SQL call's argument, and
    whether it is a plain value (not compared, not a dictionary's key or an index)."""
    out: list[tuple[str, bool, bool]] = []

    def visit(node: ast.AST, in_sql: bool, plain: bool = True) -> None:
        if isinstance(node, ast.Call):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            for arg in node.args:
                visit(arg, in_sql or callee in _SQL_CALLS)
            for keyword in node.keywords:
                visit(keyword.value, in_sql)
            visit(node.func, in_sql)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.value, in_sql, plain))
        for child in ast.iter_child_nodes(node):
            # " OR ".join(...) inside a statement is part of it
            joined = isinstance(node, ast.Attribute) and node.attr == "join"
            keeps = isinstance(node, ast.JoinedStr | ast.BinOp | ast.FormattedValue) or joined
            visit(child, in_sql and keeps, plain and not _keyed(node, child))

    visit(tree, False)
    return out


def _keyed(node: ast.AST, child: ast.AST) -> bool:
    """Whether ``child`` is compared, or used as a key or index, in ``node``."""
    if isinstance(node, ast.Compare):
        return True
    if isinstance(node, ast.Dict):
        return any(child is key for key in node.keys)
    return isinstance(node, ast.Subscript) and child is node.slice


def sql_names() -> frozenset[str]:
    """The tables and columns of the working copy and of the service's database."""
    sys.path.insert(0, str(ROOT))
    from sortui.server.schema import METADATA
    from sortui.store.schema import WorkingCopyModel

    tables = [*METADATA.tables.values(), *WorkingCopyModel.metadata.tables.values()]
    return frozenset({t.name for t in tables} | {c.name for t in tables for c in t.columns})


def _shape(tree: ast.AST) -> str:
    """``tree`` with its name and its string constants left out."""
    dumped = ast.dump(tree, include_attributes=False)
    return re.sub(
        r"Constant\(value='(?:[^'\\]|\\.)*'\)|Constant\(value=\"(?:[^\"\\]|\\.)*\"\)|name='[^']*'", "", dumped
    )


def report(rows: list[Result]) -> None:
    """The score of each module over the mutants tested (those not yet run are counted apart)."""
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        by_module[row.module][row.status] += 1
    print(
        "| module | mutants tested | killed | survived | equivalent (SQL case) | timeout | no tests | not run yet"
        " | killed % (95 % interval) | killed % of the non-equivalent |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    total: Counter[str] = Counter()
    for module in sorted(by_module):
        counts = by_module[module]
        total.update(counts)
        print(_row(module, counts))
    print(_row("**all**", total))
    survivors = Counter(
        (r.module, r.function, r.status) for r in rows if r.status not in (*_KILLED, _SQL_CASE, "not checked")
    )
    if survivors:
        print("\nNot killed (module, function: status × how many):")
        for (module, function, status), n in sorted(survivors.items()):
            print(f"- {module} {function}: {status} × {n}")


def _row(name: str, counts: Counter[str]) -> str:
    n = sum(counts.values()) - counts["not checked"]
    killed = sum(counts[s] for s in _KILLED) + counts["timeout"]  # a mutant that hangs the tests is caught
    share = f"{100 * killed / n:.1f} ({_wilson(killed, n)})" if n else "-"
    rest = n - counts[_SQL_CASE]
    share_of_rest = f"{100 * killed / rest:.1f}" if rest else "-"
    return (
        f"| {name} | {n} | {sum(counts[s] for s in _KILLED)} | {counts['survived']} | {counts[_SQL_CASE]}"
        f" | {counts['timeout']} | {counts['no tests']} | {counts['not checked']} | {share} | {share_of_rest} |"
    )


def _wilson(k: int, n: int, z: float = 1.96) -> str:
    """The 95 % Wilson interval of the share ``k`` of ``n``, in per cent."""
    p, spread = k / n, z * z / n
    centre = (p + spread / 2) / (1 + spread)
    half = z * math.sqrt(p * (1 - p) / n + spread / (4 * n)) / (1 + spread)
    return f"{100 * (centre - half):.0f}-{100 * (centre + half):.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mutants", nargs="*", help="mutant names or globs (default: all)")
    parser.add_argument("--report", action="store_true", help="only print the table of the last run")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2, help="mutants tested at once")
    parser.add_argument("--sample", type=int, metavar="N", help="only N random mutants of each module")
    parser.add_argument("--seed", type=int, default=19, help="which random sample (default: %(default)s)")
    args = parser.parse_args(argv)
    if not SAMPLES.is_dir():
        print(f"the sample files are not at {SAMPLES}", file=sys.stderr)
        return 2
    if args.sample is None:
        if not args.report:
            run(args.mutants, args.children)
        report(results())
        return 0
    chosen = [r for r in sample(results(), args.sample, args.seed) if _named(r.name, args.mutants)]
    if not chosen:
        print("no mutants made yet: start a run (python benchmarks/mutation.py) and stop it", file=sys.stderr)
        return 2
    if not args.report and (names := to_test_again(chosen)):
        run(names, args.children)
    chosen_names = {r.name for r in chosen}
    report([r for r in results() if r.name in chosen_names])
    return 0


if __name__ == "__main__":
    sys.exit(main())
