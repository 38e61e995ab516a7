"""User pool domains: the prefix (`<prefix>.auth.<region>.amazoncognito.com`) or custom
domain that hosts a pool's login pages and the links its mail carries.

A row's key is the domain's full host name, unique as DNS names are: a prefix is then
unique within its region, as AWS has it, and a custom domain everywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# AWS's texts: terraform-provider-aws and CDK users quote the first two; the reserved-word
# text is from aws-amplify/amplify-cli#1513.
TAKEN = "Domain already associated with another user pool."
RESERVED = "Domain cannot contain reserved word: {word}"
# Choices, AWS's texts not found: a second prefix (or second custom) domain for one pool,
# deleting a domain the pool does not have.
POOL_HAS_DOMAIN = "User pool already has a domain configured."
NO_SUCH_DOMAIN = "No such domain or user pool exists."
# AWS's text for an UpdateUserPoolDomain of a custom domain without CustomDomainConfig
# (hashicorp/terraform-provider-aws#43252).
CUSTOM_TO_PREFIX = "Cannot convert custom domain to prefix domain."
# Choices, AWS's texts not found: the converse conversion; a host name that is not one; a
# custom domain without its certificate or a prefix with one; a managed login version
# other than the two the model names.
PREFIX_TO_CUSTOM = "Cannot convert prefix domain to custom domain."
BAD_HOST = "Domain {domain} is not a valid fully qualified domain name."
NEEDS_CERTIFICATE = "CustomDomainConfig is required for a custom domain."
PREFIX_WITH_CERTIFICATE = "A custom domain must be a fully qualified domain name."
BAD_VERSION = "ManagedLoginVersion must be 1 or 2."
# Choice: CloudFront's text for a certificate outside us-east-1, which serves custom
# domains ("The certificate must be an ACM ARN in us-east-1." [model]).
BAD_CERTIFICATE = (
    "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, "
    "or doesn't include a valid certificate chain."
)
# The feature the tier refusal names (tiers.py's choices): "Managed login requires that
# your user pool be configured for any feature plan other than Lite." [model]
MANAGED_LOGIN = "Managed login"

# A DNS label as the model's prefix pattern has it; a host name is two or more of them.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")

# "You can't use the text aws, amazon, or cognito in the domain prefix." (Cognito guide,
# cognito-user-pools-assign-domain-prefix.md)
RESERVED_WORDS = ("aws", "amazon", "cognito")

# The S3 bucket of managed login's assets, named after each region's airport code as real
# DescribeUserPoolDomain answers show (aws-cognito-prod-iad-assets for us-east-1, ...).
_ASSET_CODES = {
    "us-east-1": "iad",
    "us-east-2": "cmh",
    "us-west-1": "sfo",
    "us-west-2": "pdx",
    "ca-central-1": "yul",
    "eu-west-1": "dub",
    "eu-west-2": "lhr",
    "eu-west-3": "cdg",
    "eu-central-1": "fra",
    "eu-north-1": "arn",
    "ap-northeast-1": "nrt",
    "ap-northeast-2": "icn",
    "ap-south-1": "bom",
    "ap-southeast-1": "sin",
    "ap-southeast-2": "syd",
    "sa-east-1": "gru",
}


def prefix_host(prefix: str, region: str) -> str:
    return f"{prefix}.auth.{region}.amazoncognito.com"


def _host(domain: str, region: str) -> str:
    # A custom domain is a full host name; a prefix has no dot.
    return domain if "." in domain else prefix_host(domain, region)


def _kind(data: dict[str, Any]) -> str:
    return "CustomDomain" if data.get("CustomDomainConfig") else "Domain"


def _pool_domains(tx: Transaction, pool_id: str) -> dict[str, tuple[str, dict[str, Any]]]:
    # A pool has at most one prefix domain and one custom domain, side by side.
    rows = tx.fetchall("SELECT domain, data FROM user_pool_domains WHERE pool_id = ?", (pool_id,))
    found = {}
    for host, text in rows:
        data = json.loads(text)
        found[_kind(data)] = (str(host), data)
    return found


def pool_domain(tx: Transaction, pool_id: str) -> str | None:
    """The full host name of the pool's domain (`auth.example.com`,
    `shop.auth.us-east-1.amazoncognito.com`), the custom one first; None without one."""
    found = _pool_domains(tx, pool_id)
    chosen = found.get("CustomDomain") or found.get("Domain")
    return None if chosen is None else chosen[0]


def describe_members(tx: Transaction, pool_id: str) -> dict[str, str]:
    """DescribeUserPool's ``Domain`` (a prefix) and ``CustomDomain`` (a host name)."""
    return {kind: data["Domain"] for kind, (_, data) in _pool_domains(tx, pool_id).items()}


def _cloudfront(host: str) -> str:
    # A stable, distribution-like name per domain (`d1a2b3c4d5e6f7.cloudfront.net`).
    return "d" + hashlib.sha256(host.encode()).hexdigest()[:13] + ".cloudfront.net"


def _check_prefix(domain: str) -> None:
    if "." in domain:
        return
    for word in RESERVED_WORDS:
        if word in domain:
            raise AwsError("InvalidParameterException", RESERVED.format(word=word))


