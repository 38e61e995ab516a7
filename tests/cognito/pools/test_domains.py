"""User pool domains: prefix domains black-box, unique per region; DescribeUserPoolDomain's
shape; the pool's Domain; deletion rules; custom domains and pool_domain in process."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from poolmail.clock import SystemClock
from poolmail.cognito.pools import domains, user_pools
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.store import Database, open_database
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess
from tests.test_server_blackbox import error_of

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "111122223333"


def new_pool(server: ServerProcess, region: str = "us-east-1", key: str = "AKIDTEST") -> str:
    cognito = server.client("cognito-idp", region=region, access_key=key)
    pool_id: str = cognito.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    return pool_id


def domain_error(server: ServerProcess, pool_id: str, domain: str, **client: str):
    cognito = server.client("cognito-idp", **client)
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain)
    return error_of(excinfo)


def test_a_prefix_domain(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    cognito = live.client("cognito-idp")
    created = cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="shop-login")
    assert {key: value for key, value in created.items() if key != "ResponseMetadata"} == {}
    description = cognito.describe_user_pool_domain(Domain="shop-login")["DomainDescription"]
    assert re.fullmatch(r"\d{14}", description.pop("Version"))
    assert re.fullmatch(
        r"d[0-9a-f]{13}\.cloudfront\.net", description.pop("CloudFrontDistribution")
    )
    assert description == {
        "UserPoolId": pool_id,
        "AWSAccountId": ACCOUNT,
        "Domain": "shop-login",
        "S3Bucket": "aws-cognito-prod-iad-assets",
        "Status": "ACTIVE",
        "CustomDomainConfig": {},
        "ManagedLoginVersion": 1,
    }
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Domain"] == "shop-login"


def test_an_unknown_domain_is_described_as_empty(live: ServerProcess) -> None:
    answer = live.client("cognito-idp").describe_user_pool_domain(Domain="nobody-has-this")
    assert answer["DomainDescription"] == {}


def test_prefixes_are_unique_within_a_region(live: ServerProcess) -> None:
    new_domain_pool = new_pool(live)
    live.client("cognito-idp").create_user_pool_domain(UserPoolId=new_domain_pool, Domain="shop")
    stranger_pool = new_pool(live, key=OTHER_ACCOUNT)
    assert domain_error(live, stranger_pool, "shop", access_key=OTHER_ACCOUNT) == (
        "InvalidParameterException",
        "Domain already associated with another user pool.",
        400,
    )
    # The owner's domain is not described to another account.
    stranger = live.client("cognito-idp", access_key=OTHER_ACCOUNT)
    assert stranger.describe_user_pool_domain(Domain="shop")["DomainDescription"] == {}
    # The same prefix in another region is another host name.
    west_pool = new_pool(live, region="us-west-2")
    west = live.client("cognito-idp", region="us-west-2")
    west.create_user_pool_domain(UserPoolId=west_pool, Domain="shop")
    described = west.describe_user_pool_domain(Domain="shop")["DomainDescription"]
    assert (described["UserPoolId"], described["S3Bucket"]) == (
        west_pool,
        "aws-cognito-prod-pdx-assets",
    )


def test_one_prefix_domain_per_pool(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    live.client("cognito-idp").create_user_pool_domain(UserPoolId=pool_id, Domain="first")
    assert domain_error(live, pool_id, "second") == (
        "InvalidParameterException",
        "User pool already has a domain configured.",
        400,
    )


@pytest.mark.parametrize("word", ["aws", "amazon", "cognito"])
def test_reserved_words(live: ServerProcess, word: str) -> None:
    assert domain_error(live, new_pool(live), f"my-{word}-login") == (
        "InvalidParameterException",
        f"Domain cannot contain reserved word: {word}",
        400,
    )


def test_unknown_pool(live: ServerProcess) -> None:
    assert domain_error(live, "us-east-1_Missing12", "shop") == (
        "ResourceNotFoundException",
        "User pool us-east-1_Missing12 does not exist.",
        400,
    )


def test_delete_the_domain_then_the_pool(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    cognito = live.client("cognito-idp")
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="shop")
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool(UserPoolId=pool_id)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "User pool cannot be deleted. It has a domain configured that should be deleted first.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain="other")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "No such domain or user pool exists.",
        400,
    )
    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain="shop")
    assert cognito.describe_user_pool_domain(Domain="shop")["DomainDescription"] == {}
    assert "Domain" not in cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    cognito.delete_user_pool(UserPoolId=pool_id)
    # The prefix is free again.
    cognito.create_user_pool_domain(UserPoolId=new_pool(live), Domain="shop")


# --- in process: custom domains and pool_domain ---------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def ctx(request: pytest.FixtureRequest) -> Iterator[RequestContext]:
    def context(db: Database) -> RequestContext:
        return RequestContext(
            service="cognito-idp",
            operation="Test",
            account_id=ACCOUNT,
            region="us-east-1",
            request_id="test",
            signed=True,
            db=db,
            clock=SystemClock(),
            settings=Settings(),
        )

    if request.param == "sqlite":
        db = open_database(data_dir=":memory:")
        yield context(db)
        db.close()
        return
    with fresh_database() as url:
        db = open_database(database_url=url)
        yield context(db)
        db.close()


def test_custom_and_prefix_domains_side_by_side(ctx: RequestContext) -> None:
    pool_id = user_pools.create_user_pool(ctx, {"PoolName": "shop"})["UserPool"]["Id"]
    with ctx.db.transaction() as tx:
        assert domains.pool_domain(tx, pool_id) is None
    domains.create_user_pool_domain(ctx, {"UserPoolId": pool_id, "Domain": "shop"})
    with ctx.db.transaction() as tx:
        assert domains.pool_domain(tx, pool_id) == "shop.auth.us-east-1.amazoncognito.com"
    certificate = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc"
    created = domains.create_user_pool_domain(
        ctx,
        {
            "UserPoolId": pool_id,
            "Domain": "auth.example.com",
            "CustomDomainConfig": {"CertificateArn": certificate},
        },
    )
    assert re.fullmatch(r"d[0-9a-f]{13}\.cloudfront\.net", created["CloudFrontDomain"])
    with ctx.db.transaction() as tx:
        assert domains.pool_domain(tx, pool_id) == "auth.example.com"
    pool = user_pools.describe_user_pool(ctx, {"UserPoolId": pool_id})["UserPool"]
    assert (pool["Domain"], pool["CustomDomain"]) == ("shop", "auth.example.com")
    described = domains.describe_user_pool_domain(ctx, {"Domain": "auth.example.com"})
    assert described["DomainDescription"]["CustomDomainConfig"] == {"CertificateArn": certificate}
    assert described["DomainDescription"]["CloudFrontDistribution"] == created["CloudFrontDomain"]


# --- UpdateUserPoolDomain; custom domains black-box ------------------------------------------

CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/abc"


def update_error(server: ServerProcess, **params: object) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        server.client("cognito-idp").update_user_pool_domain(**params)
    return error_of(excinfo)


def test_update_the_managed_login_version(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    cognito = live.client("cognito-idp")
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="shop")
    before = cognito.describe_user_pool_domain(Domain="shop")["DomainDescription"]
    updated = cognito.update_user_pool_domain(
        UserPoolId=pool_id, Domain="shop", ManagedLoginVersion=2
    )
    assert {key: value for key, value in updated.items() if key != "ResponseMetadata"} == {
        "ManagedLoginVersion": 2
    }
    after = cognito.describe_user_pool_domain(Domain="shop")["DomainDescription"]
    assert after["ManagedLoginVersion"] == 2
    assert after["CloudFrontDistribution"] == before["CloudFrontDistribution"]
    # An omitted version stays.
    kept = cognito.update_user_pool_domain(UserPoolId=pool_id, Domain="shop")
    assert kept["ManagedLoginVersion"] == 2


def test_update_refusals(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    live.client("cognito-idp").create_user_pool_domain(UserPoolId=pool_id, Domain="shop")
    assert update_error(live, UserPoolId=pool_id, Domain="other", ManagedLoginVersion=2) == (
        "InvalidParameterException",
        "No such domain or user pool exists.",
        400,
    )
    assert update_error(
        live,
        UserPoolId=pool_id,
        Domain="shop",
        CustomDomainConfig={"CertificateArn": CERTIFICATE},
    ) == ("InvalidParameterException", "Cannot convert prefix domain to custom domain.", 400)
    assert update_error(live, UserPoolId=pool_id, Domain="shop", ManagedLoginVersion=3) == (
        "InvalidParameterException",
        "ManagedLoginVersion must be 1 or 2.",
        400,
    )
    assert update_error(
        live, UserPoolId="us-east-1_Missing12", Domain="shop", ManagedLoginVersion=1
    ) == ("ResourceNotFoundException", "User pool us-east-1_Missing12 does not exist.", 400)
    # Managed login needs a plan above Lite [model].
    cognito = live.client("cognito-idp")
    lite = cognito.create_user_pool(PoolName="lite", UserPoolTier="LITE")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=lite, Domain="lite-shop")
    assert update_error(live, UserPoolId=lite, Domain="lite-shop", ManagedLoginVersion=2) == (
        "FeatureUnavailableInTierException",
        "The following features need to be disabled for the LITE pricing tier configured: "
        "Managed login",
        400,
    )


def test_custom_domains_black_box(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    cognito = live.client("cognito-idp")
    created = cognito.create_user_pool_domain(
        UserPoolId=pool_id,
        Domain="auth.example.com",
        CustomDomainConfig={"CertificateArn": CERTIFICATE},
        ManagedLoginVersion=2,
    )
    assert re.fullmatch(r"d[0-9a-f]{13}\.cloudfront\.net", created["CloudFrontDomain"])
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["CustomDomain"] == (
        "auth.example.com"
    )
    # AWS quirk: an update without the certificate reads as a conversion to a prefix.
    assert update_error(
        live, UserPoolId=pool_id, Domain="auth.example.com", ManagedLoginVersion=1
    ) == ("InvalidParameterException", "Cannot convert custom domain to prefix domain.", 400)
    renewed = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/renewed"
    updated = cognito.update_user_pool_domain(
        UserPoolId=pool_id,
        Domain="auth.example.com",
        ManagedLoginVersion=1,
        CustomDomainConfig={"CertificateArn": renewed, "SecurityPolicy": "TLS_V1_2_2021"},
    )
    assert (updated["ManagedLoginVersion"], updated["CloudFrontDomain"]) == (
        1,
        created["CloudFrontDomain"],
    )
    described = cognito.describe_user_pool_domain(Domain="auth.example.com")["DomainDescription"]
    assert described["CustomDomainConfig"] == {
        "CertificateArn": renewed,
        "SecurityPolicy": "TLS_V1_2_2021",
    }
    assert described["ManagedLoginVersion"] == 1
    assert update_error(
        live,
        UserPoolId=pool_id,
        Domain="auth.example.com",
        CustomDomainConfig={"CertificateArn": f"arn:aws:acm:eu-west-1:{ACCOUNT}:certificate/x"},
    ) == (
        "InvalidParameterException",
        "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, "
        "or doesn't include a valid certificate chain.",
        400,
    )
    cognito.delete_user_pool_domain(UserPoolId=pool_id, Domain="auth.example.com")
    assert cognito.describe_user_pool_domain(Domain="auth.example.com")["DomainDescription"] == {}


def test_custom_domain_refusals(live: ServerProcess) -> None:
    pool_id = new_pool(live)
    config = {"CertificateArn": CERTIFICATE}
    cognito = live.client("cognito-idp")
    for domain, message in [
        ("Auth.Example.com", "Domain Auth.Example.com is not a valid fully qualified domain name."),
        (
            "auth..example.com",
            "Domain auth..example.com is not a valid fully qualified domain name.",
        ),
    ]:
        with pytest.raises(ClientError) as excinfo:
            cognito.create_user_pool_domain(
                UserPoolId=pool_id, Domain=domain, CustomDomainConfig=config
            )
        assert error_of(excinfo) == ("InvalidParameterException", message, 400)
    assert domain_error(live, pool_id, "auth.example.com") == (
        "InvalidParameterException",
        "CustomDomainConfig is required for a custom domain.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool_domain(
            UserPoolId=pool_id, Domain="shop", CustomDomainConfig=config
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "A custom domain must be a fully qualified domain name.",
        400,
    )
    # A prefix still meets the model's pattern.
    code, message, _ = domain_error(live, pool_id, "My_Prefix")
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value 'My_Prefix' at 'domain'")
