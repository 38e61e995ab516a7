"""SES v1 receipt rule sets: create, describe, list with paging, clone, the active set,
reorder and delete, with AWS's error codes and messages, and the AWS CLI once."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from poolmail.ses.receiving.active import active_rules, ip_filters
from poolmail.store import Database, open_database
from tests.conftest import BACKENDS
from tests.console.helpers import page_problems
from tests.ses.helpers import DEFAULT_ACCOUNT
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok

PATTERN = "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_.-]+$"


def refusal(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def names(ses: Any, **params: Any) -> list[str]:
    return [rule_set["Name"] for rule_set in ses.list_receipt_rule_sets(**params)["RuleSets"]]


def rule_names(ses: Any, rule_set: str) -> list[str]:
    return [rule["Name"] for rule in ses.describe_receipt_rule_set(RuleSetName=rule_set)["Rules"]]


def test_create_describe_list_delete(live: ServerProcess) -> None:
    ses = live.client("ses")
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    ses.create_receipt_rule_set(RuleSetName="inbound")
    ses.create_receipt_rule_set(RuleSetName="v1.dotted_set-2")
    described = ses.describe_receipt_rule_set(RuleSetName="inbound")
    assert described["Metadata"]["Name"] == "inbound"
    assert described["Metadata"]["CreatedTimestamp"] >= before
    assert described["Rules"] == []
    listed = ses.list_receipt_rule_sets()
    assert [s["Name"] for s in listed["RuleSets"]] == ["inbound", "v1.dotted_set-2"]
    assert listed["RuleSets"][0]["CreatedTimestamp"] == described["Metadata"]["CreatedTimestamp"]
    assert "NextToken" not in listed

    assert refusal(ses.create_receipt_rule_set, RuleSetName="inbound") == (
        "AlreadyExists",
        "Rule set already exists: inbound",
        400,
    )
    ses.delete_receipt_rule_set(RuleSetName="inbound")
    # AWS quirk: deleting a rule set that does not exist succeeds.
    ses.delete_receipt_rule_set(RuleSetName="inbound")
    assert names(ses) == ["v1.dotted_set-2"]
    assert refusal(ses.describe_receipt_rule_set, RuleSetName="inbound") == (
        "RuleSetDoesNotExist",
        "Rule set does not exist: inbound",
        400,
    )
    # Another region and another account see none of it.
    assert names(live.client("ses", region="eu-west-1")) == []
    assert names(live.client("ses", access_key="210987654321")) == []


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("-leading", "InvalidParameterValue", "Not a valid ruleSetName: -leading"),
        ("trailing_", "InvalidParameterValue", "Not a valid ruleSetName: trailing_"),
        ("a" * 65, "InvalidParameterValue", f"Not a valid ruleSetName: {'a' * 65}"),
        (
            "has space",
            "ValidationError",
            f"1 validation error detected: Value at 'ruleSetName' failed to satisfy "
            f"constraint: {PATTERN}",
        ),
        (
            "",
            "ValidationError",
            "2 validation errors detected: Value at 'ruleSetName' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1; Value at "
            f"'ruleSetName' failed to satisfy constraint: {PATTERN}",
        ),
    ],
)
def test_invalid_names_are_refused_before_anything_else(
    live: ServerProcess, name: str, code: str, message: str
) -> None:
    ses = live.client("ses", validate=False)
    assert refusal(ses.create_receipt_rule_set, RuleSetName=name) == (code, message, 400)
    assert refusal(ses.describe_receipt_rule_set, RuleSetName=name)[:2] == (code, message)
    assert refusal(ses.set_active_receipt_rule_set, RuleSetName=name)[:2] == (code, message)
    assert names(ses) == []


def test_64_characters_is_the_longest_name(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_receipt_rule_set(RuleSetName="a" * 64)
    assert names(ses) == ["a" * 64]


def test_forty_rule_sets_at_most(live: ServerProcess) -> None:
    ses = live.client("ses")
    for number in range(40):
        ses.create_receipt_rule_set(RuleSetName=f"set{number:02d}")
    assert refusal(ses.create_receipt_rule_set, RuleSetName="one-more") == (
        "LimitExceeded",
        "Too many rule sets",
        400,
    )
    assert refusal(ses.clone_receipt_rule_set, RuleSetName="one-more", OriginalRuleSetName="set00")[
        :2
    ] == ("LimitExceeded", "Too many rule sets")
    assert len(names(ses)) == 40


def test_list_fits_one_page_and_refuses_a_forged_token(live: ServerProcess) -> None:
    # A page holds 100 and an account 40 sets per region, so every list is one page.
    ses = live.client("ses")
    for number in range(40):
        ses.create_receipt_rule_set(RuleSetName=f"set{number:02d}")
    listed = ses.list_receipt_rule_sets()
    assert [s["Name"] for s in listed["RuleSets"]] == [f"set{n:02d}" for n in range(40)]
    assert "NextToken" not in listed
    code, _, status = refusal(ses.list_receipt_rule_sets, NextToken="not-a-token")
    assert (code, status) == ("InvalidParameterValue", 400)


def test_clone_copies_rules_but_not_the_active_flag(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_receipt_rule_set(RuleSetName="original")
    ses.create_receipt_rule(RuleSetName="original", Rule={"Name": "second"})
    ses.create_receipt_rule(RuleSetName="original", Rule={"Name": "first", "Enabled": True})
    ses.set_active_receipt_rule_set(RuleSetName="original")
    ses.clone_receipt_rule_set(RuleSetName="copy", OriginalRuleSetName="original")
    original = ses.describe_receipt_rule_set(RuleSetName="original")
    copy = ses.describe_receipt_rule_set(RuleSetName="copy")
    assert copy["Rules"] == original["Rules"]
    assert [r["Name"] for r in copy["Rules"]] == ["first", "second"]
    assert ses.describe_active_receipt_rule_set()["Metadata"]["Name"] == "original"
    # The clone is independent of its source.
    ses.delete_receipt_rule(RuleSetName="copy", RuleName="first")
    assert rule_names(ses, "original") == ["first", "second"]

    assert refusal(ses.clone_receipt_rule_set, RuleSetName="copy", OriginalRuleSetName="nope") == (
        "AlreadyExists",
        "Rule set already exists: copy",
        400,
    )
    assert refusal(ses.clone_receipt_rule_set, RuleSetName="new", OriginalRuleSetName="nope") == (
        "RuleSetDoesNotExist",
        "Rule set does not exist: nope",
        400,
    )
    assert names(ses) == ["original", "copy"]


def test_the_active_rule_set(live: ServerProcess) -> None:
    ses = live.client("ses")
    assert {
        k: v for k, v in ses.describe_active_receipt_rule_set().items() if k != "ResponseMetadata"
    } == {}
    ses.create_receipt_rule_set(RuleSetName="one")
    ses.create_receipt_rule_set(RuleSetName="two")
    ses.create_receipt_rule(RuleSetName="two", Rule={"Name": "catch-all"})
    assert refusal(ses.set_active_receipt_rule_set, RuleSetName="three") == (
        "RuleSetDoesNotExist",
        "Rule set does not exist: three",
        400,
    )
    ses.set_active_receipt_rule_set(RuleSetName="one")
    ses.set_active_receipt_rule_set(RuleSetName="two")
    active = ses.describe_active_receipt_rule_set()
    assert active["Metadata"]["Name"] == "two"
    assert [r["Name"] for r in active["Rules"]] == ["catch-all"]
    # Only one is active: the first can go, the active one cannot.
    ses.delete_receipt_rule_set(RuleSetName="one")
    assert refusal(ses.delete_receipt_rule_set, RuleSetName="two") == (
        "CannotDelete",
        "Cannot delete active rule set: two",
        400,
    )
    # No name disables receiving.
    ses.set_active_receipt_rule_set()
    assert "Metadata" not in ses.describe_active_receipt_rule_set()
    ses.delete_receipt_rule_set(RuleSetName="two")
    assert names(ses) == []


def test_reorder(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_receipt_rule_set(RuleSetName="rules")
    for name in ("c", "b", "a"):
        ses.create_receipt_rule(RuleSetName="rules", Rule={"Name": name})
    assert rule_names(ses, "rules") == ["a", "b", "c"]
    ses.reorder_receipt_rule_set(RuleSetName="rules", RuleNames=["c", "a", "b"])
    assert rule_names(ses, "rules") == ["c", "a", "b"]

    def refused(rule_names: list[str], rule_set: str = "rules") -> tuple[str, str, int]:
        return refusal(ses.reorder_receipt_rule_set, RuleSetName=rule_set, RuleNames=rule_names)

    assert refused(["a", "b", "c", "a"]) == (
        "InvalidParameterValue",
        "Multiple positions found for rule: a",
        400,
    )
    assert refused(["b"]) == ("InvalidParameterValue", "Positions for rules not found: c, a", 400)
    assert refused(["a", "b", "c", "d"]) == ("RuleDoesNotExist", "Rule does not exist: d", 400)
    assert refused(["a"], "nope") == ("RuleSetDoesNotExist", "Rule set does not exist: nope", 400)
    assert refused(["a b"])[:2] == (
        "ValidationError",
        "1 validation error detected: Value at 'ruleNames' failed to satisfy constraint: "
        "Member must satisfy constraint: [Member must have length less than or equal to 100, "
        "Member must have length greater than or equal to 1, Member must satisfy regular "
        "expression pattern: ^[a-zA-Z0-9_.-]+$]",
    )
    assert rule_names(ses, "rules") == ["c", "a", "b"]


def test_the_aws_cli(live: ServerProcess) -> None:
    assert ok(aws(live, "ses", "create-receipt-rule-set", "--rule-set-name", "from-cli")) is None
    listed = ok(aws(live, "ses", "list-receipt-rule-sets"))
    assert [s["Name"] for s in listed["RuleSets"]] == ["from-cli"]
    refused = aws(live, "ses", "create-receipt-rule-set", "--rule-set-name", "from-cli")
    assert refused.returncode != 0
    assert "(AlreadyExists)" in refused.stderr
    assert "Rule set already exists: from-cli" in refused.stderr


@pytest.fixture(params=BACKENDS)
def server_and_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ServerProcess, Database]]:
    """A server of its own, and its store opened beside it in this process."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = None
            options = ["--data-dir", str(tmp_path)]
        else:
            url = stack.enter_context(fresh_database())
            options = ["--database-url", url]
        server = ServerProcess(options).start()
        stack.callback(server.stop)
        db = open_database(data_dir=str(tmp_path), database_url=url)
        stack.callback(db.close)
        yield server, db


