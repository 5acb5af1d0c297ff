"""Load test of the central service on loopback: N editors pushing changesets at once.

For each database (SQLite; PostgreSQL in a throw-away cluster of its own, fsync on) and each
number of service processes (``sortui serve --workers W``), two runs:

- uncontended: each editor changes a unit of its own, one changeset after the other (one
  operation each), taking its next base version from the answer;
- contended: every editor changes one of two shared units; a 409 gives the service's version,
  and the editor tries again on it.

Each editor first sends one changeset of its own unit, not measured (a warm-up: connections and
compiled statements exist, as in a service that has been running); then all start together.
Each run is bounded: ``--changesets`` per editor (retries of a conflict do not count), and a
deadline. It reports applied changesets per second (wall time), the latency of each request
(p50, p99), the 409s, and checks consistency at the end against the service's own records: the
change feed is 1..head without gaps or duplicates, each applied changeset is in it exactly once,
every unit's version went 1, 2, ... with no step missing or doubled, and the units' versions add
up to the applied changesets (a lost update would make them fewer).

Run: ``python benchmarks/load_bench.py [--editors 20] [--changesets 50] [--databases sqlite,postgresql]
[--workers 1,2]``. The editors run as asyncio tasks in this one process, on the same 2 CPUs as the
service: the figures include the load generator's share of the machine (a light client of its own,
see ``Connection``), and the CPU milliseconds per request of the service and of the client, and
the busiest service process's share of the service's CPU (with ``--workers 2``: whether both worked).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from pgcluster import Cluster, free_port, missing_reason  # noqa: E402

from sortui.domain.model import Entity  # noqa: E402
from sortui.server.db import make_engine  # noqa: E402
from sortui.server.loader import load_records  # noqa: E402
from sortui.server.users import add_user  # noqa: E402

PASSWORD = "load-bench-password"
IE, SI = "900000000100001", "900000000100002"
UNITS = 200
DEADLINE_S = 120


def unit_id(n: int) -> str:
    return f"9000000002{n:05d}"


def register() -> list[Entity]:
    units = [Entity(IE, "IE", "Belastningsejer", from_date="2020-01-01")]
    units.append(Entity(SI, "SI", "Belastningsinstitution", parent_sor_id=IE, from_date="2020-01-01"))
    units += [
        Entity(unit_id(n), "OE", f"Enhed {n:05d}", parent_sor_id=SI, from_date="2020-01-01") for n in range(UNITS)
    ]
    return units


def prepare(url: str) -> None:
    engine = make_engine(url)
    load_records(engine, register(), [])
    add_user(engine, "bench", "admin", PASSWORD)
    engine.dispose()


class Service:
    def __init__(self, url: str, workers: int, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        cmd = [sys.executable, "-m", "sortui", "serve", "--database", url, "--port", str(self.port)]
        cmd += ["--workers", str(workers), "--log-level", "warning"]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.log = log.open("wb")
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/status", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"the service did not start (see {log})")
        answer = httpx.post(f"{self.base}/auth/token", json={"name": "bench", "password": PASSWORD}, timeout=30)
        answer.raise_for_status()
        self.token = answer.json()["token"]

    def cpu_s(self) -> float:
        """CPU time (user + system) of the service's processes so far: the main one and its workers."""
        return sum(self.cpu_by_process().values())

    def cpu_by_process(self) -> dict[int, float]:
        return {pid: _cpu_of(pid) for pid in _tree(self.proc.pid)}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    database: str
    workers: int
    mode: str
    editors: int
    applied: int = 0
    conflicts: int = 0
    errors: int = 0
    wall_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    applied_ids: list[str] = field(default_factory=list)
    warm_up_ids: list[str] = field(default_factory=list)  # one changeset per editor before the clock starts
    consistency: str = ""
    lost: int = 0
    service_cpu_s: float = 0.0
    database_cpu_s: float = 0.0  # PostgreSQL's server processes (SQLite runs inside the service)
    client_cpu_s: float = 0.0
    busiest_share: float = 1.0  # of the service's CPU, the share of its busiest process

    @property
    def rate(self) -> float:
        return self.applied / self.wall_s if self.wall_s else 0.0

    def cpu_ms(self, seconds: float) -> float:
        """CPU milliseconds per request sent (applied or answered 409)."""
        return 1000 * seconds / max(1, self.applied + self.conflicts)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def _op(key: str, text: str, base: int) -> dict[str, Any]:
    return {
        "target": "entity",
        "key": key,
        "op": "set",
        "field": "note",
        "old": None,
        "new": text,
        "base_version": base,
    }


