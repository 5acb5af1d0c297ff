"""The central service over real HTTP: sign-in, rights, changesets, conflicts, the feed, errors, logs."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from conftest import ON_BOTH_DATABASES, SERVICE_USERS, Service

from sortui import __version__

AFSNIT = "347831000016005"  # an OE under the hospital SI 347811000016004 (erik's and bob's subtree)
APOTEK = "306011000016003"  # an IE outside it
APOTEK_GLN = "5790000173624"
PRAKSIS = "8331000016009"  # an SI outside erik's subtree
URN = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"

pytestmark = ON_BOTH_DATABASES


def op(key: str, field: str, new: Any, base: int = 0, target: str = "entity", kind: str = "set") -> dict[str, Any]:
    return {"target": target, "key": key, "op": kind, "field": field, "old": None, "new": new, "base_version": base}


def push(client: httpx.Client, *ops: dict[str, Any], cs: str | None = None) -> httpx.Response:
    return client.post("/changesets", json={"id": cs or uuid.uuid4().hex, "operations": list(ops)})


def test_openapi_document_and_status_are_served(service: Service) -> None:
    with service.http() as http:
        doc = http.get("/openapi.json").json()
        status = http.get("/status").json()
    assert {"/api/v1/changesets", "/api/v1/changes", "/api/v1/snapshot", "/api/v1/auth/token"} <= set(doc["paths"])
    assert status["status"] == "ok" and status["head_seq"] == 0 and status["messages"] == []


def test_sign_in_errors_are_json_401(service: Service) -> None:
    with service.http() as http:
        wrong = http.post("/auth/token", json={"name": "alice", "password": "nope"})
        unknown = http.post("/auth/token", json={"name": "mallory", "password": "nope"})
        anonymous = http.get(f"/units/{AFSNIT}")
        bogus = http.get(f"/units/{AFSNIT}", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == unknown.status_code == anonymous.status_code == bogus.status_code == 401
    assert wrong.json()["error"]["code"] == "bad_credentials"
    assert wrong.json() == unknown.json()  # no telling which user names exist
    assert anonymous.json()["error"]["code"] == "unauthorized"


def test_an_expired_token_is_refused(service: Service) -> None:
    from sortui.server.db import make_engine
    from sortui.server.users import expire_tokens_of

    with service.http("viv") as http:
        assert http.get(f"/units/{AFSNIT}").status_code == 200
        engine = make_engine(service.db_url)
        assert expire_tokens_of(engine, "viv") == 1
        engine.dispose()
        answer = http.get(f"/units/{AFSNIT}")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "token_expired"


def test_a_changeset_sent_twice_is_applied_once(service: Service) -> None:
    with service.http("alice") as http:
        first = push(http, op(AFSNIT, "name", "Ny"), op(AFSNIT, "postal.street", "Køgevej"), cs="cs-twice")
        again = push(http, op(AFSNIT, "name", "Ny"), op(AFSNIT, "postal.street", "Køgevej"), cs="cs-twice")
        feed = http.get("/changes", params={"since": 0}).json()
        unit = http.get(f"/units/{AFSNIT}").json()
    assert first.status_code == again.status_code == 200
    assert first.json()["replayed"] is False and again.json()["replayed"] is True
    assert {k: v for k, v in again.json().items() if k != "replayed"} == {
        k: v for k, v in first.json().items() if k != "replayed"
    }
    assert [(c["seq"], c["field"], c["user"]) for c in feed["changes"]] == [
        (1, "name", "alice"),
        (2, "postal.street", "alice"),
    ]
    assert unit["version"] == 1 and unit["data"]["name"] == "Ny"
    assert feed["changes"][0]["old"] == "Roskilde Øjenklinik, beh. afsnit"


def test_stale_versions_get_409_with_every_conflicting_item(service: Service) -> None:
    with service.http("alice") as http:
        assert push(http, op(AFSNIT, "name", "Først")).status_code == 200
        answer = push(http, op(AFSNIT, "name", "Anden"), op(AFSNIT, "note", "x"), op(APOTEK, "name", "Apotek 2"))
        unit = http.get(f"/units/{AFSNIT}").json()
        apotek = http.get(f"/units/{APOTEK}").json()
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "conflict"
    assert [(c["index"], c["field"], c["server_value"], c["server_version"]) for c in error["conflicts"]] == [
        (0, "name", "Først", 1),
        (1, "note", None, 1),
    ]
    assert unit["data"]["name"] == "Først" and unit["version"] == 1
    assert apotek["version"] == 0 and apotek["data"]["name"] == "Værløse Apotek"  # nothing of it applied


def test_rights_are_checked_on_the_server(service: Service) -> None:
    with service.http("erik") as erik, service.http("viv") as viv, service.http("edith") as edith:
        outside = push(erik, op(AFSNIT, "note", "inde"), op(APOTEK, "note", "ude"))
        inside = push(erik, op(AFSNIT, "note", "inde"))
        moved_out = push(
            erik, op(AFSNIT, "parent_sor_id", PRAKSIS, base=1, kind="move")
        )  # his unit, out of his subtree
        viewer = push(viv, op(AFSNIT, "name", "x", base=1))
        editor_edi = push(erik, op(APOTEK_GLN, URN, {"from_date": None, "to_date": None}, target="message", kind="add"))
        edi_name = push(edith, op(AFSNIT, "name", "x", base=1))
        edi_mixed = push(
            edith,
            op(APOTEK_GLN, URN, {"from_date": "2024-01-01", "to_date": None}, target="message", kind="add"),
            op(AFSNIT, "note", "EDI note"),
        )
        location = edith.get(f"/locations/{APOTEK_GLN}").json()
        feed = viv.get("/changes").json()
    with service.http("alice") as alice:  # the same move is valid: only erik's rights refused it
        moved_by_admin = push(alice, op(AFSNIT, "parent_sor_id", PRAKSIS, base=1, kind="move"))
    assert outside.status_code == 403 and "outside the subtrees" in outside.json()["error"]["message"]
    assert inside.status_code == 200
    assert moved_out.status_code == 403 and PRAKSIS in moved_out.json()["error"]["message"]
    assert moved_by_admin.status_code == 200, moved_by_admin.text
    assert viewer.status_code == editor_edi.status_code == edi_name.status_code == edi_mixed.status_code == 403
    assert location["version"] == 0 and location["data"]["messages"] == {}  # nothing of a refused changeset applied
    assert [c["key"] for c in feed["changes"]] == [AFSNIT]


def test_edi_admin_changes_message_types_and_location_attributes(service: Service) -> None:
    with service.http("edith") as edith:
        answer = push(
            edith,
            op(APOTEK_GLN, URN, {"from_date": "2024-01-01", "to_date": None}, target="message", kind="add"),
            op(APOTEK_GLN, "location.system_type", "12345", target="location"),
        )
        location = edith.get(f"/locations/{APOTEK_GLN}").json()
        history = edith.get(f"/units/{APOTEK}/history").json()
    assert answer.status_code == 200
    assert location["version"] == 1 and location["data"]["system_type"] == "12345"
    assert location["data"]["messages"] == {URN: {"from_date": "2024-01-01", "to_date": None}}
    assert [(c["field"], c["user"], c["old"], c["new"]) for c in history["changes"]] == [  # newest first
        ("location.system_type", "edith", "221000045007", "12345"),
        (URN, "edith", None, {"from_date": "2024-01-01", "to_date": None}),
    ]


def test_bad_requests_get_json_errors(service: Service) -> None:
    with service.http("alice") as http:
        malformed = http.post("/changesets", content=b"{not json", headers={"Content-Type": "application/json"})
        wrong_shape = http.post("/changesets", json={"id": "x", "operations": [{"target": "planet"}]})
        bad_field = push(http, op(AFSNIT, "sort_name", "x"))
        bad_value = push(http, op(AFSNIT, "contact.phone", "12"))
        too_large = http.post("/changesets", content=b"x" * (5 * 1024 * 1024 + 1))
        streamed_too_large = http.post("/changesets", content=(b"x" * 65536 for _ in range(81)))  # chunked: no length
        streamed = http.post("/changesets", content=(part for part in (b'{"id": "x", ', b'"operations": [{}]}')))
        no_route = http.get("/nowhere")
        unknown_unit = http.get("/units/123")
    for answer, status in (
        (malformed, 422),
        (wrong_shape, 422),
        (bad_field, 422),
        (bad_value, 422),
        (too_large, 413),
        (streamed_too_large, 413),
        (streamed, 422),
        (no_route, 404),
        (unknown_unit, 404),
    ):
        assert answer.status_code == status, answer.text
        assert set(answer.json()["error"]) >= {"code", "message"}, answer.text
    assert "Telefon" in bad_value.json()["error"]["message"]


def test_operating_messages_are_posted_by_admins_and_shown_in_status(service: Service) -> None:
    from sortui.sync.client import status

    with service.http("alice") as alice, service.http("viv") as viv:
        refused = viv.post("/messages", json={"text": "nope"})
        posted = alice.post("/messages", json={"text": "Planlagt nedetid kl. 22", "severity": "warning"})
    shown = status(service.url)
    assert refused.status_code == 403 and posted.status_code == 201
    assert shown.reachable and shown.ok and shown.message is not None
    assert shown.message["text"] == "Planlagt nedetid kl. 22" and shown.message["severity"] == "warning"
    assert not status("http://127.0.0.1:9").reachable


def test_snapshot_streams_every_record(service: Service) -> None:
    import json

    with service.http("viv") as http:
        lines = [json.loads(line) for line in http.get("/snapshot").text.splitlines()]
    assert lines[0]["type"] == "header" and lines[0]["entities"] == 10 and lines[0]["locations"] == 2
    assert [r["type"] for r in lines].count("entity") == 10 and lines[-1] == {"type": "end"}


def test_no_secret_reaches_the_server_log(service: Service) -> None:
    token = service.token("alice")
    with httpx.Client(base_url=f"{service.url}/api/v1", timeout=10) as http:
        http.post("/auth/token", json={"name": "bob", "password": "wrong-password-123"})
        http.get(f"/units/{AFSNIT}", headers={"Authorization": f"Bearer {token}"})
        http.get(f"/changes?since=0&token={token}", headers={"Authorization": f"Bearer {token}"})
        http.get("/status", headers={"Authorization": "Bearer leaked-looking-token-xyz"})
    service.stop()
    log = service.log_text()
    assert '"GET /api/v1/units/347831000016005 HTTP/1.1" 200' in log  # the access log is on
    for secret in (token, "wrong-password-123", "leaked-looking-token-xyz", *(u[2] for u in SERVICE_USERS.values())):
        assert secret not in log


def test_the_service_refuses_what_the_working_copy_refuses(service: Service) -> None:
    from sortui.domain.provisional import provisional_sor_id

    message = {"target": "message", "key": APOTEK_GLN, "op": "add", "field": URN, "old": None, "base_version": 0}
    with service.http("alice") as http:
        answers = {
            "not a date": push(http, {**message, "new": {"from_date": "2024-13-45", "to_date": None}}),
            "ends before it starts": push(
                http, {**message, "new": {"from_date": "2024-06-01", "to_date": "2024-01-01"}}
            ),
            "newline in a name": push(http, op(AFSNIT, "name", "Afsnit\nB")),
            "escape in a name": push(http, op(AFSNIT, "name", "\x1b[2JAfsnit")),
            "bidi override in a street": push(http, op(AFSNIT, "postal.street", "Vej \u202e1")),
            "control character in a note": push(http, op(APOTEK_GLN, "location.note", "a\x07b", target="location")),
        }
        created = push(
            http,
            {
                "target": "entity",
                "key": provisional_sor_id(1),
                "op": "create",
                "field": None,
                "old": None,
                "new": {"kind": "OE", "name": "Ny\tenhed", "parent_sor_id": AFSNIT},
                "base_version": 0,
            },
        )
        unit = http.get(f"/units/{AFSNIT}").json()
        location = http.get(f"/locations/{APOTEK_GLN}").json()
        feed = http.get("/changes").json()
    for what, answer in answers.items():
        assert answer.status_code == 422, (what, answer.text)
        assert answer.json()["error"]["code"] == "invalid_value", (what, answer.text)
    assert "Gyldig fra '2024-13-45' is not a date" in answers["not a date"].json()["error"]["message"]
    assert "Gyldig til 2024-01-01 is before Gyldig fra 2024-06-01" in answers["ends before it starts"].text
    assert "Navn holds the control character U+000A, which is not allowed" in answers["newline in a name"].text
    assert created.status_code == 422 and "Navn holds the control character U+0009" in created.text, created.text
    assert unit["version"] == 0 and location["version"] == 0 and feed["changes"] == []


def test_huge_numbers_in_a_request_are_refused_not_crashed_on(service: Service) -> None:
    huge = 10**30
    with service.http("alice") as http:
        answers = [
            http.get("/changes", params={"since": huge}),
            http.get("/changes", params={"limit": huge}),
            http.get(f"/units/{AFSNIT}/history", params={"before": huge}),
            http.delete(f"/messages/{huge}"),
            push(http, op(AFSNIT, "name", "x", base=huge)),
        ]
        largest = http.get("/changes", params={"since": 2**31 - 1})
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "invalid_request", answer.text
    assert largest.status_code == 200 and largest.json()["changes"] == []


def test_a_changeset_id_reused_with_other_operations_is_refused(service: Service) -> None:
    with service.http("alice") as http:
        first = push(http, op(AFSNIT, "name", "Først"), cs="cs-reused")
        other = push(http, op(AFSNIT, "name", "Anden", base=1), cs="cs-reused")
        same_again = push(http, op(AFSNIT, "name", "Først"), cs="cs-reused")
        unit = http.get(f"/units/{AFSNIT}").json()
    assert first.status_code == 200 and same_again.status_code == 200 and same_again.json()["replayed"] is True
    assert other.status_code == 409 and other.json()["error"]["code"] == "changeset_reused", other.text
    assert unit["data"]["name"] == "Først" and unit["version"] == 1


def test_status_reports_availability_from_the_services_own_heartbeats(service: Service) -> None:
    from sortui.server import availability
    from sortui.server.db import make_engine

    now = availability.current_minute()
    engine = make_engine(service.db_url)
    try:
        for minute in range(now - 2 * 1440, now - 1440):  # up for a day, two days ago; then down for a day
            availability.beat(engine, minute)
    finally:
        engine.dispose()
    with service.http() as http:
        status = http.get("/status").json()
    assert status["version"] == __version__ and status["database"] == service.db_url.split(":")[0].split("+")[0]
    assert status["uptime_s"] >= 0 and status["started_at"] <= status["time"]
    a = status["availability"]
    assert (a["window_days"], a["sla_percent"]) == (30, 95.0)
    assert a["minutes"] - 2 * 1440 in (1, 2)  # 2 when a minute began since the test read the clock
    assert 1441 <= a["minutes_up"] <= 1443  # the running service beats too
    assert 50 <= a["percent"] < 50.2 and a["meets_sla"] is False


MESSAGE = {"from_date": "2024-01-01", "to_date": None}
# (operations, HTTP status, error code, the message): changesets the service refuses whole.
# (All three kinds are said with "an": an IE, an SI, an OE.)
MALFORMED: list[tuple[list[dict[str, Any]], int, str, str]] = [
    ([], 422, "invalid_request", "a changeset needs at least one operation"),
    (
        [op(AFSNIT, "parent_sor_id", PRAKSIS, kind="jump")],
        422,
        "invalid_request",
        "body.operations.0.op: Input should be 'set', 'move', 'add', 'remove', 'create' or 'ean'",
    ),
    (
        [op(APOTEK_GLN, "parent_sor_id", PRAKSIS, target="location", kind="move")],
        422,
        "invalid_operation",
        "operation 0: 'move' is not an operation on 'location'",
    ),
    (
        [op(AFSNIT, "note", "ok"), op(AFSNIT, "name", {"kind": "OE"}, kind="create")],
        422,
        "invalid_operation",
        "operation 1: a create operation has no field",
    ),
    (
        [op(AFSNIT, "name", {}, kind="ean")],
        422,
        "invalid_operation",
        "operation 0: an ean operation changes the field ean_mode",
    ),
    ([op(AFSNIT, "", "x")], 422, "invalid_operation", "operation 0: an operation needs a field"),
    (
        [op(AFSNIT, "colour", "blå")],
        422,
        "invalid_operation",
        "operation 0: 'colour' is not a field of a unit that can be changed",
    ),
    ([op(AFSNIT, "name", 42)], 422, "invalid_operation", "operation 0: name is text"),
    ([op(AFSNIT, "specialities", "a,b")], 422, "invalid_operation", "operation 0: specialities is a list of codes"),
    (
        [op(AFSNIT, "parent_sor_id", "")],
        422,
        "invalid_operation",
        "operation 0: 'parent_sor_id' is not a field of a unit that can be changed",
    ),
    (
        [op(AFSNIT, "parent_sor_id", "", kind="move")],
        422,
        "invalid_operation",
        "operation 0: a move sets parent_sor_id to a SOR-kode",
    ),
    (
        [op(APOTEK_GLN, "location.gln", "1", target="location")],
        422,
        "invalid_operation",
        "operation 0: 'location.gln' is not an attribute of a lokationsnummer that can be changed",
    ),
    (
        [op(APOTEK_GLN, URN, "2024-01-01", target="message", kind="add")],
        422,
        "invalid_operation",
        "operation 0: a message type's value is {from_date, to_date}",
    ),
    (
        [op(APOTEK_GLN, URN, {"from_date": 2024}, target="message", kind="add")],
        422,
        "invalid_operation",
        "operation 0: from_date and to_date are dates (YYYY-MM-DD) or null",
    ),
    (
        [op(APOTEK_GLN, URN, MESSAGE, target="message", kind="remove")],
        422,
        "invalid_operation",
        "operation 0: removing a message type takes no value",
    ),
    (
        [op(APOTEK_GLN, "urn:x:y", MESSAGE, target="message", kind="add")],
        422,
        "invalid_operation",
        "operation 0: 'urn:x:y' is not a MedCom message type",
    ),
    (
        [
            op(
                AFSNIT,
                "ean_mode",
                {
                    "ean_mode": "own",
                    "location": {"gln": "5790000999996"},
                    "messages": [["urn:x:y", "2024-01-01", None]],
                },
                kind="ean",
            )
        ],
        422,
        "invalid_operation",
        "operation 0: 'urn:x:y' is not a MedCom message type",
    ),
    (
        [op(APOTEK_GLN, URN, {"from_date": "2024-06-01", "to_date": "2024-01-01"}, target="message", kind="add")],
        422,
        "invalid_value",
        "operation 0: Gyldig til 2024-01-01 is before Gyldig fra 2024-06-01",
    ),
    (
        [op(AFSNIT, "note", "ok"), op(AFSNIT, "name", "x" * 61)],
        422,
        "invalid_value",
        f"{AFSNIT}: Navn is 61 characters, at most 60 allowed",
    ),
    # moves the tree does not allow
    (
        [op(AFSNIT, "parent_sor_id", "999999999999999", kind="move")],
        404,
        "not_found",
        "not in the register: unit 999999999999999",
    ),
    (
        [op(AFSNIT, "parent_sor_id", APOTEK, kind="move")],
        422,
        "invalid_operation",
        f"an OE cannot be moved under an IE ({APOTEK})",
    ),
    (
        [op("347821000016008", "parent_sor_id", AFSNIT, kind="move")],
        422,
        "invalid_operation",
        "347821000016008 cannot be moved into its own subtree",
    ),
    (
        [op(PRAKSIS, "parent_sor_id", "347811000016004", kind="move")],
        422,
        "invalid_operation",
        "an SI cannot be moved under an SI (347811000016004)",
    ),
]


def test_malformed_changesets_and_impossible_moves_are_refused_whole(service: Service) -> None:
    with service.http("alice") as http:
        answers = [push(http, *ops) for ops, *_ in MALFORMED]
        bad_id = push(http, op(AFSNIT, "note", "x"), cs="not an id!")
        feed = http.get("/changes", params={"since": 0}).json()
        unit = http.get(f"/units/{AFSNIT}").json()
    got = [(a.status_code, a.json()["error"]["code"], a.json()["error"]["message"]) for a in answers]
    wrong = [
        (ops, answer)
        for answer, (ops, status, code, message) in zip(got, MALFORMED, strict=True)
        if answer != (status, code, message)
    ]
    assert wrong == []
    assert bad_id.status_code == 422
    assert bad_id.json()["error"]["message"] == "a changeset id is 1-100 letters, digits, '-', '_' or '.'"
    assert feed["changes"] == [] and unit["version"] == 0  # nothing of any of them applied
