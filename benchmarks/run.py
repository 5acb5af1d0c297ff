"""Benchmark harness: ``python benchmarks/run.py [--entities N | --scales 20000,200000,600000]``.

For each scale it generates a file set once into ``benchmarks/.cache/`` (reused while the
generator and writers are unchanged), imports ``sor.xml`` with the real CLI in a subprocess and
measures the figures in ``FIGURES`` (one function each; later issues add UI figures there). It
prints a markdown table with every scale side by side, the growth from the smallest to the
largest scale and a verdict against each budget. Not run in CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lxml import etree  # noqa: E402

from sortui.generator.files import write_file_set  # noqa: E402
from sortui.store import queries  # noqa: E402

try:  # the search of today; before issue 14 it was queries.search (so that "before" can be measured again)
    from sortui.store import search as searching
except ImportError:  # pragma: no cover
    searching = queries  # type: ignore[assignment]

CACHE = REPO / "benchmarks" / ".cache"
DEFAULT_ENTITIES = 200_000
SEED = 1
SEARCH_QUERIES = 300
SEARCH_PASSES = 3
# Sources whose change makes cached data stale.
GENERATOR_SOURCES = ("sortui/generator", "sortui/formats/sorxml_writer.py")


# -- running one scale ------------------------------------------------------------------------


@dataclass
class Run:
    """One scale: its data, its working copy and what the figures found (shared between figures)."""

    entities: int
    data: Path
    work: Path
    values: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def xml(self) -> Path:
        return self.data / "sor.xml"

    @property
    def db(self) -> Path:
        return self.work / "working-copy.sqlite"

    def imported(self) -> Path:
        """The working copy, importing ``sor.xml`` first if no figure has yet."""
        if "import_s" not in self.values:
            fig_import(self)
        return self.db


def generator_stamp() -> str:
    digest = hashlib.sha256()
    for name in GENERATOR_SOURCES:
        root = REPO / name
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def prepare(entities: int, cache: Path) -> Run:
    """Generate the file set for ``entities`` into the cache unless it is there and current."""
    data = cache / f"n{entities}-s{SEED}"
    stamp = data / "STAMP"
    if not (stamp.is_file() and stamp.read_text() == generator_stamp()):
        shutil.rmtree(data, ignore_errors=True)
        started = time.perf_counter()
        write_file_set(data, entities, SEED, ("xml", "shak", "edi"))
        stamp.write_text(generator_stamp())
        print(f"generated {entities:,} entities in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    work = cache / f"work-n{entities}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    return Run(entities, data, work)


# -- figures ----------------------------------------------------------------------------------


def _tree_rss_kb(pid: int) -> int:
    """Resident memory (kB) of ``pid`` and all its descendants, from /proc (0 for what is gone)."""
    total, todo = 0, [pid]
    while todo:
        proc = Path(f"/proc/{todo.pop()}")
        try:
            match = re.search(r"VmRSS:\s+(\d+)", (proc / "status").read_text())
            total += int(match.group(1)) if match else 0
            for task in (proc / "task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return total


@dataclass
class Measured:
    """A command run as a subprocess: wall time, CPU time and peak RSS (all its processes; the largest)."""

    wall_s: float
    cpu_s: float
    rss_all_mb: float
    rss_max_mb: float
    code: int
    stderr: str


def compile_bytecode() -> None:
    """Compile sortui's modules first, as an installed sortui has them (pip compiles a package as it
    installs it; a checkout writes them on first use, unless ``PYTHONDONTWRITEBYTECODE`` is set, as it
    is in some sandboxes): a process measured then pays for loading its modules, not compiling them."""
    import compileall

    compileall.compile_dir(REPO / "sortui", quiet=1)


def measure_process(cmd: list[str]) -> Measured:
    """Run ``cmd`` (from the checkout, sortui importable); CPU time and the largest process's peak RSS come
    from ``os.wait4`` (they include the processes it waited for); the RSS of all its processes together is
    sampled from /proc every 50 ms."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()
    peak = [0]

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(elapsed, cpu, peak[0] / 1024, usage.ru_maxrss / 1024, proc.returncode, stderr)


