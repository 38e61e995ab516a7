"""SES v2 multi-region endpoints (global endpoints): CreateMultiRegionEndpoint,
GetMultiRegionEndpoint, DeleteMultiRegionEndpoint and ListMultiRegionEndpoints; and the
endpoint a send names by its EndpointId.

"The primary region is going to be the AWS-Region where the operation is executed. The
secondary region has to be provided in request's parameters." [model]
Choice: an endpoint is CREATING for its first second and READY from then on (AWS
provisions one in minutes; a local stand-in has nothing to wait for, and a test can see
both states). Choice: a send through an endpoint is processed in its primary Region, the
one it was created and is managed in; AWS splits traffic between the two Regions.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import string
from dataclasses import dataclass
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.account.tags import check_tags
from poolmail.store import Transaction

PROVISIONING_SECONDS = 1.0
# Choice: 100 endpoints a Region (AWS's quota was not found).
MAX_ENDPOINTS = 100
DEFAULT_PAGE_SIZE = 100
_ID_CHARACTERS = string.ascii_lowercase + string.digits


@dataclass(frozen=True, slots=True)
class Endpoint:
    account: str
    region: str
    name: str
    endpoint_id: str
    created_at: float
    updated_at: float
    data: dict[str, Any]

    def status(self, now: float) -> str:
        return "READY" if now >= self.created_at + PROVISIONING_SECONDS else "CREATING"

    @property
    def regions(self) -> list[str]:
        """The primary Region first, then the secondary."""
        return [self.region, *[route["Region"] for route in self.data["Routes"]]]


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def _missing(name: str) -> AwsError:
    # Choice: AWS's text was not found; it follows the configuration sets' wording.
    return AwsError("NotFoundException", f"Multi-region endpoint <{name}> does not exist.")


_COLUMNS = "account, region, name, endpoint_id, created_at, updated_at, data"


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        float(row[4]),
        float(row[5]),
        json.loads(row[6]),
    )


def _load(tx: Transaction, account: str, region: str, name: str) -> Endpoint | None:
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM ses_multi_region_endpoints "
        "WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    )
    return _endpoint(row) if row is not None else None


def by_id(tx: Transaction, account: str, endpoint_id: str) -> Endpoint | None:
    """The account's endpoint ``endpoint_id``, in whichever Region is its primary."""
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM ses_multi_region_endpoints WHERE endpoint_id = ? AND account = ?",
        (endpoint_id, account),
    )
    return _endpoint(row) if row is not None else None


def _known_regions() -> set[str]:
    import botocore.session

    session = botocore.session.get_session()
    found: set[str] = set()
    for partition in session.get_available_partitions():
        found.update(session.get_available_regions("sesv2", partition))
    return found


def _routes(ctx: RequestContext, details: dict[str, Any]) -> list[dict[str, str]]:
    routes = details["RoutesDetails"]
    # "A list of route configuration details. Must contain exactly one route
    # configuration." [model Details.RoutesDetails]
    if len(routes) != 1:
        raise _bad("RoutesDetails must contain exactly one route configuration.")
    region = routes[0]["Region"]
    if region == ctx.region:
        raise _bad(
            f"The secondary region {region} must differ from the primary region {ctx.region}."
        )
    if region not in _known_regions():
        raise _bad(f"Region {region} is not a Region where SES is available.")
    return [{"Region": region}]


def _new_id() -> str:
    # Choice: AWS's EndpointId format was not found; 12 lowercase letters and digits, a
    # valid DNS label, as SDKs put the id in the endpoint's host name.
    return "".join(secrets.choice(_ID_CHARACTERS) for _ in range(12))


