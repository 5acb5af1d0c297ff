"""What ``sortui generate`` offers (files, date, smallest size): plain constants, so that the command
line's parser can list them without loading the generator."""

from __future__ import annotations

from datetime import date

FILE_NAMES: dict[str, str] = {
    "xml": "sor.xml",
    "zip": "sor.zip",
    "csv": "sor.csv",
    "sor2": "SorEntity_daily.csv",
    "shak": "SHAKCOMPLETE.TXT",
    "edi": "LocationsCodeEDITypeMap.csv",
}
FORMATS = tuple(FILE_NAMES)
SNAPSHOT_DATE = date(2026, 11, 1)
MIN_ENTITIES = 500