def fig_import(run: Run) -> None:
    """``sortui import sor.xml`` as a subprocess into a fresh working copy: wall time, CPU time and peak RSS
    (of the import's worker process too)."""
    for path in run.work.glob("working-copy.sqlite*"):
        path.unlink()
    got = measure_process([sys.executable, "-m", "sortui", "--db", str(run.db), "import", str(run.xml)])
    if got.code != 0:
        raise RuntimeError(f"import failed ({got.code}): {got.stderr}")
    run.values["import_s"] = got.wall_s
    run.values["import_cpu_s"] = got.cpu_s
    run.values["import_rss_mb"] = got.rss_max_mb
    run.values["import_rss_all_mb"] = got.rss_all_mb


# Run at the start of an import's processes (as ``sitecustomize``): the same import, and the same one
# with the search index left out (no rows computed, none inserted), for the A/B of ``fig_index``.
_BOOTSTRAP = {
    "with": "import sortui.store.importer\n",
    "without": (
        "import sortui.store.importer as i\n"
        "i.search_row = lambda ent: None\n"
        "i._Loader._index = lambda self, rows: rows.clear()\n"
    ),
}


def _import_ab(run: Run, variant: str) -> tuple[float, float, float]:
    """(wall s, CPU s of all its processes, working copy MB) of ``sortui import sor.xml`` into a fresh file,
    its processes started with ``_BOOTSTRAP[variant]``."""
    folder = run.work / f"ab-{variant}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(_BOOTSTRAP[variant])
    db = folder / "working-copy.sqlite"
    env = dict(os.environ, PYTHONPATH=f"{folder}{os.pathsep}{REPO}")
    cmd = [sys.executable, "-m", "sortui", "--db", str(db), "import", str(run.xml)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"import ({variant} the search index) failed")
    size = sum(p.stat().st_size for p in folder.glob("working-copy.sqlite*")) / 1e6
    shutil.rmtree(folder, ignore_errors=True)
    return elapsed, usage.ru_utime + usage.ru_stime, size


def fig_index(run: Run) -> None:
    """What the search index adds to an import: the same import with and without it (A/B), best of three each.

    By CPU time (both processes): on a shared machine the wall time moves by more than the index costs.
    The runs take turns (without, with, without, ...), so that a change in the machine's load falls on both.
    """
    results: dict[str, list[tuple[float, float, float]]] = {"without": [], "with": []}
    for _ in range(3):
        for variant, found in results.items():
            found.append(_import_ab(run, variant))
    runs = "; ".join(f"{v} {', '.join(f'{cpu:.1f}' for _, cpu, _ in found)}" for v, found in results.items())
    print(f"{run.entities:,}: index A/B, CPU s of each run: {runs}", file=sys.stderr)
    for variant, key in (("without", "index_without"), ("with", "index_with")):
        run.values[f"{key}_s"] = min(wall for wall, _, _ in results[variant])
        run.values[f"{key}_cpu_s"] = min(cpu for _, cpu, _ in results[variant])
    without, with_index = run.values["index_without_cpu_s"], run.values["index_with_cpu_s"]
    run.values["index_share_pct"] = 100 * (with_index - without) / without
    size_without, size_with = (results[v][0][2] for v in ("without", "with"))
    run.values["index_db_without_mb"] = size_without
    run.values["index_db_share_pct"] = 100 * (size_with - size_without) / size_without


def time_floor(xml: Path) -> float:
    """Seconds of one bare lxml iterparse loop over ``xml`` touching every element: the floor."""
    started = time.perf_counter()
    count = 0
    for _, el in etree.iterparse(str(xml), events=("end",)):
        count += len(el.tag) + len(el.text or "")
        el.clear(keep_tail=False)
    return time.perf_counter() - started


def fig_floor(run: Run) -> None:
    """The same file parsed by a bare lxml iterparse loop touching every element: the floor."""
    best = min(time_floor(run.xml) for _ in range(2))
    run.values["floor_s"] = best
    run.values["import_ratio"] = run.values["import_s"] / best if "import_s" in run.values else float("nan")


def _timed(loop: Callable[[], None]) -> float:
    started = time.perf_counter()
    loop()
    return time.perf_counter() - started


