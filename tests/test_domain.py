"""Pure domain rules: check digits, code formats, field definitions, inheritance."""

from __future__ import annotations

import json

import pytest

from sortui.domain import codes
from sortui.domain.fields import ADDRESS_FIELDS, CONTACT_FIELDS, ENTITY_FIELDS
from sortui.domain.inheritance import ChainLink, effective_address, effective_contact, effective_location
from sortui.domain.model import Address, Contact, Entity, Location
from sortui.domain.text import json_printable, printable
from sortui.domain.validation import shak_prefix_problem, sort_name, validate_entity

REAL_SOR_IDS = [
    "347801000016001",
    "347811000016004",
    "347821000016008",
    "347831000016005",
    "306011000016003",
    "306021000016007",
    "306031000016009",
    "8321000016007",
    "8331000016009",
    "8341000016002",
]


@pytest.mark.parametrize("sor_id", REAL_SOR_IDS)
def test_real_sor_ids_pass_verhoeff(sor_id: str) -> None:
    assert codes.sor_id_errors(sor_id) == []
    assert codes.sor_id_warnings(sor_id) == []
    assert codes.verhoeff_digit(sor_id[:-1]) == sor_id[-1]


def test_verhoeff_by_runs_of_digits_is_the_check_a_digit_at_a_time() -> None:
    """``verhoeff_valid`` looks runs of four digits up; the definition takes them one by one."""
    import random

    def one_by_one(digits: str) -> bool:
        check = 0
        for i, ch in enumerate(reversed(digits)):
            check = codes._VERHOEFF_D[check][codes._VERHOEFF_P[i % 8][int(ch)]]
        return check == 0

    rng = random.Random(13)
    values = ["".join(rng.choice("0123456789") for _ in range(rng.randrange(0, 25))) for _ in range(20000)]
    values += REAL_SOR_IDS + [s[:-1] + codes.verhoeff_digit(s[:-1]) for s in values if len(s) > 1][:2000]
    assert [codes.verhoeff_valid(v) for v in values] == [one_by_one(v) for v in values]
    assert sum(map(codes.verhoeff_valid, values)) > 2000  # both answers are among them
    assert codes.verhoeff_valid("٣٤٧٨٠١٠٠٠٠١٦٠٠١") == one_by_one(
        "٣٤٧٨٠١٠٠٠٠١٦٠٠١"
    )  # other digits: as ``int`` reads them
    with pytest.raises(ValueError):
        codes.verhoeff_valid("34780100001600x")


def test_verhoeff_failure_is_a_warning_not_an_error() -> None:
    bad = "347801000016002"
    assert codes.sor_id_errors(bad) == []
    assert "Verhoeff" in codes.sor_id_warnings(bad)[0]


@pytest.mark.parametrize("value", ["12345", "1234567890123456789", "34780100001600x", "３４７８０１００００１６００１"])
def test_malformed_sor_ids_are_errors(value: str) -> None:
    assert codes.sor_id_errors(value)


@pytest.mark.parametrize("gln", ["5790000173624", "5790000141227"])
def test_real_glns_pass_gs1(gln: str) -> None:
    assert codes.gln_errors(gln) == []


@pytest.mark.parametrize("gln", ["5790000173625", "579000017362", "579000017362A"])
def test_bad_glns_are_errors(gln: str) -> None:
    assert codes.gln_errors(gln)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("1301", "sgh"),
        ("130101", "afd"),
        ("1301010", "afsnit"),
        ("130101A", "afsnit"),
        ("665033L", "afsnit"),
        ("1500A1", "afd"),
        ("3004L0X", "afsnit"),
    ],
)
def test_shak_levels(code: str, level: str) -> None:
    assert codes.shak_level(code) == level
    assert codes.shak_errors(code) == []


@pytest.mark.parametrize("code", ["130", "13010", "13010a", "13010100", "13A1010", "A301", "1301-1"])
def test_bad_shak_codes(code: str) -> None:
    assert codes.shak_level(code) is None
    assert codes.shak_errors(code)


