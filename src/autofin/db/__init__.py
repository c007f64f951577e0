"""Database plumbing: engine, unit of work, column types, data-scope filtering, migrations."""
