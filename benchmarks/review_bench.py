"""Review figures: the next item of a 10,000-item bulk review session.

``measure_review(db)`` adds a session of ``ITEMS`` units to the working copy (deleted afterwards) and
returns:

- ``review_move_p50_ms`` / ``review_move_p95_ms``: the store call path of one move, as the review
  screen's worker runs it (``review.set_position`` and ``review_data.read``: the item, its details
  from ``unit_text``), budget p95 ≤ 50 ms;
- ``review_decide_p50_ms``: approving an item and reading the counts, the decided list and the next
  item (what ``a`` runs);
- ``review_app_move_p95_ms``: ``j`` in the app (headless, 80×24; the key event sent to the driver as a
  terminal's would be) until the next item and its details are on the screen, budget ≤ 50 ms.

Run alone: ``python benchmarks/review_bench.py WORKING_COPY``; ``benchmarks/run.py`` calls ``fig_review``.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sortui.screens import review_data  # noqa: E402
from sortui.store import db as store_db  # noqa: E402
from sortui.store import review  # noqa: E402

ITEMS = 10_000
MOVES = 200
APP_MOVES = 60
SESSION = "benchmark: 10,000 items"


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def make_session(db: Path, on: str) -> None:
    with closing(store_db.open_working_copy(db)) as conn:
        if conn.execute("SELECT 1 FROM review_session WHERE name = ?", (SESSION,)).fetchone():
            review.delete(conn, SESSION)
        ids = [r[0] for r in conn.execute("SELECT sor_id FROM entity ORDER BY sort_name LIMIT ?", (ITEMS,))]
        with conn:
            conn.execute(
                "INSERT INTO review_session (name, source, created_at, on_date, position) VALUES (?, ?, ?, ?, 1)",
                (SESSION, "rule:no-phone", f"{on}T00:00:00+00:00", on),
            )
            conn.executemany(
                "INSERT INTO review_item (session, seq, target, key, reason) VALUES (?, ?, 'entity', ?, 'benchmark')",
                [(SESSION, seq, ids[(seq - 1) % len(ids)]) for seq in range(1, ITEMS + 1)],
            )


def store_moves(db: Path, on: str) -> dict[str, float]:
    moves, decides = [], []
    with closing(store_db.open_working_copy(db)) as conn:
        for seq in range(ITEMS // 2, ITEMS // 2 + MOVES):
            start = time.perf_counter()
            review.set_position(conn, SESSION, seq)
            review_data.read(conn, SESSION, seq, on)
            moves.append((time.perf_counter() - start) * 1000)
        for seq in range(1, 41):
            start = time.perf_counter()
            new = review.decide(conn, SESSION, seq, "approved")
            review_data.read(conn, SESSION, new, on, progress=True)
            decides.append((time.perf_counter() - start) * 1000)
    return {
        "review_move_p50_ms": statistics.median(moves),
        "review_move_p95_ms": _p(moves, 0.95),
        "review_decide_p50_ms": statistics.median(decides),
    }


async def _app_moves(db: Path, on: str) -> list[float]:
    """``j`` as the terminal delivers it (a key event to the driver) until the next item is shown.

    Not ``pilot.press``: it waits for the app to be idle and adds ~40 ms of its own.
    """
    from textual import events

    from sortui.app import SortApp
    from sortui.screens.review import ReviewScreen

    app = SortApp(db, view_date=on, debounce=0, demo=False)
    times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        screen = ReviewScreen(app.source, SESSION, on, 0)
        await app.push_screen(screen)
        await _shown(screen, None)
        assert app._driver is not None
        for _ in range(APP_MOVES):
            wanted = screen.position + 1
            start = time.perf_counter()
            app._driver.send_message(events.Key("j", "j"))
            await _shown(screen, wanted)
            times.append((time.perf_counter() - start) * 1000)
            await pilot.pause()
    return times


async def _shown(screen: Any, seq: int | None, timeout: float = 10) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        view = screen.view
        if view is not None and (seq is None or view.row.seq == seq):
            return
        await asyncio.sleep(0.0005)
    raise TimeoutError(f"item {seq} was not shown")


def measure_review(db: Path, on: str | None = None) -> dict[str, float]:
    on = on or date.today().isoformat()
    make_session(db, on)
    try:
        values = store_moves(db, on)
        values["review_app_move_p95_ms"] = _p(asyncio.run(_app_moves(db, on)), 0.95)
    finally:
        with closing(store_db.open_working_copy(db)) as conn:
            review.delete(conn, SESSION)
    return values


def fig_review(run: Any) -> None:
    run.values.update(measure_review(run.imported()))


if __name__ == "__main__":
    for key, value in measure_review(Path(sys.argv[1])).items():
        print(f"{key}: {value:.2f}")
