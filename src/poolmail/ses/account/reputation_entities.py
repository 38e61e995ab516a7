"""SES v2 reputation entities: GetReputationEntity, ListReputationEntities,
UpdateReputationEntityCustomerManagedStatus and UpdateReputationEntityPolicy.

Every identity, configuration set and tenant of an account is a reputation entity,
named by its ARN. The customer's status and policy are stored (only when set); SES's own
status is derived when read from the bounce and complaint rates of the entity's mail in
the mailbox (a tenant's: from its running totals, ses/tenants/history.py), against the
thresholds of its policy.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.ses.contacts.lists import page_size
from poolmail.ses.tenants import history
from poolmail.ses.tenants.history import Counts
from poolmail.store import Transaction

# SES's managed policies: "You can select from none, standard, and strict policies"
# [model UpdateReputationEntityPolicy]; their ARNs as AWS::SES::Tenant's ReputationPolicy
# pattern spells them (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/
# aws-properties-ses-tenant-reputationpolicy.html).
POLICY_ARN = re.compile(
    r"arn:[a-z0-9-]+:ses:([a-z0-9-]+):aws:reputation-policy/(none|standard|strict)"
)
# Choice: new entities follow the standard policy.
DEFAULT_POLICY = "standard"
# SES's account thresholds (docs.aws.amazon.com/ses/latest/dg/faqs-enforcement.html):
# a bounce rate of 5% or a complaint rate of 0.1% puts an account under review, 10% and
# 0.5% can pause it. Choice: the standard policy disables an entity at the pausing rates,
# the strict one at the review rates, `none` never; a finding at the review rates is a
# LOW ReputationImpact, at the pausing rates a HIGH one.
REVIEW = (0.05, 0.001)
PAUSE = (0.10, 0.005)
LIMITS = {"standard": PAUSE, "strict": REVIEW}
# Choice: rates cover the last 14 days (GetSendStatistics' window), and only the mail
# sent since the customer last reinstated the entity; no minimum volume applies.
WINDOW_SECONDS = 14 * 24 * 3600.0
_RESOURCE = re.compile(
    r"arn:aws[a-z-]*:ses:([a-z0-9-]+):(\d{12}):(identity|configuration-set|tenant)/(.+)"
)
_KINDS = {"identity": "identity", "configuration-set": "configuration_set", "tenant": "tenant"}
SENDING_STATUSES = ("ENABLED", "REINSTATED", "DISABLED")


@dataclass(frozen=True, slots=True)
class Entity:
    arn: str
    kind: str  # identity, configuration-set or tenant
    name: str
    created_at: float


@dataclass(slots=True)
class Sent:
    """The entities one message counts for, and its counts."""

    at: float
    keys: list[tuple[str, str]]
    attempts: int
    bounces: int = 0
    complaints: int = 0


def policy_arn(region: str, name: str) -> str:
    return f"arn:aws:ses:{region}:aws:reputation-policy/{name}"


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def _entities(tx: Transaction, account: str, region: str) -> list[Entity]:
    """Every reputation entity of the account in ``region``."""
    prefix = f"arn:aws:ses:{region}:{account}:"
    scope = (account, region)
    found = [
        Entity(f"{prefix}identity/{name}", "identity", str(name), float(created))
        for name, created in tx.fetchall(
            "SELECT identity, created_at FROM ses_identities WHERE account = ? AND region = ?",
            scope,
        )
    ]
    found += [
        Entity(f"{prefix}configuration-set/{name}", "configuration-set", str(name), float(at))
        for name, at in tx.fetchall(
            "SELECT name, created_at FROM ses_configuration_sets WHERE account = ? AND region = ?",
            scope,
        )
    ]
    found += [
        Entity(f"{prefix}tenant/{path}", "tenant", str(name), float(at))
        for name, path, at in tx.fetchall(
            "SELECT name, arn_path, created_at FROM ses_tenants WHERE account = ? AND region = ?",
            scope,
        )
    ]
    return found


def resolve(tx: Transaction, ctx: RequestContext, reference: str) -> Entity | None:
    """The entity ``reference`` names in the caller's account and Region, if any."""
    match = _RESOURCE.fullmatch(reference)
    if match is None:
        return None
    region, account, kind, name = match.groups()
    if region != ctx.region or account != ctx.account_id:
        return None
    scope = (account, region)
    if kind == "identity":
        name = name if "@" in name else name.lower()
        row = tx.fetchone(
            "SELECT created_at FROM ses_identities WHERE account = ? AND region = ? "
            "AND identity = ?",
            (*scope, name),
        )
    elif kind == "configuration-set":
        row = tx.fetchone(
            "SELECT created_at FROM ses_configuration_sets WHERE account = ? AND region = ? "
            "AND name = ?",
            (*scope, name),
        )
    else:
        row = tx.fetchone(
            "SELECT created_at, name FROM ses_tenants WHERE account = ? AND region = ? "
            "AND arn_path = ?",
            (*scope, name),
        )
        if row is not None:
            arn = f"arn:aws:ses:{region}:{account}:tenant/{name}"
            return Entity(arn, kind, str(row[1]), float(row[0]))
    if row is None:
        return None
    return Entity(f"arn:aws:ses:{region}:{account}:{kind}/{name}", kind, name, float(row[0]))


