"""The server's rule of who may change what (sortui.server.rights), checked exactly, role by role.

The service's own tests (tests/test_server.py) show the rule at work over HTTP; these pin down each
verdict and each refusal's wording, which an editor reads when the service says no.
"""

from __future__ import annotations

import pytest

from sortui.server.rights import Forbidden, SubtreeCheck, check_ean, check_target, summary
from sortui.server.users import User

# A small tree: owner IE, institution SI under it, units OE1 under SI and OE2 under OE1; OTHER elsewhere.
PARENTS = {"SI": "IE", "OE1": "SI", "OE2": "OE1", "IE": None, "OTHER": None, "LOOP1": "LOOP2", "LOOP2": "LOOP1"}


def _user(role: str, *subtrees: str) -> User:
    return User("anna", role, subtrees)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("viewer", set()),
        ("editor", {"entity"}),
        ("edi-admin", {"location", "message"}),
        ("admin", {"entity", "location", "message"}),
        ("no-such-role", set()),
    ],
)
def test_each_role_may_change_exactly_its_targets(role: str, allowed: set[str]) -> None:
    what = {"entity": "units", "location": "location-number attributes", "message": "message types"}
    for target in ("entity", "location", "message"):
        if target in allowed:
            check_target(_user(role), target)
        else:
            with pytest.raises(Forbidden) as refused:
                check_target(_user(role), target)
            assert str(refused.value) == f"anna ({role}) may not change {what[target]}"


def test_an_own_lokationsnummer_is_given_or_taken_by_edi_or_admin_only() -> None:
    check_ean(_user("admin"), True)
    check_ean(_user("edi-admin"), True)
    for role in ("editor", "viewer"):
        with pytest.raises(Forbidden) as refused:
            check_ean(_user(role, "SI"), True)
        assert str(refused.value) == (
            f"anna ({role}) may not give a unit its own lokationsnummer or take it away: "
            "that needs an EDI administrator or an administrator"
        )


def test_how_a_unit_inherits_its_lokationsnummer_is_unit_work() -> None:
    check_ean(_user("admin"), False)
    check_ean(_user("editor", "SI"), False)
    for role in ("edi-admin", "viewer"):
        with pytest.raises(Forbidden) as refused:
            check_ean(_user(role), False)
        assert str(refused.value) == f"anna ({role}) may not change how a unit inherits its lokationsnummer"


def _check(user: User, calls: list[str] | None = None) -> SubtreeCheck:
    def parent_of(sor_id: str) -> str | None:
        if calls is not None:
            calls.append(sor_id)
        return PARENTS.get(sor_id)

    return SubtreeCheck(user, parent_of)


def test_a_subtree_holds_its_root_and_everything_below_it_and_nothing_else() -> None:
    check = _check(_user("editor", "OE1"))
    assert [check.allowed(s) for s in ("OE1", "OE2", "SI", "IE", "OTHER", "UNKNOWN")] == [
        True, True, False, False, False, False,
    ]  # fmt: skip


def test_any_of_several_subtrees_grants() -> None:
    check = _check(_user("editor", "OTHER", "SI"))
    assert check.allowed("OE2") and check.allowed("OTHER") and not check.allowed("IE")


def test_an_admin_is_inside_everything_without_a_walk() -> None:
    calls: list[str] = []
    check = _check(_user("admin"), calls)
    assert check.allowed("OTHER") and check.allowed("UNKNOWN") and calls == []


def test_an_editor_without_subtrees_is_inside_nothing() -> None:
    assert not _check(_user("editor")).allowed("OE2")


def test_parents_that_loop_end_the_walk_outside() -> None:
    check = _check(_user("editor", "SI"))
    assert not check.allowed("LOOP1")
    assert check.inside == {"LOOP1": False, "LOOP2": False}


def test_verdicts_are_remembered_for_every_unit_on_the_way() -> None:
    calls: list[str] = []
    check = _check(_user("editor", "SI"), calls)
    assert check.allowed("OE2")
    assert check.inside == {"OE2": True, "OE1": True}  # the granted root itself is not walked past
    assert calls == ["OE2", "OE1"]
    calls.clear()
    assert check.allowed("OE1") and check.allowed("OE2") and calls == []  # answered from what was seen
    assert not check.allowed("OTHER")
    assert check.inside["OTHER"] is False
    calls.clear()
    assert not check.allowed("OTHER") and calls == []


def test_a_remembered_verdict_on_the_way_decides() -> None:
    calls: list[str] = []
    check = _check(_user("editor", "OTHER"), calls)
    check.inside["OE1"] = True  # as if an earlier walk had found OE1 inside
    assert check.allowed("OE2")
    assert calls == ["OE2"] and check.inside["OE2"] is True


def test_require_names_the_user_and_the_unit_outside() -> None:
    check = _check(_user("editor", "OE1"))
    check.require("OE2")
    with pytest.raises(Forbidden) as refused:
        check.require("SI")
    assert str(refused.value) == "anna may not change SI: it is outside the subtrees granted"


@pytest.mark.parametrize(
    ("role", "subtrees", "sentence"),
    [
        ("viewer", [], "reads the register, changes nothing"),
        ("editor", ["SI", "OE9"], "changes and creates units inside SI, OE9 (and below)"),
        ("editor", [], "changes and creates units inside no subtree (and below)"),
        (
            "edi-admin",
            [],
            "changes location numbers and message types anywhere, gives units their own lokationsnummer",
        ),
        ("admin", (), "changes everything, publishes operating messages"),
        ("owner", [], "unknown role 'owner'"),
    ],
)
def test_the_summary_of_a_role_says_what_it_may_change(role: str, subtrees: list[str], sentence: str) -> None:
    assert summary(role, subtrees) == sentence
