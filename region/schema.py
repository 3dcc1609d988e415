"""The region's schema: plain SQL files `migrations/NNN_name.sql`, applied in order, each in
its own transaction, and recorded in `region.schema_migrations`. Many exporters start at once
against one database, so the runner holds a transaction-scoped advisory lock while it looks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
# Any fixed number: it only has to differ from other programs' advisory locks on this database.
_LOCK = 1_701_700_017


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(folder: Path = MIGRATIONS) -> list[Migration]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file name {path.name!r} is not NNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"migrations must be numbered 1, 2, 3 … without gaps: {versions}")
    return found


def migrate(conn: psycopg.Connection, folder: Path = MIGRATIONS) -> list[int]:
    """Apply the migrations this database lacks; returns the versions applied now."""
    applied: list[int] = []
    # One exporter migrates at a time, the whole run (a session lock on this autocommit
    # connection, freed with it if it dies): a lock per migration let two exporters starting
    # together take one migration each, and one of them see the schema half-way. Each
    # migration is still its own transaction, so one that fails keeps those before it.
    conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK,))
    try:
        for m in migrations(folder):
            with conn.transaction():
                conn.execute("CREATE SCHEMA IF NOT EXISTS region")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS region.schema_migrations (version integer "
                    "PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL "
                    "DEFAULT now())")
                done = conn.execute("SELECT 1 FROM region.schema_migrations WHERE version = %s",
                                    (m.version,)).fetchone()
                if done:
                    continue
                conn.execute(m.sql.encode("utf-8"))
                conn.execute("INSERT INTO region.schema_migrations (version, name) "
                             "VALUES (%s, %s)", (m.version, m.name))
                applied.append(m.version)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))
    return applied


def version(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT to_regclass('region.schema_migrations')").fetchone()
    if row is None or row[0] is None:
        return 0
    got = conn.execute("SELECT coalesce(max(version), 0) FROM region.schema_migrations"
                       ).fetchone()
    return int(got[0]) if got else 0
