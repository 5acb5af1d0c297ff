"""Which problems of a changed record refuse a changeset on the service (changesets._validate):
those of the fields it changes, with a date range judged whole; problems the record already had
in other fields do not stop an edit of something else."""

from __future__ import annotations

import json
from typing import Any

from conftest import ON_BOTH_DATABASES, Service
from test_server import AFSNIT, op, push

from sortui.domain.provisional import provisional_sor_id

pytestmark = ON_BOTH_DATABASES


def _error(answer: Any) -> tuple[int, str, str, list[str] | None]:
    body = answer.json()["error"]
    return answer.status_code, body["code"], body["message"], body.get("problems")


def _spoil_name(service: Service, sor_id: str, name: str) -> None:
    """Give a unit, in the service's own database, a name the rules refuse (as old data may hold)."""
    from sqlalchemy import text

    from sortui.server.db import make_engine

    engine = make_engine(service.db_url)
    try:
        with engine.begin() as conn:
            data = json.loads(conn.execute(text("SELECT data FROM entity WHERE sor_id = :s"), {"s": sor_id}).scalar())
            data["name"] = name
            conn.execute(text("UPDATE entity SET data = :d WHERE sor_id = :s"), {"d": json.dumps(data), "s": sor_id})
    finally:
        engine.dispose()


def test_a_bad_speciality_code_is_refused_as_the_specialities_field(service: Service) -> None:
    with service.http("alice") as http:
        answer = push(http, op(AFSNIT, "specialities", ["not a code"]))
        unit = http.get(f"/units/{AFSNIT}").json()
    status, code, message, _ = _error(answer)
    assert (status, code) == (422, "invalid_value") and message.startswith(f"{AFSNIT}: "), message
    assert "not a code" in message
    assert unit["version"] == 0


def test_a_new_start_after_the_end_is_refused_though_only_the_start_changed(service: Service) -> None:
    with service.http("alice") as http:
        assert push(http, op(AFSNIT, "to_date", "2030-01-01")).status_code == 200
        answer = push(http, op(AFSNIT, "from_date", "2031-01-01", base=1))
        unit = http.get(f"/units/{AFSNIT}").json()
    status, code, message, _ = _error(answer)
    assert (status, code) == (422, "invalid_value")
    assert message == f"{AFSNIT}: Gyldig til 2030-01-01 is before Gyldig fra 2031-01-01"
    assert unit["version"] == 1 and unit["data"]["from_date"] != "2031-01-01"


def test_an_old_problem_of_another_field_does_not_stop_an_edit(service: Service) -> None:
    _spoil_name(service, AFSNIT, "x" * 61)
    with service.http("alice") as http:
        note = push(http, op(AFSNIT, "note", "en note"))
        start = push(http, op(AFSNIT, "from_date", "2001-01-01", base=1))
        name = push(http, op(AFSNIT, "name", "y" * 61, base=2))
        unit = http.get(f"/units/{AFSNIT}").json()
    assert note.status_code == 200, note.text
    assert start.status_code == 200, start.text
    status, code, message, _ = _error(name)
    assert (status, code) == (422, "invalid_value") and "Navn is 61 characters" in message
    assert unit["version"] == 2 and unit["data"]["note"] == "en note"


def test_a_missing_unit_or_lokationsnummer_is_named(service: Service) -> None:
    missing_unit, missing_gln = "999999999999999", "5790000999996"
    new = provisional_sor_id(7)
    with service.http("alice") as http:
        unit = push(http, op(missing_unit, "note", "x"))
        location = push(http, op(missing_gln, "location.note", "x", target="location"))
        provisional = push(http, op(new, "note", "x"))
        both = push(http, op(missing_unit, "note", "x"), op(missing_gln, "location.note", "x", target="location"))
    assert _error(unit)[:3] == (404, "not_found", f"not in the register: unit {missing_unit}")
    assert _error(location)[:3] == (404, "not_found", f"not in the register: lokationsnummer {missing_gln}")
    assert _error(provisional)[:3] == (
        404,
        "not_found",
        f"not in the register: unit {new} (a provisional id: the unit was not created in this changeset)",
    )
    assert _error(both)[2] == f"not in the register: lokationsnummer {missing_gln}, unit {missing_unit}"


def _own(gln: str, **attributes: Any) -> dict[str, Any]:
    """An ean value giving a unit the lokationsnummer ``gln`` of its own."""
    return {"ean_mode": "own", "location": {"gln": gln, **attributes}, "messages": []}


OWN_ATTRIBUTES = {
    "system_supplier": "1001000055001",
    "system_type": "221000045007",
    "communication_supplier": "41000035001",
    "region_code": "1085",
    "edi_administrator": "106",
}


