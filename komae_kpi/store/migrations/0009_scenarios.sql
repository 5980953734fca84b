-- Fiscal outlook scenarios (財政見通し): planned flows of the balance indicators and direct
-- forecasts, imported with `scenario import` (store/scenarios.py, judgement/outlook.py).

-- A plan table (rewritten by every `init` from data/plan/stock_flows.csv): the flows that move a
-- balance indicator, each adding to it (sign 1) or taking from it (sign -1). The system's setting.
CREATE TABLE stock_flows (
    indicator_no INTEGER NOT NULL,
    flow_code VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    sign INTEGER NOT NULL CHECK (sign IN (1, -1)),
    sort_order INTEGER NOT NULL,
    PRIMARY KEY (indicator_no, flow_code)
);

-- A scenario: in force once imported (not reviewed), every import, replacement and removal logged
-- in scenario_log. is_demo: made up for the demo store, never the city's.
CREATE TABLE scenarios (
    name VARCHAR PRIMARY KEY,
    scenario_date DATE,
    note VARCHAR,
    is_demo BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL,
    created_by VARCHAR NOT NULL,
    file_name VARCHAR,
    file_sha256 VARCHAR
);

-- A planned flow of one fiscal year, in the unit of its indicator (億円).
CREATE TABLE scenario_flows (
    name VARCHAR NOT NULL,
    fiscal_year INTEGER NOT NULL,
    flow_code VARCHAR NOT NULL,
    amount DOUBLE NOT NULL,
    PRIMARY KEY (name, fiscal_year, flow_code)
);

-- A value the scenario forecasts directly for an indicator and fiscal year, in its unit.
CREATE TABLE scenario_forecasts (
    name VARCHAR NOT NULL,
    indicator_no INTEGER NOT NULL,
    fiscal_year INTEGER NOT NULL,
    value DOUBLE NOT NULL,
    PRIMARY KEY (name, indicator_no, fiscal_year)
);

-- Every import, replacement and removal of a scenario: who, when, which file. Append-only.
CREATE TABLE scenario_log (
    log_id BIGINT PRIMARY KEY,
    logged_at TIMESTAMP NOT NULL,
    logged_by VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('import', 'replace', 'remove')),
    name VARCHAR NOT NULL,
    file_name VARCHAR,
    file_sha256 VARCHAR,
    summary VARCHAR NOT NULL
);
