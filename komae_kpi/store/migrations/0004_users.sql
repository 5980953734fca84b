-- The people who may use komae-kpi and their roles (store/users.py). An email is kept lowercased,
-- so the key compares case-insensitively. An editor's departments are in user_departments.
CREATE TABLE users (
    email VARCHAR PRIMARY KEY,
    name VARCHAR,
    role VARCHAR NOT NULL CHECK (role IN ('viewer', 'editor', 'approver', 'admin'))
);

CREATE TABLE user_departments (
    email VARCHAR NOT NULL,
    seq INTEGER NOT NULL,
    department VARCHAR NOT NULL,
    PRIMARY KEY (email, seq)
);

-- Every change to users, append-only like change_log: nothing updates or deletes these rows.
-- Departments are the user's departments joined with 「・」 ('' for none); NULLs stand for the
-- side that does not exist (before an add, after a remove).
CREATE TABLE user_log (
    change_id BIGINT PRIMARY KEY,
    changed_at TIMESTAMP NOT NULL,
    changed_by VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('add', 'change', 'remove')),
    email VARCHAR NOT NULL,
    name_before VARCHAR,
    name_after VARCHAR,
    role_before VARCHAR,
    role_after VARCHAR,
    departments_before VARCHAR,
    departments_after VARCHAR
);
