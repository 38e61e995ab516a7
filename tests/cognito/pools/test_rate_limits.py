"""Cognito's API request rates per category, enforced with `--cognito-rate-limits on`:
bursts from threads within one second of the server's clock, exactly the excess refused
with AWS's TooManyRequestsException; `off` (the default) never refuses."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from poolmail.cognito.pools.limits import CATEGORY_OF, FREE, category_of, default_rate
from poolmail.config import Settings
from poolmail.protocol.models import COGNITO_IDP, service_model
from tests.conftest import BACKENDS
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess, serving

THROTTLED = ("TooManyRequestsException", "Rate exceeded", 400)
OK = ("OK", "", 200)
# Tries for a burst to fall within one second of the server's clock (see ``burst``).
TRIES = 3


@pytest.fixture(scope="module", params=BACKENDS)
def limited(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    with serving(request.param, ["--cognito-rate-limits", "on"]) as running:
        yield running


def clock(server: ServerProcess) -> float:
    epoch: float = httpx.get(f"{server.url}/_poolmail/clock").json()["epoch"]
    return epoch


def advance(server: ServerProcess, seconds: float) -> None:
    httpx.post(
        f"{server.url}/_poolmail/clock", json={"advance_seconds": seconds}
    ).raise_for_status()


def next_window(server: ServerProcess) -> int:
    """Move the server's clock just past its next whole second; return that second."""
    now = clock(server)
    advance(server, math.ceil(now) - now + 0.001)
    return math.ceil(now)


def outcome(call: Callable[[], Any]) -> tuple[str, str, int]:
    try:
        call()
    except ClientError as error:
        response = error.response
        return (
            response["Error"]["Code"],
            response["Error"]["Message"],
            response["ResponseMetadata"]["HTTPStatusCode"],
        )
    return OK


def burst(server: ServerProcess, calls: list[Callable[[], Any]]) -> list[tuple[str, str, int]]:
    """Run ``calls`` at once from threads, all within one second of the server's clock:
    the clock is moved to the start of a fresh second first, and a burst that still
    crossed into the next second is run again in a later one."""
    for _ in range(TRIES):
        window = next_window(server)
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(outcome, calls))
        if math.floor(clock(server)) == window:
            return results
    pytest.fail(f"no burst of {len(calls)} requests fit in one second in {TRIES} tries")


def idp(server: ServerProcess, region: str = "us-east-1") -> Any:
    return server.client("cognito-idp", region=region)


def make_pool(client: Any, name: str = "limited") -> str:
    pool_id: str = client.create_user_pool(PoolName=name)["UserPool"]["Id"]
    return pool_id


def test_user_pool_read_refuses_exactly_the_excess_per_account_and_region(
    limited: ServerProcess,
) -> None:
    limited.reset()
    east, west = idp(limited), idp(limited, "eu-west-1")
    pool_id = make_pool(east)
    described: list[Callable[[], Any]] = [
        lambda: east.describe_user_pool(UserPoolId=pool_id) for _ in range(20)
    ]
    # Other regions count on their own: the account's eu-west-1 is not throttled by it.
    listed: list[Callable[[], Any]] = [lambda: west.list_user_pools(MaxResults=10)] * 3
    results = burst(limited, described + listed)
    assert sorted(results[:20]) == [OK] * 15 + [THROTTLED] * 5
    assert results[20:] == [OK] * 3
    # A second later the category's rate is available again.
    advance(limited, 1)
    assert east.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Id"] == pool_id


def test_a_refused_create_creates_nothing(limited: ServerProcess) -> None:
    limited.reset()
    client = idp(limited)
    creates: list[Callable[[], Any]] = [
        lambda number=number: make_pool(client, f"pool{number}") for number in range(18)
    ]
    results = burst(limited, creates)
    assert sorted(results) == [OK] * 15 + [THROTTLED] * 3
    advance(limited, 1)
    pools = client.list_user_pools(MaxResults=60)["UserPools"]
    assert len(pools) == 15


