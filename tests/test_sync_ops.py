"""Structural journal operations through the real service: units created here get real SOR ids,
and a unit's own location number is given and taken away (op ``ean``); both reach other clients."""

from __future__ import annotations

import json
import re
import uuid
from contextlib import closing
from typing import Any

from conftest import NEW_GLN, Desk, new_location

from sortui.domain import codes, provisional
from sortui.store import db as store_db
from sortui.store import edits

HOSPITAL = "347811000016004"  # the SI of erik's and bob's subtree
AFDELING = "347821000016008"  # an OE under it
AFSNIT = "347831000016005"  # an OE under AFDELING, ean_mode none
APOTEK = "306011000016003"  # an IE outside the subtree
URN = "urn:dk:healthcare:medcom:messaging:oioxml:schema:xsd:medref:xref15:xh1530r"
REAL_ID = re.compile(r"^[0-9]+100001600[0-9]$")


def edit(desk: Desk, name: str) -> Any:
    return closing(store_db.open_working_copy(desk.wc(name)))


def test_created_units_get_real_ids_and_reach_other_clients(desk: Desk) -> None:
    desk.login("a", "erik")
    desk.sync("a")
    desk.login("b", "alice")
    desk.sync("b")
    with edit(desk, "a") as conn:
        unit = edits.create_unit(conn, AFDELING, "Nyt afsnit", "2024-06-01").key
        below = edits.create_unit(conn, unit, "Under det nye", "2024-06-01").key
        edits.set_fields(conn, unit, {"note": "oprettet i a"})
        edits.move_unit(conn, AFSNIT, unit)
    assert provisional.is_provisional(unit) and provisional.is_provisional(below)

    result = json.loads(desk.sync("a", "--json").out)
    real, real_below = result["created"][unit], result["created"][below]
    assert REAL_ID.match(real) and REAL_ID.match(real_below) and codes.verhoeff_valid(real) and real != real_below
    assert result["pushed"] == 4 and result["conflicts"] == []
    assert desk.sql("a", "SELECT count(*) FROM entity WHERE sor_id IN (?, ?)", unit, below) == [(0,)]
    assert desk.sql("a", "SELECT parent_sor_id, note, version FROM entity WHERE sor_id = ?", real) == [
        (AFDELING, "oprettet i a", 1)
    ]
    assert desk.sql("a", "SELECT parent_sor_id FROM entity WHERE sor_id IN (?, ?)", real_below, AFSNIT) == [
        (real,),
        (real,),
    ]
    assert desk.sql("a", "SELECT DISTINCT status FROM journal") == [("synced",)]
    assert {k for (k,) in desk.sql("a", "SELECT key FROM journal")} == {real, real_below, AFSNIT}
    assert desk.sql(
        "a", "SELECT e.sor_id FROM search JOIN entity e ON e.rowid = search.rowid WHERE search MATCH 'nyt'"
    ) == [(real,)]
    server = desk.server(f"/units/{real}")
    assert (
        server["version"] == 1 and server["data"]["name"] == "Nyt afsnit" and server["data"]["note"] == "oprettet i a"
    )
    assert desk.server(f"/units/{AFSNIT}")["data"]["parent_sor_id"] == real

    pulled = json.loads(desk.sync("b", "--json").out)
    assert pulled["applied"] == 4 and pulled["missing"] == 0
    assert desk.sql(
        "b", "SELECT sor_id, parent_sor_id, name, version FROM entity WHERE sor_id IN (?, ?)", real, real_below
    ) == [
        (real, AFDELING, "Nyt afsnit", 1),
        (real_below, real, "Under det nye", 1),
    ]
    assert desk.sql("b", "SELECT parent_sor_id FROM entity WHERE sor_id = ?", AFSNIT) == [(real,)]
    assert desk.sql(
        "b", "SELECT e.sor_id FROM search JOIN entity e ON e.rowid = search.rowid WHERE search MATCH 'under'"
    ) == [(real_below,)]

    with edit(desk, "b") as conn:  # the new unit is an ordinary unit now: edits of it sync both ways
        edits.set_fields(conn, real, {"name": "Omdøbt afsnit"})
    desk.sync("b")
    desk.sync("a")
    assert desk.name_of("a", real) == "Omdøbt afsnit"