def test_shak_parent_by_prefix() -> None:
    assert codes.shak_parent("130101A") == "130101"
    assert codes.shak_parent("130101") == "1301"
    assert codes.shak_parent("1301") is None


def test_provider_number_keeps_leading_zeros_and_rejects_letters() -> None:
    assert codes.provider_number_errors("019062") == []
    assert codes.provider_number_errors("01906X")


def test_classify_key() -> None:
    assert codes.classify_key("5790000173624")[0] == "gln"
    assert "sor_id" in codes.classify_key("347801000016001")
    assert codes.classify_key("019062") == ["shak", "provider_number"]
    assert codes.classify_key("130101a") == ["shak"]


def test_field_definitions_carry_lengths_from_the_register() -> None:
    assert ENTITY_FIELDS["name"].max_len == 60
    assert CONTACT_FIELDS["phone"].min_len == 8
    assert CONTACT_FIELDS["phone"].max_len == 20
    assert ENTITY_FIELDS["note"].max_len == 254
    errors, _ = ENTITY_FIELDS["name"].check("x" * 61)
    assert "at most 60" in errors[0]
    errors, _ = ADDRESS_FIELDS["postcode"].check("40O0")
    assert errors


def _ent(**kwargs: object) -> Entity:
    base: dict[str, object] = {
        "sor_id": "347811000016004",
        "kind": "SI",
        "name": "Sygehus",
        "parent_sor_id": "347801000016001",
    }
    base.update(kwargs)
    return Entity(**base)  # type: ignore[arg-type]


def test_validate_entity_reports_field_and_element() -> None:
    problems = validate_entity(_ent(name="x" * 61, shak_code="12"))
    fields = {(p.field, p.element) for p in problems if p.is_error}
    assert ("name", "EntityName") in fields
    assert ("shak_code", "ShakIdentifier") in fields


def test_validate_entity_checks_own_location_and_contact() -> None:
    loc = Location(gln="5790000173625", owner_sor_id="347811000016004")
    ent = _ent(ean_mode="own", location=loc, contact=Contact(phone="123"))
    messages = " ".join(p.message for p in validate_entity(ent))
    assert "check digit" in messages
    assert "Telefon" in messages


def test_validate_entity_parent_rules() -> None:
    assert any(p.field == "parent_sor_id" for p in validate_entity(_ent(parent_sor_id=None)))
    assert any(p.field == "parent_sor_id" for p in validate_entity(_ent(kind="IE")))


def test_validate_dates_in_order() -> None:
    problems = validate_entity(_ent(from_date="2020-01-02", to_date="2020-01-01"))
    assert any(p.field == "to_date" for p in problems)


def test_shak_prefix_rule() -> None:
    assert shak_prefix_problem("130101", "1301") is None
    assert "does not start" in (shak_prefix_problem("140101", "1301") or "")
    assert "does not start" in (shak_prefix_problem("1401011", "1301") or "")  # an afsnit too
    assert shak_prefix_problem("140101", None) is None  # no hospital code to start with
    assert shak_prefix_problem("140101", "") is None
    assert shak_prefix_problem("1401", "1301") is None  # a hospital's own code is not under another's
    assert shak_prefix_problem("14010", "1301") is None  # not a SHAK code (checked elsewhere)


def test_danish_sort_order() -> None:
    names = ["Århus", "Aalborg", "Ølstykke", "Zealand", "Ærø", "aabenraa"]
    assert sorted(names, key=sort_name) == ["aabenraa", "Aalborg", "Zealand", "Ærø", "Ølstykke", "Århus"]


def _chain() -> list[ChainLink]:
    owner_loc = Location(gln="5790000173624", owner_sor_id="IE1")
    return [
        ChainLink("OE1", "Afsnit", "inherited"),
        ChainLink("SI1", "Sygehus", "inherited", addresses={"visiting": Address("visiting", street="Besøgsvej")}),
        ChainLink(
            "IE1",
            "Region",
            "own",
            addresses={"postal": Address("postal", street="Postvej")},
            contact=Contact(phone="12345678"),
            location=owner_loc,
        ),
    ]


