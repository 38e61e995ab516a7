"""SES configuration sets, one store behind SES v1 and SES v2 (event destinations aside).

Rows keep v2's option shapes (DeliveryOptions, ReputationOptions, SendingOptions, ...);
v1's DescribeConfigurationSet reads them back in v1's spelling.
"""

from __future__ import annotations

import json
import re
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.protocol.models import SESV2
from poolmail.ses.account.tags import check_tags
from poolmail.ses.dedicated_ips import pools
from poolmail.ses.events import destination_store
from poolmail.store import Transaction

# "Contain only letters (a-z, A-Z), numbers (0-9), underscores (_), or dashes (-).
# Contain 64 characters or fewer." [model] ConfigurationSet.Name
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# AWS quirk: 10,000 configuration sets per region (docs.aws.amazon.com/ses/latest/dg/quotas.html).
MAX_CONFIGURATION_SETS = 10_000
V2_OPTIONS = (
    "TrackingOptions",
    "DeliveryOptions",
    "ReputationOptions",
    "SendingOptions",
    "SuppressionOptions",
    "VdmOptions",
    "ArchivingOptions",
    "MessageSecurityOptions",
)


def exists(tx: Transaction, account: str, region: str, name: str) -> bool:
    """Whether the account has configuration set ``name`` in ``region`` (for senders)."""
    return _load(tx, account, region, name) is not None


def _load(tx: Transaction, account: str, region: str, name: str) -> dict[str, Any] | None:
    row = tx.fetchone(
        "SELECT data FROM ses_configuration_sets WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    )
    return json.loads(row[0]) if row is not None else None


def _missing(name: str, v2: bool) -> AwsError:
    # AWS quirk: the name sits in angle brackets: "Configuration set <my-set> does not
    # exist." (LocalStack's AWS-recorded test_ses.snapshot.json; notifuse/notifuse#162).
    message = f"Configuration set <{name}> does not exist."
    if v2:
        return AwsError("NotFoundException", message)
    return AwsError(
        "ConfigurationSetDoesNotExistException", message, fields={"ConfigurationSetName": name}
    )


def _create(ctx: RequestContext, name: str, data: dict[str, Any], v2: bool) -> None:
    if not NAME.fullmatch(name):
        # Not found: SES's exact text for a bad name; this one states the documented rule.
        message = (
            f"Configuration set name {name} is invalid: it must contain only letters, "
            "numbers, underscores and dashes, and at most 64 characters."
        )
        code = "BadRequestException" if v2 else "InvalidConfigurationSetException"
        raise AwsError(code, message)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=f"ses-configuration-sets:{ctx.account_id}:{ctx.region}") as tx:
        row = tx.fetchone(
            "SELECT COUNT(*) FROM ses_configuration_sets WHERE account = ? AND region = ?",
            (ctx.account_id, ctx.region),
        )
        if row is not None and int(row[0]) >= MAX_CONFIGURATION_SETS:
            raise AwsError(
                "LimitExceededException",
                f"You have reached the maximum of {MAX_CONFIGURATION_SETS} configuration sets.",
            )
        added = tx.execute(
            "INSERT INTO ses_configuration_sets (account, region, name, created_at, data) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ctx.account_id, ctx.region, name, now, json.dumps(data, default=_jsonable)),
        )
    if not added:
        # Not found: AWS's text for a duplicate; it follows the does-not-exist wording.
        message = f"Configuration set <{name}> already exists."
        if v2:
            raise AwsError("AlreadyExistsException", message)
        raise AwsError(
            "ConfigurationSetAlreadyExistsException",
            message,
            fields={"ConfigurationSetName": name},
        )


def _jsonable(value: Any) -> Any:
    # ReputationOptions.LastFreshStart arrives as a datetime; keep it as epoch seconds.
    if hasattr(value, "timestamp"):
        return value.timestamp()
    raise TypeError(f"cannot store {type(value).__name__}")


def _delete(ctx: RequestContext, name: str, v2: bool) -> None:
    with ctx.db.transaction() as tx:
        deleted = tx.execute(
            "DELETE FROM ses_configuration_sets WHERE account = ? AND region = ? AND name = ?",
            (ctx.account_id, ctx.region, name),
        )
        if deleted:
            destination_store.remove_set(tx, ctx.account_id, ctx.region, name)
    if not deleted:
        raise _missing(name, v2)


def _get(ctx: RequestContext, name: str, v2: bool) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        data = _load(tx, ctx.account_id, ctx.region, name)
    if data is None:
        raise _missing(name, v2)
    return data


def _page(
    ctx: RequestContext, limit: int, token: str | None, token_error: str, contains: str | None
) -> tuple[list[str], str | None]:
    sql = "SELECT name, created_at FROM ses_configuration_sets WHERE account = ? AND region = ?"
    args: list[Any] = [ctx.account_id, ctx.region]
    if token is not None:
        after_created, after_name = decode_token(token, token_error, 2)
        sql += " AND (created_at > ? OR (created_at = ? AND name > ?))"
        args += [after_created, after_created, after_name]
    sql += " ORDER BY created_at, name"
    with ctx.db.transaction(readonly=True) as tx:
        rows = [(str(name), float(created)) for name, created in tx.fetchall(sql, args)]
    if contains:
        # Filtered here rather than with LIKE: `_` and `%` are ordinary name characters.
        rows = [row for row in rows if contains in row[0]]
    next_token = None
    if len(rows) > limit:
        name, created = rows[limit - 1]
        next_token = encode_token([created, name])
    return [name for name, _ in rows[:limit]], next_token


