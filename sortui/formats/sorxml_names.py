"""Namespaces and element names of SOR XML (schema v1.0.0), shared by reader and writer.

Elements are matched by namespace URI, never by prefix; the prefixes here are only
the ones the register's own exports declare, used when writing. A described field's
element is its definition's (``FieldDef.xml``); here is where the XSD puts it.
"""

from __future__ import annotations

from sortui.domain.fielddef import FieldDef
from sortui.domain.fields import ADDRESS_FIELDS, CONTACT_FIELDS, ENTITY_FIELDS

SOR_NS = "urn:oio:sundhedsstyrelsen:organisation:1.0.0"
XKOM = "http://rep.oio.dk/xkom.dk/xml/schemas/2005/03/15/"
XKOM1 = "http://rep.oio.dk/xkom.dk/xml/schemas/2006/01/06/"
DKCC = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2003/02/13/"
DKCC2005 = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/03/15/"
DKCC2005_2 = "http://rep.oio.dk/ebxml/xml/schemas/dkcc/2005/05/13/"
CPR = "http://rep.oio.dk/cpr.dk/xml/schemas/core/2005/03/18/"
ITST = "http://rep.oio.dk/itst.dk/xml/schemas/2005/01/10/"

# Prefixes as declared on the root of the register's exports.
NSMAP = {
    "itst": ITST,
    "xkom-1": XKOM1,
    "dkcc": DKCC,
    "dkcc2005-2": DKCC2005_2,
    "dkcc2005": DKCC2005,
    "cpr": CPR,
    "xkom": XKOM,
    None: SOR_NS,
}


def q(local: str, ns: str = SOR_NS) -> str:
    """Clark notation ``{uri}local``."""
    return f"{{{ns}}}{local}"


def _element(fields: dict[str, FieldDef], name: str) -> str:
    """The element of a described field."""
    xml = fields[name].xml
    assert xml is not None, name
    return xml


# Address field -> (namespace, element) inside xkom-1:AddressPostal, in XSD order.
ADDRESS_ELEMENTS: dict[str, tuple[str, str]] = {
    name: (ns, _element(ADDRESS_FIELDS, name))
    for name, ns in (
        ("sublocation", DKCC),
        ("street", DKCC2005),
        ("street_for_addressing", CPR),
        ("building", DKCC),
        ("floor", DKCC),
        ("suite", DKCC),
        ("district_subdivision", DKCC2005),
        ("po_box", DKCC2005_2),
        ("postcode", DKCC2005),
        ("district_name", DKCC2005),
        ("country", DKCC),
    )
}
ADDRESS_BY_TAG = {q(local, ns): name for name, (ns, local) in ADDRESS_ELEMENTS.items()}
STAIRWAY = q(_element(ADDRESS_FIELDS, "stairway"))  # after xkom-1:AddressPostal, in the address wrapper
ADDRESS_POSTAL = q("AddressPostal", XKOM1)
COUNTRY_SCHEME = "iso3166-alpha2"

ADDRESS_WRAPPERS = {
    "postal": "PostalAddressInformation",
    "visiting": "VisitingAddressInformation",
    "activity": "ActivityAddressInformation",
}

# Contact field -> (namespace, element) inside VirtualAddressInformation, in XSD order.
CONTACT_ELEMENTS: dict[str, tuple[str, str]] = {
    name: (ns, _element(CONTACT_FIELDS, name))
    for name, ns in (("email", XKOM), ("website", SOR_NS), ("phone", SOR_NS), ("fax", SOR_NS))
}
CONTACT_BY_TAG = {q(local, ns): name for name, (ns, local) in CONTACT_ELEMENTS.items()}

# Location number attributes in XSD order (EanLocationCodeEntity).
LOCATION_ELEMENTS: tuple[tuple[str, str], ...] = (
    ("gln", "EanLocationCode"),
    ("only_internal", "OnlyInternalIndicator"),
    ("non_active", "NonActiveIndicator"),
    ("system_supplier", "SystemSupplier"),
    ("system_type", "SystemType"),
    ("communication_supplier", "CommunicationSupplier"),
    ("region_code", "RegionCode"),
    ("edi_administrator", "EdiAdministrator"),
    ("note", "SorNote"),
)
LOCATION_BY_TAG = {q(local): name for name, local in LOCATION_ELEMENTS}