class Connection:
    """One keep-alive HTTP/1.1 connection to the service, on asyncio streams.

    The load generator shares the two CPUs with the service: httpx's async client costs about
    2 ms of CPU per request, more than a third of the machine at these rates, where this costs
    a tenth of that. The service answers JSON with a Content-Length (FastAPI's Response).
    """

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        data = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} /api/v1{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        self.writer.write(head.encode() + data)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        payload = await self.reader.readexactly(length)
        return int(status_line.split()[1]), json.loads(payload) if payload else None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _warm_up(http: Connection, run: Run, i: int) -> None:
    """One changeset of the editor's own unit, not measured: the connection, the service's pool
    connection and its compiled statements exist before the clock starts, as in a running service."""
    key = unit_id(i)
    version = (await http.request("GET", f"/units/{key}"))[1]["version"]
    changeset = uuid.uuid4().hex
    status, _ = await http.request("POST", "/changesets", {"id": changeset, "operations": [_op(key, "warm", version)]})
    if status != 200:
        raise RuntimeError(f"the warm-up changeset was answered {status}")
    run.warm_up_ids.append(changeset)


async def _editor(service: Service, run: Run, i: int, count: int, start: asyncio.Barrier) -> None:
    key = unit_id(i) if run.mode == "uncontended" else unit_id(UNITS - 1 - i % 2)
    http = Connection(service.port, service.token)
    try:
        await _warm_up(http, run, i)
        version = (await http.request("GET", f"/units/{key}"))[1]["version"]
        await start.wait()
        deadline = time.monotonic() + DEADLINE_S
        done = 0
        while done < count and time.monotonic() < deadline:
            changeset = uuid.uuid4().hex
            started = time.perf_counter()
            body = {"id": changeset, "operations": [_op(key, f"{i} {done}", version)]}
            status, answer = await http.request("POST", "/changesets", body)
            run.latencies.append(time.perf_counter() - started)
            if status == 200:
                version = answer["versions"][0]["version"]
                run.applied += 1
                run.applied_ids.append(changeset)
                done += 1
            elif status == 409:
                run.conflicts += 1
                version = answer["error"]["conflicts"][0]["server_version"]
            else:
                run.errors += 1
                done += 1
    finally:
        http.close()


async def _load(service: Service, run: Run, count: int, on_start: Callable[[], None]) -> None:
    """The editors warm up, then all start at once: ``on_start`` runs, the clock starts."""
    start = asyncio.Barrier(run.editors + 1)
    editors = asyncio.gather(*(_editor(service, run, i, count, start) for i in range(run.editors)))
    waiting = asyncio.ensure_future(start.wait())
    await asyncio.wait([waiting, editors], return_when=asyncio.FIRST_COMPLETED)
    if not waiting.done():  # an editor failed before the start
        waiting.cancel()
        await editors
    on_start()
    started = time.perf_counter()
    await editors
    run.wall_s = time.perf_counter() - started


def check_consistency(service: Service, run: Run) -> None:
    """Against the service's records: a whole feed, each applied changeset once, no version lost."""
    headers = {"Authorization": f"Bearer {service.token}"}
    with httpx.Client(base_url=service.base, headers=headers, timeout=60) as http:
        feed: list[dict[str, Any]] = []
        since = 0
        while True:
            page = http.get("/changes", params={"since": since, "limit": 5000}).json()
            feed += page["changes"]
            since = page["last_seq"]
            if not page["more"]:
                break
        head = page["head"]
        keys = sorted({c["key"] for c in feed})
        versions = {k: http.get(f"/units/{k}").json()["version"] for k in keys}
    problems = []
    if [c["seq"] for c in feed] != list(range(1, head + 1)):
        problems.append("feed has gaps or duplicates")
    if sorted(c["changeset"] for c in feed) != sorted(run.applied_ids + run.warm_up_ids):
        problems.append("feed and applied changesets differ")
    for key in keys:
        steps = [c["version"] for c in feed if c["key"] == key]
        if steps != list(range(1, len(steps) + 1)) or versions[key] != len(steps):
            problems.append(f"{key}: versions {steps[:5]}... end at {versions[key]}")
    run.lost = run.applied + len(run.warm_up_ids) - sum(versions.values())
    if run.lost:
        problems.append(f"{run.lost} updates lost")
    run.consistency = "ok" if not problems else "; ".join(problems[:3])


def database_cpu(cluster: Cluster | None) -> float:
    """CPU time of the PostgreSQL server's processes so far (0 for SQLite)."""
    if cluster is None:
        return 0.0
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    return sum(_cpu_of(pid) for pid in _tree(postmaster))


def measure(
    database: str, url: str, workers: int, editors: int, count: int, folder: Path, cluster: Cluster | None
) -> list[Run]:
    runs = []
    for mode in ("uncontended", "contended"):
        service = Service(url, workers, folder / f"{database}-{workers}-{mode}.log")
        try:
            run = Run(database, workers, mode, editors)
            _run_load(service, run, count, cluster)
            check_consistency(service, run)
        finally:
            service.stop()
        runs.append(run)
        _reset(database, url)
    return runs


def _run_load(service: Service, run: Run, count: int, cluster: Cluster | None) -> None:
    """The load, with the CPU each side used from the start (after the warm-up) to the end."""
    before: dict[str, Any] = {}

    def on_start() -> None:
        before.update(by_process=service.cpu_by_process(), database=database_cpu(cluster))
        before["client"] = time.process_time()

    asyncio.run(_load(service, run, count, on_start))
    used = [cpu - before["by_process"].get(pid, 0.0) for pid, cpu in service.cpu_by_process().items()]
    run.busiest_share = max(used) / max(sum(used), 1e-9)
    run.service_cpu_s = sum(used)
    run.database_cpu_s = database_cpu(cluster) - before["database"]
    run.client_cpu_s = time.process_time() - before["client"]


def _reset(database: str, url: str) -> None:
    """A fresh register for the next run (the feed starts at 1 again)."""
    from sqlalchemy import create_engine

    from sortui.server.schema import METADATA

    engine = create_engine(url)
    METADATA.drop_all(engine)
    engine.dispose()
    prepare(url)


def peak_rss_mb(service: Service) -> float:
    """The largest resident set any of the service's processes had (VmHWM), in MB."""
    peak = 0
    for pid in _tree(service.proc.pid):
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        peak = max([peak, *(int(line.split()[1]) for line in lines if line.startswith("VmHWM:"))])
    return peak / 1024


async def _guess(service: Service, tries: int, concurrency: int) -> Counter[int]:
    """``tries`` wrong passwords for one user name, ``concurrency`` at a time, as fast as answered."""
    answers: Counter[int] = Counter()
    todo = iter(range(tries))

    async def guesser() -> None:
        http = Connection(service.port, "")
        try:
            for n in todo:
                status, _ = await http.request("POST", "/auth/token", {"name": "bench", "password": f"guess {n}"})
                answers[status] += 1
        finally:
            http.close()

    await asyncio.gather(*(guesser() for _ in range(concurrency)))
    return answers


def sign_in_flood(url: str, folder: Path, tries: int = 1000, concurrency: int = 30) -> str:
    """The issue's attack: 1,000 password guesses for one user; answers, memory, and the right password after."""
    service = Service(url, 1, folder / "flood.log")
    try:
        before = peak_rss_mb(service)
        started = time.perf_counter()
        answers = asyncio.run(_guess(service, tries, concurrency))
        wall = time.perf_counter() - started
        peak = peak_rss_mb(service)
        right = httpx.post(f"{service.base}/auth/token", json={"name": "bench", "password": PASSWORD}, timeout=30)
        retry = right.headers.get("Retry-After")
    finally:
        service.stop()
    counts = ", ".join(f"{n} × {status}" for status, n in sorted(answers.items()))
    return (
        f"{tries} wrong passwords, {concurrency} at a time, in {wall:.1f} s: {counts}; service peak RSS "
        f"{before:.0f} → {peak:.0f} MB; the right password right after: {right.status_code}"
        + (f" (Retry-After {retry} s)" if retry else "")
    )


def table(runs: list[Run]) -> str:
    lines = [
        "| database | workers | mode | editors | applied | 409s | changesets/s | p50 ms | p99 ms "
        "| CPU ms/request: service, PostgreSQL, client | busiest process | lost updates | consistency |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.database} | {r.workers} | {r.mode} | {r.editors} | {r.applied} | {r.conflicts} | {r.rate:.0f} | "
            f"{r.percentile(50):.1f} | {r.percentile(99):.1f} | {r.cpu_ms(r.service_cpu_s):.1f}, "
            f"{r.cpu_ms(r.database_cpu_s):.1f}, {r.cpu_ms(r.client_cpu_s):.1f} | {100 * r.busiest_share:.0f} % "
            f"| {r.lost} | {r.consistency} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--changesets", type=int, default=50, help="per editor")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--flood", action="store_true", help="only the sign-in flood (on SQLite)")
    args = parser.parse_args(argv)
    if args.flood:
        with tempfile.TemporaryDirectory(prefix="sortui-flood-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'flood.sqlite'}"
            prepare(url)
            print(sign_in_flood(url, Path(tmp)))
        return 0
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="sortui-load-") as tmp:
        folder = Path(tmp)
        for database in args.databases.split(","):
            cluster = None
            if database == "postgresql":
                reason = missing_reason()
                if reason:
                    print(f"PostgreSQL skipped: {reason}", file=sys.stderr)
                    continue
                cluster = Cluster(durable=True).start()
            try:
                for workers in map(int, args.workers.split(",")):
                    if cluster is not None:
                        url = cluster.create_database(f"load_{workers}")
                    else:
                        url = f"sqlite:///{folder / f'load-{workers}.sqlite'}"
                    prepare(url)
                    runs += measure(database, url, workers, args.editors, args.changesets, folder, cluster)
            finally:
                if cluster is not None:
                    cluster.stop()
    print(
        f"{date.today()}: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(table(runs))
    return 0 if all(r.consistency == "ok" and r.errors == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
