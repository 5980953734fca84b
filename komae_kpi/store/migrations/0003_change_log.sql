-- The history of every change to entered data: one row per changed field, grouped by change_id
-- (one form save, one import or one restore). Append-only: nothing in komae-kpi updates or
-- deletes these rows, and a restore adds its own rows instead of rewriting the history.
CREATE TABLE change_log (
    change_id BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    changed_by VARCHAR NOT NULL,
    method VARCHAR NOT NULL CHECK (method IN ('form', 'import', 'restore')),
    file_name VARCHAR,
    file_sha256 VARCHAR,
    record_kind VARCHAR NOT NULL CHECK (record_kind IN ('indicator_value', 'item_status')),
    subject_no INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    field VARCHAR NOT NULL,
    old_value VARCHAR,
    new_value VARCHAR,
    PRIMARY KEY (change_id, seq)
);
