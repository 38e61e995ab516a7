"""Several `poolmail serve` processes on one PostgreSQL database behave as one service:
state is shared, and quotas, attempt limits and the production-access review stay exact
when concurrent clients hit every replica."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess

pytestmark = pytest.mark.postgres

REPLICAS = 2


@pytest.fixture
def replicas(request: pytest.FixtureRequest) -> Iterator[list[ServerProcess]]:
    extra: list[str] = getattr(request, "param", [])
    with fresh_database() as url:
        servers = [ServerProcess(["--database-url", url, *extra]).start() for _ in range(REPLICAS)]
        try:
            yield servers
        finally:
            for server in servers:
                server.stop()


def hammer(calls: list[Callable[[], Any]], workers: int = 12) -> tuple[int, list[str]]:
    """Run the calls concurrently; the number that succeeded and the error codes of the rest."""

    def attempt(call: Callable[[], Any]) -> str | None:
        try:
            call()
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        outcomes = list(pool.map(attempt, calls))
    return outcomes.count(None), [code for code in outcomes if code is not None]


def verify(server: ServerProcess, identity: str) -> None:
    server.client("ses").verify_email_identity(EmailAddress=identity)
    httpx.post(
        f"{server.url}/_poolmail/ses/identities/verify", json={"identity": identity}
    ).raise_for_status()


def test_state_is_shared(replicas: list[ServerProcess]) -> None:
    first, second = replicas
    pool = first.client("cognito-idp").create_user_pool(PoolName="shared")["UserPool"]
    assert (
        second.client("cognito-idp").describe_user_pool(UserPoolId=pool["Id"])["UserPool"] == pool
    )
    verify(second, "sender@example.com")
    attributes = first.client("ses").get_identity_verification_attributes(
        Identities=["sender@example.com"]
    )["VerificationAttributes"]
    assert attributes["sender@example.com"]["VerificationStatus"] == "Success"


@pytest.mark.parametrize(
    "replicas",
    [["--ses-sandbox", "off", "--ses-max-24-hour-send", "20", "--ses-max-send-rate", "100000"]],
    indirect=True,
)
def test_the_daily_quota_is_exact_across_replicas(replicas: list[ServerProcess]) -> None:
    verify(replicas[0], "sender@example.com")
    clients = [server.client("ses") for server in replicas]

    def send(ses: Any) -> Callable[[], Any]:
        return lambda: ses.send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["reader@example.org"]},
            Message={"Subject": {"Data": "q"}, "Body": {"Text": {"Data": "q"}}},
        )

    sent, refused = hammer([send(ses) for ses, _ in zip(itertools.cycle(clients), range(60))])
    assert sent == 20
    assert refused == ["Throttling"] * 40
    assert clients[1].get_send_quota()["SentLast24Hours"] == 20


def test_the_sandbox_rate_is_exact_across_replicas(replicas: list[ServerProcess]) -> None:
    verify(replicas[0], "sender@example.com")
    clients = [server.client("ses") for server in replicas]

    def send(ses: Any) -> Callable[[], Any]:
        return lambda: ses.send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
            Message={"Subject": {"Data": "r"}, "Body": {"Text": {"Data": "r"}}},
        )

    # All within the same second or so: the sandbox lets one through per second.
    sent, refused = hammer([send(ses) for ses, _ in zip(itertools.cycle(clients), range(12))])
    assert sent <= 2
    assert set(refused) == {"Throttling"}


@pytest.mark.parametrize("replicas", [["--cognito-default-daily-email-limit", "10"]], indirect=True)
def test_the_default_sender_cap_is_exact_across_replicas(replicas: list[ServerProcess]) -> None:
    cognito = replicas[0].client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="cap", AutoVerifiedAttributes=["email"])["UserPool"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")[
        "UserPoolClient"
    ]["ClientId"]
    clients = [server.client("cognito-idp") for server in replicas]

    def sign_up(idp: Any, n: int) -> Callable[[], Any]:
        return lambda: idp.sign_up(
            ClientId=client_id,
            Username=f"user{n}",
            Password="Correct-Horse-9!",
            UserAttributes=[{"Name": "email", "Value": f"user{n}@example.org"}],
        )

    sent, refused = hammer([sign_up(idp, n) for n, idp in zip(range(30), itertools.cycle(clients))])
    assert sent == 10
    assert refused == ["LimitExceededException"] * 20
    delivered = httpx.get(
        f"{replicas[1].url}/_poolmail/messages",
        params={"kind": "cognito-sign-up", "status": "delivered", "limit": 100},
    ).json()["messages"]
    assert len(delivered) == 10


def test_one_production_access_review_at_a_time(replicas: list[ServerProcess]) -> None:
    clients = [server.client("sesv2") for server in replicas]

    def request(sesv2: Any) -> Callable[[], Any]:
        return lambda: sesv2.put_account_details(
            ProductionAccessEnabled=True, MailType="TRANSACTIONAL", WebsiteURL="https://x.example"
        )

    opened, refused = hammer([request(c) for c, _ in zip(itertools.cycle(clients), range(10))])
    assert opened == 1
    assert refused == ["ConflictException"] * 9


def test_attempt_limits_are_exact_across_replicas(replicas: list[ServerProcess]) -> None:
    cognito = replicas[0].client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="limits", AutoVerifiedAttributes=["email"])["UserPool"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")[
        "UserPoolClient"
    ]["ClientId"]
    cognito.sign_up(
        ClientId=client_id,
        Username="jane",
        Password="Correct-Horse-9!",
        UserAttributes=[{"Name": "email", "Value": "success@simulator.amazonses.com"}],
    )
    clients = [server.client("cognito-idp") for server in replicas]

    def resend(idp: Any) -> Callable[[], Any]:
        return lambda: idp.resend_confirmation_code(ClientId=client_id, Username="jane")

    sent, refused = hammer([resend(c) for c, _ in zip(itertools.cycle(clients), range(12))])
    assert (sent, refused) == (5, ["LimitExceededException"] * 7)
