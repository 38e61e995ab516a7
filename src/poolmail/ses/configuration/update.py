"""SES v2 UpdateConfigurationSet: a partial update of a configuration set's stored options
(today the model names one, MessageSecurityOptions), in the row configuration_sets.py
keeps, so GetConfigurationSet shows it at once.
"""

from __future__ import annotations

import json
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.protocol.models import SESV2, service_model

# The options this operation may carry: every member of its input but the set's name, so
# a newer model's member is stored as soon as botocore knows it.
_KEY = "ConfigurationSetName"


def _options() -> tuple[str, ...]:
    shape = service_model(SESV2).operation_model("UpdateConfigurationSet").input_shape
    return tuple(name for name in shape.members if name != _KEY)


def _check_signing(options: dict[str, Any]) -> None:
    scheme = options.get("SigningScheme")
    if scheme is None:
        return
    # SigningScheme is a union: "you specify exactly one of its members" [model].
    given = [member for member, value in scheme.items() if value is not None]
    if len(given) != 1:
        raise AwsError(
            "BadRequestException",
            "SigningScheme must contain exactly one of DefaultScheme or SmimeScheme.",
        )


def _jsonable(value: Any) -> Any:
    # A timestamp member (as ReputationOptions.LastFreshStart) is kept as epoch seconds,
    # as configuration_sets.py keeps it.
    if hasattr(value, "timestamp"):
        return value.timestamp()
    raise TypeError(f"cannot store {type(value).__name__}")


def update_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Only the attributes in the request change; "any omitted attribute is left
    unchanged" [model]."""
    name = params[_KEY]
    given = {option: params[option] for option in _options() if params.get(option) is not None}
    if "MessageSecurityOptions" in given:
        _check_signing(given["MessageSecurityOptions"])
    lock = f"ses-configuration-set:{ctx.account_id}:{ctx.region}:{name}"
    with ctx.db.transaction(lock=lock) as tx:
        row = tx.fetchone(
            "SELECT data FROM ses_configuration_sets WHERE account = ? AND region = ? AND name = ?",
            (ctx.account_id, ctx.region, name),
        )
        if row is None:
            # The answer configuration_sets.py gives for an unknown set.
            raise AwsError("NotFoundException", f"Configuration set <{name}> does not exist.")
        data = json.loads(row[0])
        data.update(given)
        tx.execute(
            "UPDATE ses_configuration_sets SET data = ? "
            "WHERE account = ? AND region = ? AND name = ?",
            (json.dumps(data, default=_jsonable), ctx.account_id, ctx.region, name),
        )
    return {}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {"UpdateConfigurationSet": update_configuration_set}
