"""Several service processes on one database, hammered at once: changesets stay atomic and applied
once, the change feed has no gaps or duplicates, and no update is lost."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ON_BOTH_DATABASES, ON_POSTGRES, Service

AFSNIT = "347831000016005"
AFDELING = "347821000016008"
HOSPITAL = "347811000016004"
APOTEK = "306011000016003"
APOTEK_GLN = "5790000173624"
URN = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"
THREADS = 8
ROUNDS = 12


@pytest.fixture
def services(tmp_path: Path, service_db: str) -> Iterator[list[Service]]:
    """Two `sortui serve` processes on the same database."""
    started = [Service(service_db, tmp_path / f"service{n}.log") for n in range(2)]
    try:
        for svc in started:
            svc.launch()
        for svc in started:
            svc.wait_ready()
        yield started
    finally:
        for svc in started:
            svc.stop()


def client(svc: Service, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{svc.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def set_op(key: str, field: str, value: Any, base: int) -> dict[str, Any]:
    return {
        "target": "entity",
        "key": key,
        "op": "set",
        "field": field,
        "old": None,
        "new": value,
        "base_version": base,
    }


def hammer(worker: Callable[[int], None], threads: int = THREADS) -> None:
    """Run ``worker(i)`` in ``threads`` threads released together; re-raise the first failure."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(10)
            worker(i)
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    assert not errors, errors[0]


def whole_feed(http: httpx.Client) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    since = 0
    while True:
        page = http.get("/changes", params={"since": since, "limit": 5000}).json()
        changes += page["changes"]
        since = page["last_seq"]
        if not page["more"]:
            return changes


def assert_feed_is_whole(changes: list[dict[str, Any]], head: int) -> None:
    """Sequence numbers 1..head, each once, and each record's versions 1..n each once, in order."""
    assert [c["seq"] for c in changes] == list(range(1, head + 1))
    versions: dict[str, list[int]] = {}
    for c in changes:
        versions.setdefault(c["key"], [])
        if not versions[c["key"]] or versions[c["key"]][-1] != c["version"]:  # a changeset's ops share a version
            versions[c["key"]].append(c["version"])
    for key, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), f"{key}: versions {seen}"


def assert_numbers_answered(answers: list[dict[str, Any]], changes: list[dict[str, Any]]) -> None:
    """Each applied changeset's answer names its own feed rows: consecutive, in the order of its operations."""
    seqs: dict[str, list[int]] = {}
    for c in changes:
        seqs.setdefault(c["changeset"], []).append(c["seq"])
    assert answers and len({a["changeset"] for a in answers}) == len(answers)
    for a in answers:
        assert (
            seqs[a["changeset"]] == list(range(a["first_seq"], a["last_seq"] + 1))
            and a["last_seq"] - a["first_seq"] + 1 == a["applied"]
        ), a


@ON_BOTH_DATABASES
def test_contended_edits_through_two_processes_lose_nothing(services: list[Service]) -> None:
    token = services[0].token("alice")
    applied: Counter[str] = Counter()
    answers: list[dict[str, Any]] = []
    refused: Counter[int] = Counter()
    lock = threading.Lock()

    def editor(i: int) -> None:
        with client(services[i % 2], token) as http:
            for r in range(ROUNDS):
                version = http.get(f"/units/{AFSNIT}").json()["version"]
                ops = [
                    set_op(AFSNIT, "note", f"editor {i} round {r}", version),
                    set_op(AFSNIT, "name", f"Navn {i}", version),
                ]
                answer = http.post("/changesets", json={"id": uuid.uuid4().hex, "operations": ops})
                with lock:
                    if answer.status_code == 200:
                        applied[answer.json()["changeset"]] += 1
                        answers.append(answer.json())
                    else:
                        assert answer.status_code == 409 and answer.json()["error"]["code"] == "conflict", answer.text
                        refused[answer.status_code] += 1

    hammer(editor)
    with client(services[1], token) as http:
        unit = http.get(f"/units/{AFSNIT}").json()
        head = http.get("/status").json()["head_seq"]
        changes = whole_feed(http)
    assert sum(applied.values()) + sum(refused.values()) == THREADS * ROUNDS
    assert set(applied.values()) == {1} and applied  # each applied changeset once
    assert unit["version"] == len(applied)  # every applied changeset made exactly one version: none lost
    assert head == 2 * len(applied) == len(changes)
    assert_feed_is_whole(changes, head)
    by_changeset = Counter(c["changeset"] for c in changes)
    assert by_changeset == Counter(dict.fromkeys(applied, 2))  # both operations of each, atomically
    assert_numbers_answered(answers, changes)
    assert [c["field"] for c in changes] == ["note", "name"] * len(applied)  # each changeset's rows together
    last = changes[-1]
    assert unit["data"]["note"] == next(c["new"] for c in reversed(changes) if c["field"] == "note")
    assert last["version"] == unit["version"]


