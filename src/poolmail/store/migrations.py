"""Versioned schema migrations, applied in order whenever a database opens.

To change the schema, append a ``Migration`` with the next version number to
``MIGRATIONS``. Never edit one that has shipped: databases out there have already run it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from poolmail.store.base import Database, Dialect

# A statement is portable SQL, or a mapping from dialect to that dialect's spelling where
# they differ; a dialect missing from the mapping skips the statement.
Statement = str | Mapping[Dialect, str]

# Named lock for Database.transaction: replicas starting together on one PostgreSQL
# database migrate one after the other (SQLite's BEGIN IMMEDIATE serialises on its own).
MIGRATION_LOCK = "poolmail:schema-migration"


class Migration(NamedTuple):
    version: int
    description: str
    statements: list[Statement]


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "user pools and SES identities",
        [
            """
            CREATE TABLE user_pools (
                id TEXT PRIMARY KEY,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX user_pools_scope ON user_pools (account, region, created_at, id)",
            """
            CREATE TABLE ses_identities (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                identity TEXT NOT NULL,
                kind TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, identity)
            )
            """,
        ],
    ),
    Migration(
        2,
        "SES accounts, sending log, templates, configuration sets, local DNS zone, mailbox",
        [
            # Per account and region: sandbox or production, the production-access review.
            """
            CREATE TABLE ses_accounts (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region)
            )
            """,
            # One row per accepted send: the rolling 24-hour quota and the per-second rate
            # are sums over this table, taken under a named lock so replicas stay exact.
            """
            CREATE TABLE ses_sends (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                sent_at DOUBLE PRECISION NOT NULL,
                recipients INTEGER NOT NULL,
                quota_recipients INTEGER NOT NULL
            )
            """,
            "CREATE INDEX ses_sends_window ON ses_sends (account, region, sent_at)",
            """
            CREATE TABLE ses_templates (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, name)
            )
            """,
            """
            CREATE TABLE ses_configuration_sets (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, name)
            )
            """,
            # Verification links mailed for email identities; the token is the secret.
            """
            CREATE TABLE ses_verification_links (
                token TEXT PRIMARY KEY,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                identity TEXT NOT NULL,
                sent_at DOUBLE PRECISION NOT NULL
            )
            """,
            # poolmail's local DNS zone: records users publish for offline verification.
            """
            CREATE TABLE dns_records (
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                value TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (name, type, value)
            )
            """,
            # Every message SES accepted, or refused (status 'rejected' with the error),
            # whether it came from SES v1, v2, SMTP or Cognito.
            """
            CREATE TABLE messages (
                id TEXT PRIMARY KEY,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                status TEXT NOT NULL,
                origin TEXT NOT NULL,
                source TEXT NOT NULL,
                recipients TEXT NOT NULL,
                subject TEXT NOT NULL,
                data TEXT NOT NULL
            )
            """,
            {
                "sqlite": "ALTER TABLE messages ADD COLUMN raw BLOB",
                "postgresql": "ALTER TABLE messages ADD COLUMN raw BYTEA",
            },
            # Message ids start with their time in hex, so (created_at, id) orders them.
            "CREATE INDEX messages_time ON messages (created_at, id)",
            "CREATE INDEX messages_scope ON messages (account, region, created_at)",
            """
            CREATE TABLE message_events (
                message_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                type TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (message_id, position)
            )
            """,
        ],
    ),
    Migration(
        3,
        "Cognito users, app clients, domains, codes, default-sender log",
        [
            # Users of a pool. Attributes and the rest live in `data`; what lookups need
            # (sub, the email and phone aliases) has columns and indexes.
            """
            CREATE TABLE users (
                pool_id TEXT NOT NULL,
                username TEXT NOT NULL,
                sub TEXT NOT NULL,
                status TEXT NOT NULL,
                enabled INTEGER NOT NULL,
                email TEXT,
                phone TEXT,
                preferred_username TEXT,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, username)
            )
            """,
            "CREATE UNIQUE INDEX users_sub ON users (pool_id, sub)",
            "CREATE INDEX users_email ON users (pool_id, email)",
            "CREATE INDEX users_phone ON users (pool_id, phone)",
            "CREATE INDEX users_preferred ON users (pool_id, preferred_username)",
            "CREATE INDEX users_created ON users (pool_id, created_at, username)",
            """
            CREATE TABLE user_pool_clients (
                id TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX user_pool_clients_pool ON user_pool_clients (pool_id, created_at, id)",
            """
            CREATE TABLE user_pool_domains (
                domain TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX user_pool_domains_pool ON user_pool_domains (pool_id)",
            # One-time codes: sign-up confirmation, forgot password, attribute verification.
            """
            CREATE TABLE user_codes (
                pool_id TEXT NOT NULL,
                username TEXT NOT NULL,
                purpose TEXT NOT NULL,
                code TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, username, purpose)
            )
            """,
            # Per-user attempts of rate-limited actions (resend, confirm, ...), by time.
            """
            CREATE TABLE user_attempts (
                pool_id TEXT NOT NULL,
                username TEXT NOT NULL,
                action TEXT NOT NULL,
                at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX user_attempts_window ON user_attempts (pool_id, username, action, at)",
            # Mail sent by Cognito's own default sender: its daily cap is per account.
            """
            CREATE TABLE cognito_default_sends (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                pool_id TEXT NOT NULL,
                sent_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX cognito_default_sends_window ON cognito_default_sends (account, sent_at)",
        ],
    ),
]

LATEST_VERSION = MIGRATIONS[-1].version

_CREATE_SCHEMA_VERSION = """
    CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY,
        description TEXT NOT NULL,
        applied_at DOUBLE PRECISION NOT NULL
    )
"""


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer poolmail; this one must not touch it."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"the database schema is at version {found}, but this poolmail knows versions "
            f"up to {known} only; run a newer poolmail, or point this one at another database"
        )
        self.found = found
        self.known = known


def migrate(db: Database, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Bring ``db`` up to the last of ``migrations``; return the versions it applied.

    Everything runs in one transaction, so a failing migration leaves the database at the
    version it had before.
    """
    _check_numbering(migrations)
    known = migrations[-1].version if migrations else 0
    applied: list[int] = []
    with db.transaction(lock=MIGRATION_LOCK) as tx:
        tx.execute(_CREATE_SCHEMA_VERSION)
        row = tx.fetchone("SELECT MAX(version) FROM schema_version")
        current: int = row[0] if row is not None and row[0] is not None else 0
        if current > known:
            raise SchemaTooNewError(current, known)
        for migration in migrations[current:]:
            for statement in migration.statements:
                sql = statement if isinstance(statement, str) else statement.get(db.dialect)
                if sql is not None:
                    tx.execute(sql)
            tx.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.description, time.time()),
            )
            applied.append(migration.version)
    return applied


def _check_numbering(migrations: Sequence[Migration]) -> None:
    # Versions double as list positions (migrations[current:] above), so a gap or a
    # duplicate would silently skip or repeat a migration.
    for position, migration in enumerate(migrations, start=1):
        if migration.version != position:
            raise ValueError(
                f"migration {migration.description!r} has version {migration.version}, "
                f"expected {position}: versions must run 1, 2, 3, ... in order"
            )