def test_a_unit_created_outside_the_subtree_is_refused_and_stays_pending(desk: Desk) -> None:
    desk.login("a", "erik")
    desk.sync("a")
    with edit(desk, "a") as conn:
        unit = edits.create_unit(conn, APOTEK, "Erik's filial").key
    refused = desk.sync("a", expect=5)
    assert "outside the subtrees" in refused.err
    assert desk.sql("a", "SELECT status, key FROM journal") == [("pending", unit)]
    assert desk.name_of("a", unit) == "Erik's filial"
    assert desk.server("/changes")["changes"] == []


def test_the_service_checks_created_units(desk: Desk) -> None:
    def push(*ops: dict[str, Any], user: str = "alice") -> Any:
        with desk.service.http(user) as http:
            return http.post("/changesets", json={"id": uuid.uuid4().hex, "operations": list(ops)})

    def create(key: str, parent: str, kind: str = "OE") -> dict[str, Any]:
        new = {"kind": kind, "name": "Ny", "parent_sor_id": parent}
        return {"target": "entity", "key": key, "op": "create", "field": None, "new": new, "base_version": 0}

    prov, other = provisional.provisional_sor_id(1), provisional.provisional_sor_id(2)
    missing_parent = push(create(prov, "123456789012"))
    unknown_provisional = push(create(prov, other))
    wrong_kind = push(create(prov, APOTEK, "OE"))
    twice = push(create(prov, AFDELING), create(prov, AFDELING))
    assert (missing_parent.status_code, unknown_provisional.status_code) == (404, 404)
    assert "not created in this changeset" in unknown_provisional.json()["error"]["message"]
    assert wrong_kind.status_code == 422 and twice.status_code == 422
    first = push(create(prov, AFDELING), create(other, prov)).json()["created"]
    second = push(create(prov, AFDELING)).json()["created"]
    ids = [first[prov], first[other], second[prov]]
    assert len(set(ids)) == 3 and all(REAL_ID.match(i) for i in ids)
    assert desk.server(f"/units/{first[other]}")["data"]["parent_sor_id"] == first[prov]


def test_own_location_number_given_and_taken_away_round_trips(desk: Desk) -> None:
    desk.login("a", "edith")
    desk.sync("a")
    desk.login("b", "alice")
    desk.sync("b")
    with edit(desk, "a") as conn:
        edits.set_ean_mode(conn, AFSNIT, "own", new_location())
        edits.add_message(conn, NEW_GLN, URN, "2024-01-01")
    assert "pushed 2 changes" in desk.sync("a").err
    assert desk.sql("a", "SELECT gln, owner_sor_id, version FROM location WHERE gln = ?", NEW_GLN) == [
        (NEW_GLN, AFSNIT, 1)
    ]
    location = desk.server(f"/locations/{NEW_GLN}")
    assert location["owner_sor_id"] == AFSNIT and location["data"]["messages"] == {
        URN: {"from_date": "2024-01-01", "to_date": None}
    }
    assert desk.server(f"/units/{AFSNIT}")["data"]["ean_mode"] == "own"

    desk.sync("b")
    assert desk.sql("b", "SELECT ean_mode FROM entity WHERE sor_id = ?", AFSNIT) == [("own",)]
    assert desk.sql("b", "SELECT owner_sor_id, region_code, version FROM location WHERE gln = ?", NEW_GLN) == [
        (AFSNIT, "1085", 1)
    ]
    assert desk.sql("b", "SELECT message_urn, from_date FROM location_message WHERE gln = ?", NEW_GLN) == [
        (URN, "2024-01-01")
    ]

    with edit(desk, "b") as conn:
        edits.set_ean_mode(conn, AFSNIT, "inherited")
    assert "pushed 1 change\n" in desk.sync("b").err
    assert desk.server(f"/units/{AFSNIT}")["data"]["ean_mode"] == "inherited"
    assert "error" in desk.server(f"/locations/{NEW_GLN}")
    desk.sync("a")
    assert desk.sql("a", "SELECT ean_mode, version FROM entity WHERE sor_id = ?", AFSNIT) == [("inherited", 2)]
    assert desk.sql("a", "SELECT count(*) FROM location WHERE gln = ?", NEW_GLN) == [(0,)]
    assert desk.sql("a", "SELECT count(*) FROM location_message WHERE gln = ?", NEW_GLN) == [(0,)]
    feed = desk.server("/changes")["changes"]
    assert [(c["op"], c["key"], c["user"]) for c in feed] == [
        ("ean", AFSNIT, "edith"),
        ("add", NEW_GLN, "edith"),
        ("ean", AFSNIT, "alice"),
    ]
    assert feed[2]["old"]["location"]["gln"] == NEW_GLN and feed[2]["old"]["messages"][0][0] == URN


