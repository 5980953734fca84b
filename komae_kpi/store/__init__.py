"""The DuckDB store: connection and migrations, named queries, the change log, entries, backups, the demo store."""
