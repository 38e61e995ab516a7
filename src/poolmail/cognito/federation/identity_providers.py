"""Identity providers of a pool (SAML, OIDC, social): create, describe, list, update,
delete, find by IdpIdentifier; and the check that app clients name existing ones.

One row of ``cognito_identity_providers`` each; ``cognito_idp_identifiers`` keeps the
IdpIdentifiers unique in the pool. What each ProviderType needs: provider_details.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.federation import provider_details
from poolmail.cognito.federation.provider_details import SAML, SOCIAL
from poolmail.cognito.pools import signing_certificate
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.store import Row, Transaction

# The built-in provider, as SupportedIdentityProviders names it [model].
COGNITO = "COGNITO"
# "Identity providers per user pool: 300" [doc LIMITS]; identifiers per IdP (50) and the
# name's length (32) are the model's limits, checked by the protocol layer.
MAX_PROVIDERS = 300

# ---- texts: observed ones name their source; the others are Choices (AWS's not found) -----
DUPLICATE = "{name} already exists in user pool {pool_id}"  # [obs CFN roadmap#1287]
WRONG_TYPE = "Provider {name} cannot be of type {type}."  # [obs aws/aws-cli#3179]
# [obs lgallard/terraform-aws-cognito-user-pool#72], no final period as quoted.
CLIENT_PROVIDER_MISSING = "The provider {name} does not exist for User Pool {pool_id}"
NOT_FOUND = "Identity provider {name} does not exist."
IDENTIFIER_NOT_FOUND = "Identity provider with identifier {identifier} does not exist."
IDENTIFIER_TAKEN = "Identifier {identifier} is already used by another identity provider."
RESERVED = "Provider name {name} is reserved."
UNSUPPORTED = "Identity provider {name} cannot be updated or deleted."
TOO_MANY = "The user pool has reached its limit of identity providers."
ACR_OIDC_ONLY = "AcrMapping is supported for OIDC identity providers only."
UNKNOWN_ATTRIBUTE = "Attribute mapping has an attribute that is not in the schema: {name}"

_COLUMNS = "name, created_at, pool_id, type, modified_at, data"


@dataclass(slots=True)
class Provider:
    pool_id: str
    name: str
    type: str
    created: float
    modified: float
    # ProviderDetails, AttributeMapping, IdpIdentifiers, AcrMapping as the request gave them.
    settings: dict[str, Any]


def _provider(row: Row) -> Provider:
    return Provider(
        str(row[2]), str(row[0]), str(row[3]), float(row[1]), float(row[4]), json.loads(row[5])
    )


def find_provider(tx: Transaction, pool_id: str, name: str) -> Provider | None:
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM cognito_identity_providers WHERE pool_id = ? AND name = ?",
        (pool_id, name),
    )
    return None if row is None else _provider(row)


def require_provider(tx: Transaction, pool_id: str, name: str) -> Provider:
    provider = find_provider(tx, pool_id, name)
    if provider is None:
        raise AwsError("ResourceNotFoundException", NOT_FOUND.format(name=name))
    return provider


def check_supported(tx: Transaction, pool_id: str, names: list[str] | None) -> None:
    """App clients' SupportedIdentityProviders name COGNITO or providers of the pool."""
    for name in names or []:
        if name != COGNITO and find_provider(tx, pool_id, name) is None:
            raise AwsError(
                "InvalidParameterException",
                CLIENT_PROVIDER_MISSING.format(name=name, pool_id=pool_id),
            )


def shape(provider: Provider) -> dict[str, Any]:
    """IdentityProviderType."""
    settings = provider.settings
    details = provider_details.described(provider.type, settings["ProviderDetails"])
    if "ActiveEncryptionCertificate" in settings:
        details["ActiveEncryptionCertificate"] = settings["ActiveEncryptionCertificate"]
    shaped: dict[str, Any] = {
        "UserPoolId": provider.pool_id,
        "ProviderName": provider.name,
        "ProviderType": provider.type,
        "ProviderDetails": details,
        "AttributeMapping": settings.get("AttributeMapping") or {},
        "IdpIdentifiers": settings.get("IdpIdentifiers") or [],
        "LastModifiedDate": provider.modified,
        "CreationDate": provider.created,
    }
    if settings.get("AcrMapping"):
        shaped["AcrMapping"] = settings["AcrMapping"]
    return shaped


def _check_name(name: str, provider_type: str) -> None:
    # Social providers are named after their type, one each per pool
    # ("Provider NameOfGP cannot be of type Google.", aws/aws-cli#3179). Choice: their
    # names are theirs, so an OIDC or SAML provider named `Google` is refused alike.
    if provider_type in SOCIAL and name != provider_type:
        raise AwsError(
            "InvalidParameterException", WRONG_TYPE.format(name=name, type=provider_type)
        )
    if provider_type not in SOCIAL and name in SOCIAL:
        raise AwsError(
            "InvalidParameterException", WRONG_TYPE.format(name=name, type=provider_type)
        )
    # Choice: `Cognito` in any case names the pool's own directory (SupportedIdentityProviders'
    # COGNITO, AdminLinkProviderForUser's `Cognito`), so no IdP may take it.
    if name.lower() == COGNITO.lower():
        raise AwsError("InvalidParameterException", RESERVED.format(name=name))


