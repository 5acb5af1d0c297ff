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
import ast
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

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


def results() -> list[tuple[str, str, str]]:
    """(module, function, status) of every mutant of the last run; a survivor that only changes the
    case of SQL is "equivalent (SQL case)"."""
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
            rows.append((module, function.lstrip("_ǁ"), status))
    return rows


# SQL is read without regard to case, but for quoted literals and identifiers (SQLite; PostgreSQL folds
# unquoted names): a mutant that only changes the case of an SQL string outside its quotes is equivalent.
_SQL_CALLS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql", "text", "entries_where", "insert_sql"})
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def sql_case_mutants(root: Path = ROOT) -> set[str]:
    """The mutants (full names) that only change the case of an SQL statement outside its quotes."""
    found: set[str] = set()
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
            if number.isdigit() and orig is not None and _only_sql_case(orig, node):
                found.add(f"{module}.{name}")
    return found


def _only_sql_case(orig: ast.AST, mutant: ast.AST) -> bool:
    before, after = _strings(orig), _strings(mutant)
    if len(before) != len(after) or _shape(orig) != _shape(mutant):
        return False
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a[0] != b[0]]
    if len(changed) != 1:
        return False
    (text, in_sql), (new, _) = changed[0]
    return in_sql and text.lower() == new.lower() and _QUOTED.findall(text) == _QUOTED.findall(new)


def _strings(tree: ast.AST) -> list[tuple[str, bool]]:
    """Each string constant of ``tree`` in order, and whether it is (part of) an SQL call's argument."""
    out: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_sql: bool) -> None:
        if isinstance(node, ast.Call):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            for arg in node.args:
                visit(arg, in_sql or callee in _SQL_CALLS)
            for keyword in node.keywords:
                visit(keyword.value, in_sql)
            visit(node.func, in_sql)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.value, in_sql))
        for child in ast.iter_child_nodes(node):
            visit(child, in_sql and isinstance(node, ast.JoinedStr | ast.BinOp | ast.FormattedValue))

    visit(tree, False)
    return out


def _shape(tree: ast.AST) -> str:
    """``tree`` with its name and its string constants left out."""
    dumped = ast.dump(tree, include_attributes=False)
    return re.sub(
        r"Constant\(value='(?:[^'\\]|\\.)*'\)|Constant\(value=\"(?:[^\"\\]|\\.)*\"\)|name='[^']*'", "", dumped
    )


def report(rows: list[tuple[str, str, str]]) -> None:
    """The score of each module over the mutants tested (those not yet run are counted apart)."""
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for module, _, status in rows:
        by_module[module][status] += 1
    print(
        "| module | mutants tested | killed | survived | equivalent (SQL case) | timeout | no tests | not run yet"
        " | killed % | killed % of the non-equivalent |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    total: Counter[str] = Counter()
    for module in sorted(by_module):
        counts = by_module[module]
        total.update(counts)
        print(_row(module, counts))
    print(_row("**all**", total))
    survivors = Counter((m, f, s) for m, f, s in rows if s not in (*_KILLED, _SQL_CASE, "not checked"))
    if survivors:
        print("\nNot killed (module, function: status × how many):")
        for (module, function, status), n in sorted(survivors.items()):
            print(f"- {module} {function}: {status} × {n}")


def _row(name: str, counts: Counter[str]) -> str:
    n = sum(counts.values()) - counts["not checked"]
    killed = sum(counts[s] for s in _KILLED) + counts["timeout"]  # a mutant that hangs the tests is caught
    share = f"{100 * killed / n:.1f}" if n else "-"
    rest = n - counts[_SQL_CASE]
    share_of_rest = f"{100 * killed / rest:.1f}" if rest else "-"
    return (
        f"| {name} | {n} | {sum(counts[s] for s in _KILLED)} | {counts['survived']} | {counts[_SQL_CASE]}"
        f" | {counts['timeout']} | {counts['no tests']} | {counts['not checked']} | {share} | {share_of_rest} |"
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