def _check_custom(domain: str, custom: dict[str, Any] | None) -> None:
    if "." not in domain:
        if custom is not None:
            raise AwsError("InvalidParameterException", PREFIX_WITH_CERTIFICATE)
        return
    labels = domain.split(".")
    if len(domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise AwsError("InvalidParameterException", BAD_HOST.format(domain=domain))
    if custom is None:
        raise AwsError("InvalidParameterException", NEEDS_CERTIFICATE)
    if custom["CertificateArn"].split(":")[3:4] != ["us-east-1"]:
        raise AwsError("InvalidParameterException", BAD_CERTIFICATE)


def _check_version(pool_settings: dict[str, Any], version: int | None) -> None:
    if version is None:
        return
    if version not in (1, 2):
        raise AwsError("InvalidParameterException", BAD_VERSION)
    if version == 2:
        tiers.require(pool_settings, tiers.ESSENTIALS, MANAGED_LOGIN)


def create_user_pool_domain(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = params["Domain"]
    custom = params.get("CustomDomainConfig")
    _check_prefix(domain)
    _check_custom(domain, custom)
    host = _host(domain, ctx.region)
    now = ctx.clock.now()
    data: dict[str, Any] = {
        "Domain": domain,
        # Managed login's version; 1 (classic hosted UI) unless asked, as real
        # DescribeUserPoolDomain answers for API-made domains show.
        "ManagedLoginVersion": params.get("ManagedLoginVersion") or 1,
        "Version": now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S"),
        "CloudFrontDistribution": _cloudfront(host),
    }
    if custom is not None:
        data["CustomDomainConfig"] = custom
    if params.get("Routing") is not None:
        data["Routing"] = params["Routing"]
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        _check_version(pool.settings, params.get("ManagedLoginVersion"))
        if _kind(data) in _pool_domains(tx, pool.id):
            raise AwsError("InvalidParameterException", POOL_HAS_DOMAIN)
        inserted = tx.execute(
            "INSERT INTO user_pool_domains (domain, pool_id, account, region, created_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (host, pool.id, ctx.account_id, ctx.region, now.timestamp(), json.dumps(data)),
        )
        if inserted == 0:
            raise AwsError("InvalidParameterException", TAKEN)
    result: dict[str, Any] = {}
    if custom is not None:
        # "Amazon Cognito returns this value if you set a custom domain" [model].
        result["CloudFrontDomain"] = data["CloudFrontDistribution"]
    return result


@local_only
def describe_user_pool_domain(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    host = _host(params["Domain"], ctx.region)
    with ctx.db.transaction(readonly=True) as tx:
        row = tx.fetchone(
            "SELECT pool_id, account, data FROM user_pool_domains "
            "WHERE domain = ? AND account = ? AND region = ?",
            (host, ctx.account_id, ctx.region),
        )
    # AWS answers an unknown domain with an empty description, not an error. Choice: a
    # domain of another account is as unknown to the caller.
    if row is None:
        return {"DomainDescription": {}}
    data = json.loads(row[2])
    description: dict[str, Any] = {
        "UserPoolId": row[0],
        "AWSAccountId": row[1],
        "Domain": data["Domain"],
        "S3Bucket": f"aws-cognito-prod-{_ASSET_CODES.get(ctx.region, ctx.region)}-assets",
        "CloudFrontDistribution": data["CloudFrontDistribution"],
        "Version": data["Version"],
        "Status": "ACTIVE",
        "CustomDomainConfig": data.get("CustomDomainConfig", {}),
        "ManagedLoginVersion": data["ManagedLoginVersion"],
    }
    if "Routing" in data:
        description["Routing"] = data["Routing"]
    return {"DomainDescription": description}


def delete_user_pool_domain(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        deleted = tx.execute(
            "DELETE FROM user_pool_domains WHERE domain = ? AND pool_id = ?",
            (_host(params["Domain"], ctx.region), pool.id),
        )
        if deleted == 0:
            raise AwsError("InvalidParameterException", NO_SUCH_DOMAIN)
    return {}


def update_user_pool_domain(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # "This operation updates the branding version ... It also updates the SSL certificate
    # for user pool custom domains ... [it] doesn't change the name of your user pool
    # domain." [model]
    custom = params.get("CustomDomainConfig")
    host = _host(params["Domain"], ctx.region)
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        row = tx.fetchone(
            "SELECT data FROM user_pool_domains WHERE domain = ? AND pool_id = ?",
            (host, pool.id),
        )
        if row is None:
            raise AwsError("InvalidParameterException", NO_SUCH_DOMAIN)
        data = json.loads(row[0])
        if _kind(data) == "CustomDomain" and custom is None:
            raise AwsError("InvalidParameterException", CUSTOM_TO_PREFIX)
        if _kind(data) == "Domain" and custom is not None:
            raise AwsError("InvalidParameterException", PREFIX_TO_CUSTOM)
        if custom is not None:
            _check_custom(params["Domain"], custom)
            data["CustomDomainConfig"] = custom
        version = params.get("ManagedLoginVersion")
        _check_version(pool.settings, version)
        # Not found: what an omitted ManagedLoginVersion does. Choice: the version stays,
        # as a certificate-only update (the model's other use of this operation) implies.
        if version is not None:
            data["ManagedLoginVersion"] = version
        if params.get("Routing") is not None:
            data["Routing"] = params["Routing"]
        data["Version"] = ctx.clock.now().astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
        tx.execute(
            "UPDATE user_pool_domains SET data = ? WHERE domain = ?", (json.dumps(data), host)
        )
    result: dict[str, Any] = {"ManagedLoginVersion": data["ManagedLoginVersion"]}
    if _kind(data) == "CustomDomain":
        # "Amazon Cognito returns this value if you set a custom domain" [model].
        result["CloudFrontDomain"] = data["CloudFrontDistribution"]
    if "Routing" in data:
        result["Routing"] = data["Routing"]
    return result


OPERATIONS: dict[str, Handler] = {
    "CreateUserPoolDomain": create_user_pool_domain,
    "UpdateUserPoolDomain": update_user_pool_domain,
    "DescribeUserPoolDomain": describe_user_pool_domain,
    "DeleteUserPoolDomain": delete_user_pool_domain,
}
