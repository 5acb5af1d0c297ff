"""What issue 12's safety costs: the demo's own working copy, and printing data made safe.

- ``demo build``: making the demo working copy from the bundled snapshot (the first plain ``sortui``
  on a new machine, or after the snapshot changed), best of 3;
- ``demo check``: finding the demo current at start-up (the bundled files' hashes and the working
  copy's snapshot rows; the hashes are kept for the process after the first time), first call and
  best of 20 later ones;
- ``print N lines``: ``N`` search-hit lines with names through the CLI's ``SafeConsole`` and through a
  plain rich ``Console`` (both to a terminal-like buffer, colours on), best of 5;
- ``json N hits``: the JSON of ``N`` hits with and without ``json_printable``, best of 5.

Run: ``python benchmarks/trust_bench.py`` (prints a table). Not run in CI.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rich.console import Console  # noqa: E402
from rich.text import Text  # noqa: E402

from sortui.cli.common import SafeConsole, safe_line  # noqa: E402
from sortui.domain.text import json_printable  # noqa: E402
from sortui.generator import demo  # noqa: E402

LINES = 10_000


def ms(fn: Callable[[], object], runs: int = 5) -> float:
    """The best of ``runs`` (the machine is shared: the least disturbed run)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def demo_figures(folder: Path) -> list[tuple[str, str]]:
    builds = []
    for i in range(3):
        path = folder / f"demo-{i}.sqlite"
        start = time.perf_counter()
        demo.ensure_demo(path)
        builds.append((time.perf_counter() - start) * 1000)
    path = folder / "demo-0.sqlite"
    demo.snapshot_hashes.cache_clear()
    start = time.perf_counter()
    assert demo.ensure_demo(path) is False
    first = (time.perf_counter() - start) * 1000
    later = ms(lambda: demo.ensure_demo(path), runs=20)
    return [("demo build", f"{min(builds):.0f} ms"), ("demo check", f"{first:.1f} ms first, {later:.1f} ms later")]


def hit_lines() -> list[tuple[str, str, str]]:
    return [(f"{n:015d}", "OE", f"Afsnit {n} Sønderå\x1b[31m") for n in range(LINES)]


def print_figures() -> list[tuple[str, str]]:
    hits = hit_lines()

    def plain() -> None:
        console = Console(file=io.StringIO(), force_terminal=True, highlight=False, soft_wrap=True)
        for sor_id, kind, name in hits:
            line = Text(f"{sor_id:>18}  ", style="cyan")
            line.append(f"{kind}  ")
            line.append(name)
            console.print(line)

    def safe() -> None:
        console = SafeConsole(file=io.StringIO(), force_terminal=True)
        for sor_id, kind, name in hits:
            line = safe_line(f"{sor_id:>18}  ", style="cyan")
            line.append_text(safe_line(f"{kind}  "))
            line.append_text(safe_line(name))
            console.print(line)

    data = [{"sor_id": s, "kind": k, "name": n} for s, k, n in hits]
    dumped = lambda: json.dumps(data, ensure_ascii=False, indent=2)  # noqa: E731
    return [
        (f"print {LINES:,} lines", f"{ms(safe):.0f} ms safe, {ms(plain):.0f} ms plain rich"),
        (f"json {LINES:,} hits", f"{ms(lambda: json_printable(dumped())):.0f} ms escaped, {ms(dumped):.0f} ms plain"),
    ]


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        rows = demo_figures(Path(folder)) + print_figures()
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