# SorStatus of a unit or a location number (the same fields on both), in XSD order.
STATUS_ELEMENTS: tuple[tuple[str, str], ...] = tuple(
    (name, _element(ENTITY_FIELDS, name)) for name in ("from_date", "to_date", "updated_at", "first_from_date")
)
STATUS_BY_TAG = {q(local): name for name, local in STATUS_ELEMENTS}

UNIT_INFO_ELEMENTS: tuple[tuple[str, str], ...] = (
    ("ambulant", "AmbulantActivityIndicator"),
    ("admitted", "PatientsAdmittedIndicator"),
    ("reporting_level", "ReportingLevelIndicator"),
)
UNIT_INFO_BY_TAG = {q(local): name for name, local in UNIT_INFO_ELEMENTS}

# Record element and its wrapper per kind; the element holding the entity type code.
RECORD = {"IE": "InstitutionOwner", "SI": "HealthInstitution", "OE": "OrganizationalUnit"}
WRAPPER = {"IE": "InstitutionOwnerEntity", "SI": "HealthInstitutionEntity", "OE": "OrganizationalUnitEntity"}
TYPE_ELEMENT = {"IE": "OwnerType", "SI": "InstitutionType", "OE": "UnitType"}
KIND_BY_RECORD_TAG = {q(local): kind for kind, local in RECORD.items()}
KIND_BY_WRAPPER_TAG = {q(local): kind for kind, local in WRAPPER.items()}

# -- structure (used by the writer; the reader matches the same names) -------

SOR_TREE = "SorTree"
CREATED_AT = "CreatedAtTime"
SNAPSHOT_DATE = "SnapshotDate"
EAN_ENTITY = "EanLocationCodeEntity"
OPTIONAL_EAN = "OptionalEanLocationCode"
EAN_INHERITED = "EntityInheritedIndicator"
GEO_PARENT = "GeographicalParent"
VIRTUAL_ADDRESS = "VirtualAddressInformation"
SPECIALITY_COLLECTION = "ClinicalSpecialityCollection"
SPECIALITY = "ClinicalSpeciality"
SPECIALITY_TYPE = "SpecialityType"
SOR_STATUS = "SorStatus"
REPLACES = "ReplacesEntityCollection"
REPLACED_BY = "ReplacedByEntityCollection"
UNIT_INFO = "OrganizationalUnitInformation"
LOCAL_ATTRIBUTES = "LocalAttributeCollection"

# The parts of each record in XSD sequence order (sor-domain.md §2.3). Names are
# Entity fields (their element comes from ``fields.ENTITY_FIELDS``) or these parts:
# ``type`` (TYPE_ELEMENT), ``location`` (the IE's own EanLocationCodeEntity),
# ``optional_ean`` (OptionalEanLocationCode), ``geo_parent``, ``postal``/``visiting``/
# ``activity`` (ADDRESS_WRAPPERS), ``contact``, ``specialities``, ``status``,
# ``replaces``, ``replaced_by``, ``unit_info`` and ``local_attributes``.
RECORD_SEQUENCE: dict[str, tuple[str, ...]] = {
    "IE": ("sor_id", "name", "type", "location", "postal", "contact", "status"),
    "SI": (
        "sor_id",
        "name",
        "type",
        "pharmacy_number",
        "shak_code",
        "optional_ean",
        "geo_parent",
        "postal",
        "visiting",
        "contact",
        "status",
        "replaces",
        "replaced_by",
    ),
    "OE": (
        "sor_id",
        "name",
        "type",
        "local_code",
        "pharmacy_number",
        "shak_code",
        "provider_number",
        "optional_ean",
        "geo_parent",
        "postal",
        "visiting",
        "activity",
        "contact",
        "specialities",
        "status",
        "replaces",
        "replaced_by",
        "unit_info",
        "local_attributes",
    ),
}
# Tree depth of each kind: owners at the top, institutions below them, units from 2 down.
KIND_DEPTH = {"IE": 0, "SI": 1, "OE": 2}