def fig_phases(run: Run) -> None:
    """Where the import's time goes, measured in-process phase by phase on the same file."""
    from sortui.domain.validation import validate_entity
    from sortui.formats import sorxml_names as n
    from sortui.formats.sorxml import SorXmlReader
    from sortui.store.rows import EntityBatch
    from sortui.store.search_index import search_row

    tags = [n.q("SorTree"), *n.KIND_BY_RECORD_TAG, *n.KIND_BY_WRAPPER_TAG]

    def parse_only() -> None:
        for _, el in etree.iterparse(str(run.xml), events=("end",), tag=tags):
            el.clear(keep_tail=False)

    problems = [0]

    def read(validate: bool, rows: bool, search: bool = False) -> None:
        batch = EntityBatch()
        found: list[tuple] = []
        problems[0] = 0
        for ent in SorXmlReader(run.xml):
            if validate:
                problems[0] += len(validate_entity(ent))
            if rows:
                batch.add(ent)
                if search:
                    found.append(search_row(ent))
                if batch.count >= 5000:
                    batch.__init__()  # type: ignore[misc]  # drop the rows: only building them is timed
                    found.clear()

    parse = _timed(parse_only)
    reader = _timed(lambda: read(False, False))
    validated = _timed(lambda: read(True, False))
    rows = _timed(lambda: read(True, True))
    searched = _timed(lambda: read(True, True, True))
    run.values["validation_problems"] = problems[0]  # errors and warnings, as the importer would see them
    run.values["phase_parse_s"] = parse
    run.values["phase_reader_s"] = reader - parse
    run.values["phase_validate_s"] = validated - reader
    run.values["phase_rows_s"] = rows - validated
    run.values["phase_search_s"] = searched - rows
    if "import_cpu_s" in run.values:  # the import's CPU time (both processes) less the stages above
        run.values["phase_rest_s"] = run.values["import_cpu_s"] - searched


def fig_size(run: Run) -> None:
    """Working copy size on disk."""
    db = run.imported()
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    run.values["db_mb"] = size / 1e6
    run.values["xml_mb"] = run.xml.stat().st_size / 1e6


# The query mix (share of SEARCH_QUERIES): what users type, drawn from the data.
SEARCH_MIX = {
    "inner": 0.25,  # a piece of 3-8 letters from inside a word of a name ("kirurg", "afdeli", "ldre")
    "words": 0.15,  # the first one or two words of a name
    "prefix": 0.10,  # a word cut short
    "ascii": 0.10,  # a name typed without æ ø å ("vaerlose", "aeldre")
    "short": 0.05,  # one or two letters
    "sor_id": 0.10,
    "sor_prefix": 0.05,  # the first 4-12 digits of a SOR-kode
    "shak": 0.08,
    "gln": 0.08,
    "yder": 0.04,
}
_ASCII = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})


def _search_queries(conn: sqlite3.Connection, count: int) -> list[tuple[str, str]]:
    """(kind, text) of mixed queries drawn from the data (``SEARCH_MIX``), shuffled; the same for every run."""
    rng = random.Random(SEED)

    def sample(sql: str, n: int) -> list[str]:
        values = [r[0] for r in conn.execute(sql)]
        return rng.sample(values, min(n, len(values)))

    def inner(name: str) -> str:
        words = [w for w in re.findall(r"\w+", name) if len(w) >= 5] or [name]
        word = rng.choice(words)
        size = rng.randint(3, min(8, max(3, len(word) - 1)))
        start = rng.randint(1, max(1, len(word) - size))
        return word[start : start + size]

    def prefix(name: str) -> str:
        word = name.split()[0]
        return word[: max(3, len(word) - 2)]

    def short(name: str) -> str:
        return name[: rng.randint(1, 2)]

    def words(name: str) -> str:
        return " ".join(name.replace(",", " ").split()[: rng.randint(1, 2)])

    def ascii_spelled(name: str) -> str:
        return words(name).translate(_ASCII)

    n = {kind: max(1, round(share * count)) for kind, share in SEARCH_MIX.items()}
    non_ascii = "SELECT name FROM entity WHERE name GLOB '*[æøåÆØÅ]*'"
    mixed = [("inner", inner(x)) for x in sample("SELECT name FROM entity", n["inner"])]
    mixed += [("words", words(x)) for x in sample("SELECT name FROM entity", n["words"])]
    mixed += [("prefix", prefix(x)) for x in sample("SELECT name FROM entity", n["prefix"])]
    mixed += [("ascii", ascii_spelled(x)) for x in sample(non_ascii, n["ascii"])]
    mixed += [("short", short(x)) for x in sample("SELECT name FROM entity", n["short"])]
    mixed += [("sor_id", x) for x in sample("SELECT sor_id FROM entity", n["sor_id"])]
    mixed += [("sor_prefix", x[: rng.randint(4, 12)]) for x in sample("SELECT sor_id FROM entity", n["sor_prefix"])]
    shak = "SELECT DISTINCT shak_code FROM entity WHERE shak_code IS NOT NULL"
    mixed += [("shak", x) for x in sample(shak, n["shak"])]
    mixed += [("gln", x) for x in sample("SELECT gln FROM location", n["gln"])]
    yder = "SELECT provider_number FROM entity WHERE provider_number IS NOT NULL"
    mixed += [("yder", x) for x in sample(yder, n["yder"])]
    rng.shuffle(mixed)
    return mixed


