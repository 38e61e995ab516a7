"""Changing a configuration set's options after creation (v1 Update*/Put*, tracking
options; v2 PutConfigurationSet*Options), an identity's default configuration set, and
what a send takes from them: the set it falls under, and whether that set may send.

Options are stored as configuration_sets.py stores them, in v2's shapes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.protocol.models import SESV2
from poolmail.ses.dedicated_ips import pools
from poolmail.ses.identities.verification import (
    identity_lock,
    load,
    normalize_identity,
    update_data,
)
from poolmail.store import Database, Transaction

Change = Callable[[dict[str, Any]], None]


def _load(tx: Transaction, account: str, region: str, name: str) -> dict[str, Any] | None:
    row = tx.fetchone(
        "SELECT data FROM ses_configuration_sets WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    )
    return json.loads(row[0]) if row is not None else None


def _missing(name: str, v2: bool) -> AwsError:
    # The same answer as configuration_sets.py gives for an unknown set.
    message = f"Configuration set <{name}> does not exist."
    if v2:
        return AwsError("NotFoundException", message)
    return AwsError(
        "ConfigurationSetDoesNotExistException", message, fields={"ConfigurationSetName": name}
    )


def _update(ctx: RequestContext, name: str, change: Change) -> None:
    """Apply ``change`` to the set's stored options; AWS's not-found answer if none."""
    v2 = ctx.service == SESV2
    lock = f"ses-configuration-set:{ctx.account_id}:{ctx.region}:{name}"
    with ctx.db.transaction(lock=lock) as tx:
        data = _load(tx, ctx.account_id, ctx.region, name)
        if data is None:
            raise _missing(name, v2)
        change(data)
        tx.execute(
            "UPDATE ses_configuration_sets SET data = ? "
            "WHERE account = ? AND region = ? AND name = ?",
            (json.dumps(data), ctx.account_id, ctx.region, name),
        )


def _set_option(option: str, value: dict[str, Any]) -> Change:
    def change(data: dict[str, Any]) -> None:
        if value:
            data[option] = value
        else:
            data.pop(option, None)

    return change


def _merge_option(option: str, **members: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        data[option] = {**(data.get(option) or {}), **members}

    return change


def _given(params: dict[str, Any], *members: str) -> dict[str, Any]:
    return {member: params[member] for member in members if params.get(member) is not None}


# --- sending and reputation (v1 and v2) ----------------------------------------------------


def update_configuration_set_sending_enabled(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    enabled = bool(params["Enabled"])
    _update(
        ctx, params["ConfigurationSetName"], _merge_option("SendingOptions", SendingEnabled=enabled)
    )
    return {}


def update_configuration_set_reputation_metrics_enabled(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    enabled = bool(params["Enabled"])
    change = _merge_option("ReputationOptions", ReputationMetricsEnabled=enabled)
    _update(ctx, params["ConfigurationSetName"], change)
    return {}


def put_configuration_set_sending_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    # The model leaves SendingEnabled optional; absent, sending is enabled as on a new set.
    enabled = bool(params.get("SendingEnabled", True))
    _update(
        ctx, params["ConfigurationSetName"], _merge_option("SendingOptions", SendingEnabled=enabled)
    )
    return {}


def put_configuration_set_reputation_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    enabled = bool(params.get("ReputationMetricsEnabled", False))
    change = _merge_option("ReputationOptions", ReputationMetricsEnabled=enabled)
    _update(ctx, params["ConfigurationSetName"], change)
    return {}


# --- delivery -------------------------------------------------------------------------------


def put_configuration_set_delivery_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    name = params["ConfigurationSetName"]
    if ctx.service != SESV2:
        # v1 spells the policy Require/Optional; the row keeps v2's REQUIRE/OPTIONAL.
        policy = (params.get("DeliveryOptions") or {}).get("TlsPolicy")
        options = {"TlsPolicy": policy.upper()} if policy else {}
        _update(ctx, name, _set_option("DeliveryOptions", options))
        return {}
    pool = params.get("SendingPoolName")
    if pool:
        with ctx.db.transaction(readonly=True) as tx:
            if pools.load_pool(tx, ctx.account_id, ctx.region, pool) is None:
                raise pools.missing_pool(pool)
    options = _given(
        params, "TlsPolicy", "SendingPoolName", "MaxDeliverySeconds", "SharedPoolDeliveryMode"
    )
    _update(ctx, name, _set_option("DeliveryOptions", options))
    return {}


# --- tracking (stored and returned; open and click tracking is another issue) ---------------


def _tracking_exists(name: str) -> AwsError:
    # Choice: AWS's text was not found; this one follows the configuration set's wording.
    return AwsError(
        "TrackingOptionsAlreadyExistsException",
        f"Tracking options for configuration set <{name}> already exist.",
        fields={"ConfigurationSetName": name},
    )


def _tracking_missing(name: str) -> AwsError:
    # Choice: AWS's text was not found; this one follows the configuration set's wording.
    return AwsError(
        "TrackingOptionsDoesNotExistException",
        f"Tracking options for configuration set <{name}> do not exist.",
        fields={"ConfigurationSetName": name},
    )


def _v1_tracking(params: dict[str, Any], *, create: bool | None) -> Change:
    name = params["ConfigurationSetName"]
    tracking = dict(params.get("TrackingOptions") or {})

    def change(data: dict[str, Any]) -> None:
        exists = "TrackingOptions" in data
        if create is True and exists:
            raise _tracking_exists(name)
        if create is not True and not exists:
            raise _tracking_missing(name)
        if create is None:
            data.pop("TrackingOptions")
        else:
            data["TrackingOptions"] = tracking

    return change


def create_configuration_set_tracking_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    _update(ctx, params["ConfigurationSetName"], _v1_tracking(params, create=True))
    return {}


def update_configuration_set_tracking_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    _update(ctx, params["ConfigurationSetName"], _v1_tracking(params, create=False))
    return {}


def delete_configuration_set_tracking_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    _update(ctx, params["ConfigurationSetName"], _v1_tracking(params, create=None))
    return {}


def put_configuration_set_tracking_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    options = _given(params, "CustomRedirectDomain", "HttpsPolicy")
    _update(ctx, params["ConfigurationSetName"], _set_option("TrackingOptions", options))
    return {}


# --- VDM and archiving (stored and returned) --------------------------------------------------


def put_configuration_set_vdm_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    options = dict(params.get("VdmOptions") or {})
    _update(ctx, params["ConfigurationSetName"], _set_option("VdmOptions", options))
    return {}


def put_configuration_set_archiving_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    options = _given(params, "ArchiveArn")
    _update(ctx, params["ConfigurationSetName"], _set_option("ArchivingOptions", options))
    return {}


# --- an identity's default configuration set ------------------------------------------------


def put_email_identity_configuration_set_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    given = params["EmailIdentity"]
    name = normalize_identity(given)[0]
    config_set = params.get("ConfigurationSetName")
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, name)) as tx:
        if config_set and _load(tx, ctx.account_id, ctx.region, config_set) is None:
            raise _missing(config_set, v2=True)
        # Absent, the name removes the default (update_data drops a None value).
        if (
            update_data(tx, ctx.account_id, ctx.region, name, {"ConfigurationSetName": config_set})
            is None
        ):
            raise AwsError("NotFoundException", f"Email identity {given} does not exist.")
    return {}


# --- the send path ----------------------------------------------------------------------------

# Choice: AWS's text was not published; floci-io/floci reports SES answering this.
PAUSED_MESSAGE = "Sending is paused for configuration set <{name}>"


def for_send(
    tx: Transaction, account: str, region: str, named: str | None, identity: str | None
) -> tuple[str | None, str | None]:
    """(The configuration set a send falls under, the refusal if that set may not send).

    A send that names no set falls under its identity's default set, as SES applies it
    ("the default configuration set ... is applied to every email sent from the identity
    unless you specify another",
    docs.aws.amazon.com/ses/latest/dg/managing-configuration-sets.html).
    ``identity`` is the sender's verified identity when it belongs to the sending account.
    """
    name = named
    if name is None and identity is not None:
        row = load(tx, account, region, identity)
        default = row.data.get("ConfigurationSetName") if row is not None else None
        if default and _load(tx, account, region, default) is not None:
            name = str(default)
    if name is None:
        return None, None
    data = _load(tx, account, region, name) or {}
    if not (data.get("SendingOptions") or {}).get("SendingEnabled", True):
        return name, PAUSED_MESSAGE.format(name=name)
    return name, None


def requires_tls(db: Database, account: str, region: str, name: str | None) -> bool:
    """Whether the send's configuration set has TlsPolicy REQUIRE (for the relay)."""
    if name is None:
        return False
    with db.transaction(readonly=True) as tx:
        data = _load(tx, account, region, name) or {}
    return (data.get("DeliveryOptions") or {}).get("TlsPolicy") == "REQUIRE"


V1: dict[str, Handler] = {
    "UpdateConfigurationSetSendingEnabled": update_configuration_set_sending_enabled,
    "UpdateConfigurationSetReputationMetricsEnabled": (
        update_configuration_set_reputation_metrics_enabled
    ),
    "PutConfigurationSetDeliveryOptions": put_configuration_set_delivery_options,
    "CreateConfigurationSetTrackingOptions": create_configuration_set_tracking_options,
    "UpdateConfigurationSetTrackingOptions": update_configuration_set_tracking_options,
    "DeleteConfigurationSetTrackingOptions": delete_configuration_set_tracking_options,
}
V2: dict[str, Handler] = {
    "PutConfigurationSetSendingOptions": put_configuration_set_sending_options,
    "PutConfigurationSetReputationOptions": put_configuration_set_reputation_options,
    "PutConfigurationSetDeliveryOptions": put_configuration_set_delivery_options,
    "PutConfigurationSetTrackingOptions": put_configuration_set_tracking_options,
    "PutConfigurationSetVdmOptions": put_configuration_set_vdm_options,
    "PutConfigurationSetArchivingOptions": put_configuration_set_archiving_options,
    "PutEmailIdentityConfigurationSetAttributes": put_email_identity_configuration_set_attributes,
}