def test_postal_address_and_contact_inherited_from_nearest_ancestor() -> None:
    chain = _chain()
    postal = effective_address(chain, "postal")
    assert postal.value is not None and postal.value.street == "Postvej"
    assert (postal.source_sor_id, postal.inherited) == ("IE1", True)
    contact = effective_contact(chain)
    assert contact.source_name == "Region"


def test_visiting_falls_back_to_postal_and_activity_to_visiting() -> None:
    chain = _chain()
    visiting = effective_address(chain, "visiting")
    assert visiting.value is not None and visiting.value.street == "Postvej"
    assert visiting.via == "postal"
    # The SI has its own visiting address: its activity address is that one.
    activity = effective_address(chain[1:], "activity")
    assert activity.value is not None and activity.value.street == "Besøgsvej"
    assert activity.via == "visiting"


def test_location_inherited_until_a_unit_says_none() -> None:
    chain = _chain()
    loc = effective_location(chain)
    assert loc.value is not None and loc.value.gln == "5790000173624" and loc.inherited
    chain[1].ean_mode = "none"
    assert effective_location(chain).value is None


@pytest.mark.parametrize("text", ["Værløse", "Vaerloese", "vaerlose", "VARLOSE", "Værlöse"])
def test_ascii_fold_matches_the_usual_spellings(text: str) -> None:
    from sortui.domain.text import ascii_fold

    assert ascii_fold(text) == "varlose"


def test_ascii_fold_handles_aa_and_accents() -> None:
    from sortui.domain.text import ascii_fold

    assert ascii_fold("Århus") == ascii_fold("Aarhus") == ascii_fold("arhus")
    assert ascii_fold("Café Østerbro") == "cafe osterbro"


def test_printable_leaves_nothing_a_terminal_would_obey() -> None:
    obeyed = [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F)]
    obeyed += [*range(0x2066, 0x206A), 0xD800, 0xDBFF, 0xDFFF]
    for code in obeyed:
        shown = printable(f"a{chr(code)}b")
        assert len(shown) == 3 and shown[1] != chr(code) and shown[1].isprintable(), hex(code)
    assert printable("Sygehus Sønderå, afd. 3 – ☃ 日本 [bold]x[/]") == "Sygehus Sønderå, afd. 3 – ☃ 日本 [bold]x[/]"
    assert printable("\x1b]0;x\x07") == "␛]0;x␇" and printable("a\nb", keep_newlines=True) == "a\nb"


def test_json_printable_escapes_losslessly() -> None:
    value = {"name": "Evil\x1b[2J\x9b\u202e\ud800\x7f Sønderå\n"}
    text = json_printable(json.dumps(value, ensure_ascii=False))
    assert text.isascii() is False and all(c.isprintable() for c in text)  # Danish letters stay as they are
    assert "\\u009b" in text and "\\u202e" in text and "\\ud800" in text and "Sønderå" in text
    assert json.loads(text) == value


@pytest.mark.parametrize("bad", ["a\nb", "a\rb", "a\tb", "\x1b[31mx", "x\x9b2J", "x\x7f", "Vej \u202e1", "a\u2028b"])
def test_control_characters_are_refused_in_every_text_value(bad: str) -> None:
    ent = Entity(REAL_SOR_IDS[0], "IE", bad, note=bad, from_date="2020-01-01")
    ent.addresses = [Address("postal", street=bad)]
    ent.location = Location("5790000173624", REAL_SOR_IDS[0], note=bad)
    ent.ean_mode = "own"
    fields = {p.field for p in validate_entity(ent) if p.is_error and "control character" in p.message}
    notes = set() if bad == "a\nb" else {"note", "location.note"}  # a note may hold line feeds
    assert fields == {"name", "postal.street", *notes}


def test_printable_text_beyond_ascii_passes() -> None:
    name = "Ørelæge\u00a0Åse – Skovgårds Klinik"  # a no-break space is not a control character
    assert validate_entity(Entity(REAL_SOR_IDS[0], "IE", name, from_date="2020-01-01")) == []
