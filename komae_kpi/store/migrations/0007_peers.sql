-- Peer context for the fiscal targets: 総務省「地方公共団体の主要財政指標一覧」 (CC BY 4.0), every
-- municipality, the prefectures' municipal averages and the national one (store/peers.py).
-- Reference data, imported with `peers import`; nothing of the plan or of what staff enter.

-- A municipality (or an average) is one entity across fiscal years. code is the 6-digit
-- 団体コード; NULL for an average, and for a municipality known only from years whose workbook
-- had no codes and that no later year names (one that merged away).
CREATE TABLE peer_entities (
    entity_id INTEGER PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('municipality', 'prefecture_average', 'national_average')),
    code VARCHAR,
    prefecture VARCHAR NOT NULL,
    name VARCHAR NOT NULL
);

-- One value of one indicator (the ministry's header, e.g. 経常収支比率) for one entity and fiscal
-- year, with the file it came from. value NULL: published as not computed ("-").
CREATE TABLE peer_values (
    fiscal_year INTEGER NOT NULL,
    entity_id INTEGER NOT NULL,
    indicator VARCHAR NOT NULL,
    value DOUBLE,
    source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    source_sheet VARCHAR NOT NULL,
    PRIMARY KEY (fiscal_year, entity_id, indicator)
);

-- Every import of peer workbooks: who, when, which file, what it held. Append-only.
CREATE TABLE peer_imports (
    import_id BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    imported_by VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    sheet VARCHAR NOT NULL,
    workbook_kind VARCHAR NOT NULL,
    fiscal_year INTEGER NOT NULL,
    rows_read INTEGER NOT NULL,
    values_new INTEGER NOT NULL,
    values_changed INTEGER NOT NULL,
    PRIMARY KEY (import_id, seq)
);