def test_location_number_rights_and_a_number_given_twice(desk: Desk) -> None:
    desk.login("e", "erik")
    desk.sync("e")
    with edit(desk, "e") as conn:
        edits.set_ean_mode(conn, AFSNIT, "own", new_location())
    assert "EDI administrator" in desk.sync("e", expect=5).err
    assert desk.journal("e") == [("pending", "ean_mode")]

    desk.login("a", "edith")
    desk.login("b", "alice")
    desk.sync("a")
    desk.sync("b")
    with edit(desk, "a") as conn:
        edits.set_ean_mode(conn, AFSNIT, "own", new_location())
    with edit(desk, "b") as conn:
        edits.set_ean_mode(conn, AFDELING, "own", new_location())
    desk.sync("a")
    taken = desk.sync("b", expect=5)
    assert f"lokationsnummer {NEW_GLN} is already used by unit {AFSNIT}" in taken.err
    assert desk.journal("b") == [("pending", "ean_mode")]


def test_a_location_number_mode_changed_on_both_sides(desk: Desk) -> None:
    desk.login("a", "edith")
    desk.login("b", "alice")
    desk.sync("a")
    desk.sync("b")
    with edit(desk, "b") as conn:
        edits.set_fields(conn, AFSNIT, {"note": "andet felt"})
    desk.sync("b")
    with edit(desk, "a") as conn:
        edits.set_ean_mode(conn, AFSNIT, "own", new_location())
    rebased = json.loads(desk.sync("a", "--json").out)  # the unit changed, its mode did not: sent again
    assert (rebased["rebased"], rebased["pushed"], rebased["conflicts"]) == (1, 1, [])

    desk.sync("b")
    with edit(desk, "b") as conn:
        edits.set_ean_mode(conn, AFSNIT, "inherited")
    desk.sync("b")
    with edit(desk, "a") as conn:
        edits.set_ean_mode(conn, AFSNIT, "none")
    desk.sync("a", expect=4)
    (conflict,) = desk.cli("a", "conflicts", "--json").json()
    assert (conflict["field"], conflict["local"]["ean_mode"], conflict["server"]["ean_mode"]) == (
        "ean_mode",
        "none",
        "inherited",
    )
    assert desk.cli("a", "resolve", str(conflict["entry_id"]), "--value", "x").code == 2
    assert desk.cli("a", "resolve", str(conflict["entry_id"]), "--server").code == 0
    assert desk.sql("a", "SELECT ean_mode FROM entity WHERE sor_id = ?", AFSNIT) == [("inherited",)]
    assert desk.sql("a", "SELECT count(*) FROM location WHERE gln = ?", NEW_GLN) == [(0,)]
    assert "nothing to push" in desk.sync("a").err