def test_a_new_lokationsnummer_is_checked_whole(service: Service) -> None:
    new_gln = "5790000999996"
    with service.http("alice") as http:
        bare = push(http, op(AFSNIT, "ean_mode", _own(new_gln), kind="ean"))
        unit = http.get(f"/units/{AFSNIT}").json()
    status, code, message, problems = _error(bare)
    required = ("Systemleverandør", "EDB-system", "Netoperatør", "Region", "EDI-administrator")
    assert (status, code) == (422, "invalid_value")
    assert message == f"{new_gln}: " + "; ".join(f"{name} is required for a new lokationsnummer" for name in required)
    assert problems == [
        "location.system_supplier",
        "location.system_type",
        "location.communication_supplier",
        "location.region_code",
        "location.edi_administrator",
    ]
    assert unit["version"] == 0


def test_a_lokationsnummer_another_unit_has_is_refused_as_taken(service: Service) -> None:
    from test_server import APOTEK_GLN

    with service.http("alice") as http:
        answer = push(http, op(AFSNIT, "ean_mode", _own(APOTEK_GLN, **OWN_ATTRIBUTES), kind="ean"))
    status, code, message, _ = _error(answer)
    assert (status, code) == (409, "gln_taken")
    assert message == f"lokationsnummer {APOTEK_GLN} is already used by unit 306011000016003"
    assert answer.json()["error"]["gln"] == APOTEK_GLN


def test_a_refusal_says_which_operation_and_who_may_not(service: Service) -> None:
    with service.http("alice") as alice, service.http("viv") as viv, service.http("erik") as erik:
        second_bad = push(alice, op(AFSNIT, "note", "ok"), op(AFSNIT, "colour", "blå"))
        viewer = push(viv, op(AFSNIT, "note", "x"))
        mine = push(alice, op(AFSNIT, "note", "alices"), cs="cs-alice")
        theirs = push(erik, op(AFSNIT, "note", "alices"), cs="cs-alice")
        stale = push(alice, op(AFSNIT, "note", "gammel", base=0))
    assert second_bad.json()["error"]["index"] == 1
    assert _error(viewer)[:3] == (403, "forbidden", "viv (viewer) may not change units")
    assert mine.status_code == 200
    assert _error(theirs)[:3] == (409, "duplicate_changeset", "changeset id cs-alice was used by another user")
    (item,) = stale.json()["error"]["conflicts"]
    assert (item["key"], item["field"], item["server_value"]) == (AFSNIT, "note", "alices")


def test_the_message_types_a_new_lokationsnummer_brings_have_their_periods_checked(service: Service) -> None:
    from test_server import URN

    new_gln = "5790000999996"
    backwards = {**_own(new_gln, **OWN_ATTRIBUTES), "messages": [[URN, "2025-01-01", "2024-01-01"]]}
    not_a_date = {**_own(new_gln, **OWN_ATTRIBUTES), "messages": [[URN, "1. maj", None]]}
    with service.http("alice") as http:
        refused = [push(http, op(AFSNIT, "ean_mode", value, kind="ean")) for value in (backwards, not_a_date)]
        unit = http.get(f"/units/{AFSNIT}").json()
        fine = push(http, op(AFSNIT, "ean_mode", {**backwards, "messages": [[URN, "2024-01-01", None]]}, kind="ean"))
    assert _error(refused[0]) == (
        422,
        "invalid_value",
        "operation 0: Gyldig til 2024-01-01 is before Gyldig fra 2025-01-01",
        ["to_date"],
    )
    status, code, message, problems = _error(refused[1])
    assert (status, code, problems) == (422, "invalid_value", ["from_date"])
    assert message.startswith("operation 0: ") and "1. maj" in message
    assert unit["version"] == 0
    assert fine.status_code == 200, fine.text


def test_a_changeset_of_more_records_than_one_query_reads_finds_them_all(service: Service) -> None:
    """The records a changeset changes are read 500 keys at a time: every one of them is found."""
    count = 1201  # three reads, the last of one key
    with service.http("alice") as http:
        new = [{"kind": "OE", "parent_sor_id": AFSNIT, "name": f"Afsnit {n}"} for n in range(count)]
        creates = [{**op(provisional_sor_id(n + 1), "", v, kind="create"), "field": None} for n, v in enumerate(new)]
        created = push(http, *creates)
        assert created.status_code == 200, created.text
        ids = list(created.json()["created"].values())
        assert len(ids) == count
        noted = push(http, *(op(sid, "note", f"note {n}", base=1) for n, sid in enumerate(ids)))
        assert noted.status_code == 200, noted.text
        missing = push(http, *(op(sid, "note", "igen", base=2) for sid in ids[:-1]), op("999999999999999", "note", "x"))
        last = http.get(f"/units/{ids[-1]}").json()
    assert last["version"] == 2 and last["data"]["note"] == f"note {count - 1}"
    status, code, message, _ = _error(missing)
    assert (status, code) == (404, "not_found") and "999999999999999" in message
