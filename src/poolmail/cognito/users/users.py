"""Users of a pool: storage, lookup by name, alias or sub, attributes, admin operations.

Attributes and the password hash live in the row's JSON `data`; the `email`, `phone` and
`preferred_username` columns hold what a user can be found by (sign-in names, verified
aliases), lower-cased where Cognito matches without case.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from poolmail.cognito.clients import client_secrets
from poolmail.cognito.clients.clients import ClientRecord, client_not_found, find_client
from poolmail.cognito.continuity import user_history
from poolmail.cognito.messaging import messages, sms_config, sms_messages
from poolmail.cognito.messaging.delivery import deliver
from poolmail.cognito.messaging.masking import email_delivery, phone_delivery
from poolmail.cognito.mfa.state import user_mfa_members
from poolmail.cognito.pools import schema as schema_rules
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.triggers import custom_message
from poolmail.cognito.users import codes, search_index
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol import fast_json
from poolmail.protocol.errors import AwsError
from poolmail.sms.outbox import Sms
from poolmail.store import Transaction

UNCONFIRMED = "UNCONFIRMED"
CONFIRMED = "CONFIRMED"
FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"
RESET_REQUIRED = "RESET_REQUIRED"

USER_NOT_FOUND = "User does not exist."
# What public (client-id) operations say for an unknown user.
CLIENT_USER_NOT_FOUND = "Username/client id combination not found."
USER_DISABLED = "User is disabled."

VERIFIABLE = ("email", "phone_number")

_COLUMNS = "pool_id, username, sub, status, enabled, created_at, modified_at, data"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PHONE = re.compile(r"^\+[0-9]{4,15}$")


@dataclass(slots=True)
class StoredUser:
    pool_id: str
    username: str
    sub: str
    status: str
    enabled: bool
    created: float
    modified: float
    attributes: dict[str, str] = field(default_factory=dict)
    # Password hash, temporary-password expiry, attribute changes awaiting verification.
    data: dict[str, Any] = field(default_factory=dict)

    def email_verified(self) -> bool:
        return (
            bool(self.attributes.get("email")) and self.attributes.get("email_verified") == "true"
        )


def users_lock(pool_id: str) -> str:
    # Creating users and moving aliases check uniqueness across rows; one writer per pool
    # at a time keeps that exact across replicas.
    return f"poolmail:cognito-users:{pool_id}"


def _user_of(row: tuple[Any, ...]) -> StoredUser:
    pool_id, username, sub, status, enabled, created, modified = row[:7]
    data = fast_json.loads(row[7])
    attributes = data.pop("attributes", {})
    return StoredUser(
        pool_id, username, sub, status, bool(enabled), created, modified, attributes, data
    )


def case_sensitive(pool: StoredPool) -> bool:
    # API-made pools without UsernameConfiguration are case-sensitive, as AWS keeps them.
    config = pool.settings.get("UsernameConfiguration") or {}
    return bool(config.get("CaseSensitive", True))


def find_user(tx: Transaction, pool: StoredPool, name: str) -> StoredUser | None:
    """A user by username, then by sign-in alias, then by sub, as admin operations
    accept "the username or any of their alias attributes" or the sub."""
    select = f"SELECT {_COLUMNS} FROM users WHERE pool_id = ? AND "
    if case_sensitive(pool):
        row = tx.fetchone(select + "username = ?", (pool.id, name))
    else:
        row = tx.fetchone(select + "LOWER(username) = LOWER(?)", (pool.id, name))
    if row is None:
        for column, value in (
            ("email", name.lower()),
            ("phone", name),
            ("preferred_username", name.lower()),
            ("sub", name),
        ):
            row = tx.fetchone(select + f"{column} = ?", (pool.id, value))
            if row is not None:
                break
    return None if row is None else _user_of(row)


def pool_users_page(
    tx: Transaction, pool_id: str, after: tuple[float, str] | None, limit: int
) -> list[StoredUser]:
    """Up to ``limit`` of the pool's users, oldest first, after the position ``after``
    (created, username)."""
    condition, params = "", []
    if after is not None:
        condition = " AND (created_at, username) > (?, ?)"
        params = [after[0], after[1]]
    rows = tx.fetchall(
        f"SELECT {_COLUMNS} FROM users WHERE pool_id = ?{condition} "
        "ORDER BY created_at, username LIMIT ?",
        (pool_id, *params, limit),
    )
    return [_user_of(row) for row in rows]


def users_named(tx: Transaction, pool_id: str, usernames: Sequence[str]) -> dict[str, StoredUser]:
    """The users of these exact usernames that exist, by username."""
    if not usernames:
        return {}
    marks = ", ".join("?" * len(usernames))
    rows = tx.fetchall(
        f"SELECT {_COLUMNS} FROM users WHERE pool_id = ? AND username IN ({marks})",
        (pool_id, *usernames),
    )
    return {user.username: user for user in map(_user_of, rows)}


def require_user(tx: Transaction, pool: StoredPool, name: str) -> StoredUser:
    user = find_user(tx, pool, name)
    if user is None:
        raise AwsError("UserNotFoundException", USER_NOT_FOUND)
    return user


def _alias_values(settings: dict[str, Any], attributes: dict[str, str]) -> list[str | None]:
    """The (email, phone, preferred_username) a user can be found by, in column form."""
    sign_in = settings.get("UsernameAttributes") or []
    aliases = settings.get("AliasAttributes") or []
    values: list[str | None] = []
    for name, lower in (("email", True), ("phone_number", False)):
        value = attributes.get(name)
        verified = attributes.get(f"{name}_verified") == "true"
        usable = value and (name in sign_in or (name in aliases and verified))
        values.append((value.lower() if lower else value) if usable and value else None)
    preferred = attributes.get("preferred_username")
    values.append(preferred.lower() if preferred and "preferred_username" in aliases else None)
    return values


def _stored_values(pool: StoredPool, user: StoredUser) -> tuple[Any, ...]:
    # (status, enabled, email, phone, preferred_username, modified_at, data): what a
    # save writes, in column order.
    email, phone, preferred = _alias_values(pool.settings, user.attributes)
    # orjson: 0.3 us against json's 15 for a user with a password (its verifier's 768
    # digits); the same document, written compactly and with UTF-8 for non-ASCII.
    data = fast_json.dumps({**user.data, "attributes": user.attributes}).decode()
    return (user.status, int(user.enabled), email, phone, preferred, user.modified, data)


def insert_user(tx: Transaction, pool: StoredPool, user: StoredUser) -> bool:
    changed = tx.execute(
        "INSERT INTO users (status, enabled, email, phone, preferred_username, modified_at, "
        "data, pool_id, username, sub, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (*_stored_values(pool, user), user.pool_id, user.username, user.sub, user.created),
    )
    if changed != 1:
        return False
    search_index.index_user(tx, user.pool_id, user.username, user.created, _searchable(user))
    return True


def save_user(tx: Transaction, pool: StoredPool, user: StoredUser, now: float) -> None:
    user.modified = now
    # The row as it was, for point-in-time recovery, when the pool is tracked.
    user_history.remember(tx, user.pool_id, user.username, now, deleted=False)
    tx.execute(
        "UPDATE users SET status = ?, enabled = ?, email = ?, phone = ?, "
        "preferred_username = ?, modified_at = ?, data = ? WHERE pool_id = ? AND username = ?",
        (*_stored_values(pool, user), user.pool_id, user.username),
    )
    search_index.reindex_user(tx, user.pool_id, user.username, user.created, _searchable(user))


def _searchable(user: StoredUser) -> dict[str, str]:
    return search_index.searchable_values(user.attributes)


def claim_aliases(
    tx: Transaction, pool: StoredPool, user: StoredUser, now: float, *, force: bool
) -> None:
    """Make sure no other user holds one of this user's aliases.

    AWS: AliasExistsException, unless ForceAliasCreation moves the alias to this user; the
    previous holder keeps the attribute, unverified (API_AdminCreateUser ForceAliasCreation).
    """
    email, phone, preferred = _alias_values(pool.settings, user.attributes)
    for column, value, attribute in (
        ("email", email, "email"),
        ("phone", phone, "phone_number"),
        ("preferred_username", preferred, "preferred_username"),
    ):
        if value is None:
            continue
        rows = tx.fetchall(
            f"SELECT {_COLUMNS} FROM users WHERE pool_id = ? AND {column} = ? AND username <> ?",
            (pool.id, value, user.username),
        )
        for row in rows:
            holder = _user_of(row)
            if not force or attribute == "preferred_username":
                noun = "email" if attribute == "email" else attribute
                raise AwsError(
                    "AliasExistsException", f"An account with the {noun} already exists."
                )
            holder.attributes[f"{attribute}_verified"] = "false"
            save_user(tx, pool, holder, now)


# ---- attributes -------------------------------------------------------------------------


def _schema(pool: StoredPool) -> dict[str, dict[str, Any]]:
    return {entry["Name"]: entry for entry in pool.settings.get("SchemaAttributes") or []}


def check_attributes(
    pool: StoredPool,
    given: list[dict[str, Any]],
    *,
    updating: bool = False,
    naming: bool = False,
) -> dict[str, str]:
    """The request's attribute list as a dict, checked against the pool's schema.

    AWS's texts: SignUp and AdminCreateUser say `Attributes did not conform to the schema:
    custom:nope: Attribute does not exist in the schema.`; the update operations name the
    attribute `user.<name>` (both seen in public error reports, with the trailing newline).
    Every unknown attribute gets its line (aws-amplify/amplify-flutter#509, #1531); so does
    every immutable one and every value outside its custom attribute's constraints.
    ``naming`` checks names only (AdminDeleteUserAttributes). A developer-only attribute is
    stored under its schema name (`dev:custom:x`) whichever form the request uses.
    """
    updating = updating or naming
    schema = _schema(pool)
    prefix = "" if updating else schema_rules.CONFORM_PREFIX
    unknown: list[str] = []
    fixed: list[str] = []
    values: list[str] = []
    attributes: dict[str, str] = {}
    for entry in given:
        name, value = str(entry["Name"]), str(entry.get("Value", ""))
        label = f"user.{name}" if updating else name
        known = schema.get(name) or schema.get(f"dev:{name}")
        if known is None:
            unknown.append(schema_rules.NOT_IN_SCHEMA.format(name=label))
            continue
        if name == "sub" or (updating and not known.get("Mutable", True)):
            fixed.append(schema_rules.CANNOT_UPDATE.format(name=label))
            continue
        if naming:
            continue
        problem = schema_rules.value_problem(known, value, label)
        if problem is not None:
            values.append(problem)
        attributes[str(known["Name"])] = value
    if unknown:
        raise AwsError("InvalidParameterException", prefix + "".join(unknown))
    if fixed:
        raise AwsError("InvalidParameterException", "".join(fixed))
    if values:
        raise AwsError("InvalidParameterException", prefix + "".join(values))
    for name, value in attributes.items():
        if name == "email" and not _EMAIL.match(value):
            raise AwsError("InvalidParameterException", "Invalid email address format.")
        if name == "phone_number" and not _PHONE.match(value):
            raise AwsError("InvalidParameterException", "Invalid phone number format.")
        if name in ("email_verified", "phone_number_verified"):
            attributes[name] = value.lower()
    return attributes


def attribute_list(user: StoredUser, names: list[str] | None = None) -> list[dict[str, str]]:
    # AWS lists sub first, then the attributes in the order they were set.
    pairs = [("sub", user.sub), *user.attributes.items()]
    return [
        {"Name": name, "Value": value} for name, value in pairs if names is None or name in names
    ]


def user_type(user: StoredUser, names: list[str] | None = None) -> dict[str, Any]:
    """A user as UserType (AdminCreateUser, ListUsers)."""
    return {
        "Username": user.username,
        "Attributes": attribute_list(user, names),
        "UserCreateDate": user.created,
        "UserLastModifiedDate": user.modified,
        "Enabled": user.enabled,
        "UserStatus": user.status,
        # UserType carries the legacy SMS-only MFAOptions, not the factor list [model].
        **{k: v for k, v in user_mfa_members(user).items() if k == "MFAOptions"},
    }


# ---- public callers ---------------------------------------------------------------------


def public_client(ctx: RequestContext, client_id: str) -> tuple[RequestContext, ClientRecord]:
    """The app client a public operation names, and the context of its pool's account and
    region: such calls arrive unsigned and carry nothing else to scope them."""
    with ctx.db.transaction(readonly=True) as tx:
        client = find_client(tx, client_id)
    if client is None:
        raise client_not_found(client_id)
    return dataclasses.replace(ctx, account_id=client.account, region=client.region), client


def public_client_pool(
    ctx: RequestContext, client_id: str
) -> tuple[RequestContext, ClientRecord, StoredPool]:
    """``public_client`` and the client's pool, read in one transaction."""
    with ctx.db.transaction(readonly=True) as tx:
        client = find_client(tx, client_id)
        if client is None:
            raise client_not_found(client_id)
        ctx = dataclasses.replace(ctx, account_id=client.account, region=client.region)
        return ctx, client, load_pool(tx, ctx, client.pool_id)


def check_secret_hash(client: ClientRecord, username: str, given: str | None) -> None:
    """SECRET_HASH = Base64(HMAC-SHA256(client secret, username + client id)), required of
    clients that have a secret (cognito signing-up docs, "Computing secret hash values").
    Any active secret of the client signs (client_secrets.py: rotation)."""
    if not client_secrets.values(client):
        return
    if given is None or not client_secrets.hash_matches(client, username, given):
        raise AwsError(
            "NotAuthorizedException", f"Unable to verify secret hash for client {client.id}"
        )


def hides_existence(client: ClientRecord) -> bool:
    return bool(client.settings.get("PreventUserExistenceErrors") == "ENABLED")


# ---- admin operations -------------------------------------------------------------------


def admin_get_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        user = require_user(tx, load_pool(tx, ctx, params["UserPoolId"]), params["Username"])
    shaped = user_type(user)
    shaped["UserAttributes"] = shaped.pop("Attributes")
    return {**shaped, **user_mfa_members(user)}


def _set_enabled(ctx: RequestContext, params: dict[str, Any], enabled: bool) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        user.enabled = enabled
        save_user(tx, pool, user, ctx.clock.now().timestamp())
    return {}


def admin_disable_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_enabled(ctx, params, False)


def admin_enable_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _set_enabled(ctx, params, True)


def admin_delete_user_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        names: list[str] = params["UserAttributeNames"]
        check_attributes(pool, [{"Name": name, "Value": ""} for name in names], naming=True)
        for name in names:
            user.attributes.pop(name, None)
            # A developer-only attribute named without its `dev:` (check_attributes
            # accepts both forms) is stored under its schema name.
            user.attributes.pop(f"dev:{name}", None)
            if name in VERIFIABLE:
                # Without the address, nothing is verified any more.
                user.attributes.pop(f"{name}_verified", None)
        save_user(tx, pool, user, ctx.clock.now().timestamp())
    return {}


def admin_update_user_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    metadata = params.get("ClientMetadata") or None
    given = params["UserAttributes"]
    update_attributes(ctx, params["UserPoolId"], params["Username"], given, metadata)
    return {}


def update_attributes(
    ctx: RequestContext,
    pool_id: str,
    username: str,
    given: list[dict[str, Any]],
    metadata: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Set attributes; a new email or phone number the pool auto-verifies gets a code, by
    mail or by SMS. Returns the CodeDeliveryDetails of the codes sent
    (UpdateUserAttributes reports them).

    A changed email or phone number is unverified unless the request sets its `_verified`
    attribute itself. With `UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate`
    naming it, the old value stays in place and the new one waits in `data.pending`
    until it is verified, as AWS documents for that setting. The change is stored before
    the code goes out, so a refused delivery leaves it in place.
    """
    now = ctx.clock.now().timestamp()
    sent: list[tuple[str, str, str]] = []  # (attribute, new value, code)
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, username)
        changes = check_attributes(pool, given, updating=True)
        auto = pool.settings.get("AutoVerifiedAttributes") or []
        held = (pool.settings.get("UserAttributeUpdateSettings") or {}).get(
            "AttributesRequireVerificationBeforeUpdate"
        ) or []
        to_verify: dict[str, str] = {}
        for name in VERIFIABLE:
            value = changes.get(name)
            if value is None or value == user.attributes.get(name):
                continue
            if f"{name}_verified" not in changes:
                changes[f"{name}_verified"] = "false"
            if name in auto and changes[f"{name}_verified"] != "true":
                to_verify[name] = value
                if name in held:
                    user.data.setdefault("pending", {})[name] = changes.pop(name)
                    changes.pop(f"{name}_verified", None)
        user.attributes.update(changes)
        claim_aliases(tx, pool, user, now, force=False)
        save_user(tx, pool, user, now)
        for name, value in to_verify.items():
            purpose = codes.VERIFY_EMAIL if name == "email" else codes.VERIFY_PHONE
            code = codes.issue(tx, ctx, pool_id, user.username, purpose, {name: value})
            sent.append((name, value, code))
    if any(name == "phone_number" for name, _, _ in sent):
        # A pool that cannot text refuses before any message goes out.
        sms_config.sender(pool.settings, ctx.region)
    kind = "cognito-attribute-verification"
    deliveries: list[dict[str, Any]] = []
    # A CustomMessage function (CustomMessage_UpdateUserAttribute) rewrites the messages;
    # ``metadata`` is the request's ClientMetadata, which it gets.
    source = custom_message.UPDATE_USER_ATTRIBUTE
    for name, value, code in sent:
        if name == "phone_number":
            text = sms_messages.verification_text(pool.settings, code)
            shaped = custom_message.text(ctx, pool, source, user, text, code, metadata=metadata)
            sms = Sms(value, shaped.text, kind, pool_id, user.username, code)
            sms.shaped_by = shaped.shaped_by
            sms_messages.send_text(ctx, pool.settings, sms)
            deliveries.append(phone_delivery(value))
        else:
            email = messages.code_email(pool.settings, value, kind, pool_id, user.username, code)
            email = custom_message.email(ctx, pool, source, user, email, metadata=metadata)
            deliver(ctx, pool.settings, email)
            deliveries.append(email_delivery(value))
    return deliveries


OPERATIONS: dict[str, Handler] = {
    "AdminGetUser": admin_get_user,
    "AdminDisableUser": admin_disable_user,
    "AdminEnableUser": admin_enable_user,
    "AdminDeleteUserAttributes": admin_delete_user_attributes,
    "AdminUpdateUserAttributes": admin_update_user_attributes,
}
