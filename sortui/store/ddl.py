"""The working copy's CREATE statements as plain data, generated from ``schema.py`` (do not edit).

Creating a working copy runs these without loading SQLModel and SQLAlchemy (a third of a second
of a new working copy's import); ``python -m sortui.store.schema > sortui/store/ddl.py`` writes
this file again, and a test checks that it says what the SQLModel tables say.
"""

# (table, statement), in the order ``schema.ddl_statements()`` gives them.
STATEMENTS: tuple[tuple[str, str], ...] = (
    (
        "address",
        "CREATE TABLE address (\n\tsor_id VARCHAR NOT NULL, \n\tkind VARCHAR NOT NULL, \n\tsublocation VARCHAR, \n\tstreet VARCHAR, \n\tstreet_for_addressing VARCHAR, \n\tbuilding VARCHAR, \n\tfloor VARCHAR, \n\tsuite VARCHAR, \n\tdistrict_subdivision VARCHAR, \n\tpo_box VARCHAR, \n\tpostcode VARCHAR, \n\tdistrict_name VARCHAR, \n\tcountry VARCHAR, \n\tstairway VARCHAR, \n\tmunicipality_code VARCHAR, \n\tPRIMARY KEY (sor_id, kind)\n)",
    ),
    (
        "code_list",
        "CREATE TABLE code_list (\n\tlist VARCHAR NOT NULL, \n\tcode VARCHAR NOT NULL, \n\ttext VARCHAR NOT NULL, \n\tconfirmed VARCHAR DEFAULT 'yes' NOT NULL, \n\tsource VARCHAR DEFAULT 'shipped' NOT NULL, \n\tPRIMARY KEY (list, code)\n)",
    ),
    (
        "conflict",
        'CREATE TABLE "conflict" (\n\tid INTEGER NOT NULL, \n\tentry_id INTEGER NOT NULL, \n\ttarget VARCHAR NOT NULL, \n\t"key" VARCHAR NOT NULL, \n\tfield VARCHAR, \n\tbase_value VARCHAR, \n\tlocal_value VARCHAR, \n\tserver_value VARCHAR, \n\tbase_version INTEGER NOT NULL, \n\tserver_version INTEGER, \n\tdetected_at VARCHAR NOT NULL, \n\tPRIMARY KEY (id)\n)',
    ),
    ("conflict", 'CREATE INDEX ix_conflict_item ON "conflict" (target, "key", field)'),
    (
        "contact",
        "CREATE TABLE contact (\n\tsor_id VARCHAR NOT NULL, \n\temail VARCHAR, \n\twebsite VARCHAR, \n\tphone VARCHAR, \n\tfax VARCHAR, \n\tPRIMARY KEY (sor_id)\n)",
    ),
    (
        "download",
        "CREATE TABLE download (\n\turl VARCHAR NOT NULL, \n\tetag VARCHAR, \n\tlast_modified VARCHAR, \n\tsha256 VARCHAR, \n\tfetched_at VARCHAR NOT NULL, \n\tPRIMARY KEY (url)\n)",
    ),
    (
        "entity",
        "CREATE TABLE entity (\n\tsor_id VARCHAR NOT NULL, \n\tkind VARCHAR NOT NULL, \n\tparent_sor_id VARCHAR, \n\tname VARCHAR NOT NULL, \n\tsort_name VARCHAR NOT NULL, \n\tentity_type_code VARCHAR, \n\tshak_code VARCHAR, \n\tprovider_number VARCHAR, \n\tpharmacy_number VARCHAR, \n\tlocal_code VARCHAR, \n\tcvr VARCHAR, \n\tgeo_parent_relation VARCHAR, \n\tgeo_parent_sor_id VARCHAR, \n\tean_mode VARCHAR NOT NULL, \n\tambulant BOOLEAN, \n\tadmitted BOOLEAN, \n\treporting_level BOOLEAN, \n\tfrom_date VARCHAR, \n\tto_date VARCHAR, \n\tfirst_from_date VARCHAR, \n\tupdated_at VARCHAR, \n\tnote VARCHAR, \n\tversion INTEGER NOT NULL, \n\tPRIMARY KEY (sor_id)\n)",
    ),
    ("entity", "CREATE INDEX ix_entity_parent_sort ON entity (parent_sor_id, sort_name)"),
    ("entity", "CREATE INDEX ix_entity_provider ON entity (provider_number)"),
    ("entity", "CREATE INDEX ix_entity_shak ON entity (shak_code)"),
    (
        "import_change",
        'CREATE TABLE import_change (\n\tseq INTEGER NOT NULL, \n\ttarget VARCHAR NOT NULL, \n\t"key" VARCHAR NOT NULL, \n\tchange VARCHAR NOT NULL, \n\tdetail VARCHAR, \n\tname VARCHAR, \n\tfields VARCHAR NOT NULL, \n\tunit VARCHAR, \n\tinstitution VARCHAR, \n\tinstitution_name VARCHAR, \n\tseen BOOLEAN NOT NULL, \n\tPRIMARY KEY (seq)\n)',
    ),
    ("import_change", "CREATE INDEX ix_import_change_unit ON import_change (unit, seen)"),
    (
        "import_run",
        "CREATE TABLE import_run (\n\tid INTEGER NOT NULL, \n\timported_at VARCHAR NOT NULL, \n\tsummary VARCHAR NOT NULL, \n\tPRIMARY KEY (id)\n)",
    ),
    (
        "journal",
        'CREATE TABLE journal (\n\tid INTEGER NOT NULL, \n\tcreated_at VARCHAR NOT NULL, \n\ttarget VARCHAR NOT NULL, \n\t"key" VARCHAR NOT NULL, \n\top VARCHAR NOT NULL, \n\tfield VARCHAR, \n\told_value VARCHAR, \n\tnew_value VARCHAR, \n\tbase_version INTEGER NOT NULL, \n\tstatus VARCHAR NOT NULL, \n\tchangeset_id VARCHAR, \n\tgroup_id INTEGER, \n\tPRIMARY KEY (id)\n)',
    ),
    ("journal", "CREATE INDEX ix_journal_group ON journal (group_id)"),
    ("journal", "CREATE INDEX ix_journal_status ON journal (status)"),
    ("journal", 'CREATE INDEX ix_journal_target ON journal (target, "key")'),
    (
        "local_attribute",
        "CREATE TABLE local_attribute (\n\tsor_id VARCHAR NOT NULL, \n\tidx INTEGER NOT NULL, \n\tvalue VARCHAR NOT NULL, \n\tPRIMARY KEY (sor_id, idx)\n)",
    ),
    (
        "location",
        "CREATE TABLE location (\n\tgln VARCHAR NOT NULL, \n\towner_sor_id VARCHAR NOT NULL, \n\tonly_internal BOOLEAN NOT NULL, \n\tnon_active BOOLEAN NOT NULL, \n\tsystem_supplier VARCHAR, \n\tsystem_type VARCHAR, \n\tcommunication_supplier VARCHAR, \n\tregion_code VARCHAR, \n\tedi_administrator VARCHAR, \n\tnote VARCHAR, \n\tfrom_date VARCHAR, \n\tto_date VARCHAR, \n\tfirst_from_date VARCHAR, \n\tupdated_at VARCHAR, \n\thas_status BOOLEAN NOT NULL, \n\tversion INTEGER NOT NULL, \n\tPRIMARY KEY (gln)\n)",
    ),
    ("location", "CREATE INDEX ix_location_owner ON location (owner_sor_id)"),
    (
        "location_message",
        "CREATE TABLE location_message (\n\tgln VARCHAR NOT NULL, \n\tmessage_urn VARCHAR NOT NULL, \n\tfrom_date VARCHAR, \n\tto_date VARCHAR, \n\tPRIMARY KEY (gln, message_urn)\n)",
    ),
    (
        "message_definition",
        "CREATE TABLE message_definition (\n\turn VARCHAR NOT NULL, \n\tformat VARCHAR NOT NULL, \n\tgrp VARCHAR NOT NULL, \n\ttype_code VARCHAR NOT NULL, \n\tversion_code VARCHAR NOT NULL, \n\ttitle VARCHAR NOT NULL, \n\tPRIMARY KEY (urn)\n)",
    ),
    ("message_definition", "CREATE INDEX ix_message_type_version ON message_definition (type_code, version_code)"),
    (
        "review_item",
        'CREATE TABLE review_item (\n\tsession VARCHAR NOT NULL, \n\tseq INTEGER NOT NULL, \n\ttarget VARCHAR NOT NULL, \n\t"key" VARCHAR NOT NULL, \n\treason VARCHAR NOT NULL, \n\tdecision VARCHAR, \n\tnote VARCHAR, \n\tdecided_at VARCHAR, \n\tPRIMARY KEY (session, seq)\n)',
    ),
    ("review_item", "CREATE INDEX ix_review_item_decision ON review_item (session, decision)"),
    (
        "review_log",
        "CREATE TABLE review_log (\n\tid INTEGER NOT NULL, \n\tsession VARCHAR NOT NULL, \n\tseq INTEGER NOT NULL, \n\tprevious_decision VARCHAR, \n\tprevious_note VARCHAR, \n\tprevious_position INTEGER NOT NULL, \n\tPRIMARY KEY (id)\n)",
    ),
    (
        "review_session",
        "CREATE TABLE review_session (\n\tname VARCHAR NOT NULL, \n\tsource VARCHAR NOT NULL, \n\tcreated_at VARCHAR NOT NULL, \n\ton_date VARCHAR, \n\tposition INTEGER NOT NULL, \n\tPRIMARY KEY (name)\n)",
    ),
    (
        "shak_code",
        "CREATE TABLE shak_code (\n\tcode VARCHAR NOT NULL, \n\tvalid_from VARCHAR NOT NULL, \n\tvalid_to VARCHAR, \n\tchanged VARCHAR, \n\tlevel VARCHAR NOT NULL, \n\trecord_type VARCHAR NOT NULL, \n\tparent_code VARCHAR, \n\ttext VARCHAR NOT NULL, \n\tgrp_a VARCHAR, \n\tgrp_b VARCHAR, \n\tgrp_c VARCHAR, \n\tgrp_d VARCHAR, \n\top_code VARCHAR, \n\tPRIMARY KEY (code, valid_from)\n)",
    ),
    ("shak_code", "CREATE INDEX ix_shak_parent ON shak_code (parent_code, code)"),
    (
        "shak_hospital",
        "CREATE TABLE shak_hospital (\n\tcode VARCHAR NOT NULL, \n\tvalid_from VARCHAR NOT NULL, \n\tvalid_to VARCHAR, \n\tname VARCHAR NOT NULL, \n\townership VARCHAR, \n\tinstitution_type VARCHAR, \n\tregion_code VARCHAR, \n\tsor_id VARCHAR, \n\tPRIMARY KEY (code, valid_from)\n)",
    ),
    (
        "snapshot",
        "CREATE TABLE snapshot (\n\tkind VARCHAR NOT NULL, \n\tsource_file VARCHAR NOT NULL, \n\tsnapshot_date VARCHAR, \n\tcreated_at VARCHAR, \n\timported_at VARCHAR NOT NULL, \n\tsha256 VARCHAR, \n\trows INTEGER NOT NULL, \n\tPRIMARY KEY (kind, source_file)\n)",
    ),
    (
        "speciality",
        "CREATE TABLE speciality (\n\tsor_id VARCHAR NOT NULL, \n\tseq INTEGER NOT NULL, \n\tcode VARCHAR NOT NULL, \n\ttype_code VARCHAR, \n\tPRIMARY KEY (sor_id, seq)\n)",
    ),
    (
        "succession",
        "CREATE TABLE succession (\n\tsor_id VARCHAR NOT NULL, \n\trelation VARCHAR NOT NULL, \n\tseq INTEGER NOT NULL, \n\tother_sor_id VARCHAR NOT NULL, \n\tPRIMARY KEY (sor_id, relation, seq)\n)",
    ),
    (
        "sync_state",
        "CREATE TABLE sync_state (\n\tid INTEGER NOT NULL, \n\tservice_url VARCHAR, \n\tuser_name VARCHAR, \n\tservice_id VARCHAR, \n\tlast_seq INTEGER NOT NULL, \n\tlast_sync_at VARCHAR, \n\tPRIMARY KEY (id)\n)",
    ),
)
