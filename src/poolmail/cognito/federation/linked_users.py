"""Users linked to identities of external IdPs: AdminLinkProviderForUser and
AdminDisableProviderForUser, and the lookups federated sign-in (issue 15) makes.

A link is a row of ``cognito_provider_links`` (the source identity, the user it leads to)
and an entry in the user's `identities` attribute, in the form AWS shows it:
`[{"userId":"…","providerName":"Google","providerType":"Google","issuer":null,
"primary":false,"dateCreated":1658604803064}]` (published trigger events and the
AdminGetUser example: compact JSON, dateCreated in milliseconds). A user who signed up
through an IdP is `<ProviderName>_<user id>` with UserStatus EXTERNAL_PROVIDER [doc IDT].
"""

from __future__ import annotations

import json
from typing import Any

from poolmail.cognito.federation.identity_providers import (
    CLIENT_PROVIDER_MISSING,
    Provider,
    find_provider,
)
from poolmail.cognito.federation.provider_details import SOCIAL, issuer
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.users.users import (
    USER_NOT_FOUND,
    StoredUser,
    find_user,
    require_user,
    save_user,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

COGNITO = "Cognito"  # the ProviderName of the pool's own users [model]
SUBJECT = "Cognito_Subject"
IDENTITIES = "identities"
EXTERNAL_PROVIDER = "EXTERNAL_PROVIDER"
# "The maximum number of federated identities linked to a user is five." [model]
MAX_LINKS = 5

# ---- texts: observed ones name their source; the others are Choices (AWS's not found) -----
# [obs aws-amplify/amplify-js#13334, boto/boto3#4163]
COGNITO_SOURCE = (
    "Invalid SourceUser: Cognito users with a username/password may not be passed in as a "
    "SourceUser, only as a DestinationUser"
)
# [obs aws/aws-sdk-net#1000]
MERGING = (
    "Merging is not currently supported, provide a SourceUser that has not been signed up in "
    "order to link"
)
SOCIAL_SUBJECT = "ProviderAttributeName must be Cognito_Subject for social identity providers."
NO_VALUE = "{member}.ProviderAttributeValue must be provided."
LINKED_ELSEWHERE = "The SourceUser is already linked to another user."
# AWS refuses a second identity of one provider on a user; its text was found misleading
# and changed (aws/aws-sdk#766, boto/boto3#4163); the new one was not found.
PROVIDER_TAKEN = "DestinationUser is already linked to an identity of provider {name}."
TOO_MANY_LINKS = "A user can be linked to at most 5 identities."
# "All attributes in the DestinationUser profile must be mutable. If you have assigned the
# user any immutable custom attributes, the operation won't succeed." [model, paws docs]
IMMUTABLE = "DestinationUser has immutable custom attributes and cannot be linked."


def federated_username(provider_name: str, user_id: str) -> str:
    """The username of a user who signed up through an IdP [doc IDT]."""
    return f"{provider_name}_{user_id}"


def identities(user: StoredUser) -> list[dict[str, Any]]:
    raw = user.attributes.get(IDENTITIES)
    if not raw:
        return []
    try:
        loaded = json.loads(raw)
    except ValueError:
        return []  # not a value this module wrote: no links to read
    return loaded if isinstance(loaded, list) else []


def _set_identities(user: StoredUser, entries: list[dict[str, Any]]) -> None:
    if entries:
        user.attributes[IDENTITIES] = json.dumps(entries, separators=(",", ":"))
    else:
        user.attributes.pop(IDENTITIES, None)


def linked_user(
    tx: Transaction, pool: StoredPool, provider_name: str, attributes: dict[str, str]
) -> StoredUser | None:
    """The user a federated sign-in of ``provider_name`` leads to through a link, given the
    subject (as SUBJECT) and the mapped attributes of the sign-in; None without one."""
    rows = tx.fetchall(
        "SELECT attribute_name, attribute_value, username FROM cognito_provider_links "
        "WHERE pool_id = ? AND provider_name = ?",
        (pool.id, provider_name),
    )
    for name, value, username in rows:
        if attributes.get(str(name)) == str(value):
            return find_user(tx, pool, str(username))
    return None


def _source_provider(tx: Transaction, pool: StoredPool, source: dict[str, Any]) -> Provider:
    name = source.get("ProviderName") or ""
    if name.lower() == COGNITO.lower():
        raise AwsError("InvalidParameterException", COGNITO_SOURCE)
    provider = find_provider(tx, pool.id, name)
    if provider is None:
        # Choice: the text AWS gives an app client naming a missing provider.
        raise AwsError(
            "InvalidParameterException",
            CLIENT_PROVIDER_MISSING.format(name=name, pool_id=pool.id),
        )
    if provider.type in SOCIAL and source.get("ProviderAttributeName") != SUBJECT:
        # "If the SourceUser is using a federated social IdP ... you must set the
        # ProviderAttributeName to Cognito_Subject." [model]
        raise AwsError("InvalidParameterException", SOCIAL_SUBJECT)
    if not source.get("ProviderAttributeValue"):
        raise AwsError("InvalidParameterException", NO_VALUE.format(member="SourceUser"))
    return provider


def _destination(tx: Transaction, pool: StoredPool, destination: dict[str, Any]) -> StoredUser:
    value = destination.get("ProviderAttributeValue") or ""
    if not value:
        raise AwsError("InvalidParameterException", NO_VALUE.format(member="DestinationUser"))
    name = destination.get("ProviderName") or ""
    # "For a native username + password user, the ProviderAttributeValue for the
    # DestinationUser should be the username in the user pool. For a federated user, it
    # should be the provider-specific user_id. The ProviderAttributeName of the
    # DestinationUser is ignored." [model]
    if name.lower() == COGNITO.lower():
        return require_user(tx, pool, value)
    user = find_user(tx, pool, federated_username(name, value))
    if user is None or user.status != EXTERNAL_PROVIDER:
        raise AwsError("UserNotFoundException", USER_NOT_FOUND)
    return user


def _immutable_custom(pool: StoredPool, user: StoredUser) -> bool:
    schema = {entry["Name"]: entry for entry in pool.settings.get("SchemaAttributes") or []}
    return any(
        name.startswith(("custom:", "dev:custom:")) and not schema[name].get("Mutable", True)
        for name in user.attributes
        if name in schema
    )


def _existing_link(
    tx: Transaction, pool: StoredPool, provider: str, name: str, value: str
) -> StoredUser | None:
    """The user a source identity is linked to; a link whose user was deleted since is
    dropped here (user_removal knows nothing of links)."""
    key = (pool.id, provider, name, value)
    row = tx.fetchone(
        "SELECT username FROM cognito_provider_links WHERE pool_id = ? AND provider_name = ? "
        "AND attribute_name = ? AND attribute_value = ?",
        key,
    )
    if row is None:
        return None
    user = find_user(tx, pool, str(row[0]))
    if user is None:
        tx.execute(
            "DELETE FROM cognito_provider_links WHERE pool_id = ? AND provider_name = ? "
            "AND attribute_name = ? AND attribute_value = ?",
            key,
        )
    return user


def admin_link_provider_for_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    source = params["SourceUser"]
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        provider = _source_provider(tx, pool, source)
        user = _destination(tx, pool, params["DestinationUser"])
        name = source.get("ProviderAttributeName") or SUBJECT
        value = str(source["ProviderAttributeValue"])
        signed_up = find_user(tx, pool, federated_username(provider.name, value))
        if name == SUBJECT and signed_up is not None and signed_up.status == EXTERNAL_PROVIDER:
            raise AwsError("InvalidParameterException", MERGING)
        holder = _existing_link(tx, pool, provider.name, name, value)
        if holder is not None:
            if holder.username == user.username:
                return {}  # Choice: linking again what is linked changes nothing.
            raise AwsError("AliasExistsException", LINKED_ELSEWHERE)
        entries = identities(user)
        if any(entry.get("providerName") == provider.name for entry in entries):
            raise AwsError("InvalidParameterException", PROVIDER_TAKEN.format(name=provider.name))
        if len(entries) >= MAX_LINKS:
            raise AwsError("LimitExceededException", TOO_MANY_LINKS)
        if _immutable_custom(pool, user):
            raise AwsError("InvalidParameterException", IMMUTABLE)
        entries.append(
            {
                "userId": value,
                "providerName": provider.name,
                "providerType": provider.type,
                "issuer": issuer(provider.type, provider.settings["ProviderDetails"]),
                "primary": False,
                "dateCreated": int(now * 1000),
            }
        )
        _set_identities(user, entries)
        save_user(tx, pool, user, now)
        tx.execute(
            "INSERT INTO cognito_provider_links (pool_id, provider_name, attribute_name, "
            "attribute_value, username, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (pool_id, provider.name, name, value, user.username, now),
        )
    return {}


def admin_disable_provider_for_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    given = params["User"]
    provider_name = given.get("ProviderName") or ""
    value = given.get("ProviderAttributeValue") or ""
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        if provider_name.lower() == COGNITO.lower():
            # "If the user that you want to deactivate is a Amazon Cognito user pools
            # native username + password user, they can't use their password to sign in."
            # [model] Their password goes; AdminSetUserPassword gives them one again.
            user = require_user(tx, pool, value)
            user.data.pop("password", None)
            user.data.pop("srp", None)
            save_user(tx, pool, user, now)
            return {}
        provider = find_provider(tx, pool_id, provider_name)
        if provider is None:
            raise AwsError(
                "InvalidParameterException",
                CLIENT_PROVIDER_MISSING.format(name=provider_name, pool_id=pool_id),
            )
        name = given.get("ProviderAttributeName") or SUBJECT
        linked = _existing_link(tx, pool, provider.name, name, value)
        if linked is not None:
            # "If the user to deactivate is a linked external IdP user, any link between
            # that user and an existing user is removed." [model]
            _unlink(tx, pool, linked, provider.name, value, now)
            tx.execute(
                "DELETE FROM cognito_provider_links WHERE pool_id = ? AND provider_name = ? "
                "AND attribute_name = ? AND attribute_value = ?",
                (pool_id, provider.name, name, value),
            )
            return {}
        own = find_user(tx, pool, federated_username(provider.name, value))
        if name != SUBJECT or own is None or own.status != EXTERNAL_PROVIDER:
            raise AwsError("UserNotFoundException", USER_NOT_FOUND)
        # A user who signed up through this IdP has no other way in. Choice: the user is
        # disabled, as AdminDisableUser would, and keeps their profile.
        own.enabled = False
        save_user(tx, pool, own, now)
    return {}


def _unlink(
    tx: Transaction, pool: StoredPool, user: StoredUser, provider: str, value: str, now: float
) -> None:
    entries = identities(user)
    kept = [
        entry
        for entry in entries
        if not (entry.get("providerName") == provider and entry.get("userId") == value)
    ]
    if len(kept) != len(entries):
        _set_identities(user, kept)
        save_user(tx, pool, user, now)


OPERATIONS: dict[str, Handler] = {
    "AdminLinkProviderForUser": admin_link_provider_for_user,
    "AdminDisableProviderForUser": admin_disable_provider_for_user,
}


def token_identities(user: StoredUser) -> list[dict[str, Any]]:
    """The `identities` claim of the user's tokens: the stored entries with "primary" and
    "dateCreated" as strings [doc IDT example]."""
    claims = []
    for entry in identities(user):
        shown = dict(entry)
        shown["primary"] = "true" if entry.get("primary") in (True, "true") else "false"
        shown["dateCreated"] = str(entry.get("dateCreated", ""))
        claims.append(shown)
    return claims
