"""Every operation of the cognito-idp model poolmail ships is served: none answers 501
NotImplemented, whatever input it gets (issue 16's goal)."""

from __future__ import annotations

import httpx

from poolmail.operations import build_registry
from poolmail.protocol.models import service_model
from tests.support.server import ServerProcess


def test_the_registry_serves_every_cognito_operation_of_the_model() -> None:
    served = set(build_registry()["cognito-idp"])
    assert set(service_model("cognito-idp").operation_names) - served == set()


def test_no_cognito_operation_answers_501(live: ServerProcess) -> None:
    answers = {}
    with httpx.Client(base_url=live.url, timeout=30) as http:
        for name in service_model("cognito-idp").operation_names:
            answer = http.post(
                "/",
                content=b"{}",
                headers={
                    "Content-Type": "application/x-amz-json-1.1",
                    "X-Amz-Target": f"AWSCognitoIdentityProviderService.{name}",
                    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/"
                    "cognito-idp/aws4_request, SignedHeaders=host, Signature=00",
                },
            )
            answers[name] = answer.status_code
    assert [name for name, status in answers.items() if status == 501] == []
    # Empty input is refused as AWS refuses it, never with a server error.
    assert [name for name, status in answers.items() if status >= 500] == []
