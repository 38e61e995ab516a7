"""Browser apps call the AWS APIs from their own origin: the preflight is answered and
answers carry Access-Control-Allow-Origin, while poolmail's own API stays closed to them."""

from __future__ import annotations

import httpx

from tests.support.server import ServerProcess

ORIGIN = {"Origin": "http://localhost:3000"}


def test_cognito_preflight_and_answer_allow_any_origin(live: ServerProcess) -> None:
    preflight = httpx.options(
        live.url + "/",
        headers={
            **ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "x-amz-target" in preflight.headers["access-control-allow-headers"]
    answer = httpx.post(
        live.url + "/",
        headers={
            **ORIGIN,
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
        content=b'{"ClientId": "nosuchclient", "AuthFlow": "USER_SRP_AUTH"}',
    )
    assert answer.status_code == 400
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "x-amzn-requestid" in answer.headers["access-control-expose-headers"]


def test_poolmails_own_api_is_not_opened(live: ServerProcess) -> None:
    answer = httpx.get(live.url + "/_poolmail/health", headers=ORIGIN)
    assert "access-control-allow-origin" not in answer.headers