def _timed_searches(conn: sqlite3.Connection, texts: list[str], **kwargs: object) -> list[float]:
    """Milliseconds of ``search(conn, text, limit=50)`` (a page and the count) for each text: the best of
    ``SEARCH_PASSES`` passes over all of them, after 10 warm-up queries.

    The best of a few passes keeps out the time the query waited for a CPU: the machine is shared.
    """
    for text in texts[:10]:  # warm the page cache
        searching.search(conn, text, limit=50, **kwargs)
    best = [float("inf")] * len(texts)
    for _ in range(SEARCH_PASSES):
        for i, text in enumerate(texts):
            started = time.perf_counter()
            searching.search(conn, text, limit=50, **kwargs)
            best[i] = min(best[i], (time.perf_counter() - started) * 1000)
    return best


def _percentiles(run: Run, key: str, times: list[float]) -> None:
    times = sorted(times)
    run.values[f"{key}_p50_ms"] = statistics.median(times)
    run.values[f"{key}_p95_ms"] = times[int(0.95 * (len(times) - 1))]
    run.values[f"{key}_max_ms"] = times[-1]


def _largest_region(conn: sqlite3.Connection) -> str:
    """The owner with the largest subtree that is a region (the generator's "Region ..." owners)."""
    return conn.execute(
        "SELECT sor_id FROM entity WHERE parent_sor_id IS NULL AND name LIKE 'Region %' ORDER BY sor_id LIMIT 1"
    ).fetchone()[0]


def fig_search(run: Run) -> None:
    """Search latency over the query mix via ``search.search`` on one connection (p50, p95, max).

    Also the word-internal pieces alone, and the mix limited to the subtree of a region (where the
    search can be limited to a subtree).
    """
    from sortui.store import db as store_db

    with closing(store_db.open_working_copy(run.imported(), readonly=True)) as conn:
        mix = _search_queries(conn, SEARCH_QUERIES)
        texts = [text for _, text in mix]
        times = _timed_searches(conn, texts)
        _percentiles(run, "search", times)
        _percentiles(run, "search_inner", [t for (kind, _), t in zip(mix, times, strict=True) if kind == "inner"])
        if hasattr(searching, "subtree_scope"):
            scope = searching.subtree_scope(conn, _largest_region(conn))
            _percentiles(run, "search_scoped", _timed_searches(conn, texts, scope=scope))


def _widest(conn: sqlite3.Connection, top_level: bool) -> tuple[str | None, int]:
    where = "" if top_level else "WHERE parent_sor_id IS NOT NULL"
    row = conn.execute(
        f"SELECT parent_sor_id, count(*) AS n FROM entity {where} GROUP BY parent_sor_id ORDER BY n DESC LIMIT 1"
    ).fetchone()
    return row[0], row[1]


def _children_ms(conn: sqlite3.Connection, parent: str | None) -> tuple[float, float]:
    """(first call, median of five more) of the first page of ``parent``'s children."""
    times = []
    for _ in range(6):
        started = time.perf_counter()
        queries.children(conn, parent, 0, 200)
        times.append((time.perf_counter() - started) * 1000)
    return times[0], statistics.median(times[1:])


def fig_children(run: Run) -> None:
    """First page of the children of the widest node (the top level) and of the widest unit below it."""
    from sortui.store import db as store_db

    with closing(store_db.open_working_copy(run.imported(), readonly=True)) as conn:
        for key, top in (("children_top", True), ("children_unit", False)):
            parent, width = _widest(conn, top)
            first, median = _children_ms(conn, parent)
            run.values[f"{key}_width"] = width
            run.values[f"{key}_first_ms"] = first
            run.values[f"{key}_ms"] = median


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    fmt: str = "{:.2f}"
    budget: float | None = None  # largest value that passes


@dataclass(frozen=True)
class Figure:
    name: str
    measure: Callable[[Run], None]
    metrics: tuple[Metric, ...]


