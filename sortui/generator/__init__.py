"""Synthetic national-scale SOR data in the register's real formats (``sortui generate``).

``tree.generate`` streams a realistic, deterministic tree; ``files.write_file_set`` writes it as
sor.xml / sor.zip, sor.csv, SorEntity_daily.csv, SHAKCOMPLETE.TXT and LocationsCodeEDITypeMap.csv;
``demo`` holds the small bundled snapshot the app opens on an empty working copy.
"""
