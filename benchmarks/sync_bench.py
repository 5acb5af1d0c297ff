"""Sync figures: a real ``sortui serve`` (SQLite) on 127.0.0.1 and working copies talking to it over HTTP.

``measure_sync(folder)`` returns:

- ``sync_fill_s``: an empty working copy filled from GET /snapshot (``UNITS`` units);
- ``sync_push_1000_s``: pushing 1,000 journal entries as one changeset, budget ≤ 2 s;
- ``sync_pull_10000_s``: pulling and applying 10,000 changes made by another client, budget ≤ 3 s;
- ``sync_20_clients_s``: 20 working copies syncing at once (50 edits each, then a pull of all
  1,000), wall time; ``sync_20_clients_max_s``: the slowest client's sync.

The register is synthetic (one owner, one institution, ``UNITS`` units below it), independent of the
harness's scale. Run alone: ``python benchmarks/sync_bench.py``; ``benchmarks/run.py`` calls ``fig_sync``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sortui.domain.model import Entity  # noqa: E402
from sortui.server.db import make_engine  # noqa: E402
from sortui.server.loader import load_records  # noqa: E402
from sortui.server.users import add_user  # noqa: E402
from sortui.store import db as store_db  # noqa: E402
from sortui.store import edits  # noqa: E402
from sortui.sync import engine  # noqa: E402
from sortui.sync.client import ServiceClient  # noqa: E402

UNITS = 5000
CLIENTS = 20
EDITS_PER_CLIENT = 50
PASSWORD = "bench-password"
IE, SI = "900000000100001", "900000000100002"


def unit_id(n: int) -> str:
    return f"9000000002{n:05d}"


def register() -> list[Entity]:
    units = [Entity(IE, "IE", "Benchmark-ejer", from_date="2020-01-01")]
    units.append(Entity(SI, "SI", "Benchmark-institution", parent_sor_id=IE, from_date="2020-01-01"))
    units += [
        Entity(unit_id(n), "OE", f"Enhed {n:05d}", parent_sor_id=SI, from_date="2020-01-01") for n in range(UNITS)
    ]
    return units


class Service:
    """``python -m sortui serve`` on a free port, stopped by ``stop``."""

    def __init__(self, folder: Path, database: str | None = None):
        self.db_url = database or f"sqlite:///{folder / 'service.sqlite'}"
        if database:  # a PostgreSQL database given on the command line: start it empty
            from sqlalchemy import create_engine

            from sortui.server.schema import METADATA

            METADATA.drop_all(create_engine(database))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        engine_ = make_engine(self.db_url)
        load_records(engine_, register(), [])
        add_user(engine_, "bench", "admin", PASSWORD)
        engine_.dispose()
        env = dict(os.environ, PYTHONPATH=str(REPO))
        cmd = [sys.executable, "-m", "sortui", "serve", "--database", self.db_url, "--port", str(self.port)]
        cmd += ["--log-level", "warning"]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait()
        with ServiceClient(self.url) as client:
            self.token = client.sign_in("bench", PASSWORD).token

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/status", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the service did not start")

    def client(self) -> ServiceClient:
        return ServiceClient(self.url, token=self.token)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _fill(service: Service, path: Path) -> float:
    with closing(store_db.open_working_copy(path)) as conn, service.client() as client:
        return _timed(lambda: engine.sync(conn, client))


def _edit(path: Path, units: range, text: str) -> None:
    with closing(store_db.open_working_copy(path)) as conn:
        for n in units:
            edits.set_fields(conn, unit_id(n), {"note": f"{text} {n}"})


def _push(service: Service, path: Path) -> float:
    with closing(store_db.open_working_copy(path)) as conn, service.client() as client:
        result = engine.SyncResult()
        elapsed = _timed(lambda: engine.push(conn, client, result, lambda *_: None))
    assert result.pushed == 1000, result
    return elapsed


def _others_change(service: Service, rounds: int) -> None:
    """``rounds`` × 1,000 changes by another client, straight through the API."""
    with service.client() as client:
        for r in range(rounds):
            ops = [
                {
                    "target": "entity",
                    "key": unit_id(n),
                    "op": "set",
                    "field": "name",
                    "old": None,
                    "new": f"Navn {r} {n}",
                    "base_version": r,
                }
                for n in range(1000, 2000)
            ]
            client.push(uuid.uuid4().hex, ops)


def _pull(service: Service, path: Path) -> float:
    with closing(store_db.open_working_copy(path)) as conn, service.client() as client:
        result = engine.SyncResult()
        elapsed = _timed(lambda: engine.pull(conn, client, result, lambda *_: None))
    assert result.applied == 10_000, result
    return elapsed


def _many_clients(service: Service, template: Path, folder: Path) -> tuple[float, float]:
    paths = []
    for i in range(CLIENTS):
        path = folder / f"client{i}.sqlite"
        shutil.copyfile(template, path)
        start = 2000 + i * EDITS_PER_CLIENT
        _edit(path, range(start, start + EDITS_PER_CLIENT), f"klient {i}")
        paths.append(path)
    times: list[float] = []
    errors: list[BaseException] = []

    def one(path: Path) -> None:
        try:
            with closing(store_db.open_working_copy(path)) as conn, service.client() as client:
                times.append(_timed(lambda: engine.sync(conn, client)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(p,)) for p in paths]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    with service.client() as client:
        head = client.status()["head_seq"]
    assert head == 12_000, f"the feed has {head} changes, expected 12,000"
    return wall, max(times)


def measure_sync(folder: Path, database: str | None = None) -> dict[str, float]:
    folder.mkdir(parents=True, exist_ok=True)
    service = Service(folder, database)
    try:
        values = {"sync_fill_s": _fill(service, folder / "a.sqlite")}
        _fill(service, folder / "b.sqlite")
        _edit(folder / "a.sqlite", range(1000), "bench")
        values["sync_push_1000_s"] = _push(service, folder / "a.sqlite")
        _fill(service, folder / "b.sqlite")  # b catches up with a's push first
        _others_change(service, 10)
        values["sync_pull_10000_s"] = _pull(service, folder / "b.sqlite")
        shutil.copyfile(folder / "b.sqlite", folder / "template.sqlite")  # an up-to-date working copy
        wall, slowest = _many_clients(service, folder / "template.sqlite", folder)
        values["sync_20_clients_s"], values["sync_20_clients_max_s"] = wall, slowest
    finally:
        service.stop()
    return values


def fig_sync(run: Any) -> None:
    """For benchmarks/run.py: the sync figures, in the run's work folder."""
    run.values.update(measure_sync(Path(run.work) / "sync"))


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="sync figures against a real service")
    parser.add_argument("--database", help="the service's database URL (emptied first!); default: a temporary SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sortui-sync-bench-") as tmp:
        for key, value in measure_sync(Path(tmp), args.database).items():
            print(f"{key:<24} {value:.3f}")
