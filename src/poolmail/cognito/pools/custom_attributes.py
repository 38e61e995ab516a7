"""AddCustomAttributes, and the schema's hold over app clients' ReadAttributes and
WriteAttributes (AWS's rules for the attributes themselves live in ``schema``)."""

from __future__ import annotations

from typing import Any

from poolmail.cognito.imports.in_progress import check_no_import_running
from poolmail.cognito.pools.schema import add_custom
from poolmail.cognito.pools.user_pools import load_pool, save_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError


def schema_lock(pool_id: str) -> str:
    # Two AddCustomAttributes at once must not both pass the duplicate and count checks
    # against the schema they read; one writer per pool, across replicas.
    return f"poolmail:cognito-schema:{pool_id}"


def add_custom_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Append custom attributes to a pool's schema; they cannot be changed or removed
    afterwards ("You can't delete custom attributes after you create them." [doc
    API_AddCustomAttributes]), and no operation here changes one."""
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=schema_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        check_no_import_running(tx, pool_id)
        attributes = [dict(entry) for entry in pool.settings.get("SchemaAttributes") or []]
        add_custom(attributes, params["CustomAttributes"])
        pool.settings["SchemaAttributes"] = attributes
        # Choice: a schema change is a change of the pool, so LastModifiedDate moves (AWS's
        # behaviour not found).
        pool.modified = ctx.clock.now().timestamp()
        save_pool(tx, pool)
    return {}


# AWS's texts (aws/aws-cdk#20760, #34379; aws/aws-sdk-java#1395;
# jmaleonard/serverless-cognito-add-custom-attributes#4).
def invalid_client_attributes(kind: str, action: str) -> str:
    return f"Invalid {kind} attributes specified while {action} a client"


def check_client_attributes(
    pool_settings: dict[str, Any], client_settings: dict[str, Any], action: str
) -> None:
    """ReadAttributes must name attributes of the pool's schema; WriteAttributes mutable
    ones that app clients may write. ``action`` is "creating" or "updating".

    Immutable attributes are not writable after creation ("If false, the attribute value
    can only be set up on sign-up or administrator creation of users" [model
    AddCustomAttributes]); CDK's immutable custom attributes in a client's write set meet
    the refusal (aws/aws-cdk#20760). Developer-only attributes are read-only to every app
    client [model SchemaAttributeType DeveloperOnlyAttribute]. Choice: `sub` counts as
    immutable here too.
    """
    schema = {entry["Name"]: entry for entry in pool_settings.get("SchemaAttributes") or []}
    readable = client_settings.get("ReadAttributes") or []
    if any(name not in schema for name in readable):
        raise AwsError("InvalidParameterException", invalid_client_attributes("read", action))
    for name in client_settings.get("WriteAttributes") or []:
        entry = schema.get(name)
        if entry is None or not entry.get("Mutable", True) or name.startswith("dev:"):
            raise AwsError("InvalidParameterException", invalid_client_attributes("write", action))


# AWS's text when an app client writes an attribute it may not: at UpdateUserAttributes and
# at SignUp alike (aws-amplify/amplify-flutter#1243, aws-amplify/amplify-js#536).
UNAUTHORIZED_WRITE = "A client attempted to write unauthorized attribute"


def check_client_write(
    pool_settings: dict[str, Any], client_settings: dict[str, Any], names: list[str]
) -> None:
    """What a user writes through an app client (SignUp, UpdateUserAttributes) stays within
    the client's WriteAttributes, when it has any, and never touches a developer-only
    attribute: those "can't be updated using UpdateUserAttributes" [model
    SchemaAttributeType]. Choice: the refusal of a developer-only attribute is AWS's text
    for an unauthorized write (its own text not found)."""
    writable = client_settings.get("WriteAttributes")
    developer_only = {
        entry["Name"]
        for entry in pool_settings.get("SchemaAttributes") or []
        if entry.get("DeveloperOnlyAttribute")
    }
    for name in names:
        if (writable and name not in writable) or {name, f"dev:{name}"} & developer_only:
            raise AwsError("NotAuthorizedException", UNAUTHORIZED_WRITE)


OPERATIONS: dict[str, Handler] = {
    "AddCustomAttributes": add_custom_attributes,
}
