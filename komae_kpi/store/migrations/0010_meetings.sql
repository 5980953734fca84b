-- 推進本部 meetings as records (store/meetings.py): what each meeting saw, frozen when it is
-- recorded, so that `changes --since` can say what changed since. Recording and removing are
-- logged in meeting_log.

-- A meeting: its name (the key), the day it was held, the fiscal year it looked at, the moment
-- whose state in force it froze (state_at: when it was recorded, or the --as-of moment), and
-- whether that state was rebuilt from the change log (--as-of) rather than read as it stood.
CREATE TABLE meetings (
    name VARCHAR PRIMARY KEY,
    held_on DATE NOT NULL,
    fiscal_year INTEGER NOT NULL,
    state_at TIMESTAMP NOT NULL,
    rebuilt BOOLEAN NOT NULL DEFAULT false,
    recorded_at TIMESTAMP NOT NULL,
    recorded_by VARCHAR NOT NULL
);

-- Every actual in force at state_at, with its stage.
CREATE TABLE meeting_values (
    name VARCHAR NOT NULL,
    indicator_no INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    stage VARCHAR NOT NULL CHECK (stage IN ('estimate', 'settled', 'final')),
    PRIMARY KEY (name, indicator_no, fiscal_year)
);

-- Every item status in force at state_at.
CREATE TABLE meeting_item_statuses (
    name VARCHAR NOT NULL,
    item_no INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    status VARCHAR NOT NULL,
    PRIMARY KEY (name, item_no, fiscal_year)
);

-- The status each indicator was judged to have for the meeting's fiscal year (status codes as
-- `status --json` gives them).
CREATE TABLE meeting_judgements (
    name VARCHAR NOT NULL,
    indicator_no INTEGER NOT NULL,
    status VARCHAR NOT NULL,
    PRIMARY KEY (name, indicator_no)
);

-- Every recording and removal of a meeting: who, when, which. Append-only.
CREATE TABLE meeting_log (
    log_id BIGINT PRIMARY KEY,
    logged_at TIMESTAMP NOT NULL,
    logged_by VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('add', 'remove')),
    name VARCHAR NOT NULL,
    summary VARCHAR NOT NULL
);