def _settings(tx: Transaction, account: str, region: str) -> dict[str, dict[str, Any]]:
    return {
        str(reference): json.loads(data)
        for reference, data in tx.fetchall(
            "SELECT reference, data FROM ses_reputation_entities WHERE account = ? AND region = ?",
            (account, region),
        )
    }


def _setting(tx: Transaction, account: str, region: str, reference: str) -> dict[str, Any]:
    row = tx.fetchone(
        "SELECT data FROM ses_reputation_entities WHERE account = ? AND region = ? "
        "AND reference = ?",
        (account, region, reference),
    )
    return json.loads(row[0]) if row is not None else {}


def _sent(
    tx: Transaction,
    account: str,
    region: str,
    since: float,
    about: str | None = None,
    until: float | None = None,
) -> list[Sent]:
    """The account's mail since ``since`` (up to ``until``, if given) that SES counts
    toward reputation: accepted sends (delivered or bounced) with their bounce and
    complaint events. ``about``, one entity's name, narrows the read to messages whose
    details mention it."""
    from poolmail.ses.account.account import NOT_SENT_BY_THE_ACCOUNT

    scope = "m.account = ? AND m.region = ? AND m.created_at > ?"
    args: tuple[Any, ...] = (account, region, since)
    if until is not None:
        scope += " AND m.created_at <= ?"
        args += (until,)
    if about is not None and about.isascii() and not set(about) & {'"', "\\"}:
        # A superset: `_` and `%` in a name only widen the match; the details decide.
        scope += " AND m.data LIKE ?"
        args += (f'%"{about}"%',)
    found: dict[str, Sent] = {}
    for message_id, at, recipients, data in tx.fetchall(
        f"SELECT m.id, m.created_at, m.recipients, m.data FROM messages m "
        f"WHERE {scope} AND m.status IN ('delivered', 'bounced')",
        args,
    ):
        details = json.loads(data)
        if details.get("kind") in NOT_SENT_BY_THE_ACCOUNT:
            continue
        keys = [
            (kind, str(details[key]))
            for kind, key in _KINDS.items()
            if details.get(key) is not None
        ]
        if keys:
            found[str(message_id)] = Sent(float(at), keys, len(json.loads(recipients)))
    if not found:
        return []
    for message_id, kind in tx.fetchall(
        f"SELECT e.message_id, e.type FROM message_events e JOIN messages m "
        f"ON m.id = e.message_id WHERE {scope} AND e.type IN ('Bounce', 'Complaint')",
        args,
    ):
        sent = found.get(str(message_id))
        if sent is None:
            continue
        if kind == "Bounce":
            sent.bounces += 1
        else:
            sent.complaints += 1
    return list(found.values())


def _counts(entity: Entity, sent: list[Sent], since: float) -> Counts:
    key = (entity.kind, entity.name)
    counts = Counts()
    for message in sent:
        if message.at > since and key in message.keys:
            counts.attempts += message.attempts
            counts.bounces += message.bounces
            counts.complaints += message.complaints
            counts.last = max(counts.last, message.at)
    return counts


def _since(setting: dict[str, Any], now: float) -> float:
    since = now - WINDOW_SECONDS
    customer = setting.get("CustomerManagedStatus") or {}
    if customer.get("Status") == "REINSTATED":
        since = max(since, float(customer["LastUpdatedTimestamp"]))
    return since


def _rates(counts: Counts) -> tuple[float, float]:
    if counts.attempts == 0:
        return 0.0, 0.0
    return counts.bounces / counts.attempts, counts.complaints / counts.attempts