@ON_BOTH_DATABASES
def test_uncontended_edits_through_two_processes_all_apply(services: list[Service]) -> None:
    """Each editor its own record: nothing conflicts, so everything is applied, in one gapless feed."""
    token = services[0].token("alice")
    keys = [AFSNIT, AFDELING, HOSPITAL, APOTEK]
    answers: list[dict[str, Any]] = []

    def editor(i: int) -> None:
        key = keys[i % len(keys)] if i < len(keys) else None
        with client(services[i % 2], token) as http:
            for r in range(ROUNDS):
                if key is None:  # the others add and remove a message type on the pharmacy's location number
                    loc = http.get(f"/locations/{APOTEK_GLN}").json()
                    op = {"target": "location", "key": APOTEK_GLN, "op": "set", "field": "location.note"}
                    ops = [{**op, "old": None, "new": f"note {i} {r}", "base_version": loc["version"]}]
                else:
                    version = http.get(f"/units/{key}").json()["version"]
                    ops = [set_op(key, "note", f"{i}-{r}", version), set_op(key, "name", f"Navn {i}-{r}", version)]
                answer = http.post("/changesets", json={"id": uuid.uuid4().hex, "operations": ops})
                assert answer.status_code in (200, 409), answer.text
                if key is not None:  # nobody else writes this unit
                    assert answer.status_code == 200, answer.text
                if answer.status_code == 200:
                    answers.append(answer.json())  # list.append is atomic

    hammer(editor, threads=6)
    with client(services[0], token) as http:
        head = http.get("/status").json()["head_seq"]
        changes = whole_feed(http)
        versions = {k: http.get(f"/units/{k}").json()["version"] for k in keys}
    assert_feed_is_whole(changes, head)
    assert versions == dict.fromkeys(keys, ROUNDS)
    assert_numbers_answered(answers, changes)  # numbered side by side, each changeset's rows together


@ON_BOTH_DATABASES
def test_one_changeset_sent_to_both_processes_at_once_is_applied_once(services: list[Service]) -> None:
    token = services[0].token("erik")
    results: list[dict[str, Any]] = []
    lock = threading.Lock()
    ids = [uuid.uuid4().hex for _ in range(5)]

    def sender(i: int) -> None:
        with client(services[i % 2], token) as http:
            for n, cs in enumerate(ids):
                ops = [set_op(AFSNIT, "note", f"runde {n}", n), set_op(AFSNIT, "postal.street", f"Vej {n}", n)]
                answer = http.post("/changesets", json={"id": cs, "operations": ops})
                assert answer.status_code == 200, answer.text
                with lock:
                    results.append(answer.json())

    hammer(sender, threads=4)
    applied = [r for r in results if not r["replayed"]]
    assert sorted(r["changeset"] for r in applied) == sorted(ids)  # each id applied by exactly one process
    for r in results:
        first = next(a for a in applied if a["changeset"] == r["changeset"])
        assert {k: v for k, v in r.items() if k != "replayed"} == {k: v for k, v in first.items() if k != "replayed"}
    with client(services[1], token) as http:
        changes = whole_feed(http)
    assert len(changes) == 2 * len(ids) and Counter(c["changeset"] for c in changes) == Counter(dict.fromkeys(ids, 2))


