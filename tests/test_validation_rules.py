"""The domain's record validation (``sortui.domain.validation``) problem by problem (issue 19): each
rule's exact field, XML element, message and severity, and the values just inside each limit, so
that a changed message, a flipped comparison or a dropped branch fails a test."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sortui.domain import validation
from sortui.domain.fields import CONTACT_FIELDS, ENTITY_FIELDS
from sortui.domain.model import Address, Contact, Entity, Location, Speciality
from sortui.domain.validation import (
    Problem,
    shak_prefix_problem,
    sort_name,
    validate_entity,
    validate_location,
    validity_problems,
)

IE = "347801000016001"
SI = "347811000016004"
GLN = "5790000173624"


def unit(**changes: object) -> Entity:
    """A valid SI under its owner, with ``changes``."""
    values: dict[str, object] = {
        "sor_id": SI,
        "kind": "SI",
        "name": "Sygehus",
        "parent_sor_id": IE,
        "from_date": "2020-01-01",
        **changes,
    }
    return Entity(**values)  # type: ignore[arg-type]


def location(**changes: object) -> Location:
    """A valid lokationsnummer with every attribute a new one needs, with ``changes``."""
    values: dict[str, object] = {
        "system_supplier": "1001000055001",
        "system_type": "221000045007",
        "communication_supplier": "41000035001",
        "region_code": "1085",
        "edi_administrator": "106",
        **changes,
    }
    return Location(GLN, IE, **values)  # type: ignore[arg-type]


# -- a validity period -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (None, None),
        ("2024-01-01", "2024-01-01"),
        ("2024-01-01", None),
        (None, "2024-01-01"),
        ("", "2024-01-01"),
        ("2024-01-01", ""),
    ],
)
def test_a_validity_period_within_the_rules_has_no_problems(start: str | None, end: str | None) -> None:
    assert validity_problems(start, end) == []


def test_a_validity_period_ending_before_it_starts_is_refused_under_the_prefix() -> None:
    assert validity_problems("2024-06-01", "2024-01-01", "m.") == [
        Problem("m.to_date", None, "Gyldig til 2024-01-01 is before Gyldig fra 2024-06-01")
    ]
    assert validity_problems("2024-06-01", "2024-01-01") == [
        Problem("to_date", None, "Gyldig til 2024-01-01 is before Gyldig fra 2024-06-01")
    ]


def test_each_date_of_a_validity_period_is_checked_and_a_bad_one_stops_the_order_check() -> None:
    assert validity_problems("2024-02-30", None, "m.") == [
        Problem("m.from_date", None, "Gyldig fra '2024-02-30' is not a date (YYYY-MM-DD)")
    ]
    assert validity_problems("2024-13-01", "2024-01-01") == [
        Problem("from_date", None, "Gyldig fra '2024-13-01' is not a date (YYYY-MM-DD)")
    ]
    assert validity_problems("2024-06-01", "2024-13-01", "m.") == [
        Problem("m.to_date", None, "Gyldig til '2024-13-01' is not a date (YYYY-MM-DD)")
    ]


def test_a_validity_date_that_is_not_text_is_refused_and_the_other_still_checked() -> None:
    assert validity_problems(20240101, "2024", "m.") == [  # type: ignore[arg-type]
        Problem("m.from_date", None, "Gyldig fra is a date (YYYY-MM-DD)"),
        Problem("m.to_date", None, "Gyldig til '2024' is not a date (YYYY-MM-DD)"),
    ]
    assert validity_problems("2024-01-01", 20240101) == [  # type: ignore[arg-type]
        Problem("to_date", None, "Gyldig til is a date (YYYY-MM-DD)")
    ]


# -- one field: _check and the compiled checks -----------------------------------------------------


def test_a_fields_errors_and_warnings_carry_its_prefixed_name_element_and_severity() -> None:
    assert validation._check(CONTACT_FIELDS["phone"], None) == []
    assert validation._check(CONTACT_FIELDS["phone"], "", "contact.") == []
    assert validation._check(CONTACT_FIELDS["phone"], "1", "contact.") == [
        Problem("contact.phone", "TelephoneNumberIdentifier", "Telefon is 1 characters, at least 8 required")
    ]
    assert validation._check(ENTITY_FIELDS["sor_id"], "347811000016005") == [
        Problem("sor_id", "SorIdentifier", "SOR-kode 347811000016005 fails the Verhoeff check digit", is_error=False)
    ]
    assert validation._check(ENTITY_FIELDS["sor_id"], 12) == [
        Problem("sor_id", "SorIdentifier", "SOR-kode must have 11-18 digits, not 2")
    ]


def test_a_groups_compiled_checks_follow_its_fields_in_order() -> None:
    values, checks = validation._compile(CONTACT_FIELDS)
    assert values(Contact(email="a@b.dk", phone="12345678")) == ("a@b.dk", None, "12345678", None)
    assert [fd for fd, _ in checks] == list(CONTACT_FIELDS.values())
    assert [ok("1234567") for _, ok in checks] == [True, True, False, False]


def test_a_groups_scanner_checks_each_field_in_order_and_skips_the_empty_ones() -> None:
    scan = validation._scanner(CONTACT_FIELDS)
    problems: list[Problem] = []
    scan(Contact(email="a\x01b", website=None, phone="1", fax=""), "contact.", problems)
    assert [p.field for p in problems] == ["contact.email", "contact.phone"]
    expected = validation._check(CONTACT_FIELDS["email"], "a\x01b", "contact.")
    expected += validation._check(CONTACT_FIELDS["phone"], "1", "contact.")
    assert problems == expected
    scan(Contact(phone=12345678), "contact.", problems)  # type: ignore[arg-type]  # not text: checked as str() of it
    assert problems == expected


# -- a lokationsnummer -------------------------------------------------------------------------------


def test_a_valid_lokationsnummer_has_no_problems_new_or_not() -> None:
    assert validate_location(location()) == []
    assert validate_location(location(), creating=True) == []


def test_each_bad_attribute_of_a_lokationsnummer_is_named_with_its_element() -> None:
    bad = replace(location(region_code="1", system_type="abc", from_date="x"), gln="57900")
    assert validate_location(bad) == [
        Problem("location.gln", "EanLocationCode", "Lokationsnummer is 5 characters, at least 13 required"),
        Problem("location.gln", "EanLocationCode", "lokationsnummer '57900' must be exactly 13 digits"),
        Problem("location.system_type", "SystemType", "EDB-system 'abc' must be digits"),
        Problem("location.region_code", "RegionCode", "Region is 1 characters, at least 4 required"),
        Problem("location.from_date", "FromDate", "Gyldig fra 'x' is not a date (YYYY-MM-DD)"),
    ]


def test_a_new_lokationsnummer_needs_each_mandatory_attribute_an_old_one_not() -> None:
    missing = location(system_type="", region_code=None)
    assert validate_location(missing) == []
    assert validate_location(missing, creating=True) == [
        Problem("location.system_type", "SystemType", "EDB-system is required for a new lokationsnummer"),
        Problem("location.region_code", "RegionCode", "Region is required for a new lokationsnummer"),
    ]


def test_a_lokationsnummers_attribute_that_is_not_text_is_checked_as_its_text() -> None:
    assert validate_location(location(region_code=1085, system_type=221000045007)) == []
    assert validate_location(location(region_code=1)) == [
        Problem("location.region_code", "RegionCode", "Region is 1 characters, at least 4 required")
    ]


# -- a unit ------------------------------------------------------------------------------------------


def test_a_valid_unit_has_no_problems() -> None:
    assert validate_entity(unit()) == []


def test_an_unknown_kind_is_refused_and_asks_for_no_parent() -> None:
    assert validate_entity(unit(kind="XX")) == [Problem("kind", None, "unknown kind 'XX'; expected IE, SI or OE")]
    assert validate_entity(unit(kind="XX", parent_sor_id=None)) == [
        Problem("kind", None, "unknown kind 'XX'; expected IE, SI or OE")
    ]


def test_a_unit_needs_a_name_and_a_sor_id() -> None:
    assert validate_entity(unit(kind="IE", parent_sor_id=None, name="", sor_id="")) == [
        Problem("name", "EntityName", "Navn is required"),
        Problem("sor_id", "SorIdentifier", "SOR-kode is required"),
    ]


def test_an_owner_has_no_parent_and_an_si_or_oe_needs_one() -> None:
    assert validate_entity(unit(kind="IE", parent_sor_id=None)) == []
    assert validate_entity(unit(kind="IE")) == [
        Problem("parent_sor_id", None, "an institution owner (IE) has no parent")
    ]
    assert validate_entity(unit(parent_sor_id="")) == [Problem("parent_sor_id", None, "a SI needs a parent")]
    assert validate_entity(unit(kind="OE", parent_sor_id=None)) == [
        Problem("parent_sor_id", None, "a OE needs a parent")
    ]
    assert validate_entity(unit(kind="OE")) == []


def test_a_unit_whose_sor_id_fails_the_check_digit_is_warned_of() -> None:
    assert validate_entity(unit(sor_id="347811000016005")) == [
        Problem("sor_id", "SorIdentifier", "SOR-kode 347811000016005 fails the Verhoeff check digit", is_error=False)
    ]


def test_a_units_values_that_are_not_text_are_checked_as_their_text() -> None:
    assert validate_entity(unit(shak_code=1301, cvr=12345678, contact=Contact(phone=12345678))) == []  # type: ignore[arg-type]
    assert validate_entity(unit(shak_code=13)) == [  # type: ignore[arg-type]
        Problem("shak_code", "ShakIdentifier", "SHAK-kode is 2 characters, at least 4 required"),
        Problem(
            "shak_code",
            "ShakIdentifier",
            "SHAK-kode '13' must be 4 digits, or 6 or 7 characters: 4 digits then digits or capital letters",
        ),
    ]


def test_a_control_character_is_refused_in_a_name_and_a_line_feed_allowed_in_a_note() -> None:
    assert validate_entity(unit(name="a\nb", note="a\nb")) == [
        Problem("name", "EntityName", "Navn holds the control character U+000A, which is not allowed")
    ]


def test_each_address_and_the_contact_are_checked_under_their_own_prefix() -> None:
    ent = unit(
        addresses=[
            Address("postal", postcode="12"),
            Address("visiting", street="x" * 41),
            Address("activity", street="ok"),
        ],
        contact=Contact(phone="1", email="a@b.dk"),
    )
    assert validate_entity(ent) == [
        Problem("postal.postcode", "PostCodeIdentifier", "Postnummer is 2 characters, at least 3 required"),
        Problem("visiting.street", "StreetName", "Vejnavn is 41 characters, at most 40 allowed"),
        Problem("contact.phone", "TelephoneNumberIdentifier", "Telefon is 1 characters, at least 8 required"),
    ]


def test_a_unit_may_have_eight_specialities_and_no_more() -> None:
    assert validate_entity(unit(specialities=[Speciality(str(n)) for n in range(1, 9)])) == []
    assert validate_entity(unit(specialities=[Speciality(str(n)) for n in range(1, 10)])) == [
        Problem("specialities", "ClinicalSpeciality", "at most 8 specialities")
    ]


def test_each_bad_speciality_code_is_named_and_an_absent_or_numeric_one_passes() -> None:
    specialities = [Speciality(None), Speciality("x"), Speciality(394594003), Speciality("1" * 19), Speciality("7")]  # type: ignore[arg-type]
    assert validate_entity(unit(specialities=specialities)) == [
        Problem("specialities.speciality_code", "SpecialityCode", "Speciale 'x' must be digits"),
        Problem("specialities.speciality_code", "SpecialityCode", "Speciale is 19 characters, at most 18 allowed"),
    ]


def test_a_unit_may_have_five_local_attributes_and_no_more() -> None:
    assert validate_entity(unit(local_attributes=["a"] * 5)) == []
    assert validate_entity(unit(local_attributes=["a"] * 6)) == [
        Problem("local_attributes", "LocalAttribute", "at most 5 local attributes")
    ]


def test_each_bad_local_attribute_is_named_and_an_absent_one_passes() -> None:
    assert validate_entity(unit(local_attributes=[None, "x" * 21, "", 42, "ok"])) == [
        Problem("local_attribute", "LocalAttribute", "Lokal attribut is 21 characters, at most 20 allowed")
    ]


def test_a_control_character_in_a_succession_sor_id_is_refused() -> None:
    assert validate_entity(unit(replaces=["3478\x1b"], replaced_by=["347801000016001", "\x07"])) == [
        Problem("replaces", "SorIdentifier", "Erstatter holds the control character U+001B, which is not allowed"),
        Problem(
            "replaced_by", "SorIdentifier", "Erstattet af holds the control character U+0007, which is not allowed"
        ),
    ]


def test_a_units_own_lokationsnummer_is_checked_and_one_it_does_not_own_is_not() -> None:
    bad = replace(location(region_code="1"), gln="57900")
    assert validate_entity(unit(ean_mode="own", location=bad)) == [
        Problem("location.gln", "EanLocationCode", "Lokationsnummer is 5 characters, at least 13 required"),
        Problem("location.gln", "EanLocationCode", "lokationsnummer '57900' must be exactly 13 digits"),
        Problem("location.region_code", "RegionCode", "Region is 1 characters, at least 4 required"),
    ]
    assert validate_entity(unit(ean_mode="inherited", location=bad)) == []
    assert validate_entity(unit(ean_mode="own", location=None)) == []


def test_a_unit_ending_before_it_starts_is_refused_and_the_same_day_is_not() -> None:
    assert validate_entity(unit(from_date="2020-01-02", to_date="2020-01-01")) == [
        Problem("to_date", "ToDate", "Gyldig til 2020-01-01 is before Gyldig fra 2020-01-02")
    ]
    assert validate_entity(unit(from_date="2020-01-02", to_date="2020-01-02")) == []
    assert validate_entity(unit(from_date=None, to_date="2020-01-01")) == []
    assert validate_entity(unit(from_date="2020-01-02", to_date=None)) == []


# -- a SHAK code under its hospital, and the Danish sort order ---------------------------------------------


def test_a_shak_code_is_compared_with_the_first_four_characters_of_the_hospitals() -> None:
    assert shak_prefix_problem("252901", "25291") is None
    assert shak_prefix_problem("999901", "25291") == "SHAK-kode 999901 does not start with the hospital's code 2529"
    assert shak_prefix_problem("9999011", "2529") == "SHAK-kode 9999011 does not start with the hospital's code 2529"
    assert shak_prefix_problem("9999", "2529") is None  # a hospital's own code
    assert shak_prefix_problem("99990", "2529") is None  # not a SHAK code: checked elsewhere
    assert shak_prefix_problem("999901", None) is None and shak_prefix_problem("999901", "") is None


def test_sort_name_folds_case_fully_and_puts_the_danish_letters_after_z() -> None:
    assert sort_name("ABC") == "abc"
    assert sort_name("Straße") == "strasse"
    assert sort_name("ÆbleØÅäö") == "{ble|}{|"
    assert sorted(["Ølstykke", "Zealand", "Århus", "Ærø", "aalborg"], key=sort_name) == [
        "aalborg",
        "Zealand",
        "Ærø",
        "Ølstykke",
        "Århus",
    ]