def _describe(
    entity: Entity, setting: dict[str, Any], counts: Counts, region: str
) -> dict[str, Any]:
    policy = setting.get("Policy", DEFAULT_POLICY)
    bounce, complaint = _rates(counts)
    customer = setting.get("CustomerManagedStatus") or {
        "Status": "ENABLED",
        "LastUpdatedTimestamp": entity.created_at,
    }
    since_customer = float(customer["LastUpdatedTimestamp"])
    managed: dict[str, Any] = {"Status": "ENABLED"}
    limits = LIMITS.get(policy)
    if limits is not None and (bounce >= limits[0] or complaint >= limits[1]):
        managed = {
            "Status": "DISABLED",
            "Cause": (
                f"The bounce rate ({bounce:.2%}) or complaint rate ({complaint:.2%}) is at or "
                f"above the {policy} policy's limits ({limits[0]:.0%} bounces, "
                f"{limits[1]:.1%} complaints)."
            ),
        }
    managed["LastUpdatedTimestamp"] = (
        counts.last if managed["Status"] == "DISABLED" else max(entity.created_at, since_customer)
    )
    if "DISABLED" in (customer["Status"], managed["Status"]):
        aggregate = "DISABLED"
    elif customer["Status"] == "REINSTATED":
        aggregate = "REINSTATED"
    else:
        aggregate = "ENABLED"
    described: dict[str, Any] = {
        "ReputationEntityReference": entity.arn,
        "ReputationEntityType": "RESOURCE",
        "ReputationManagementPolicy": policy_arn(region, policy),
        "CustomerManagedStatus": customer,
        "AwsSesManagedStatus": managed,
        "SendingStatusAggregate": aggregate,
    }
    if bounce >= PAUSE[0] or complaint >= PAUSE[1]:
        described["ReputationImpact"] = "HIGH"
    elif bounce >= REVIEW[0] or complaint >= REVIEW[1]:
        described["ReputationImpact"] = "LOW"
    return described


def _one(tx: Transaction, ctx: RequestContext, entity: Entity) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    setting = _setting(tx, ctx.account_id, ctx.region, entity.arn)
    since = _since(setting, now)
    if entity.kind == "tenant":
        counts = _tenant_counts(tx, ctx, entity, since)
    else:
        sent = _sent(tx, ctx.account_id, ctx.region, since, about=entity.name)
        counts = _counts(entity, sent, since)
    return _describe(entity, setting, counts, ctx.region)


def _tenant_counts(tx: Transaction, ctx: RequestContext, entity: Entity, since: float) -> Counts:
    """A tenant's counts from its running totals (ses/tenants/history.py), which every
    send naming it reads: the mailbox is read only for the part of a day that straddles
    ``since``, when that part holds mail."""
    counts, straddled_until = history.totals(tx, ctx.account_id, ctx.region, entity.name, since)
    if straddled_until is not None:
        sent = _sent(tx, ctx.account_id, ctx.region, since, entity.name, until=straddled_until)
        counts.add(_counts(entity, sent, since))
    return counts


def aggregate_status(tx: Transaction, ctx: RequestContext, arn: str, created_at: float) -> str:
    """The SendingStatusAggregate of the entity ``arn`` (a tenant's SendingStatus)."""
    kind, _, rest = arn.split(":", 5)[5].partition("/")
    name = rest.split("/", 1)[0] if kind == "tenant" else rest
    entity = Entity(arn, kind, name, created_at)
    return str(_one(tx, ctx, entity)["SendingStatusAggregate"])


def _reference(params: dict[str, Any]) -> str:
    # ReputationEntityType has one value, RESOURCE, which the model's enum checks.
    return str(params["ReputationEntityReference"])


def _missing(reference: str, code: str) -> AwsError:
    # Choice: AWS's text was not found. Update* model no NotFoundException: there an
    # unknown entity is a BadRequestException.
    return AwsError(code, f"Reputation entity <{reference}> does not exist.")


def get_reputation_entity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reference = _reference(params)
    with ctx.db.transaction(readonly=True) as tx:
        entity = resolve(tx, ctx, reference)
        if entity is None:
            raise _missing(reference, "NotFoundException")
        return {"ReputationEntity": _one(tx, ctx, entity)}


_FILTERS = {
    "ENTITY_TYPE": ("RESOURCE",),
    "REPUTATION_IMPACT": ("LOW", "HIGH"),
    "SENDING_STATUS": SENDING_STATUSES,
}


