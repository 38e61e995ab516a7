"""SES v1 receipt IP filters: create, list, delete, AWS's refusals (name, CIDR, duplicate,
the 100-filter quota) with no change, and what the inbound path reads."""

from __future__ import annotations

import pytest

from tests.ses.receiving.test_rule_sets import refusal
from tests.support.server import ServerProcess


def test_create_list_delete(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_receipt_filter(
        Filter={"Name": "office", "IpFilter": {"Policy": "Allow", "Cidr": "10.0.0.1/24"}}
    )
    ses.create_receipt_filter(
        Filter={"Name": "bad-actor", "IpFilter": {"Policy": "Block", "Cidr": "192.0.2.7"}}
    )
    ses.create_receipt_filter(
        Filter={"Name": "v6", "IpFilter": {"Policy": "Block", "Cidr": "2001:db8::/32"}}
    )
    assert ses.list_receipt_filters()["Filters"] == [
        {"Name": "bad-actor", "IpFilter": {"Policy": "Block", "Cidr": "192.0.2.7"}},
        {"Name": "office", "IpFilter": {"Policy": "Allow", "Cidr": "10.0.0.1/24"}},
        {"Name": "v6", "IpFilter": {"Policy": "Block", "Cidr": "2001:db8::/32"}},
    ]
    assert refusal(
        ses.create_receipt_filter,
        Filter={"Name": "office", "IpFilter": {"Policy": "Block", "Cidr": "10.9.9.9"}},
    ) == ("AlreadyExists", "Filter already exists: office", 400)
    ses.delete_receipt_filter(FilterName="office")
    # A filter that does not exist is deleted already.
    ses.delete_receipt_filter(FilterName="office")
    assert [f["Name"] for f in ses.list_receipt_filters()["Filters"]] == ["bad-actor", "v6"]
    assert live.client("ses", region="eu-west-1").list_receipt_filters()["Filters"] == []


@pytest.mark.parametrize(
    ("name", "cidr", "message"),
    [
        ("", "10.0.0.1", "filterName must not be empty"),
        ("-dash", "10.0.0.1", "Not a valid filterName: -dash"),
        ("dot.ted", "10.0.0.1", "Not a valid filterName: dot.ted"),
        ("a" * 65, "10.0.0.1", f"Not a valid filterName: {'a' * 65}"),
        ("ok", "10.0.0.256", "Invalid CIDR block: 10.0.0.256"),
        ("ok", "10.0.0.0/33", "Invalid CIDR block: 10.0.0.0/33"),
        ("ok", "10.0.0.0/255.255.255.0", "Invalid CIDR block: 10.0.0.0/255.255.255.0"),
        ("ok", "010.0.0.1", "Invalid CIDR block: 010.0.0.1"),
        ("ok", "fe80::1%eth0", "Invalid CIDR block: fe80::1%eth0"),
        ("ok", "::ffff:192.0.2.1", "Invalid CIDR block: ::ffff:192.0.2.1"),
        ("ok", "2001:db8::/129", "Invalid CIDR block: 2001:db8::/129"),
        ("ok", "", "Invalid CIDR block: "),
    ],
)
def test_invalid_filters_are_refused(
    live: ServerProcess, name: str, cidr: str, message: str
) -> None:
    ses = live.client("ses", validate=False)
    assert refusal(
        ses.create_receipt_filter,
        Filter={"Name": name, "IpFilter": {"Policy": "Block", "Cidr": cidr}},
    ) == ("InvalidParameterValue", message, 400)
    assert ses.list_receipt_filters()["Filters"] == []


def test_policy_outside_the_enum_is_a_validation_error(live: ServerProcess) -> None:
    ses = live.client("ses", validate=False)
    code, message, status = refusal(
        ses.create_receipt_filter,
        Filter={"Name": "x", "IpFilter": {"Policy": "Maybe", "Cidr": "10.0.0.1"}},
    )
    assert (code, status) == ("ValidationError", 400)
    assert "Member must satisfy enum value set: [Block, Allow]" in message


def test_one_hundred_filters_at_most(live: ServerProcess) -> None:
    ses = live.client("ses")
    for number in range(100):
        ses.create_receipt_filter(
            Filter={
                "Name": f"f{number:03d}",
                "IpFilter": {"Policy": "Block", "Cidr": f"10.0.{number}.0/24"},
            }
        )
    assert refusal(
        ses.create_receipt_filter,
        Filter={"Name": "one-more", "IpFilter": {"Policy": "Block", "Cidr": "10.1.0.0/16"}},
    ) == ("LimitExceeded", "Too many filters", 400)
    assert len(ses.list_receipt_filters()["Filters"]) == 100
