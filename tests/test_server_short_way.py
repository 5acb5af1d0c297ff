"""POST /changesets the short way (``api.ShortChangesets``) answers what the route's own way answers.

The same requests, in the same order, on two copies of one database: once as the service runs
(the short way takes what it can), once with the short way switched off (every request goes
through FastAPI's routing, dependencies and validation). Status, headers and bodies must match.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import SERVICE_USERS

from sortui.server import api
from sortui.server.db import make_engine
from sortui.server.users import expire_tokens_of, issue_token

AFSNIT = "347831000016005"  # in erik's subtree
APOTEK = "306011000016003"  # outside it


def op(key: str, field: str, new: Any, base: int = 0) -> dict[str, Any]:
    return {"target": "entity", "key": key, "op": "set", "field": field, "old": None, "new": new, "base_version": base}


def body(cs: str, *ops: dict[str, Any]) -> bytes:
    return json.dumps({"id": cs, "operations": list(ops)}).encode()


JSON = "application/json"


def requests(tokens: dict[str, str]) -> list[tuple[str, dict[str, str], bytes]]:
    """(what it is, headers, body): the requests sent to both services, in this order."""
    alice, erik, viv = (f"Bearer {tokens[n]}" for n in ("alice", "erik", "viv"))
    first = body("c1", op(AFSNIT, "note", "one"))
    return [
        ("applied", {"Authorization": alice, "Content-Type": JSON}, first),
        ("replayed", {"Authorization": alice, "Content-Type": JSON}, first),
        ("id reused", {"Authorization": alice, "Content-Type": JSON}, body("c1", op(AFSNIT, "note", "two", 1))),
        ("id of another user", {"Authorization": erik, "Content-Type": JSON}, first),
        ("stale", {"Authorization": alice, "Content-Type": JSON}, body("c2", op(AFSNIT, "note", "two", 0))),
        ("outside the subtree", {"Authorization": erik, "Content-Type": JSON}, body("c3", op(APOTEK, "note", "x"))),
        ("a viewer", {"Authorization": viv, "Content-Type": JSON}, body("c4", op(AFSNIT, "note", "x", 1))),
        ("unknown unit", {"Authorization": alice, "Content-Type": JSON}, body("c5", op("123", "note", "x"))),
        ("bad value", {"Authorization": alice, "Content-Type": JSON}, body("c6", op(AFSNIT, "contact.phone", "12", 1))),
        ("bad field", {"Authorization": alice, "Content-Type": JSON}, body("c7", op(AFSNIT, "sort_name", "x", 1))),
        ("bad id", {"Authorization": alice, "Content-Type": JSON}, body("c 8", op(AFSNIT, "note", "x", 1))),
        ("no operations", {"Authorization": alice, "Content-Type": JSON}, body("c9")),
        ("charset", {"Authorization": alice, "Content-Type": "application/json; charset=utf-8"}, body("c10", op(AFSNIT, "note", "a", 1))),
        ("lower-case scheme", {"Authorization": f"bearer {tokens['alice']}", "Content-Type": JSON}, body("c11", op(AFSNIT, "note", "b", 2))),
        ("+json", {"Authorization": alice, "Content-Type": "application/merge-patch+json"}, body("c12", op(AFSNIT, "note", "c", 3))),
        ("text/plain", {"Authorization": alice, "Content-Type": "text/plain"}, body("c13", op(AFSNIT, "note", "d", 3))),
        ("no content type", {"Authorization": alice}, body("c14", op(AFSNIT, "note", "d", 3))),
        ("no token", {"Content-Type": JSON}, body("c15", op(AFSNIT, "note", "x", 4))),
        ("no token, bad body", {"Content-Type": JSON}, b"{not json"),
        ("basic", {"Authorization": "Basic YWxpY2U6eA==", "Content-Type": JSON}, body("c16", op(AFSNIT, "note", "x", 4))),
        ("scheme only", {"Authorization": "Bearer", "Content-Type": JSON}, body("c17", op(AFSNIT, "note", "x", 4))),
        ("unknown token", {"Authorization": "Bearer nope", "Content-Type": JSON}, body("c18", op(AFSNIT, "note", "x", 4))),
        ("unknown token, bad body", {"Authorization": "Bearer nope", "Content-Type": JSON}, b"[]"),
        ("malformed", {"Authorization": alice, "Content-Type": JSON}, b"{not json"),
        ("empty", {"Authorization": alice, "Content-Type": JSON}, b""),
        ("wrong shape", {"Authorization": alice, "Content-Type": JSON}, b'{"id": "x", "operations": [{"target": "planet"}]}'),
        ("not UTF-8", {"Authorization": alice, "Content-Type": JSON}, b'{"id": "\xff"}'),
        ("too deep", {"Authorization": alice, "Content-Type": JSON}, b"[" * 100_000 + b"]" * 100_000),
        ("NaN", {"Authorization": alice, "Content-Type": JSON}, b'{"id": "c19", "operations": [{"target": "entity", "key": "' + AFSNIT.encode() + b'", "op": "set", "field": "note", "old": null, "new": NaN, "base_version": 4}]}'),
        ("extra keys", {"Authorization": alice, "Content-Type": JSON}, b'{"id": "c20", "more": 1, "operations": [{"target": "entity", "key": "' + AFSNIT.encode() + b'", "op": "set", "field": "note", "new": "e", "base_version": 4, "x": 2}]}'),
        ("a number as text", {"Authorization": alice, "Content-Type": JSON}, body("c21", {**op(AFSNIT, "note", "f"), "base_version": "5"})),
    ]  # fmt: skip


Answer = tuple[str, int, dict[str, str], Any]


def _answers(url: str, sent: list[tuple[str, dict[str, str], bytes]]) -> list[Answer]:
    engine = make_engine(url)
    try:
        return asyncio.run(_send(engine, sent))
    finally:
        engine.dispose()


async def _send(engine: Any, sent: list[tuple[str, dict[str, str], bytes]]) -> list[Answer]:
    transport = httpx.ASGITransport(app=api.create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1/api/v1") as client:
        answers = []
        for what, headers, content in sent:
            answer = await client.post("/changesets", headers=headers, content=content)
            answers.append((what, answer.status_code, dict(answer.headers), answer.json()))
        expire_tokens_of(engine, "alice")
        answer = await client.post("/changesets", headers=sent[0][1], content=body("c22", op(AFSNIT, "note", "g", 5)))
        answers.append(("expired", answer.status_code, dict(answer.headers), answer.json()))
        return answers


def test_the_short_way_answers_what_the_route_answers(
    tmp_path: Path, _service_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "short.sqlite", tmp_path / "route.sqlite"
    shutil.copyfile(_service_template, first)
    engine = make_engine(f"sqlite:///{first}")
    tokens = {}
    for name in ("alice", "erik", "viv"):
        issued, _ = issue_token(engine, name, SERVICE_USERS[name][2])
        assert issued is not None
        tokens[name] = issued.token
    engine.dispose()
    shutil.copyfile(first, second)  # the same tokens in both
    sent = requests(tokens)

    taken: list[bool] = []
    short_request = api._short_request

    def counted(scope: Any, message: Any) -> Any:
        found = short_request(scope, message)
        taken.append(found[1] is not None)
        return found

    monkeypatch.setattr(api, "_short_request", counted)
    short = _answers(f"sqlite:///{first}", sent)
    monkeypatch.setattr(api, "_short_request", lambda scope, message: (None, None))
    route = _answers(f"sqlite:///{second}", sent)

    for mine, theirs in zip(short, route, strict=True):
        assert mine == theirs
    ways = dict(zip([what for what, _, _ in sent], taken, strict=False))
    assert ways["applied"] and ways["replayed"] and ways["stale"] and ways["charset"] and ways["lower-case scheme"]
    assert not ways["+json"] and not ways["no token"] and not ways["malformed"] and not ways["wrong shape"]
    statuses = {what: status for what, status, _, _ in short}
    assert statuses["applied"] == statuses["replayed"] == statuses["charset"] == 200
    assert statuses["stale"] == statuses["id reused"] == 409 and statuses["outside the subtree"] == 403
    assert statuses["unknown token"] == statuses["expired"] == statuses["no token"] == 401