FIGURES: tuple[Figure, ...] = (
    Figure(
        "import",
        fig_import,
        (
            Metric("import_s", "import sor.xml (s)"),
            Metric("import_cpu_s", "  CPU time, all processes (s)"),
            Metric("import_rss_all_mb", "import peak RSS, all processes (MB)", "{:.0f}", 300),
            Metric("import_rss_mb", "  largest process (MB)", "{:.0f}"),
        ),
    ),
    Figure(
        "floor",
        fig_floor,
        (
            Metric("floor_s", "bare lxml iterparse (s)"),
            Metric("import_ratio", "import / floor", "{:.1f}x", 1.5),
        ),
    ),
    Figure(
        "phases",
        fig_phases,
        (
            Metric("validation_problems", "validation errors + warnings", "{:.0f}", 0),
            Metric("phase_parse_s", "  of which: lxml parse, records only (s)"),
            Metric("phase_reader_s", "  + SorXmlReader building entities (s)"),
            Metric("phase_validate_s", "  + validate_entity (s)"),
            Metric("phase_rows_s", "  + table rows (s)"),
            Metric("phase_search_s", "  + search index rows (s)"),
            Metric("phase_rest_s", "  + SQLite inserts, search index, checks, start-up, hand-over (CPU s)"),
        ),
    ),
    Figure(
        "size",
        fig_size,
        (Metric("xml_mb", "sor.xml size (MB)", "{:.0f}"), Metric("db_mb", "working copy size (MB)", "{:.0f}")),
    ),
    Figure(
        "search",
        fig_search,
        (
            Metric("search_p50_ms", "search p50 (ms)"),
            Metric("search_p95_ms", "search p95 (ms)", budget=20),
            Metric("search_max_ms", "search max (ms)", budget=50),
            Metric("search_inner_p95_ms", "  word-internal pieces: p95 (ms)", budget=20),
            Metric("search_inner_max_ms", "  word-internal pieces: max (ms)", budget=50),
            Metric("search_scoped_p95_ms", "  in a region's subtree: p95 (ms)", budget=20),
            Metric("search_scoped_max_ms", "  in a region's subtree: max (ms)", budget=50),
        ),
    ),
    Figure(
        "index",
        fig_index,
        (
            Metric("index_without_s", "import without the search index, wall (s)"),
            Metric("index_with_s", "import with it, wall (s)"),
            Metric("index_without_cpu_s", "import without the search index, CPU (s)"),
            Metric("index_with_cpu_s", "import with it, CPU (s)"),
            Metric("index_share_pct", "  the index adds, CPU (%)", "{:.0f}", 20),
            Metric("index_db_without_mb", "working copy without the index (MB)", "{:.0f}"),
            Metric("index_db_share_pct", "  the index adds (%)", "{:.0f}"),
        ),
    ),
    Figure(
        "children",
        fig_children,
        (
            Metric("children_top_width", "widest node: children (top level)", "{:,.0f}"),
            Metric("children_top_first_ms", "  first page, first call (ms)"),
            Metric("children_top_ms", "  first page, median (ms)", budget=50),
            Metric("children_unit_width", "widest unit: children", "{:,.0f}"),
            Metric("children_unit_ms", "  first page, median (ms)", budget=50),
        ),
    ),
    Figure(
        "ui",
        lambda run: __import__("ui_app").fig_ui(run),  # benchmarks/ui_app.py: the app in a pseudo-terminal
        (
            Metric("ui_launch_s", "app: launch to first screen (s)", budget=1.0),
            Metric("ui_expand_widest_ms", "app: expand widest node, first paint (ms)", budget=100),
            Metric("ui_widest_children", "  widest node: children", "{:,.0f}"),
            Metric("ui_bytes_per_move", "app: bytes per tree cursor move (120×40)", "{:,.0f}", 4096),
            Metric("ui_bytes_per_step", "  single moves, detail repainted (bytes)", "{:,.0f}"),
            Metric("ui_peak_rss_mb", "app: peak RSS browsing (MB)", "{:.0f}", 200),
        ),
    ),
    Figure(
        "sync",
        lambda run: __import__("sync_bench").fig_sync(run),  # benchmarks/sync_bench.py: a real service over HTTP
        (
            Metric("sync_fill_s", "sync: fill an empty working copy, 5,000 units (s)"),
            Metric("sync_push_1000_s", "sync: push 1,000 edits (s)", budget=2.0),
            Metric("sync_pull_10000_s", "sync: pull 10,000 changes (s)", budget=3.0),
            Metric("sync_20_clients_s", "sync: 20 clients at once, wall (s)"),
            Metric("sync_20_clients_max_s", "  slowest client (s)"),
        ),
    ),
    Figure(
        "diff",
        lambda run: __import__("diff_bench").fig_diff(run),  # benchmarks/diff_bench.py: two snapshots compared
        (
            Metric("diff_same_s", "diff: sor.xml against itself (s)", budget=10.0),
            Metric("diff_s", "diff: sor.xml against the next day's (s)", budget=10.0),
            Metric("diff_cpu_s", "  CPU time, both processes (s)"),
            Metric("diff_rss_all_mb", "  peak RSS, both processes (MB)", "{:.0f}", 300),
            Metric("diff_changes", "  changes found", "{:,.0f}"),
            Metric("diff_record_s", "import: recording what it changed (s)"),
        ),
    ),
    Figure(
        "review",
        lambda run: __import__("review_bench").fig_review(run),  # benchmarks/review_bench.py: a 10,000-item session
        (
            Metric("review_move_p50_ms", "review: next item, store path p50 (ms)"),
            Metric("review_move_p95_ms", "review: next item, store path p95 (ms)", budget=50),
            Metric("review_decide_p50_ms", "review: approve + counts + next item p50 (ms)"),
            Metric("review_app_move_p95_ms", "review: next item in the app, p95 (ms)", budget=50),
        ),
    ),
)


