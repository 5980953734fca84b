-- The stage of every actual (common/stages.py): 'estimate' (見込), 'settled' (決算) or 'final'
-- (確定). Everything stored before stages existed is settled, shipped and entered rows alike;
-- nothing else of a row changes. DuckDB cannot add a column with a CHECK constraint, so the table
-- is rebuilt with its rows, as 0006 did for change_log.
CREATE TABLE indicator_values_v8 (
    indicator_no INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    stage VARCHAR NOT NULL DEFAULT 'settled' CHECK (stage IN ('estimate', 'settled', 'final')),
    source VARCHAR,
    note VARCHAR,
    origin VARCHAR NOT NULL CHECK (origin IN ('shipped', 'user')),
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    PRIMARY KEY (indicator_no, fiscal_year)
);
INSERT INTO indicator_values_v8
SELECT indicator_no, fiscal_year, value, 'settled', source, note, origin, updated_at, updated_by
FROM indicator_values;
DROP TABLE indicator_values;
ALTER TABLE indicator_values_v8 RENAME TO indicator_values;

-- A submission keeps its record's entry fields as JSON: those of actuals gain their stage.
UPDATE submissions
SET content = json_merge_patch(content, '{"stage": "settled"}')
WHERE record_kind = 'indicator_value';

-- The change log keeps, on each row about an actual, the stage of that actual after the change
-- (before it, for a deletion), so that the history shows every stage with its date and source.
-- The rows written before stages existed were about settled values.
ALTER TABLE change_log ADD COLUMN stage VARCHAR;
UPDATE change_log SET stage = 'settled'
WHERE record_kind = 'indicator_value' AND field <> 'review_state';
