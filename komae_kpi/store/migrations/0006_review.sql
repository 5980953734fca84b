-- Review before publication (store/review.py). indicator_values and item_statuses keep what is in
-- force, the approved state everyone reads; what people submit waits in submissions until an
-- approver approves it (it is then written into those tables) or returns it with a comment.
-- With no users registered, saves are approved at once and no submission is kept.
CREATE TABLE submissions (
    submission_id BIGINT PRIMARY KEY,
    record_kind VARCHAR NOT NULL CHECK (record_kind IN ('indicator_value', 'item_status')),
    subject_no INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    -- The record's entry fields as JSON (every field but the key), so a new field needs no change here.
    content VARCHAR NOT NULL,
    state VARCHAR NOT NULL CHECK (state IN ('submitted', 'approved', 'returned', 'superseded')),
    method VARCHAR NOT NULL CHECK (method IN ('form', 'import')),
    file_name VARCHAR,
    file_sha256 VARCHAR,
    submitted_at TIMESTAMP NOT NULL,
    submitted_by VARCHAR NOT NULL,
    reviewed_at TIMESTAMP,
    reviewed_by VARCHAR,
    review_comment VARCHAR
);

-- The change log gains the review's own entries: a submission (action 'submit', one row per field
-- that differs from the record in force), a waiting submission replaced by a newer entry
-- ('supersede'), an approval or a return (one row, field 'review_state', with the approver's
-- comment) and the migration's approval of what existed before review. DuckDB
-- cannot change a CHECK constraint in place, so the table is rebuilt with its rows.
CREATE TABLE change_log_v6 (
    change_id BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    changed_by VARCHAR NOT NULL,
    method VARCHAR NOT NULL
        CHECK (method IN ('form', 'import', 'restore', 'review', 'migration')),
    file_name VARCHAR,
    file_sha256 VARCHAR,
    record_kind VARCHAR NOT NULL CHECK (record_kind IN ('indicator_value', 'item_status')),
    subject_no INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    action VARCHAR NOT NULL
        CHECK (action IN ('insert', 'update', 'delete', 'submit', 'supersede', 'approve', 'return')),
    field VARCHAR NOT NULL,
    old_value VARCHAR,
    new_value VARCHAR,
    submission_id BIGINT,
    comment VARCHAR,
    PRIMARY KEY (change_id, seq)
);
INSERT INTO change_log_v6
SELECT change_id, seq, changed_at, changed_by, method, file_name, file_sha256, record_kind,
       subject_no, fiscal_year, action, field, old_value, new_value, NULL, NULL
FROM change_log;
DROP TABLE change_log;
ALTER TABLE change_log_v6 RENAME TO change_log;

-- Everything entered before review existed is in force already: it becomes approved, in one
-- change of the log.
INSERT INTO change_log (change_id, seq, changed_at, changed_by, method, record_kind, subject_no,
                        fiscal_year, action, field, old_value, new_value, comment)
SELECT (SELECT coalesce(max(change_id), 0) + 1 FROM change_log),
       row_number() OVER (ORDER BY record_kind, subject_no, fiscal_year),
       current_localtimestamp(), 'komae-kpi migration', 'migration', record_kind, subject_no,
       fiscal_year, 'approve', 'review_state', NULL, 'approved',
       '承認の仕組みを導入する前に入力された記録のため、承認済みとしました。'
FROM (
    SELECT 'indicator_value' AS record_kind, indicator_no AS subject_no, fiscal_year
    FROM indicator_values WHERE origin = 'user'
    UNION ALL
    SELECT 'item_status', item_no, fiscal_year FROM item_statuses
);
