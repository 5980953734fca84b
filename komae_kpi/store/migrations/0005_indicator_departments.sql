-- Which department answers for which indicator: a plan table (rewritten by every `init` from
-- data/plan/indicator_departments.csv), the system's setting rather than the plan's text.
CREATE TABLE indicator_departments (
    indicator_no INTEGER NOT NULL,
    department VARCHAR NOT NULL,
    basis VARCHAR NOT NULL,
    PRIMARY KEY (indicator_no, department)
);