def test_a_mode_change_based_on_an_old_version_of_the_number_is_a_conflict(desk: Desk) -> None:
    """The unit's version is the same, but its location number changed on the service meanwhile:
    taking the number away would drop that change unseen."""
    desk.login("a", "edith")
    desk.login("b", "alice")
    desk.sync("a")
    with edit(desk, "a") as conn:
        edits.set_ean_mode(conn, AFSNIT, "own", new_location())
    desk.sync("a")
    desk.sync("b")
    with edit(desk, "b") as conn:
        edits.set_location_fields(conn, NEW_GLN, {"system_type": "1611000045003"})
    assert "pushed 1 change\n" in desk.sync("b").err
    assert desk.server(f"/units/{AFSNIT}")["version"] == 1  # the unit itself did not change
    with edit(desk, "a") as conn:
        edits.set_ean_mode(conn, AFSNIT, "inherited")
    desk.sync("a", expect=4)
    (conflict,) = desk.cli("a", "conflicts", "--json").json()
    assert conflict["field"] == "ean_mode" and conflict["server"]["ean_mode"] == "own"
    assert desk.server(f"/locations/{NEW_GLN}")["data"]["system_type"] == "1611000045003"


APOTEK_GLN = "5790000173624"  # the pharmacy's own location number
HOSPITAL, PRACTICE = "347811000016004", "8331000016009"  # two SIs AFSNIT can be moved under


def test_conflicts_of_location_attributes_message_types_and_moves_are_resolved(desk: Desk) -> None:
    for name in ("a", "b"):
        desk.login(name, "alice")
        desk.sync(name)
    with edit(desk, "a") as conn:
        edits.set_location_fields(conn, APOTEK_GLN, {"system_type": "12345"})
        edits.add_message(conn, APOTEK_GLN, URN, "2024-01-01")
        edits.move_unit(conn, AFSNIT, HOSPITAL)
    assert "pushed 3 changes" in desk.sync("a").err
    with edit(desk, "b") as conn:  # the same three things, otherwise, on the versions before a's
        edits.set_location_fields(conn, APOTEK_GLN, {"system_type": "67890"})
        edits.add_message(conn, APOTEK_GLN, URN, "2025-01-01")
        edits.move_unit(conn, AFSNIT, PRACTICE)
    desk.sync("b", expect=4)
    conflicts = {c["field"]: c for c in desk.cli("b", "conflicts", "--json").json()}
    located, message, moved = conflicts["location.system_type"], conflicts[URN], conflicts["parent_sor_id"]
    assert (located["local"], located["server"]) == ("67890", "12345")
    assert (message["local"]["from_date"], message["server"]["from_date"]) == ("2025-01-01", "2024-01-01")
    assert (moved["local"], moved["server"]) == (PRACTICE, HOSPITAL)

    refused = desk.cli("b", "resolve", str(located["entry_id"]), "--value", "abc")  # fails the field's check
    assert refused.code == 2 and "must be digits" in refused.err
    assert len(desk.cli("b", "conflicts", "--json").json()) == 3  # still there, nothing changed
    assert desk.sql("b", "SELECT system_type FROM location WHERE gln = ?", APOTEK_GLN) == [("67890",)]
    assert desk.cli("b", "resolve", str(located["entry_id"]), "--value", "424242").code == 0

    assert desk.cli("b", "resolve", str(message["entry_id"]), "--value", "x").code == 2  # registered or not
    assert desk.cli("b", "resolve", str(message["entry_id"]), "--mine").code == 0

    assert desk.cli("b", "resolve", str(moved["entry_id"]), "--value", "999999999999999").code == 2
    assert desk.cli("b", "resolve", str(moved["entry_id"]), "--server").code == 0
    assert desk.sql("b", "SELECT parent_sor_id FROM entity WHERE sor_id = ?", AFSNIT) == [(HOSPITAL,)]

    assert "pushed 2 changes" in desk.sync("b").err and desk.cli("b", "conflicts", "--json").json() == []
    location = desk.server(f"/locations/{APOTEK_GLN}")["data"]
    assert location["system_type"] == "424242" and location["messages"][URN]["from_date"] == "2025-01-01"
    assert desk.server(f"/units/{AFSNIT}")["data"]["parent_sor_id"] == HOSPITAL