def _check_pool(ctx: RequestContext, pool: str | None) -> None:
    """A set may name only a dedicated IP pool the account has (ses/dedicated_ips)."""
    if pool:
        with ctx.db.transaction(readonly=True) as tx:
            if pools.load_pool(tx, ctx.account_id, ctx.region, pool) is None:
                raise pools.missing_pool(pool)


# --- SES v1 ---------------------------------------------------------------------------


# CreateConfigurationSet, DeleteConfigurationSet and ListConfigurationSets carry the same
# name in both APIs, so one function serves both and reads the API from the context.


def create_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.service == SESV2:
        data = {option: params[option] for option in V2_OPTIONS if params.get(option) is not None}
        data["Tags"] = check_tags(params.get("Tags") or [])
        _check_pool(ctx, (data.get("DeliveryOptions") or {}).get("SendingPoolName"))
        _create(ctx, params["ConfigurationSetName"], data, v2=True)
    else:
        _create(ctx, params["ConfigurationSet"]["Name"], {}, v2=False)
    return {}


def delete_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _delete(ctx, params["ConfigurationSetName"], v2=ctx.service == SESV2)
    return {}


def describe_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ConfigurationSetName"]
    data = _get(ctx, name, v2=False)
    wanted = set(params.get("ConfigurationSetAttributeNames") or [])
    result: dict[str, Any] = {"ConfigurationSet": {"Name": name}}
    if "eventDestinations" in wanted:
        with ctx.db.transaction(readonly=True) as tx:
            result["EventDestinations"] = destination_store.v1_destinations(
                tx, ctx.account_id, ctx.region, name
            )
    tracking = data.get("TrackingOptions")
    if "trackingOptions" in wanted and tracking is not None:
        result["TrackingOptions"] = {
            key: tracking[key] for key in ("CustomRedirectDomain",) if key in tracking
        }
    delivery = data.get("DeliveryOptions") or {}
    if "deliveryOptions" in wanted and delivery.get("TlsPolicy"):
        # v1 spells the v2 enum REQUIRE/OPTIONAL as Require/Optional.
        result["DeliveryOptions"] = {"TlsPolicy": delivery["TlsPolicy"].capitalize()}
    if "reputationOptions" in wanted:
        reputation = data.get("ReputationOptions") or {}
        options: dict[str, Any] = {
            "SendingEnabled": (data.get("SendingOptions") or {}).get("SendingEnabled", True),
            "ReputationMetricsEnabled": reputation.get("ReputationMetricsEnabled", False),
        }
        if reputation.get("LastFreshStart") is not None:
            options["LastFreshStart"] = reputation["LastFreshStart"]
        result["ReputationOptions"] = options
    return result


def list_configuration_sets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.service == SESV2:
        return _list_v2(ctx, params)
    # AWS quirk: "This operation returns up to 1,000 configuration sets each time" [model].
    requested = params.get("MaxItems")
    limit = 1000 if requested is None or requested < 1 else min(requested, 1000)
    names, token = _page(ctx, limit, params.get("NextToken"), "InvalidParameterValue", None)
    result: dict[str, Any] = {"ConfigurationSets": [{"Name": name} for name in names]}
    if token:
        result["NextToken"] = token
    return result


# --- SES v2 ---------------------------------------------------------------------------


def get_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ConfigurationSetName"]
    data = _get(ctx, name, v2=True)
    # A new set answers with SES's defaults: TLS optional, no reputation metrics, sending
    # enabled; options given at creation override them.
    result: dict[str, Any] = {
        "ConfigurationSetName": name,
        "DeliveryOptions": {"TlsPolicy": "OPTIONAL"},
        "ReputationOptions": {"ReputationMetricsEnabled": False},
        "SendingOptions": {"SendingEnabled": True},
    }
    for option in V2_OPTIONS:
        if option in data:
            result[option] = {**result.get(option, {}), **data[option]}
    result["Tags"] = data.get("Tags") or []
    return result


def _list_v2(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    size = params.get("PageSize")
    limit = 1000 if size is None or size < 1 else min(size, 1000)
    contains = (params.get("Filter") or {}).get("CONFIGURATION_SET_NAME_CONTAINS")
    names, token = _page(ctx, limit, params.get("NextToken"), "BadRequestException", contains)
    result: dict[str, Any] = {"ConfigurationSets": names}
    if token:
        result["NextToken"] = token
    return result


V1: dict[str, Handler] = {
    "CreateConfigurationSet": create_configuration_set,
    "DeleteConfigurationSet": delete_configuration_set,
    "DescribeConfigurationSet": describe_configuration_set,
    "ListConfigurationSets": list_configuration_sets,
}
V2: dict[str, Handler] = {
    "CreateConfigurationSet": create_configuration_set,
    "GetConfigurationSet": get_configuration_set,
    "DeleteConfigurationSet": delete_configuration_set,
    "ListConfigurationSets": list_configuration_sets,
}