def create_multi_region_endpoint(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EndpointName"]
    routes = _routes(ctx, params["Details"])
    data = {"Routes": routes, "Tags": check_tags(params.get("Tags") or [])}
    endpoint_id = _new_id()
    now = ctx.clock.now().timestamp()
    lock = f"ses-multi-region-endpoints:{ctx.account_id}:{ctx.region}"
    with ctx.db.transaction(lock=lock) as tx:
        if _load(tx, ctx.account_id, ctx.region, name) is not None:
            raise AwsError(
                "AlreadyExistsException", f"Multi-region endpoint <{name}> already exists."
            )
        row = tx.fetchone(
            "SELECT COUNT(*) FROM ses_multi_region_endpoints WHERE account = ? AND region = ?",
            (ctx.account_id, ctx.region),
        )
        if row is not None and int(row[0]) >= MAX_ENDPOINTS:
            raise AwsError(
                "LimitExceededException",
                f"You have reached the maximum of {MAX_ENDPOINTS} multi-region endpoints.",
            )
        tx.execute(
            f"INSERT INTO ses_multi_region_endpoints ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (ctx.account_id, ctx.region, name, endpoint_id, now, now, json.dumps(data)),
        )
    return {"Status": "CREATING", "EndpointId": endpoint_id}


def get_multi_region_endpoint(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EndpointName"]
    with ctx.db.transaction(readonly=True) as tx:
        endpoint = _load(tx, ctx.account_id, ctx.region, name)
    if endpoint is None:
        raise _missing(name)
    now = ctx.clock.now().timestamp()
    status = endpoint.status(now)
    return {
        "EndpointName": endpoint.name,
        "EndpointId": endpoint.endpoint_id,
        "Routes": [{"Region": region} for region in endpoint.regions],
        "Status": status,
        "CreatedTimestamp": endpoint.created_at,
        "LastUpdatedTimestamp": _updated(endpoint, status),
    }


def _updated(endpoint: Endpoint, status: str) -> float:
    # The move to READY is the endpoint's last update.
    if status == "READY":
        return endpoint.created_at + PROVISIONING_SECONDS
    return endpoint.updated_at


def delete_multi_region_endpoint(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Choice: the endpoint is gone at once; the answer says DELETING, as AWS's does."""
    name = params["EndpointName"]
    with ctx.db.transaction() as tx:
        deleted = tx.execute(
            "DELETE FROM ses_multi_region_endpoints WHERE account = ? AND region = ? AND name = ?",
            (ctx.account_id, ctx.region, name),
        )
    if not deleted:
        raise _missing(name)
    return {"Status": "DELETING"}


# NextToken of this operation is modelled as standard base64 (`[A-Za-z0-9+/]`, `=`
# padding), unlike the others' free strings; its tokens are spelled so.
def _encode(position: list[Any]) -> str:
    return base64.b64encode(json.dumps(position, separators=(",", ":")).encode()).decode()


def _decode(token: str) -> list[Any]:
    try:
        position = json.loads(base64.b64decode(token.encode("ascii"), validate=True))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise _bad("Invalid pagination token.") from exc
    if not isinstance(position, list) or len(position) != 2:
        raise _bad("Invalid pagination token.")
    return position


def list_multi_region_endpoints(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # PageSize is 1 to 1000 [model PageSizeV2]. Choice: 100 when not given.
    limit = int(params.get("PageSize") or DEFAULT_PAGE_SIZE)
    sql = f"SELECT {_COLUMNS} FROM ses_multi_region_endpoints WHERE account = ? AND region = ?"
    args: list[Any] = [ctx.account_id, ctx.region]
    if params.get("NextToken") is not None:
        after_created, after_name = _decode(params["NextToken"])
        sql += " AND (created_at > ? OR (created_at = ? AND name > ?))"
        args += [after_created, after_created, after_name]
    with ctx.db.transaction(readonly=True) as tx:
        rows = tx.fetchall(sql + " ORDER BY created_at, name LIMIT ?", [*args, limit + 1])
    endpoints = [_endpoint(row) for row in rows]
    now = ctx.clock.now().timestamp()
    answer: dict[str, Any] = {
        "MultiRegionEndpoints": [
            {
                "EndpointName": endpoint.name,
                "Status": endpoint.status(now),
                "EndpointId": endpoint.endpoint_id,
                "Regions": endpoint.regions,
                "CreatedTimestamp": endpoint.created_at,
                "LastUpdatedTimestamp": _updated(endpoint, endpoint.status(now)),
            }
            for endpoint in endpoints[:limit]
        ]
    }
    if len(endpoints) > limit:
        last = endpoints[limit - 1]
        answer["NextToken"] = _encode([last.created_at, last.name])
    return answer


def for_send(ctx: RequestContext, endpoint_id: str) -> str:
    """The primary Region that processes a send through ``endpoint_id``. Choice: AWS's
    texts were not found; an unknown endpoint is NotFoundException, one not yet READY a
    BadRequestException."""
    with ctx.db.transaction(readonly=True) as tx:
        endpoint = by_id(tx, ctx.account_id, endpoint_id)
    if endpoint is None:
        raise AwsError(
            "NotFoundException", f"Multi-region endpoint with id <{endpoint_id}> does not exist."
        )
    if endpoint.status(ctx.clock.now().timestamp()) != "READY":
        raise _bad(f"Multi-region endpoint <{endpoint.name}> is not READY.")
    return endpoint.region


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "CreateMultiRegionEndpoint": create_multi_region_endpoint,
    "GetMultiRegionEndpoint": get_multi_region_endpoint,
    "DeleteMultiRegionEndpoint": delete_multi_region_endpoint,
    "ListMultiRegionEndpoints": list_multi_region_endpoints,
}