def test_what_the_inbound_path_reads(server_and_store: tuple[ServerProcess, Database]) -> None:
    server, db = server_and_store
    ses = server.client("ses")

    def read() -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]]]:
        with db.transaction(readonly=True) as tx:
            return active_rules(tx, DEFAULT_ACCOUNT, "us-east-1"), ip_filters(
                tx, DEFAULT_ACCOUNT, "us-east-1"
            )

    assert read() == (None, [])
    ses.create_receipt_rule_set(RuleSetName="inbound")
    ses.create_receipt_rule(RuleSetName="inbound", Rule={"Name": "second", "Enabled": True})
    ses.create_receipt_rule(
        RuleSetName="inbound",
        Rule={
            "Name": "first",
            "Recipients": ["example.com"],
            "Actions": [{"StopAction": {"Scope": "RuleSet"}}],
        },
    )
    ses.create_receipt_filter(
        Filter={"Name": "block", "IpFilter": {"Policy": "Block", "Cidr": "192.0.2.0/24"}}
    )
    assert read()[0] is None  # no set is active yet
    ses.set_active_receipt_rule_set(RuleSetName="inbound")
    rules, filters = read()
    assert rules == ses.describe_active_receipt_rule_set()["Rules"]
    assert [rule["Name"] for rule in rules or []] == ["first", "second"]
    assert filters == ses.list_receipt_filters()["Filters"]
    ses.set_active_receipt_rule_set()
    assert read()[0] is None


