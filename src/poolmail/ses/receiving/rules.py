"""SES v1 receipt rules: create (after a named rule, or first), update, delete, describe
and move, inside a rule set's ordered list (rule_sets.py stores it).

A create or update checks the rule alone (validation.py), then against the set and the
account's identities, then asks the other-AWS endpoint about its targets (targets.py)
outside any transaction, and finally checks the set again under the lock as it writes: a
refusal at any step changes nothing.
"""

from __future__ import annotations

from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.ses.receiving.rule_sets import load, lock_of, rule_missing, save_rules
from poolmail.ses.receiving.targets import check_bounce_senders, check_targets
from poolmail.ses.receiving.validation import MAX_RULES, check_names, check_rule, with_defaults
from poolmail.store import Transaction


def _index(rules: list[dict[str, Any]], name: str) -> int:
    for index, rule in enumerate(rules):
        if rule["Name"] == name:
            return index
    raise rule_missing(name)


def _inserted(
    rules: list[dict[str, Any]], rule: dict[str, Any], after: str | None
) -> list[dict[str, Any]]:
    """The list with ``rule`` placed after ``after``, or first without it [model]."""
    if any(existing["Name"] == rule["Name"] for existing in rules):
        raise AwsError(
            "AlreadyExistsException",
            f"Rule already exists: {rule['Name']}",
            fields={"Name": rule["Name"]},
        )
    if len(rules) >= MAX_RULES:
        raise AwsError("LimitExceededException", "Too many rules")
    at = 0 if after is None else _index(rules, after) + 1
    return [*rules[:at], rule, *rules[at:]]


def _replaced(rules: list[dict[str, Any]], rule: dict[str, Any]) -> list[dict[str, Any]]:
    """The list with the rule of the same name replaced in place: an update replaces the
    whole rule (members left out take their defaults) and cannot rename it."""
    at = _index(rules, rule["Name"])
    return [*rules[:at], rule, *rules[at + 1 :]]


def _change(
    ctx: RequestContext, set_name: str, rule: dict[str, Any], after: str | None, create: bool
) -> None:
    def changed(tx: Transaction) -> list[dict[str, Any]]:
        rules = load(tx, ctx, set_name).rules
        return _inserted(rules, rule, after) if create else _replaced(rules, rule)

    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        changed(tx)
        check_bounce_senders(tx, ctx.account_id, ctx.region, rule, now)
    check_targets(ctx.settings, ctx.region, rule)
    with ctx.db.transaction(lock=lock_of(ctx)) as tx:
        save_rules(tx, ctx, set_name, changed(tx))


def create_receipt_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    set_name, after = params["RuleSetName"], params.get("After")
    check_names((set_name, "ruleSetName"), (after, "after"))
    check_rule(params["Rule"])
    _change(ctx, set_name, with_defaults(params["Rule"]), after, create=True)
    return {}


def update_receipt_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    set_name = params["RuleSetName"]
    check_names((set_name, "ruleSetName"))
    check_rule(params["Rule"])
    _change(ctx, set_name, with_defaults(params["Rule"]), None, create=False)
    return {}


def delete_receipt_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    set_name, name = params["RuleSetName"], params["RuleName"]
    check_names((set_name, "ruleSetName"), (name, "ruleName"))
    with ctx.db.transaction(lock=lock_of(ctx)) as tx:
        rules = load(tx, ctx, set_name).rules
        # The set must exist; a rule that does not is deleted already (the model lists
        # no RuleDoesNotExist here).
        kept = [rule for rule in rules if rule["Name"] != name]
        if len(kept) != len(rules):
            save_rules(tx, ctx, set_name, kept)
    return {}


@local_only
def describe_receipt_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    set_name, name = params["RuleSetName"], params["RuleName"]
    check_names((set_name, "ruleSetName"), (name, "ruleName"))
    with ctx.db.transaction(readonly=True) as tx:
        rules = load(tx, ctx, set_name).rules
    return {"Rule": rules[_index(rules, name)]}


def set_receipt_rule_position(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    set_name, name, after = params["RuleSetName"], params["RuleName"], params.get("After")
    check_names((set_name, "ruleSetName"), (name, "ruleName"), (after, "after"))
    with ctx.db.transaction(lock=lock_of(ctx)) as tx:
        rules = load(tx, ctx, set_name).rules
        rule = rules[_index(rules, name)]
        if after is not None:
            _index(rules, after)
        if after == name:
            # Placed after itself: it stays where it is (floci-io/floci#3176 ~).
            return {}
        rest = [other for other in rules if other["Name"] != name]
        at = 0 if after is None else _index(rest, after) + 1
        save_rules(tx, ctx, set_name, [*rest[:at], rule, *rest[at:]])
    return {}


V1: dict[str, Handler] = {
    "CreateReceiptRule": create_receipt_rule,
    "UpdateReceiptRule": update_receipt_rule,
    "DeleteReceiptRule": delete_receipt_rule,
    "DescribeReceiptRule": describe_receipt_rule,
    "SetReceiptRulePosition": set_receipt_rule_position,
}
V2: dict[str, Handler] = {}
