-- The first schema of the komae-kpi store.
-- Plan tables are rewritten from data/plan/ by every `init`; they hold no user input.
-- indicator_values and item_statuses hold what users enter and are never rewritten by `init`.
-- No foreign keys: DuckDB refuses to delete rows that a foreign key references even when they are
-- re-inserted in the same transaction, which would block plan updates; store.py checks references.

CREATE TABLE store_info (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE TABLE policies (
    policy_no INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL
);

CREATE TABLE directions (
    policy_no INTEGER NOT NULL,
    direction_no INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    alias VARCHAR,
    lead VARCHAR NOT NULL,
    PRIMARY KEY (policy_no, direction_no)
);

CREATE TABLE programs (
    policy_no INTEGER NOT NULL,
    direction_no INTEGER NOT NULL,
    program_no INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    alias VARCHAR,
    lead VARCHAR NOT NULL,
    PRIMARY KEY (policy_no, direction_no, program_no)
);

CREATE TABLE items (
    item_no INTEGER PRIMARY KEY,
    policy_no INTEGER NOT NULL,
    direction_no INTEGER NOT NULL,
    program_no INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    alias VARCHAR,
    repost_of INTEGER,
    text VARCHAR NOT NULL
);

CREATE TABLE departments (
    name VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('department', 'catch_all')),
    note VARCHAR,
    sort_order INTEGER NOT NULL
);

CREATE TABLE item_departments (
    item_no INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    department VARCHAR NOT NULL,
    PRIMARY KEY (item_no, seq)
);

CREATE TABLE indicators (
    indicator_no INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    baseline_fiscal_year INTEGER NOT NULL,
    baseline_value DOUBLE NOT NULL,
    target_fiscal_year INTEGER NOT NULL,
    target_value DOUBLE NOT NULL,
    comparator VARCHAR NOT NULL CHECK (comparator IN ('>=', '<=')),
    measured_at VARCHAR NOT NULL CHECK (measured_at IN ('fiscal_year_end', 'next_april_1')),
    description VARCHAR,
    note VARCHAR
);

CREATE TABLE indicator_rules (
    indicator_no INTEGER PRIMARY KEY,
    path_tolerance DOUBLE,
    headroom_margin DOUBLE,
    basis VARCHAR NOT NULL
);

CREATE TABLE indicator_policies (
    indicator_no INTEGER NOT NULL,
    policy_no INTEGER NOT NULL,
    basis VARCHAR NOT NULL,
    PRIMARY KEY (indicator_no, policy_no)
);

CREATE TABLE status_vocabulary (
    status VARCHAR PRIMARY KEY,
    sort_order INTEGER NOT NULL,
    category VARCHAR NOT NULL,
    description VARCHAR NOT NULL
);

-- origin: 'shipped' rows come from data/ (plan baselines, published history) and follow those
-- files; 'user' rows were entered by staff and are never changed by `init`.
CREATE TABLE indicator_values (
    indicator_no INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    source VARCHAR,
    note VARCHAR,
    origin VARCHAR NOT NULL CHECK (origin IN ('shipped', 'user')),
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    PRIMARY KEY (indicator_no, fiscal_year)
);

CREATE TABLE item_statuses (
    item_no INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    status VARCHAR NOT NULL,
    achievements VARCHAR,
    issues VARCHAR,
    next_steps VARCHAR,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    PRIMARY KEY (item_no, fiscal_year)
);

CREATE TABLE reference_series (
    series_code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    unit VARCHAR NOT NULL,
    decimals INTEGER NOT NULL,
    description VARCHAR NOT NULL,
    sort_order INTEGER NOT NULL
);

CREATE TABLE reference_values (
    series_code VARCHAR NOT NULL,
    fiscal_year INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    source VARCHAR,
    note VARCHAR,
    PRIMARY KEY (series_code, fiscal_year)
);