def test_update_provisioned_limit_raises_the_rate(limited: ServerProcess) -> None:
    limited.reset()
    client = idp(limited)
    pool_id = make_pool(client)
    client.admin_create_user(UserPoolId=pool_id, Username="alice")
    groups: list[Callable[[], Any]] = [
        lambda: client.admin_list_groups_for_user(UserPoolId=pool_id, Username="alice")
    ] * 55
    # UserResourceRead: 50 a second for free.
    assert sorted(burst(limited, groups)) == [OK] * 50 + [THROTTLED] * 5
    definition = {"LimitClass": "API_CATEGORY", "Attributes": {"Category": "UserResourceRead"}}
    next_window(limited)
    client.update_provisioned_limit(LimitDefinition=definition, RequestedLimitValue=60)
    # LimitManagement allows one request a second.
    refused = outcome(lambda: client.get_provisioned_limit(LimitDefinition=definition))
    assert refused == THROTTLED
    advance(limited, 1)
    limit = client.get_provisioned_limit(LimitDefinition=definition)["Limit"]
    assert limit["ProvisionedLimitValue"] == 60
    assert sorted(burst(limited, groups + groups[:10])) == [OK] * 60 + [THROTTLED] * 5


@pytest.mark.postgres
def test_replicas_sharing_postgresql_share_the_rate() -> None:
    options = ["--cognito-rate-limits", "on"]
    with fresh_database() as url:
        first = ServerProcess(["--database-url", url, *options]).start()
        second = ServerProcess(["--database-url", url, *options]).start()
        try:
            east, west = idp(first), idp(second)
            pool_id = make_pool(east)
            calls: list[Callable[[], Any]] = [
                lambda client=client: client.describe_user_pool(UserPoolId=pool_id)
                for client in [east, west] * 10
            ]
            for _ in range(TRIES):
                # Both clocks move alike, so both replicas are in the same window.
                now = clock(first)
                for server in (first, second):
                    advance(server, math.ceil(now) - now + 0.001)
                with ThreadPoolExecutor(max_workers=10) as pool:
                    results = list(pool.map(outcome, calls))
                if math.floor(clock(first)) == math.ceil(now):
                    break
            else:
                pytest.fail("no burst fit in one second")
            assert sorted(results) == [OK] * 15 + [THROTTLED] * 5
            # Each replica answered some of the burst: the rate is one for both.
            assert {outcome for outcome in results[0::2]} != {THROTTLED}
            assert {outcome for outcome in results[1::2]} != {THROTTLED}
        finally:
            first.stop()
            second.stop()


def test_off_by_default_never_refuses(live: ServerProcess) -> None:
    client = idp(live)
    pool_id = make_pool(client)
    described: list[Callable[[], Any]] = [
        lambda: client.describe_user_pool(UserPoolId=pool_id)
    ] * 25
    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(outcome, described)) == [OK] * 25
    assert Settings().cognito_rate_limits is False


def test_serve_help_documents_the_option() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "poolmail", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = " ".join(result.stdout.split())
    assert "--cognito-rate-limits {on,off}" in text
    assert "(env POOLMAIL_COGNITO_RATE_LIMITS; default off)" in text


def test_every_listed_operation_is_in_the_model_and_has_a_rate() -> None:
    operations = set(service_model(COGNITO_IDP).operation_names)
    assert set(CATEGORY_OF) - operations == set()
    for category in set(CATEGORY_OF.values()) | set(FREE):
        assert default_rate(category) >= 1


def test_a_new_password_challenge_counts_as_account_recovery() -> None:
    for operation in ("RespondToAuthChallenge", "AdminRespondToAuthChallenge"):
        new_password = {"ChallengeName": "NEW_PASSWORD_REQUIRED"}
        assert category_of(operation, new_password) == "UserAccountRecovery"
        assert category_of(operation, {"ChallengeName": "SMS_MFA"}) == "UserAuthentication"
    assert category_of("DescribeUserPool", {}) == "UserPoolRead"
    assert category_of("ListTerms", {}) is None
