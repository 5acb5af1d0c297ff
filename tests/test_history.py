"""The main screen's history of visited places and the session state file (plain data, no Textual)."""

from __future__ import annotations

import json
from pathlib import Path

from sortui.widgets import session
from sortui.widgets.history import SHAK, UNIT, History, Place
from sortui.widgets.session import SessionState

A, B, C, D = (Place(UNIT, k) for k in "ABCD")


def test_back_and_forward_walk_the_visits() -> None:
    history = History()
    for place in (A, B, C):
        history.visit(place)
    assert (history.position, len(history)) == (3, 3)
    assert history.back() == B
    assert history.back() == A
    assert history.back() is None and history.current == A  # nothing before the first: it stays
    assert history.forward() == B
    assert history.forward() == C
    assert history.forward() is None and history.position == 3


def test_a_new_visit_after_going_back_drops_the_places_ahead() -> None:
    history = History()
    for place in (A, B, C):
        history.visit(place)
    history.back()
    history.back()
    history.visit(D)
    assert (history.position, len(history)) == (2, 2)
    assert history.forward() is None
    assert history.back() == A


def test_a_repeat_of_the_current_place_is_not_recorded() -> None:
    history = History()
    history.visit(A)
    history.visit(A)
    history.visit(Place(SHAK, "A"))  # a SHAK-kode is another place than the unit of the same key
    history.visit(A)
    assert len(history) == 3
    history.back()
    history.visit(Place(SHAK, "A"))  # the current one again: the place ahead stays
    assert history.forward() == A


def test_the_oldest_places_go_beyond_the_limit() -> None:
    history = History(limit=3)
    for place in (A, B, C, D):
        history.visit(place)
    assert len(history) == 3 and history.position == 3
    assert history.back() == C and history.back() == B and history.back() is None


def test_the_session_file_round_trips_and_keeps_only_what_has_its_shape(tmp_path: Path) -> None:
    path = session.state_file(tmp_path / "wc.sqlite", tmp_path / "state")
    assert path == session.state_file(tmp_path / "." / "wc.sqlite", tmp_path / "state")  # by the resolved path
    state = SessionState("123", [["type:22"], ["type:22", "123"]], "shak", "2015-03-01", True)
    session.save(path, state)
    assert session.load(path) == state
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    mixed = {
        "cursor": "123",
        "expanded": [["type:22"], [], ["x" * 81], "type:22", [1], ["a\x1b[31m"], ["b"]],
        "pane": "tree",
        "view_date": "2015-13-01",
        "show_closed": 1,
    }
    path.write_text(json.dumps(mixed))
    assert session.load(path) == SessionState("123", [["type:22"], ["b"]], "tree", None, False)
    path.write_bytes(b" " * (session.MAX_BYTES + 1))
    assert session.load(path) == SessionState()
    assert session.load(tmp_path / "missing.json") == SessionState()