def _check_mapping(pool: StoredPool, mapping: dict[str, str]) -> None:
    # Keys are user pool attributes [model AttributeMappingType]; `username` maps the IdP's
    # user ID [doc cognito-user-pools-specifying-attribute-mapping].
    schema = {entry["Name"] for entry in pool.settings.get("SchemaAttributes") or []}
    for name in mapping:
        if name != "username" and name not in schema and f"dev:{name}" not in schema:
            raise AwsError("InvalidParameterException", UNKNOWN_ATTRIBUTE.format(name=name))


def _settings(
    ctx: RequestContext, pool: StoredPool, provider_type: str, params: dict[str, Any]
) -> dict[str, Any]:
    details = provider_details.given(params["ProviderDetails"])
    provider_details.check(provider_type, details)
    mapping: dict[str, str] = dict(params.get("AttributeMapping") or {})
    _check_mapping(pool, mapping)
    if params.get("AcrMapping") and provider_type != provider_details.OIDC:
        raise AwsError("InvalidParameterException", ACR_OIDC_ONLY)
    settings: dict[str, Any] = {
        "ProviderDetails": details,
        "AttributeMapping": provider_details.default_mapping(provider_type, mapping),
        "IdpIdentifiers": list(params.get("IdpIdentifiers") or []),
    }
    if params.get("AcrMapping"):
        settings["AcrMapping"] = dict(params["AcrMapping"])
    if provider_type == SAML and details.get("EncryptedResponses") == "true":
        # "ActiveEncryptionCertificate" in SAML's describe response [model]: the certificate
        # an IdP encrypts assertions to. Choice: the pool's SAML signing certificate.
        settings["ActiveEncryptionCertificate"] = signing_certificate.current(ctx, pool.id)[
            "certificate"
        ]
    return settings


def _claim_identifiers(tx: Transaction, pool_id: str, name: str, identifiers: list[str]) -> None:
    """Make ``identifiers`` the provider's, refusing one another provider holds."""
    if len(set(identifiers)) != len(identifiers):
        duplicate = next(item for item in identifiers if identifiers.count(item) > 1)
        raise AwsError("InvalidParameterException", IDENTIFIER_TAKEN.format(identifier=duplicate))
    for identifier in identifiers:
        row = tx.fetchone(
            "SELECT provider_name FROM cognito_idp_identifiers "
            "WHERE pool_id = ? AND identifier = ?",
            (pool_id, identifier),
        )
        if row is not None and str(row[0]) != name:
            raise AwsError(
                "InvalidParameterException", IDENTIFIER_TAKEN.format(identifier=identifier)
            )
    tx.execute(
        "DELETE FROM cognito_idp_identifiers WHERE pool_id = ? AND provider_name = ?",
        (pool_id, name),
    )
    for identifier in identifiers:
        tx.execute(
            "INSERT INTO cognito_idp_identifiers (pool_id, identifier, provider_name) "
            "VALUES (?, ?, ?)",
            (pool_id, identifier, name),
        )


def _lock(pool_id: str) -> str:
    # Names, identifiers and the count are checked across rows: one writer per pool.
    return f"poolmail:cognito-idps:{pool_id}"


# ---- operations -------------------------------------------------------------------------


def _refuse_duplicate(tx: Transaction, pool_id: str, name: str) -> None:
    if find_provider(tx, pool_id, name) is not None:
        raise AwsError("DuplicateProviderException", DUPLICATE.format(name=name, pool_id=pool_id))


def create_identity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id, name, provider_type = (
        params["UserPoolId"],
        params["ProviderName"],
        params["ProviderType"],
    )
    _check_name(name, provider_type)
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, pool_id)
        _refuse_duplicate(tx, pool_id, name)
    # Checked (and a SAML encryption certificate issued) outside the lock: see _settings.
    settings = _settings(ctx, pool, provider_type, params)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=_lock(pool_id)) as tx:
        load_pool(tx, ctx, pool_id)
        _refuse_duplicate(tx, pool_id, name)
        row = tx.fetchone(
            "SELECT COUNT(*) FROM cognito_identity_providers WHERE pool_id = ?", (pool_id,)
        )
        if row is not None and int(row[0]) >= MAX_PROVIDERS:
            raise AwsError("LimitExceededException", TOO_MANY)
        _claim_identifiers(tx, pool_id, name, settings["IdpIdentifiers"])
        tx.execute(
            "INSERT INTO cognito_identity_providers (pool_id, name, type, created_at, "
            "modified_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            (pool_id, name, provider_type, now, now, json.dumps(settings)),
        )
    return {"IdentityProvider": shape(Provider(pool_id, name, provider_type, now, now, settings))}


@local_only
def describe_identity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        load_pool(tx, ctx, params["UserPoolId"])
        provider = require_provider(tx, params["UserPoolId"], params["ProviderName"])
    return {"IdentityProvider": shape(provider)}