def test_the_console_page(live: ServerProcess) -> None:
    url = f"{live.url}/console/ses/receiving"
    empty = httpx.get(url)
    assert empty.status_code == 200
    assert "No rule set is active: receiving is off in this region." in empty.text
    assert "No receipt rule sets in this region." in empty.text
    assert "No IP address filters." in empty.text

    ses = live.client("ses")
    ses.create_receipt_rule_set(RuleSetName="standby")
    ses.create_receipt_rule_set(RuleSetName="inbound")
    ses.create_receipt_rule(
        RuleSetName="inbound",
        Rule={
            "Name": "to-s3",
            "Enabled": True,
            "Recipients": ["info@example.com", "example.com"],
            "Actions": [
                {"AddHeaderAction": {"HeaderName": "X-Tag", "HeaderValue": "<b>&"}},
                {"S3Action": {"BucketName": "mail", "ObjectKeyPrefix": "in"}},
            ],
        },
    )
    ses.create_receipt_rule(RuleSetName="inbound", After="to-s3", Rule={"Name": "catch-all"})
    ses.set_active_receipt_rule_set(RuleSetName="inbound")
    ses.create_receipt_filter(
        Filter={"Name": "blocked", "IpFilter": {"Policy": "Block", "Cidr": "192.0.2.0/24"}}
    )

    shown = httpx.get(url)
    assert shown.status_code == 200
    text = shown.text
    assert 'data-active-rule-set="inbound"' in text
    # The active set comes first, its rules in order, with recipients and actions.
    assert text.index('data-rule-set="inbound"') < text.index('data-rule-set="standby"')
    assert text.index('data-rule="to-s3"') < text.index('data-rule="catch-all"')
    assert "info@example.com, example.com" in text
    assert "all recipients on verified domains" in text
    assert "Add header: <code>X-Tag: &lt;b&gt;&amp;</code>" in text
    assert "S3: <code>mail/in</code>" in text
    assert (
        '<tr data-filter="blocked"><td>blocked</td><td>Block</td><td><code>192.0.2.0/24</code>'
        in text
    )
    assert 'href="/console/ses/receiving?' in text  # the nav links the page
    assert page_problems(live, text) == []