# -- report -----------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        cpu = re.search(r"model name\s*:\s*(.+)", cpuinfo).group(1).strip()  # type: ignore[union-attr]
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        ram = f"{mem_kb / 1024**2:.0f} GB RAM"
    except (OSError, AttributeError):
        ram = "RAM unknown"
    return (
        f"{date.today().isoformat()}: {os.cpu_count()} CPUs (nproc), {cpu}, {ram}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, lxml {etree.__version__}"
    )


def verdict(metric: Metric, runs: list[Run]) -> str:
    if metric.budget is None:
        return ""
    values = [r.values.get(metric.key) for r in runs]
    ok = all(v is not None and v <= metric.budget for v in values)
    return ("ok" if ok else "OVER") + f" (≤ {metric.fmt.format(metric.budget)})"


def table(runs: list[Run], figures: tuple[Figure, ...]) -> str:
    head = ["figure", *(f"{r.entities:,}" for r in runs)]
    if len(runs) > 1:
        head.append(f"growth {runs[0].entities // 1000}k→{runs[-1].entities // 1000}k")
    head.append("budget")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for figure in figures:
        for metric in figure.metrics:
            cells = [metric.label]
            cells += [metric.fmt.format(r.values[metric.key]) if metric.key in r.values else "-" for r in runs]
            if len(runs) > 1:
                first, last = runs[0].values.get(metric.key), runs[-1].values.get(metric.key)
                cells.append(f"{last / first:.1f}x" if first and last is not None else "")
            cells.append(verdict(metric, runs))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=DEFAULT_ENTITIES, help="one scale (default 200000)")
    parser.add_argument("--scales", help="several scales, comma separated, e.g. 20000,200000,600000")
    parser.add_argument("--figures", help=f"only these figures: {','.join(f.name for f in FIGURES)}")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where generated data is kept")
    parser.add_argument("--json", type=Path, help="also write the values as JSON")
    args = parser.parse_args(argv)
    compile_bytecode()
    scales = [int(s.replace("_", "")) for s in args.scales.split(",")] if args.scales else [args.entities]
    wanted = set(args.figures.split(",")) if args.figures else {f.name for f in FIGURES}
    figures = tuple(f for f in FIGURES if f.name in wanted)
    runs = []
    for entities in scales:
        run = prepare(entities, args.cache)
        for figure in figures:
            try:
                figure.measure(run)
            except Exception as exc:  # one failing figure must not lose the others' numbers
                run.notes[figure.name] = f"{type(exc).__name__}: {exc}"
                print(f"{entities:,}: {figure.name} FAILED: {run.notes[figure.name]}", file=sys.stderr)
                continue
            print(f"{entities:,}: {figure.name} done", file=sys.stderr)
        runs.append(run)
    print(machine())
    print()
    print(table(runs, figures))
    for r in runs:
        for name, note in r.notes.items():
            print(f"\n- {r.entities:,}: figure {name} failed: {note}")
    if args.json:
        args.json.write_text(json.dumps({r.entities: r.values for r in runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
