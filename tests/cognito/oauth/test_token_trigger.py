"""Managed login's tokens go through the pool's PreTokenGeneration function (V3_0) with
their own trigger sources: TokenGeneration_HostedAuth for a code's tokens,
TokenGeneration_RefreshTokens at refresh, TokenGeneration_ClientCredentials (with
`aws_client_metadata`) for machine tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.cognito.oauth.helpers import API, CALLBACK, App, code_for, make_app, verified
from tests.conftest import BACKENDS
from tests.support.functions import write_functions
from tests.support.server import ServerProcess, serving

# Marks the access token with the trigger source, the scopes the event names and the
# client metadata; adds a scope.
TAGGER = (
    "def handler(event, context):\n"
    "    request = event['request']\n"
    "    claims = {'source': event['triggerSource'], 'seen': ' '.join(request['scopes'])}\n"
    "    claims.update(request.get('clientMetadata') or {})\n"
    "    event['response']['claimsAndScopeOverrideDetails'] = {\n"
    "        'accessTokenGeneration': {\n"
    "            'claimsToAddOrOverride': claims, 'scopesToAdd': ['extra/scope']},\n"
    "    }\n"
    "    return event\n"
)


@pytest.fixture(scope="module", params=BACKENDS)
def tagging(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    functions = {"tagger": ("python3.12", "app.handler", {"app.py": TAGGER})}
    toml = write_functions(tmp_path_factory.mktemp("functions"), functions)
    options = ["--functions", str(toml)]
    with serving(request.param, options) as running:
        yield running


@pytest.fixture
def tagged(tagging: ServerProcess) -> Iterator[App]:
    tagging.reset()
    app = make_app(tagging)
    config = {
        "PreTokenGenerationConfig": {
            "LambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:tagger",
            "LambdaVersion": "V3_0",
        }
    }
    cognito = tagging.client("cognito-idp")
    cognito.update_user_pool(UserPoolId=app.pool_id, LambdaConfig=config)
    yield app
    app.browser.close()


def test_each_grant_reaches_the_function_with_its_source(tagged: App) -> None:
    app = tagged
    code = code_for(app, scope=f"openid {API}/read")
    token = app.token(
        grant_type="authorization_code", client_id=app.web_id, code=code, redirect_uri=CALLBACK
    ).json()
    access = verified(app, token["access_token"])
    assert (access["source"], access["seen"]) == (
        "TokenGeneration_HostedAuth",
        f"openid {API}/read",
    )
    assert access["scope"] == f"openid {API}/read extra/scope"

    refreshed = app.token(
        grant_type="refresh_token", client_id=app.web_id, refresh_token=token["refresh_token"]
    ).json()
    again = verified(app, refreshed["access_token"])
    assert (again["source"], again["seen"]) == (
        "TokenGeneration_RefreshTokens",
        f"openid {API}/read",
    )

    machine = app.token(
        auth=(app.m2m_id, app.m2m_secret),
        grant_type="client_credentials",
        aws_client_metadata=json.dumps({"job": "nightly"}),
    ).json()
    claims = verified(app, machine["access_token"])
    assert (claims["source"], claims["job"]) == ("TokenGeneration_ClientCredentials", "nightly")
    assert claims["scope"] == f"{API}/read {API}/write extra/scope"
