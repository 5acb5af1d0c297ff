"""Every SOR XML sortui writes validates against the official schema (issue 16).

The schema is the register's own (``../shared/samples/sor/schema/``, with the two changes its README
names so that it loads offline), checked with lxml's XMLSchema: the real extracts after a round
trip through a working copy, a generated national set, the bundled demo, and what the writer refuses.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from sortui.domain.model import Address, Contact, Entity
from sortui.domain.provisional import provisional_sor_id
from sortui.formats.sorxml import SorXmlReader
from sortui.formats.sorxml_writer import write_sor_xml
from sortui.generator.demo import demo_dir
from sortui.generator.files import write_file_set
from sortui.store.importer import import_files


@pytest.fixture(scope="session")
def schema(samples_dir: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(samples_dir / "sor" / "schema" / "SorTree.xsd")))


def assert_valid(schema: etree.XMLSchema, data: bytes) -> None:
    document = etree.parse(io.BytesIO(data))
    errors = [] if schema.validate(document) else [f"line {e.line}: {e.message}" for e in schema.error_log][:5]
    assert errors == []


def test_the_real_extracts_validate_and_so_does_their_round_trip(
    run_cli, wc: Path, sor_samples: list[Path], schema: etree.XMLSchema, tmp_path: Path
) -> None:
    for sample in sor_samples:
        assert_valid(schema, sample.read_bytes())
    import_files(wc, sor_samples)
    out = tmp_path / "export.xml"
    result = run_cli("export", "--format", "xml", "-o", out)
    assert result.code == 0, result.err
    assert_valid(schema, out.read_bytes())


def test_a_generated_national_set_validates(schema: etree.XMLSchema, tmp_path: Path) -> None:
    paths = write_file_set(tmp_path, 4000, 11, ("xml", "zip"))
    data = paths["xml"].read_bytes()
    assert_valid(schema, data)
    with zipfile.ZipFile(paths["zip"]) as zf:
        assert zf.read("sor.xml") == data
    assert b"<EntityName>Staten</EntityName>" in data  # the owner that lacked VirtualAddressInformation


def test_the_bundled_demo_validates(schema: etree.XMLSchema) -> None:
    with zipfile.ZipFile(demo_dir() / "sor.zip") as zf:
        assert_valid(schema, zf.read("sor.xml"))


def _owner(**values: object) -> Entity:
    defaults: dict[str, object] = {
        "sor_id": "8321000016007",
        "kind": "IE",
        "name": "Ejer",
        "entity_type_code": "550891000005100",
        "from_date": "2010-01-01",
        "first_from_date": "2010-01-01",
        "addresses": [Address("postal", street="Ejervej")],
        "contact": Contact(phone="70707070"),
    }
    return Entity(**{**defaults, **values})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ent", "named"),
    [
        (_owner(contact=None), "VirtualAddressInformation (contact data)"),
        (_owner(contact=Contact(email="a@b.dk")), "TelephoneNumberIdentifier (contact.phone)"),
        (_owner(addresses=[]), "PostalAddressInformation"),
        (
            _owner(entity_type_code=None, first_from_date=None),
            "FirstFromDate (first_from_date); OwnerType (entity_type_code)",
        ),
        (_owner(sor_id=provisional_sor_id(7)), "provisional"),
    ],
)
def test_the_writer_refuses_what_the_schema_would_not_accept(
    ent: Entity, named: str, schema: etree.XMLSchema, tmp_path: Path
) -> None:
    out = tmp_path / "x.xml"
    with pytest.raises(ValueError) as info:
        write_sor_xml([(0, ent)], out)
    assert ent.sor_id in str(info.value) and named in str(info.value)
    write_sor_xml([(0, _owner())], out)  # the same owner with what it needs is written, and valid
    assert_valid(schema, out.read_bytes())


def test_a_units_flags_are_written_all_three_or_not_at_all(
    run_cli, sor_wc: Path, schema: etree.XMLSchema, tmp_path: Path
) -> None:
    """A file may give only some of a unit's flags (read as given); SOR XML needs all three, so export says so."""
    assert run_cli("set", "347831000016005", "ambulant=", db=sor_wc).code == 0
    out = tmp_path / "export.xml"
    result = run_cli("export", "--format", "xml", "--with-pending", "-o", out, db=sor_wc)
    assert result.code == 2 and "347831000016005" in result.err
    assert "all three flags of OrganizationalUnitInformation" in result.err and not out.exists()
    assert run_cli("set", "347831000016005", "ambulant=ja", db=sor_wc).code == 0
    assert run_cli("export", "--format", "xml", "--with-pending", "-o", out, db=sor_wc).code == 0
    assert_valid(schema, out.read_bytes())
    back = {e.sor_id: e for e in SorXmlReader(out)}
    assert back["347831000016005"].ambulant is True