def _filters(params: dict[str, Any]) -> dict[str, str]:
    given: dict[str, str] = dict(params.get("Filter") or {})
    for key, allowed in _FILTERS.items():
        value = given.get(key)
        if value is not None and value not in allowed:
            raise _bad(f"Invalid {key} filter {value}: expected one of {', '.join(allowed)}.")
    return given


def _matches(described: dict[str, Any], filters: dict[str, str]) -> bool:
    if filters.get("ENTITY_TYPE") not in (None, described["ReputationEntityType"]):
        return False
    if filters.get("REPUTATION_IMPACT") not in (None, described.get("ReputationImpact")):
        return False
    if filters.get("SENDING_STATUS") not in (None, described["SendingStatusAggregate"]):
        return False
    prefix = filters.get("ENTITY_REFERENCE_PREFIX")
    return prefix is None or str(described["ReputationEntityReference"]).startswith(prefix)


def list_reputation_entities(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = _filters(params)
    limit = page_size(params)
    after = None
    if params.get("NextToken") is not None:
        after = str(decode_token(params["NextToken"], "BadRequestException", 1)[0])
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        entities = sorted(_entities(tx, ctx.account_id, ctx.region), key=lambda e: e.arn)
        settings = _settings(tx, ctx.account_id, ctx.region)
        sent = _sent(tx, ctx.account_id, ctx.region, now - WINDOW_SECONDS)
        # Tenants count from their running totals, as GetTenant and their sends do.
        tenant_counts = {
            entity.arn: _tenant_counts(tx, ctx, entity, _since(settings.get(entity.arn, {}), now))
            for entity in entities
            if entity.kind == "tenant"
        }
    found: list[dict[str, Any]] = []
    for entity in entities:
        if after is not None and entity.arn <= after:
            continue
        setting = settings.get(entity.arn, {})
        since = _since(setting, now)
        counts = tenant_counts.get(entity.arn) or _counts(entity, sent, since)
        described = _describe(entity, setting, counts, ctx.region)
        if _matches(described, filters):
            found.append(described)
            if len(found) > limit:
                break
    answer: dict[str, Any] = {"ReputationEntities": found[:limit]}
    if len(found) > limit:
        answer["NextToken"] = encode_token([found[limit - 1]["ReputationEntityReference"]])
    return answer


def _update(ctx: RequestContext, params: dict[str, Any], change: dict[str, Any]) -> None:
    reference = _reference(params)
    lock = f"ses-reputation:{ctx.account_id}:{ctx.region}"
    with ctx.db.transaction(lock=lock) as tx:
        entity = resolve(tx, ctx, reference)
        if entity is None:
            raise _missing(reference, "BadRequestException")
        setting = {**_setting(tx, ctx.account_id, ctx.region, entity.arn), **change}
        tx.execute(
            "DELETE FROM ses_reputation_entities WHERE account = ? AND region = ? "
            "AND reference = ?",
            (ctx.account_id, ctx.region, entity.arn),
        )
        tx.execute(
            "INSERT INTO ses_reputation_entities (account, region, reference, data) "
            "VALUES (?, ?, ?, ?)",
            (ctx.account_id, ctx.region, entity.arn, json.dumps(setting)),
        )
        customer = change.get("CustomerManagedStatus") or {}
        if entity.kind == "tenant" and customer.get("Status") == "REINSTATED":
            # Rates count afresh from now on: the tenant's running totals split here.
            at = float(customer["LastUpdatedTimestamp"])
            history.split(tx, ctx.account_id, ctx.region, entity.name, at)


def update_reputation_entity_customer_managed_status(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    status = {
        "Status": params["SendingStatus"],
        "LastUpdatedTimestamp": ctx.clock.now().timestamp(),
    }
    _update(ctx, params, {"CustomerManagedStatus": status})
    return {}


def update_reputation_entity_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    given = params["ReputationEntityPolicy"]
    match = POLICY_ARN.fullmatch(given)
    if match is None or match[1] != ctx.region:
        raise _bad(
            f"Invalid reputation entity policy {given}: expected "
            f"{policy_arn(ctx.region, 'none|standard|strict')}."
        )
    _update(ctx, params, {"Policy": match[2]})
    return {}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "GetReputationEntity": get_reputation_entity,
    "ListReputationEntities": list_reputation_entities,
    "UpdateReputationEntityCustomerManagedStatus": (
        update_reputation_entity_customer_managed_status
    ),
    "UpdateReputationEntityPolicy": update_reputation_entity_policy,
}
