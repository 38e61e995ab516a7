"""Versioned schema migrations, applied in order whenever a database opens.

To change the schema, append a ``Migration`` with the next version number to
``MIGRATIONS``. Never edit one that has shipped: databases out there have already run it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from poolmail.store.base import Database, Dialect, Transaction

# A statement is portable SQL, or a mapping from dialect to that dialect's spelling where
# they differ (a dialect missing from the mapping skips the statement), or a function
# run in the migration's transaction, for what SQL cannot compute alike on both.
Statement = str | Mapping[Dialect, str] | Callable[[Transaction], None]

# Named lock for Database.transaction: replicas starting together on one PostgreSQL
# database migrate one after the other (SQLite's BEGIN IMMEDIATE serialises on its own).
MIGRATION_LOCK = "poolmail:schema-migration"


class Migration(NamedTuple):
    version: int
    description: str
    statements: list[Statement]


def _index_user_search(tx: Transaction) -> None:
    # In Python: the index folds case as ListUsers' filter does (str.lower), which neither
    # store's LOWER does beyond ASCII. Imported when run: the store sits below services.
    from poolmail.cognito.users.search_index import backfill

    backfill(tx)


def _sqlite_only(*statements: str) -> list[Statement]:
    return [{"sqlite": sql} for sql in statements]


def _backfill_tenant_history(tx: Transaction) -> None:
    # Imported when run: the store sits below services.
    from poolmail.ses.tenants.history import backfill

    backfill(tx)


# Migration 19, the sign-up's: written apart while the SES sending's 18 was under way.
SIGN_UP_TABLES = Migration(
    19,
    "one-time codes and the default sender's log in their primary keys alone",
    [
        # -- sign-up keyed tables --
        # A sign-up through Cognito's default sender commits ~31 pages; a rowid table
        # with a key beside it writes two B-trees per row where one would do, and every
        # reader of these two looks rows up by a prefix of that key (codes.py: pool,
        # user, purpose; delivery.py: the account's window up to a time). SQLite keeps
        # them WITHOUT ROWID now: 2.1 -> 1.4 WAL pages each per sign-up (one B-tree's
        # leaf, and its splits), and fewer WAL pages mean fewer checkpoints too.
        # PostgreSQL's tables have no such second tree; its log gets the column that
        # keys SQLite's.
        *_sqlite_only(
            """
            CREATE TABLE user_codes_keyed (
                pool_id TEXT NOT NULL,
                username TEXT NOT NULL,
                purpose TEXT NOT NULL,
                code TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, username, purpose)
            ) WITHOUT ROWID
            """,
            "INSERT INTO user_codes_keyed "
            "(pool_id, username, purpose, code, created_at, expires_at, data) "
            "SELECT pool_id, username, purpose, code, created_at, expires_at, data "
            "FROM user_codes",
            "DROP TABLE user_codes",
            "ALTER TABLE user_codes_keyed RENAME TO user_codes",
            # Two mails of one account may carry the same time (a test's fixed clock): the
            # message's id tells them apart. Rows logged before this migration take their
            # old rowid, unique as well (on PostgreSQL, an empty text: no key there).
            """
            CREATE TABLE cognito_default_sends_keyed (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                pool_id TEXT NOT NULL,
                sent_at DOUBLE PRECISION NOT NULL,
                message_id TEXT NOT NULL,
                PRIMARY KEY (account, sent_at, message_id)
            ) WITHOUT ROWID
            """,
            "INSERT INTO cognito_default_sends_keyed "
            "(account, region, pool_id, sent_at, message_id) "
            "SELECT account, region, pool_id, sent_at, CAST(rowid AS TEXT) "
            "FROM cognito_default_sends",
            "DROP TABLE cognito_default_sends",
            "ALTER TABLE cognito_default_sends_keyed RENAME TO cognito_default_sends",
        ),
        {
            "postgresql": "ALTER TABLE cognito_default_sends "
            "ADD COLUMN message_id TEXT NOT NULL DEFAULT ''"
        },
        # -- end sign-up keyed tables --
    ],
)


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
    Migration(
        4,
        "Cognito sign-in: signing keys, challenge sessions, refresh tokens, groups",
        [
            # Each pool's RSA keys (one for ID tokens, one for access tokens, as Cognito's
            # JWKS has two); a rotation adds a new active pair and keeps the old ones listed.
            """
            CREATE TABLE cognito_signing_keys (
                pool_id TEXT NOT NULL,
                kid TEXT NOT NULL,
                token_use TEXT NOT NULL,
                active INTEGER NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                private_key TEXT NOT NULL,
                PRIMARY KEY (pool_id, kid)
            )
            """,
            # Sign-ins halfway through a challenge (the SRP secret block, a Session):
            # keyed by a hash of the opaque string the client holds.
            """
            CREATE TABLE cognito_auth_sessions (
                id TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                username TEXT NOT NULL,
                challenge TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX cognito_auth_sessions_expiry ON cognito_auth_sessions (expires_at)",
            # One row per sign-in: its refresh token (by hash) and the origin_jti its access
            # and ID tokens carry, so revoking the row revokes all of them.
            """
            CREATE TABLE cognito_refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                origin_jti TEXT NOT NULL,
                pool_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                sub TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                revoked_at DOUBLE PRECISION,
                data TEXT NOT NULL
            )
            """,
            "CREATE UNIQUE INDEX cognito_refresh_tokens_origin ON cognito_refresh_tokens "
            "(origin_jti)",
            "CREATE INDEX cognito_refresh_tokens_user ON cognito_refresh_tokens (pool_id, sub)",
            """
            CREATE TABLE cognito_groups (
                pool_id TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, name)
            )
            """,
            "CREATE INDEX cognito_groups_created ON cognito_groups (pool_id, created_at, name)",
            # Members by sub, not username: a user deleted and created again under the same
            # name gets a new sub and none of the old memberships.
            """
            CREATE TABLE cognito_group_members (
                pool_id TEXT NOT NULL,
                group_name TEXT NOT NULL,
                sub TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (pool_id, group_name, sub)
            )
            """,
            "CREATE INDEX cognito_group_members_user ON cognito_group_members (pool_id, sub)",
        ],
    ),
    Migration(
        5,
        "Lookups that stay fast as state grows: recipients, kinds, senders, quota totals",
        [
            # Each message's recipients (lower-cased), so "the newest message to X" is an
            # index range instead of a LIKE over every message's JSON list.
            """
            CREATE TABLE message_recipients (
                recipient TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                message_id TEXT NOT NULL,
                PRIMARY KEY (recipient, created_at, message_id)
            )
            """,
            "CREATE INDEX message_recipients_message ON message_recipients (message_id)",
            {
                "sqlite": "INSERT OR IGNORE INTO message_recipients "
                "(recipient, created_at, message_id) "
                "SELECT DISTINCT LOWER(j.value), m.created_at, m.id "
                "FROM messages m, json_each(m.recipients) j",
                "postgresql": "INSERT INTO message_recipients (recipient, created_at, message_id) "
                "SELECT DISTINCT LOWER(j.value), m.created_at, m.id FROM messages m "
                "CROSS JOIN LATERAL jsonb_array_elements_text(m.recipients::jsonb) AS j(value) "
                "ON CONFLICT DO NOTHING",
            },
            # The message's kind (details.kind) as a column, so kind filters (and the
            # listing's exclusion of SES's own mail) run before LIMIT, in the index.
            "ALTER TABLE messages ADD COLUMN kind TEXT",
            {
                "sqlite": "UPDATE messages SET kind = "
                "COALESCE(json_extract(data, '$.kind'), 'ses-send')",
                "postgresql": "UPDATE messages SET kind = "
                "COALESCE(data::jsonb->>'kind', 'ses-send')",
            },
            "CREATE INDEX messages_kind ON messages (kind, created_at, id)",
            # Each message's entry in LocalStack's `/_aws/ses` listing, as JSON text: a
            # message never changes, so neither does its entry (NULL: made when listed).
            "ALTER TABLE messages ADD COLUMN listing TEXT",
            "CREATE INDEX messages_source ON messages (source, created_at, id)",
            # Case-insensitive pools look users up by LOWER(username).
            "CREATE INDEX users_username_lower ON users (pool_id, LOWER(username))",
            # Each pool's number of users (DescribeUserPool's EstimatedNumberOfUsers), kept
            # by triggers on `users`, so describing a pool does not count its users.
            """
            CREATE TABLE user_pool_sizes (
                pool_id TEXT PRIMARY KEY,
                users BIGINT NOT NULL
            )
            """,
            "INSERT INTO user_pool_sizes (pool_id, users) "
            "SELECT pool_id, COUNT(*) FROM users GROUP BY pool_id",
            {
                "sqlite": "CREATE TRIGGER users_counted_in AFTER INSERT ON users BEGIN "
                "INSERT INTO user_pool_sizes (pool_id, users) VALUES (NEW.pool_id, 1) "
                "ON CONFLICT (pool_id) DO UPDATE SET users = users + 1; END",
                "postgresql": "CREATE FUNCTION poolmail_count_users() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                "IF TG_OP = 'INSERT' THEN "
                "INSERT INTO user_pool_sizes (pool_id, users) VALUES (NEW.pool_id, 1) "
                "ON CONFLICT (pool_id) DO UPDATE SET users = user_pool_sizes.users + 1; "
                "ELSE UPDATE user_pool_sizes SET users = users - 1 WHERE pool_id = OLD.pool_id; "
                "END IF; RETURN NULL; END $$",
            },
            {
                "sqlite": "CREATE TRIGGER users_counted_out AFTER DELETE ON users BEGIN "
                "UPDATE user_pool_sizes SET users = users - 1 WHERE pool_id = OLD.pool_id; END",
                "postgresql": "CREATE TRIGGER users_counted AFTER INSERT OR DELETE ON users "
                "FOR EACH ROW EXECUTE FUNCTION poolmail_count_users()",
            },
            # Recipients counted against each account's daily SES quota: the sum of its
            # `ses_sends` rows, kept beside them so a send reads one row, not a day's log.
            """
            CREATE TABLE ses_send_totals (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                quota_recipients BIGINT NOT NULL,
                PRIMARY KEY (account, region)
            )
            """,
            "INSERT INTO ses_send_totals (account, region, quota_recipients) "
            "SELECT account, region, SUM(quota_recipients) FROM ses_sends GROUP BY account, region",
            # The per-second rate sums `recipients` over the last second from the index.
            "CREATE INDEX ses_sends_recent ON ses_sends (account, region, sent_at, recipients)",
            "DROP INDEX ses_sends_window",
        ],
    ),
    Migration(
        6,
        "A running total of each account's mail through Cognito's default sender",
        [
            # The number of `cognito_default_sends` rows per account, so checking the daily
            # cap reads one row instead of counting a day of sign-ups.
            """
            CREATE TABLE cognito_default_totals (
                account TEXT PRIMARY KEY,
                sends BIGINT NOT NULL
            )
            """,
            "INSERT INTO cognito_default_totals (account, sends) "
            "SELECT account, COUNT(*) FROM cognito_default_sends GROUP BY account",
        ],
    ),
    Migration(
        7,
        "Sign-in beyond passwords: SMS outbox, devices, passkeys, password lockout",
        [
            # Every SMS a user pool sends (through SNS on AWS): captured like mail.
            """
            CREATE TABLE sms_messages (
                id TEXT PRIMARY KEY,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                pool_id TEXT NOT NULL,
                destination TEXT NOT NULL,
                status TEXT NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX sms_messages_recent ON sms_messages (created_at, id)",
            "CREATE INDEX sms_messages_destination ON sms_messages (destination, created_at)",
            # Remembered (tracked) devices of users, by device key.
            """
            CREATE TABLE cognito_devices (
                pool_id TEXT NOT NULL,
                device_key TEXT NOT NULL,
                sub TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                last_authenticated_at DOUBLE PRECISION,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, device_key)
            )
            """,
            "CREATE INDEX cognito_devices_user ON cognito_devices (pool_id, sub, created_at)",
            # Passkeys (WebAuthn credentials) of users.
            """
            CREATE TABLE cognito_webauthn_credentials (
                pool_id TEXT NOT NULL,
                credential_id TEXT NOT NULL,
                sub TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, credential_id)
            )
            """,
            "CREATE INDEX cognito_webauthn_user ON cognito_webauthn_credentials "
            "(pool_id, sub, created_at)",
            # Failed password attempts per user, for Cognito's lockout: one row per user,
            # updated in place, so replicas on one PostgreSQL database count exactly.
            """
            CREATE TABLE cognito_password_failures (
                pool_id TEXT NOT NULL,
                username TEXT NOT NULL,
                failures INTEGER NOT NULL,
                last_failure_at DOUBLE PRECISION NOT NULL,
                locked_until DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (pool_id, username)
            )
            """,
        ],
    ),
    Migration(
        8,
        "Mailbox search: each message's searchable text",
        [
            # Subject, addresses and bodies of each message, lower-cased, written by
            # mail/mailbox.py with the message: a search is a LIKE per word on one column.
            "ALTER TABLE messages ADD COLUMN search_text TEXT",
            # Messages stored before: the bodies their details kept (every SES SendEmail
            # and Cognito mail), else the MIME message as text (a raw send; its
            # quoted-printable or base64 bodies are searchable only where they read as
            # they are). SQL's LOWER folds ASCII only; new messages fold all of Unicode.
            {
                "sqlite": "UPDATE messages SET search_text = LOWER("
                "subject || ' ' || source || ' ' || recipients || ' ' || "
                "CASE WHEN json_type(data, '$.body') = 'object' THEN "
                "COALESCE(json_extract(data, '$.body.text'), '') || ' ' || "
                "COALESCE(json_extract(data, '$.body.html'), '') "
                "ELSE COALESCE(CAST(raw AS TEXT), '') END)",
                "postgresql": "UPDATE messages SET search_text = LOWER("
                "subject || ' ' || source || ' ' || recipients || ' ' || "
                "CASE WHEN jsonb_typeof(data::jsonb -> 'body') = 'object' THEN "
                "COALESCE(data::jsonb #>> '{body,text}', '') || ' ' || "
                "COALESCE(data::jsonb #>> '{body,html}', '') "
                "ELSE COALESCE(encode(raw, 'escape'), '') END)",
            },
        ],
    ),
    Migration(
        9,
        "The rest of the Cognito model: imports, threat protection, terms, secrets, replicas",
        [
            # -- user import jobs (cognito/user_import.py) --
            # CSV user import jobs (cognito/imports/): the wire members in `data`; the
            # uploaded file in `csv`; `position` is the rows done, committed with each batch
            # of users, so an interrupted job resumes where it stopped.
            """
            CREATE TABLE cognito_import_jobs (
                job_id TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                upload_token TEXT NOT NULL,
                upload_expires_at DOUBLE PRECISION NOT NULL,
                imported BIGINT NOT NULL,
                skipped BIGINT NOT NULL,
                failed BIGINT NOT NULL,
                position BIGINT NOT NULL,
                data TEXT NOT NULL,
                csv TEXT
            )
            """,
            "CREATE UNIQUE INDEX cognito_import_jobs_token ON cognito_import_jobs (upload_token)",
            "CREATE INDEX cognito_import_jobs_pool ON cognito_import_jobs "
            "(pool_id, created_at, job_id)",
            "CREATE INDEX cognito_import_jobs_status ON cognito_import_jobs (status, created_at)",
            # The rows an import skipped or failed, with why: what AWS writes to the job's
            # CloudWatch Logs stream, one line per user.
            """
            CREATE TABLE cognito_import_log (
                pool_id TEXT NOT NULL,
                job_id TEXT NOT NULL,
                line BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                message TEXT NOT NULL,
                PRIMARY KEY (job_id, line)
            )
            """,
            # -- end user import jobs --
            # -- threat protection (cognito/threats/threat_protection.py) --
            # SetRiskConfiguration per pool (client_id '') and per app client.
            """
            CREATE TABLE cognito_risk_configurations (
                pool_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, client_id)
            )
            """,
            # Auth events (AdminListUserAuthEvents), newest first per user.
            """
            CREATE TABLE cognito_auth_events (
                pool_id TEXT NOT NULL,
                event_id TEXT NOT NULL,
                username TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                feedback_token TEXT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, event_id)
            )
            """,
            "CREATE INDEX cognito_auth_events_user "
            "ON cognito_auth_events (pool_id, username, created_at)",
            # The risk level poolmail's admin API set for a user's next sign-in ('' once
            # used), and the event of the sign-in it is being applied to.
            """
            CREATE TABLE cognito_risk_overrides (
                pool_id TEXT NOT NULL,
                username TEXT NOT NULL,
                level TEXT NOT NULL,
                event_id TEXT,
                PRIMARY KEY (pool_id, username)
            )
            """,
            # -- end threat protection --
            # -- pool and client extras (terms, secrets, session configuration, limits) --
            # Terms documents of app clients (cognito/clients/terms.py): one per client and name,
            # found by id within the pool.
            """
            CREATE TABLE cognito_terms (
                id TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                UNIQUE (client_id, name)
            )
            """,
            "CREATE INDEX cognito_terms_pool ON cognito_terms (pool_id, created_at, id)",
            # Provisioned API rate limits of an account in a region (cognito/pools/limits.py).
            """
            CREATE TABLE cognito_provisioned_limits (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                category TEXT NOT NULL,
                value INTEGER NOT NULL,
                PRIMARY KEY (account, region, category)
            )
            """,
            # Requests counted in each rate category's current one-second window, with
            # --cognito-rate-limits on (cognito/pools/limits.py); window_start in epoch seconds.
            """
            CREATE TABLE cognito_rate_windows (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                category TEXT NOT NULL,
                window_start INTEGER NOT NULL,
                requests INTEGER NOT NULL,
                PRIMARY KEY (account, region, category)
            )
            """,
            # -- end pool and client extras --
            # -- replicas, point-in-time recovery, client metadata URLs --
            # Secondary replicas of pools (cognito/continuity/replicas.py): the pool's row stays in
            # its primary region; a replica row lets the other region serve it.
            """
            CREATE TABLE cognito_user_pool_replicas (
                pool_id TEXT NOT NULL,
                region TEXT NOT NULL,
                account TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                status_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, region)
            )
            """,
            # Pools whose user history poolmail keeps for point-in-time recovery, since when
            # (cognito/continuity/point_in_time_recovery.py).
            """
            CREATE TABLE cognito_pitr_tracking (
                pool_id TEXT PRIMARY KEY,
                since DOUBLE PRECISION NOT NULL
            )
            """,
            # Earlier versions of users rows of tracked pools: the row as it was, and when
            # it stopped being current (replaced by an update, or deleted).
            """
            CREATE TABLE cognito_user_history (
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
                replaced_at DOUBLE PRECISION NOT NULL,
                deleted INTEGER NOT NULL
            )
            """,
            "CREATE INDEX cognito_user_history_pool ON cognito_user_history (pool_id, replaced_at)",
            # Group memberships of deleted users of tracked pools, as they were.
            """
            CREATE TABLE cognito_group_member_history (
                pool_id TEXT NOT NULL,
                group_name TEXT NOT NULL,
                sub TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                replaced_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX cognito_group_member_history_user ON cognito_group_member_history "
            "(pool_id, sub, replaced_at)",
            """
            CREATE TABLE cognito_pitr_restorations (
                id TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                status TEXT NOT NULL,
                restore_at DOUBLE PRECISION NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                status_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX cognito_pitr_restorations_pool ON cognito_pitr_restorations "
            "(pool_id, created_at)",
            "CREATE INDEX cognito_pitr_restorations_account ON cognito_pitr_restorations "
            "(account, created_at)",
            # Client ID metadata document policies of app clients, and the metadata URLs
            # cached for each, created_at being when the document was cached
            # (cognito/clients/client_metadata.py).
            """
            CREATE TABLE cognito_cimd_policies (
                id TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                name TEXT NOT NULL,
                cache_duration INTEGER NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX cognito_cimd_policies_pool ON cognito_cimd_policies "
            "(pool_id, created_at, id)",
            """
            CREATE TABLE cognito_cimd_urls (
                pool_id TEXT NOT NULL,
                policy_id TEXT NOT NULL,
                url TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (policy_id, url)
            )
            """,
            "CREATE INDEX cognito_cimd_urls_pool ON cognito_cimd_urls (pool_id)",
            # -- end replicas --
            # -- client metadata documents (cognito/clients/client_metadata_documents.py) --
            # The document fetched for each cached metadata URL (cognito_cimd_urls), which
            # managed login uses as the client's registration while the cache lasts.
            """
            CREATE TABLE cognito_cimd_documents (
                pool_id TEXT NOT NULL,
                policy_id TEXT NOT NULL,
                url TEXT NOT NULL,
                document TEXT NOT NULL,
                PRIMARY KEY (policy_id, url)
            )
            """,
            "CREATE INDEX cognito_cimd_documents_pool ON cognito_cimd_documents (pool_id)",
            # -- end client metadata documents --
            # -- resource servers, UI customization --
            # Resource servers of a pool, keyed by their identifier, with their scopes in
            # ``data`` (cognito/clients/resource_servers.py).
            """
            CREATE TABLE cognito_resource_servers (
                pool_id TEXT NOT NULL,
                identifier TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, identifier)
            )
            """,
            # Classic hosted UI customizations: the pool's default (client_id 'ALL') and
            # per-client ones (cognito/branding/ui_customization.py).
            """
            CREATE TABLE cognito_ui_customizations (
                pool_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, client_id)
            )
            """,
            # -- end resource servers --
            # -- identity providers and linked users --
            # Identity providers of a pool, by name (cognito/federation/identity_providers.py): the
            # type in a column, ProviderDetails, AttributeMapping, IdpIdentifiers and
            # AcrMapping in ``data``.
            """
            CREATE TABLE cognito_identity_providers (
                pool_id TEXT NOT NULL,
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (pool_id, name)
            )
            """,
            # IdpIdentifiers are unique in a pool; GetIdentityProviderByIdentifier reads here.
            """
            CREATE TABLE cognito_idp_identifiers (
                pool_id TEXT NOT NULL,
                identifier TEXT NOT NULL,
                provider_name TEXT NOT NULL,
                PRIMARY KEY (pool_id, identifier)
            )
            """,
            # Identities of external IdPs linked to users (AdminLinkProviderForUser,
            # cognito/federation/linked_users.py): one user per source identity.
            """
            CREATE TABLE cognito_provider_links (
                pool_id TEXT NOT NULL,
                provider_name TEXT NOT NULL,
                attribute_name TEXT NOT NULL,
                attribute_value TEXT NOT NULL,
                username TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (pool_id, provider_name, attribute_name, attribute_value)
            )
            """,
            "CREATE INDEX cognito_provider_links_user ON cognito_provider_links "
            "(pool_id, username)",
            # -- end identity providers --
            # -- managed login branding --
            # Managed login branding styles (cognito/branding/managed_login_branding.py): one
            # per app client; `data` holds UseCognitoProvidedValues, Settings and Assets
            # (base64).
            """
            CREATE TABLE cognito_managed_login_branding (
                id TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                client_id TEXT NOT NULL UNIQUE,
                created_at DOUBLE PRECISION NOT NULL,
                modified_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX cognito_managed_login_branding_pool "
            "ON cognito_managed_login_branding (pool_id)",
            # -- end managed login branding --
            # -- log delivery and the outbox to other AWS services --
            # Records for other AWS services (aws_services/outbox.py), stored before they
            # are delivered: `target` is JSON (the ARN and the service's particulars),
            # `payload` the record's JSON text; `owner` what it belongs to (a pool id).
            """
            CREATE TABLE aws_outbox (
                id TEXT PRIMARY KEY,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                service TEXT NOT NULL,
                source TEXT NOT NULL,
                owner TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                next_attempt_at DOUBLE PRECISION NOT NULL,
                target TEXT NOT NULL,
                payload TEXT NOT NULL,
                last_error TEXT,
                delivered_at DOUBLE PRECISION
            )
            """,
            "CREATE INDEX aws_outbox_due ON aws_outbox (status, next_attempt_at)",
            "CREATE INDEX aws_outbox_owner ON aws_outbox (owner, created_at)",
            # Every delivery attempt of a record, with the target's error (NULL: delivered).
            """
            CREATE TABLE aws_outbox_attempts (
                record_id TEXT NOT NULL,
                attempt INTEGER NOT NULL,
                attempted_at DOUBLE PRECISION NOT NULL,
                error TEXT,
                PRIMARY KEY (record_id, attempt)
            )
            """,
            # -- end log delivery --
        ],
    ),
    Migration(
        10,
        "functions and triggers, managed login and OAuth, federation",
        [
            # -- functions (poolmail/functions) --
            # Every invocation of a function (functions/records.py): `runner` is 'embedded'
            # or 'endpoint'; `source`/`owner` say who invoked (a trigger source, a pool id);
            # `response` is the returned JSON, or NULL with `error_type`/`error_message`.
            """
            CREATE TABLE function_invocations (
                id TEXT PRIMARY KEY,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                function_name TEXT NOT NULL,
                arn TEXT NOT NULL,
                runner TEXT NOT NULL,
                source TEXT NOT NULL,
                owner TEXT NOT NULL,
                duration_ms DOUBLE PRECISION NOT NULL,
                request TEXT NOT NULL,
                response TEXT,
                error_type TEXT,
                error_message TEXT,
                log TEXT NOT NULL
            )
            """,
            "CREATE INDEX function_invocations_owner ON function_invocations (owner, created_at)",
            "CREATE INDEX function_invocations_time ON function_invocations (created_at)",
            # -- end functions --
            # -- triggers (cognito/triggers) --
            # What each invocation shaped (functions/shaped.py): a mail (`channel` 'mail',
            # a messages id) or a text ('sms', an sms_messages id) a CustomMessage rewrote.
            """
            CREATE TABLE function_shaped (
                invocation_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                message_id TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (invocation_id, channel, message_id)
            )
            """,
            # -- end triggers --
            # -- oauth (cognito/oauth) --
            # Authorization codes of /oauth2/authorize (cognito/oauth/codes.py), stored
            # hashed; `data` holds the request (redirect URI, scopes, nonce, PKCE challenge)
            # and the sign-in it completes. `used_at` makes a code single-use.
            """
            CREATE TABLE cognito_oauth_codes (
                code_hash TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                client_id TEXT NOT NULL,
                sub TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                used_at DOUBLE PRECISION,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX cognito_oauth_codes_expiry ON cognito_oauth_codes (expires_at)",
            # Managed login sessions behind the `cognito` cookie of a pool domain
            # (cognito/oauth/hosted_sessions.py), stored hashed; `data` holds the sign-in
            # (username, auth_time, amr, identities).
            """
            CREATE TABLE cognito_hosted_sessions (
                session_hash TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                sub TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX cognito_hosted_sessions_user ON cognito_hosted_sessions (pool_id, sub)",
            # -- end oauth --
            # -- hosted pages (hosted/) --
            # -- end hosted pages --
            # -- federation (cognito/federation) --
            # Sign-ins waiting at an external IdP (cognito/federation/pending.py), by the
            # `state` (OIDC) or AuthnRequest ID (SAML) poolmail sent it: the authorization
            # request to finish, the nonce, and when the wait ends.
            """
            CREATE TABLE cognito_federation_pending (
                id TEXT PRIMARY KEY,
                pool_id TEXT NOT NULL,
                provider_name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX cognito_federation_pending_expiry ON cognito_federation_pending "
            "(expires_at)",
            # -- end federation --
            # -- ses bulk, custom verification, tags --
            # Custom verification email templates (ses/identities/custom_verification.py): the
            # template's members as JSON.
            """
            CREATE TABLE ses_custom_verification_templates (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, name)
            )
            """,
            # Where a custom verification mail's link sends its reader afterwards; the
            # token is that of the link's row in ses_verification_links.
            """
            CREATE TABLE ses_custom_verification_links (
                token TEXT PRIMARY KEY,
                template TEXT NOT NULL,
                success_url TEXT NOT NULL,
                failure_url TEXT NOT NULL
            )
            """,
            # -- end ses bulk, custom verification, tags --
            # -- ses dkim --
            # DKIM private keys (ses/authentication/dkim_keys.py), never part of an API
            # answer: a domain's Easy DKIM or BYODKIM key (PKCS#1 PEM) under its selector,
            # and poolmail's own `amazonses.com` key per region (account '').
            """
            CREATE TABLE ses_dkim_keys (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                identity TEXT NOT NULL,
                selector TEXT NOT NULL,
                private_key TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (account, region, identity)
            )
            """,
            # -- end ses dkim --
            # -- ses mail from, configuration set options --
            # -- end ses mail from --
            # -- ses contact lists --
            # Contact lists (ses/contacts/lists.py): topics, description and tags as JSON.
            """
            CREATE TABLE ses_contact_lists (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, name)
            )
            """,
            # Their contacts (ses/contacts/contacts.py): topic preferences, UnsubscribeAll
            # and the attributes data as JSON.
            """
            CREATE TABLE ses_contacts (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                list_name TEXT NOT NULL,
                email TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, list_name, email)
            )
            """,
            # The unsubscribe link of each list-managed message (ses/contacts/unsubscribe.py):
            # whom it opts out of which list and topic, and the message it came in.
            """
            CREATE TABLE ses_unsubscribe_links (
                token TEXT PRIMARY KEY,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                list_name TEXT NOT NULL,
                email TEXT NOT NULL,
                topic TEXT,
                message_id TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            # -- end ses contact lists --
        ],
    ),
    Migration(
        11,
        "ses events, notifications, suppression, tracking, receiving, jobs, account resources",
        [
            # -- ses event destinations --
            # A configuration set's event destinations (ses/events/destination_store.py),
            # kept in SES v2's EventDestinationDefinition shape; v1 reads them back in its
            # own spelling. The key's prefix is the one query a send with a set costs.
            """
            CREATE TABLE ses_event_destinations (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                configuration_set TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, configuration_set, name)
            )
            """,
            # -- end ses event destinations --
            # -- ses identity notifications --
            # Notification topics live in the identity's row (ses/events/notifications.py).
            # Simulated delivery delays (ses/sending/delivery_delays.py): mail to `recipient` (a
            # lower-cased address) gets a DeliveryDelay event with the `data` JSON.
            """
            CREATE TABLE ses_delivery_delays (
                recipient TEXT PRIMARY KEY,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL
            )
            """,
            # -- end ses identity notifications --
            # -- ses suppression list --
            # The account-level suppression list (ses/suppression/store.py): one row per
            # listed address, keyed by its normalised form; `email` keeps it as given,
            # `updated_at` is SES's LastUpdateTime, `data` the Attributes (MessageId,
            # FeedbackId) as JSON.
            """
            CREATE TABLE ses_suppressed_destinations (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                address TEXT NOT NULL,
                email TEXT NOT NULL,
                reason TEXT NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, address)
            )
            """,
            # ListSuppressedDestinations pages in (updated_at, address) order.
            """
            CREATE INDEX ses_suppressed_destinations_by_time
            ON ses_suppressed_destinations (account, region, updated_at, address)
            """,
            # -- end ses suppression list --
            # -- ses tracking --
            # The open pixel and rewritten links of tracked mail (ses/tracking/links.py):
            # `kind` open or click, the original `link` and its `ses:tags` as JSON.
            """
            CREATE TABLE ses_tracking_links (
                token TEXT PRIMARY KEY,
                message_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                link TEXT,
                tags TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL
            )
            """,
            # -- end ses tracking --
            # -- ses receiving rules --
            # Receipt rule sets (ses/receiving/rule_sets.py): a set's rules live with it,
            # in order, as one JSON array of the model's ReceiptRule shape; at most 200 a
            # set, so reordering rewrites one row. `active` marks the one active set of an
            # account in a region (the inbound path reads it in one indexed query).
            """
            CREATE TABLE ses_receipt_rule_sets (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                active INTEGER NOT NULL DEFAULT 0,
                rules TEXT NOT NULL,
                PRIMARY KEY (account, region, name)
            )
            """,
            "CREATE INDEX ses_receipt_rule_sets_active ON ses_receipt_rule_sets "
            "(account, region, active)",
            # IP address filters (ses/receiving/filters.py).
            """
            CREATE TABLE ses_receipt_filters (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                policy TEXT NOT NULL,
                cidr TEXT NOT NULL,
                PRIMARY KEY (account, region, name)
            )
            """,
            # -- end ses receiving rules --
            # -- ses inbound mail --
            # -- end ses inbound mail --
            # -- ses jobs and insights --
            # SES v2 import and export jobs (ses/jobs/): the request, counts and failure as
            # JSON; status and kind as columns, so the runner finds CREATED jobs and the
            # listings filter and page in the index.
            """
            CREATE TABLE ses_jobs (
                job_id TEXT PRIMARY KEY,
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                kind TEXT NOT NULL,
                subtype TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                completed_at DOUBLE PRECISION,
                data TEXT NOT NULL
            )
            """,
            "CREATE INDEX ses_jobs_scope ON ses_jobs (account, region, kind, created_at, job_id)",
            "CREATE INDEX ses_jobs_status ON ses_jobs (status, created_at)",
            # poolmail's own object store for job files when no S3 endpoint is configured
            # (ses/jobs/objects.py): an import's input, an export's output.
            {
                "sqlite": """
                CREATE TABLE ses_objects (
                    bucket TEXT NOT NULL,
                    object_key TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    body BLOB NOT NULL,
                    PRIMARY KEY (bucket, object_key)
                )
                """,
                "postgresql": """
                CREATE TABLE ses_objects (
                    bucket TEXT NOT NULL,
                    object_key TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    body BYTEA NOT NULL,
                    PRIMARY KEY (bucket, object_key)
                )
                """,
            },
            # The recommendations ListRecommendations found (ses/insights/recommendations.py),
            # so a finding keeps the time it was first seen and turns FIXED when it clears.
            """
            CREATE TABLE ses_recommendations (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                resource_arn TEXT NOT NULL,
                type TEXT NOT NULL,
                description TEXT NOT NULL,
                impact TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (account, region, resource_arn, type)
            )
            """,
            # -- end ses jobs and insights --
            # -- ses account resources --
            # -- ses account resources: tenants, endpoints, reputation --
            # Tenants (ses/tenants/tenants.py): `arn_path` is the ARN's resource part
            # (`name/id`), the key TagResource finds a tenant by; tags and suppression
            # attributes as JSON.
            """
            CREATE TABLE ses_tenants (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                tenant_id TEXT NOT NULL,
                arn_path TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, name)
            )
            """,
            "CREATE INDEX ses_tenants_by_arn ON ses_tenants (account, region, arn_path)",
            # Which resources (identity, configuration set, template ARNs) each tenant may
            # send with (ses/tenants/associations.py); found by tenant and by resource.
            """
            CREATE TABLE ses_tenant_resources (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                tenant TEXT NOT NULL,
                resource_arn TEXT NOT NULL,
                resource_type TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (account, region, tenant, resource_arn)
            )
            """,
            "CREATE INDEX ses_tenant_resources_by_resource "
            "ON ses_tenant_resources (account, region, resource_arn, created_at, tenant)",
            # Multi-region endpoints (ses/account/multi_region_endpoints.py), in their primary
            # region; `endpoint_id` is unique, as a send names an endpoint by it alone.
            """
            CREATE TABLE ses_multi_region_endpoints (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                endpoint_id TEXT NOT NULL UNIQUE,
                created_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, name)
            )
            """,
            # What a customer set on a reputation entity (ses/account/reputation_entities.py):
            # its customer-managed status and policy as JSON; an entity without a row
            # has the defaults.
            """
            CREATE TABLE ses_reputation_entities (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                reference TEXT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, reference)
            )
            """,
            # S/MIME certificates associated with email identities
            # (ses/identities/identity_certificates.py): one per From address.
            """
            CREATE TABLE ses_identity_certificates (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                identity TEXT NOT NULL,
                from_address TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, identity, from_address)
            )
            """,
            # -- end ses account resources: tenants, endpoints, reputation --
            # -- ses account resources: ips and deliverability --
            # Dedicated IP pools (ses/dedicated_ips/pools.py): ScalingMode and tags as JSON.
            """
            CREATE TABLE ses_dedicated_ip_pools (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                name TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, name)
            )
            """,
            # The account's dedicated IPs (ses/dedicated_ips/ips.py) and the pool each is in;
            # warm-up state as JSON.
            """
            CREATE TABLE ses_dedicated_ips (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                ip TEXT NOT NULL,
                pool TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, ip)
            )
            """,
            "CREATE INDEX ses_dedicated_ips_pool ON ses_dedicated_ips (account, region, pool)",
            # Predictive inbox placement tests (ses/deliverability/test_reports.py): the
            # message, its placement and tags as JSON.
            """
            CREATE TABLE ses_deliverability_test_reports (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                report_id TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (account, region, report_id)
            )
            """,
            # -- end ses account resources: ips and deliverability --
            # -- end ses account resources --
        ],
    ),
    Migration(
        12,
        "ListUsers' index of attribute values",
        [
            # One row per user and filterable attribute (cognito/users/search_index.py): the
            # value folded as the filter compares it, and as it is, for ListUsers' order.
            # PostgreSQL compares in code point order ("C"), as SQLite and Python do.
            {
                "sqlite": """
                    CREATE TABLE cognito_user_search (
                        pool_id TEXT NOT NULL,
                        username TEXT NOT NULL,
                        name TEXT NOT NULL,
                        value_key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        created_at DOUBLE PRECISION NOT NULL,
                        PRIMARY KEY (pool_id, username, name)
                    ) WITHOUT ROWID
                """,
                "postgresql": """
                    CREATE TABLE cognito_user_search (
                        pool_id TEXT NOT NULL,
                        username TEXT COLLATE "C" NOT NULL,
                        name TEXT NOT NULL,
                        value_key TEXT COLLATE "C" NOT NULL,
                        value TEXT COLLATE "C" NOT NULL,
                        created_at DOUBLE PRECISION NOT NULL,
                        PRIMARY KEY (pool_id, username, name)
                    )
                """,
            },
            "CREATE INDEX cognito_user_search_by_value ON cognito_user_search "
            "(pool_id, name, value_key, value, created_at, username)",
            _index_user_search,
            # The attributes every user has are filtered on the users row's columns
            # (cognito/users/column_search.py). status and enabled: indexes that grow at one end
            # per value. PostgreSQL also gets "C" (code point) spellings of the username,
            # LOWER(username) and sub indexes, for ranges and order as SQLite's.
            {
                "sqlite": "CREATE INDEX users_status ON users "
                "(pool_id, status, created_at, username)",
                "postgresql": "CREATE INDEX users_status ON users "
                '(pool_id, status COLLATE "C", created_at, username COLLATE "C")',
            },
            {
                "sqlite": "CREATE INDEX users_enabled ON users "
                "(pool_id, enabled, created_at, username)",
                "postgresql": "CREATE INDEX users_enabled ON users "
                '(pool_id, enabled, created_at, username COLLATE "C")',
            },
            {
                "postgresql": "CREATE INDEX users_username_c ON users "
                '(pool_id, username COLLATE "C")'
            },
            {
                "postgresql": "CREATE INDEX users_username_lower_c ON users "
                '(pool_id, (LOWER(username)) COLLATE "C")'
            },
            {"postgresql": 'CREATE INDEX users_sub_c ON users (pool_id, sub COLLATE "C")'},
            # Usernames holding a character whose str.lower starts with ASCII but LOWER
            # leaves as it is (column_search.UNFOLDED): rare, so rarely written.
            {
                "sqlite": "CREATE INDEX users_username_unfolded ON users (pool_id, username) "
                "WHERE instr(username, '\u212a') > 0 OR instr(username, '\u0130') > 0",
                "postgresql": "CREATE INDEX users_username_unfolded ON users "
                '(pool_id, username COLLATE "C") '
                "WHERE strpos(username, '\u212a') > 0 OR strpos(username, '\u0130') > 0",
            },
        ],
    ),
    Migration(
        13,
        "running totals of each SES tenant's sending",
        [
            # -- ses tenant history --
            # Per tenant and part of a UTC day (ses/tenants/history.py): a send naming a
            # tenant reads these rows, not its fortnight of messages.
            """
            CREATE TABLE ses_tenant_history (
                account TEXT NOT NULL,
                region TEXT NOT NULL,
                tenant TEXT NOT NULL,
                start DOUBLE PRECISION NOT NULL,
                attempts INTEGER NOT NULL,
                bounces INTEGER NOT NULL,
                complaints INTEGER NOT NULL,
                last_at DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (account, region, tenant, start)
            )
            """,
            _backfill_tenant_history,
            # -- end ses tenant history --
        ],
    ),
    Migration(
        14,
        "the mailbox listing read from one index",
        [
            # -- mailbox listing index --
            # SQLite keeps a row's columns in order, and `kind` and `listing` come after
            # `raw`: reading them walked each message's overflow pages, most of the cost
            # of listing ten thousand messages (mail/queries.localstack_listing). This
            # index holds what the listing reads, in its order, and replaces messages_time
            # (its first two columns). PostgreSQL keeps large values out of line (TOAST)
            # and limits an index entry's size: it keeps messages_time.
            {
                "sqlite": "CREATE INDEX messages_listing "
                "ON messages (created_at, id, status, kind, listing)"
            },
            {"sqlite": "DROP INDEX messages_time"},
            # -- end mailbox listing index --
        ],
    ),
    Migration(
        15,
        "a bound of each account's SES sending rate beside its daily total",
        [
            # -- ses rate bound --
            # ses/sending/rate_bound.py: the latest second a send was counted in and the
            # recipients counted in it and the second before, so that a send far below
            # the maximum rate skips summing the last second of `ses_sends`.
            "ALTER TABLE ses_send_totals ADD COLUMN rate_second BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE ses_send_totals ADD COLUMN rate_current BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE ses_send_totals ADD COLUMN rate_previous BIGINT NOT NULL DEFAULT 0",
            # Every account with sends gets a row (a message to simulator addresses only
            # left none), counting the whole log in its latest second: more than its last
            # second held, which a bound may count.
            "INSERT INTO ses_send_totals (account, region, quota_recipients) "
            "SELECT account, region, 0 FROM ses_sends WHERE 1 = 1 GROUP BY account, region "
            "ON CONFLICT (account, region) DO NOTHING",
            {
                "sqlite": "UPDATE ses_send_totals SET "
                "rate_second = COALESCE((SELECT CAST(MAX(sent_at) AS INTEGER) FROM ses_sends s "
                "WHERE s.account = ses_send_totals.account "
                "AND s.region = ses_send_totals.region), 0), "
                "rate_current = COALESCE((SELECT SUM(recipients) FROM ses_sends s "
                "WHERE s.account = ses_send_totals.account "
                "AND s.region = ses_send_totals.region), 0)",
                "postgresql": "UPDATE ses_send_totals SET "
                "rate_second = COALESCE((SELECT CAST(FLOOR(MAX(sent_at)) AS BIGINT) "
                "FROM ses_sends s WHERE s.account = ses_send_totals.account "
                "AND s.region = ses_send_totals.region), 0), "
                "rate_current = COALESCE((SELECT SUM(recipients) FROM ses_sends s "
                "WHERE s.account = ses_send_totals.account "
                "AND s.region = ses_send_totals.region), 0)",
            },
            # -- end ses rate bound --
        ],
    ),
    Migration(
        16,
        "message recipients and events in their primary keys alone",
        [
            # -- mailbox without rowid --
            # Each of these tables was a rowid B-tree beside its primary key's index, and
            # every reader looks its rows up by that key: without the rowid a stored
            # message writes two B-trees less (a send's COMMIT, ~19 pages, is its dearest
            # step). PostgreSQL's tables have no such second tree.
            *_sqlite_only(
                """
                CREATE TABLE message_recipients_keyed (
                    recipient TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    message_id TEXT NOT NULL,
                    PRIMARY KEY (recipient, created_at, message_id)
                ) WITHOUT ROWID
                """,
                "INSERT INTO message_recipients_keyed (recipient, created_at, message_id) "
                "SELECT recipient, created_at, message_id FROM message_recipients",
                "DROP TABLE message_recipients",
                "ALTER TABLE message_recipients_keyed RENAME TO message_recipients",
                """
                CREATE TABLE message_events_keyed (
                    message_id TEXT NOT NULL,
                    position INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    data TEXT NOT NULL,
                    PRIMARY KEY (message_id, position)
                ) WITHOUT ROWID
                """,
                "INSERT INTO message_events_keyed "
                "(message_id, position, type, created_at, data) "
                "SELECT message_id, position, type, created_at, data FROM message_events",
                "DROP TABLE message_events",
                "ALTER TABLE message_events_keyed RENAME TO message_events",
            ),
            # Only the deletion of one message looked its recipients up by message id; it
            # reads them from the message now (mail/queries.delete_messages).
            {"postgresql": "DROP INDEX message_recipients_message"},
            # -- end mailbox without rowid --
        ],
    ),
    Migration(
        17,
        "the users' alias indexes hold only the users with an alias",
        [
            # -- users alias indexes --
            # email, phone and preferred_username are set only where the pool signs in
            # by them (users.py `_alias_values`), so in most pools every user's are NULL,
            # and each new or changed user wrote three index entries no lookup reads:
            # three of a sign-up's ~38 pages. Every lookup is `pool_id = ? AND x = ?`,
            # which implies `x IS NOT NULL`: both stores use the partial index for it.
            "DROP INDEX users_email",
            "CREATE INDEX users_email ON users (pool_id, email) WHERE email IS NOT NULL",
            "DROP INDEX users_phone",
            "CREATE INDEX users_phone ON users (pool_id, phone) WHERE phone IS NOT NULL",
            "DROP INDEX users_preferred",
            "CREATE INDEX users_preferred ON users (pool_id, preferred_username) "
            "WHERE preferred_username IS NOT NULL",
            # -- end users alias indexes --
        ],
    ),
    Migration(
        18,
        "the SES sending log in its primary key alone",
        [
            # -- ses sends keyed --
            # Every send adds a row to `ses_sends`: on SQLite a rowid B-tree and its
            # covering index (account, region, sent_at, recipients), two B-trees written
            # per send where one does. Every reader of the log looks rows up by account,
            # region and a window of sent_at (ses/account/quota.py), which a WITHOUT ROWID table
            # keyed so serves from its rows alone; the message's id tells apart two sends
            # of one account stamped alike (rows logged before take their old rowid).
            # PostgreSQL's tables have no such second tree; its log gets the column.
            *_sqlite_only(
                """
                CREATE TABLE ses_sends_keyed (
                    account TEXT NOT NULL,
                    region TEXT NOT NULL,
                    sent_at DOUBLE PRECISION NOT NULL,
                    message_id TEXT NOT NULL,
                    recipients INTEGER NOT NULL,
                    quota_recipients INTEGER NOT NULL,
                    PRIMARY KEY (account, region, sent_at, message_id)
                ) WITHOUT ROWID
                """,
                "INSERT INTO ses_sends_keyed "
                "(account, region, sent_at, message_id, recipients, quota_recipients) "
                "SELECT account, region, sent_at, CAST(rowid AS TEXT), recipients, "
                "quota_recipients FROM ses_sends",
                "DROP TABLE ses_sends",
                "ALTER TABLE ses_sends_keyed RENAME TO ses_sends",
            ),
            {"postgresql": "ALTER TABLE ses_sends ADD COLUMN message_id TEXT NOT NULL DEFAULT ''"},
            # -- end ses sends keyed --
        ],
    ),
    SIGN_UP_TABLES,
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
                if callable(statement):
                    statement(tx)
                    continue
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
