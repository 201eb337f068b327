"""`plinto-db lint`: unsafe DDL in migrations, found before it runs.

sources  -> which files, read how (.sql, alembic revisions)
parse    -> PostgreSQL's own grammar (libpg_query through pglast)
alembic  -> the SQL and `op.*` calls of an alembic revision, found with Python's `ast`
context  -> what is true before each statement (transaction, lock_timeout, new tables)
rules/   -> one small unit per rule: an id, a severity, a check
run      -> the use case: a LintRequest in, a LintOutcome out
"""