@ON_POSTGRES
def test_serve_with_two_workers_shares_one_database(tmp_path: Path, service_db: str) -> None:
    svc = Service(service_db, tmp_path / "workers.log", extra=("--workers", "2"))
    svc.start()
    try:
        token = svc.token("alice")
        seen_pids: set[int] = set()

        def editor(i: int) -> None:
            with client(svc, token) as http:
                for r in range(ROUNDS):
                    version = http.get(f"/units/{AFSNIT}").json()["version"]
                    ops = [set_op(AFSNIT, "note", f"{i} {r}", version)]
                    answer = http.post("/changesets", json={"id": uuid.uuid4().hex, "operations": ops})
                    assert answer.status_code in (200, 409), answer.text
                    seen_pids.add(http.get("/status").json()["process"])

        def asker(_i: int) -> None:
            """Fresh connections while the others are busy: the kernel wakes the workers in one fixed
            order, so a burst of keep-alive connections may all go to one of them."""
            deadline = time.monotonic() + 20
            while len(seen_pids) < 2 and time.monotonic() < deadline:
                seen_pids.add(httpx.get(f"{svc.url}/api/v1/status", timeout=10).json()["process"])

        hammer(lambda i: editor(i) if i < 6 else asker(i), threads=8)
        with client(svc, token) as http:
            head = http.get("/status").json()["head_seq"]
            unit = http.get(f"/units/{AFSNIT}").json()
            changes = whole_feed(http)
    finally:
        svc.stop()
    assert len(seen_pids) == 2  # both workers answered
    assert_feed_is_whole(changes, head)
    assert unit["version"] == head == len(changes)


@ON_BOTH_DATABASES
def test_moves_and_edits_of_the_same_unit_at_once_never_fail(services: list[Service]) -> None:
    """A move (under the register's lock from its start) and field edits (side by side) of one unit
    wait for each other in the database; whichever PostgreSQL picks as a deadlock's victim is
    decided again, so every answer is applied or a 409, never an error."""
    token = services[0].token("alice")
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def worker(i: int) -> None:
        with client(services[i % 2], token) as http:
            for r in range(ROUNDS):
                unit = http.get(f"/units/{AFSNIT}").json()
                if i == 0:
                    parent = HOSPITAL if unit["data"]["parent_sor_id"] == AFDELING else AFDELING
                    op = {"target": "entity", "key": AFSNIT, "op": "move", "field": "parent_sor_id"}
                    ops = [{**op, "old": None, "new": parent, "base_version": unit["version"]}]
                else:
                    ops = [set_op(AFSNIT, "note", f"{i} {r}", unit["version"])]
                answer = http.post("/changesets", json={"id": uuid.uuid4().hex, "operations": ops})
                with lock:
                    statuses[answer.status_code] += 1
                assert answer.status_code in (200, 409), answer.text

    hammer(worker, threads=6)
    with client(services[0], token) as http:
        head = http.get("/status").json()["head_seq"]
        changes = whole_feed(http)
        unit = http.get(f"/units/{AFSNIT}").json()
    assert_feed_is_whole(changes, head)
    assert unit["version"] == statuses[200] == head


def test_the_workers_socket_lets_asyncio_switch_nagle_off() -> None:
    """`serve --workers N` binds its own socket: its connections must have TCP_NODELAY, or every answer
    waits for the client's delayed ACK (about 40 ms)."""
    import asyncio
    import socket

    from sortui.server.run import TcpConfig

    listening = TcpConfig("sortui.server.run:worker_app", host="127.0.0.1", port=0, workers=2).bind_socket()
    nodelay: list[int] = []

    async def check() -> None:
        def accepted(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nodelay.append(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listening)
        _reader, writer = await asyncio.open_connection(*listening.getsockname())
        await asyncio.sleep(0.2)
        writer.close()
        server.close()

    asyncio.run(check())
    assert nodelay and nodelay[0] != 0
