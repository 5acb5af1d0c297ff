"""The tree filtered in place (``F``): how long a filter takes to work out, and its first screen.

For each text: the units it matches, the time ``FilterTable`` takes to work it out (the matches
and the units above them, into the temporary tables of the filter's connection), the time of the
first screen's pages (the top level, the first owner type and the first page of units below it,
as the tree reads them), and the process's peak resident memory after it (it stays flat however
many units match: the tables live in SQLite's temporary store, the pages are 200 rows).

Run: ``python benchmarks/filter_bench.py WORKING_COPY [TEXT ...]`` (prints a Markdown table).
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sortui.store.tree_filter import FilterTable  # noqa: E402
from sortui.widgets import treedata  # noqa: E402

TEXTS = ("kir", "afdeling", "a", "klinik", "1301", "zzzz")
RUNS = 3


def first_screen(table: FilterTable, on: str) -> int:
    """Read the pages the tree reads before its first screen; answers the rows read."""
    rows = 0
    with table.connection() as conn:
        level = treedata.ROOT
        for _ in range(4):  # root, an owner type (or its letters), an owner, a unit below it
            page = treedata.fetch_page(conn, level, 0, on, filtered=True)
            rows += len(page.items)
            level = next((item.level for item in page.items if item.level is not None), None)
            if level is None:
                break
    return rows


def measure(db: Path, text: str, on: str) -> tuple[int, float, float, int]:
    builds, screens, count, rows = [], [], 0, 0
    for _ in range(RUNS):
        start = time.perf_counter()
        table = FilterTable(db, text, on, readonly=True)
        builds.append(time.perf_counter() - start)
        start = time.perf_counter()
        rows = first_screen(table, on)
        screens.append(time.perf_counter() - start)
        count = table.count
        table.close()
    return count, min(builds) * 1000, min(screens) * 1000, rows


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    db, texts = Path(argv[0]), argv[1:] or list(TEXTS)
    on = date.today().isoformat()
    print("| filter | units matching | work out (ms) | first screen (ms, rows) | peak RSS (MB) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for text in texts:
        count, build_ms, screen_ms, rows = measure(db, text, on)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {text} | {count:,} | {build_ms:.0f} | {screen_ms:.1f} ({rows}) | {rss:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
