"""SES v1 receipt rule sets: create, clone, describe, list, delete, reorder, and the one
active set of an account in a region. A set's rules are stored with it, in order (see
migration 11, block `ses receiving rules`); rules.py changes them one at a time.

AWS's messages here are third-party probes of real SES (moto PR getmoto/moto#8575,
floci-io/floci #3119 and #3176) ~: `Rule set does not exist: <n>`, `Rule set already
exists: <n>`, `Cannot delete active rule set: <n>`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.ses.receiving.validation import (
    MAX_RULE_SETS,
    check_names,
    check_rule_names_list,
)
from poolmail.store import Transaction

# Every change to an account's rule sets in a region takes this lock: the 40-set quota,
# the one active set and a rule list's read-modify-write stay whole across replicas.
LOCK = "ses-receipt-rules:{account}:{region}"
PAGE_SIZE = 100  # ListReceiptRuleSets: "up to 100 receipt rule sets at a time" [model]


@dataclass(slots=True)
class RuleSet:
    name: str
    created_at: float
    active: bool
    rules: list[dict[str, Any]]

    def described(self) -> dict[str, Any]:
        return {
            "Metadata": {"Name": self.name, "CreatedTimestamp": self.created_at},
            "Rules": self.rules,
        }


def lock_of(ctx: RequestContext) -> str:
    return LOCK.format(account=ctx.account_id, region=ctx.region)


def load(tx: Transaction, ctx: RequestContext, name: str) -> RuleSet:
    """The rule set, or RuleSetDoesNotExist."""
    row = tx.fetchone(
        "SELECT created_at, active, rules FROM ses_receipt_rule_sets "
        "WHERE account = ? AND region = ? AND name = ?",
        (ctx.account_id, ctx.region, name),
    )
    if row is None:
        raise AwsError(
            "RuleSetDoesNotExistException",
            f"Rule set does not exist: {name}",
            fields={"Name": name},
        )
    return RuleSet(name, float(row[0]), bool(row[1]), json.loads(row[2]))


def save_rules(
    tx: Transaction, ctx: RequestContext, name: str, rules: list[dict[str, Any]]
) -> None:
    tx.execute(
        "UPDATE ses_receipt_rule_sets SET rules = ? WHERE account = ? AND region = ? AND name = ?",
        (json.dumps(rules), ctx.account_id, ctx.region, name),
    )


def rule_missing(name: str) -> AwsError:
    return AwsError(
        "RuleDoesNotExistException", f"Rule does not exist: {name}", fields={"Name": name}
    )


def _already_exists(name: str) -> AwsError:
    return AwsError(
        "AlreadyExistsException", f"Rule set already exists: {name}", fields={"Name": name}
    )


def _exists(tx: Transaction, ctx: RequestContext, name: str) -> bool:
    row = tx.fetchone(
        "SELECT 1 FROM ses_receipt_rule_sets WHERE account = ? AND region = ? AND name = ?",
        (ctx.account_id, ctx.region, name),
    )
    return row is not None


def _insert(tx: Transaction, ctx: RequestContext, name: str, rules: list[dict[str, Any]]) -> None:
    row = tx.fetchone(
        "SELECT COUNT(*) FROM ses_receipt_rule_sets WHERE account = ? AND region = ?",
        (ctx.account_id, ctx.region),
    )
    if row is not None and int(row[0]) >= MAX_RULE_SETS:
        # Choice: AWS's text is not found; worded as its other receiving quotas are.
        raise AwsError("LimitExceededException", "Too many rule sets")
    tx.execute(
        "INSERT INTO ses_receipt_rule_sets (account, region, name, created_at, active, rules) "
        "VALUES (?, ?, ?, ?, 0, ?)",
        (ctx.account_id, ctx.region, name, ctx.clock.now().timestamp(), json.dumps(rules)),
    )


def create_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RuleSetName"]
    check_names((name, "ruleSetName"))
    with ctx.db.transaction(lock=lock_of(ctx)) as tx:
        if _exists(tx, ctx, name):
            raise _already_exists(name)
        _insert(tx, ctx, name, [])
    return {}


def clone_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, original = params["RuleSetName"], params["OriginalRuleSetName"]
    check_names((original, "originalRuleSetName"), (name, "ruleSetName"))
    with ctx.db.transaction(lock=lock_of(ctx)) as tx:
        # An existing target is reported before a missing source (floci-io/floci#3176 ~).
        if _exists(tx, ctx, name):
            raise _already_exists(name)
        source = load(tx, ctx, original)
        # The clone is a new, inactive set with its own creation time.
        _insert(tx, ctx, name, source.rules)
    return {}


def delete_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RuleSetName"]
    check_names((name, "ruleSetName"))
    with ctx.db.transaction(lock=lock_of(ctx)) as tx:
        row = tx.fetchone(
            "SELECT active FROM ses_receipt_rule_sets "
            "WHERE account = ? AND region = ? AND name = ?",
            (ctx.account_id, ctx.region, name),
        )
        if row is not None and bool(row[0]):
            raise AwsError(
                "CannotDeleteException",
                f"Cannot delete active rule set: {name}",
                fields={"Name": name},
            )
        # AWS quirk: deleting a rule set that does not exist succeeds (facts §5).
        tx.execute(
            "DELETE FROM ses_receipt_rule_sets WHERE account = ? AND region = ? AND name = ?",
            (ctx.account_id, ctx.region, name),
        )
    return {}


@local_only
def describe_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RuleSetName"]
    check_names((name, "ruleSetName"))
    with ctx.db.transaction(readonly=True) as tx:
        return load(tx, ctx, name).described()


@local_only
def list_receipt_rule_sets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        rows, token = keyset_page(
            tx,
            "SELECT name, created_at FROM ses_receipt_rule_sets WHERE account = ? AND region = ?",
            (ctx.account_id, ctx.region),
            key="name",
            token=params.get("NextToken"),
            token_error="InvalidParameterValue",
            limit=PAGE_SIZE,
        )
    result: dict[str, Any] = {
        "RuleSets": [{"Name": str(name), "CreatedTimestamp": float(at)} for name, at in rows]
    }
    if token is not None:
        result["NextToken"] = token
    return result


def set_active_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("RuleSetName")
    check_names((name, "ruleSetName"))
    with ctx.db.transaction(lock=lock_of(ctx)) as tx:
        if name is not None:
            load(tx, ctx, name)
        # No name disables receiving: no set stays active [model].
        tx.execute(
            "UPDATE ses_receipt_rule_sets SET active = 0 "
            "WHERE account = ? AND region = ? AND active = 1",
            (ctx.account_id, ctx.region),
        )
        if name is not None:
            tx.execute(
                "UPDATE ses_receipt_rule_sets SET active = 1 "
                "WHERE account = ? AND region = ? AND name = ?",
                (ctx.account_id, ctx.region, name),
            )
    return {}


@local_only
def describe_active_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        row = tx.fetchone(
            "SELECT name FROM ses_receipt_rule_sets "
            "WHERE account = ? AND region = ? AND active = 1",
            (ctx.account_id, ctx.region),
        )
        # With no active set the answer is empty: no Metadata, no Rules [model].
        return {} if row is None else load(tx, ctx, str(row[0])).described()


def reorder_receipt_rule_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, order = params["RuleSetName"], list(params["RuleNames"])
    check_names((name, "ruleSetName"))
    check_rule_names_list(order)
    with ctx.db.transaction(lock=lock_of(ctx)) as tx:
        rule_set = load(tx, ctx, name)
        positions: dict[str, int] = {}
        # Precedence probed by floci-io/floci#3176 ~: a name given twice, then set rules
        # the request leaves out, then names the set does not have.
        for position, rule_name in enumerate(order):
            if positions.setdefault(rule_name, position) != position:
                raise AwsError(
                    "InvalidParameterValue", f"Multiple positions found for rule: {rule_name}"
                )
        have = [rule["Name"] for rule in rule_set.rules]
        left_out = [rule_name for rule_name in have if rule_name not in positions]
        if left_out:
            raise AwsError(
                "InvalidParameterValue", f"Positions for rules not found: {', '.join(left_out)}"
            )
        for rule_name in order:
            if rule_name not in have:
                raise rule_missing(rule_name)
        rules = sorted(rule_set.rules, key=lambda rule: positions[rule["Name"]])
        save_rules(tx, ctx, name, rules)
    return {}


V1: dict[str, Handler] = {
    "CreateReceiptRuleSet": create_receipt_rule_set,
    "CloneReceiptRuleSet": clone_receipt_rule_set,
    "DeleteReceiptRuleSet": delete_receipt_rule_set,
    "DescribeReceiptRuleSet": describe_receipt_rule_set,
    "ListReceiptRuleSets": list_receipt_rule_sets,
    "SetActiveReceiptRuleSet": set_active_receipt_rule_set,
    "DescribeActiveReceiptRuleSet": describe_active_receipt_rule_set,
    "ReorderReceiptRuleSet": reorder_receipt_rule_set,
}
V2: dict[str, Handler] = {}