@local_only
def get_identity_provider_by_identifier(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    pool_id, identifier = params["UserPoolId"], params["IdpIdentifier"]
    with ctx.db.transaction(readonly=True) as tx:
        load_pool(tx, ctx, pool_id)
        row = tx.fetchone(
            "SELECT provider_name FROM cognito_idp_identifiers "
            "WHERE pool_id = ? AND identifier = ?",
            (pool_id, identifier),
        )
        provider = None if row is None else find_provider(tx, pool_id, str(row[0]))
    if provider is None:
        raise AwsError(
            "ResourceNotFoundException", IDENTIFIER_NOT_FOUND.format(identifier=identifier)
        )
    return {"IdentityProvider": shape(provider)}


@local_only
def list_identity_providers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # Not found: the page size without MaxResults; the model's maximum (60), as for clients.
    limit = params.get("MaxResults") or 60
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(readonly=True) as tx:
        load_pool(tx, ctx, pool_id)
        rows, token = keyset_page(
            tx,
            f"SELECT {_COLUMNS} FROM cognito_identity_providers WHERE pool_id = ?",
            [pool_id],
            key="name",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=limit,
        )
    providers = [
        {
            "ProviderName": provider.name,
            "ProviderType": provider.type,
            "LastModifiedDate": provider.modified,
            "CreationDate": provider.created,
        }
        for provider in map(_provider, rows)
    ]
    result: dict[str, Any] = {"Providers": providers}
    if token:
        result["NextToken"] = token
    return result


def _refuse_builtin(name: str) -> None:
    # UnsupportedIdentityProviderException [model Update/Delete errors]: the pool's own
    # directory is listed among providers by clients but is no IdP to change. Choice: when.
    if name.lower() == COGNITO.lower():
        raise AwsError("UnsupportedIdentityProviderException", UNSUPPORTED.format(name=name))


def update_identity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id, name = params["UserPoolId"], params["ProviderName"]
    _refuse_builtin(name)
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, pool_id)
        provider = require_provider(tx, pool_id, name)
    # Omitted members stay as they are (the model names no default for them); a given
    # ProviderDetails replaces the old one whole and is checked as on create.
    merged = {
        "ProviderDetails": provider.settings["ProviderDetails"],
        "AttributeMapping": provider.settings.get("AttributeMapping"),
        "IdpIdentifiers": provider.settings.get("IdpIdentifiers"),
        "AcrMapping": provider.settings.get("AcrMapping"),
    }
    for member in merged:
        if params.get(member) is not None:
            merged[member] = params[member]
    settings = _settings(ctx, pool, provider.type, merged)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=_lock(pool_id)) as tx:
        load_pool(tx, ctx, pool_id)
        current = require_provider(tx, pool_id, name)
        _claim_identifiers(tx, pool_id, name, settings["IdpIdentifiers"])
        tx.execute(
            "UPDATE cognito_identity_providers SET modified_at = ?, data = ? "
            "WHERE pool_id = ? AND name = ?",
            (now, json.dumps(settings), pool_id, name),
        )
    updated = Provider(pool_id, name, current.type, current.created, now, settings)
    return {"IdentityProvider": shape(updated)}


def delete_identity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id, name = params["UserPoolId"], params["ProviderName"]
    _refuse_builtin(name)
    with ctx.db.transaction(lock=_lock(pool_id)) as tx:
        load_pool(tx, ctx, pool_id)
        require_provider(tx, pool_id, name)
        for table, column in (
            ("cognito_identity_providers", "name"),
            ("cognito_idp_identifiers", "provider_name"),
            # "After you delete an IdP, users can no longer sign in to your user pool
            # through that IdP" [model]: its pending links go too; users stay.
            ("cognito_provider_links", "provider_name"),
        ):
            tx.execute(f"DELETE FROM {table} WHERE pool_id = ? AND {column} = ?", (pool_id, name))
        _forget_in_clients(tx, pool_id, name)
    return {}


def _forget_in_clients(tx: Transaction, pool_id: str, name: str) -> None:
    """Not found: what AWS does to clients naming a deleted provider. Choice: the name
    leaves their SupportedIdentityProviders, so every client still names existing
    providers (and a later update resending it gets CLIENT_PROVIDER_MISSING, as on AWS)."""
    rows = tx.fetchall("SELECT id, data FROM user_pool_clients WHERE pool_id = ?", (pool_id,))
    for client_id, data in rows:
        settings = json.loads(data)
        names = settings.get("SupportedIdentityProviders")
        if not names or name not in names:
            continue
        settings["SupportedIdentityProviders"] = [item for item in names if item != name]
        tx.execute(
            "UPDATE user_pool_clients SET data = ? WHERE id = ?", (json.dumps(settings), client_id)
        )


OPERATIONS: dict[str, Handler] = {
    "CreateIdentityProvider": create_identity_provider,
    "DescribeIdentityProvider": describe_identity_provider,
    "GetIdentityProviderByIdentifier": get_identity_provider_by_identifier,
    "ListIdentityProviders": list_identity_providers,
    "UpdateIdentityProvider": update_identity_provider,
    "DeleteIdentityProvider": delete_identity_provider,
}
