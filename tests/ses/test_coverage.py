"""Every operation of the ses and sesv2 models poolmail ships is served: none answers 501
NotImplemented, whatever input it gets (issue 18's goal). The hostile-input fuzzer
(tests/reliability/test_hostile_input.py) drives every registered operation with generated
input; this walks the models' lists with empty input."""

from __future__ import annotations

import re

import httpx
import pytest

from poolmail.operations import build_registry
from poolmail.protocol.models import service_model
from tests.support.server import ServerProcess

SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/ses/"
    "aws4_request, SignedHeaders=host, Signature=00"
}


@pytest.mark.parametrize("service", ["ses", "sesv2"])
def test_the_registry_serves_every_operation_of_the_model(service: str) -> None:
    served = set(build_registry()[service])
    assert set(service_model(service).operation_names) - served == set()


def test_no_ses_v1_operation_answers_501(live: ServerProcess) -> None:
    answers = {}
    with httpx.Client(base_url=live.url, timeout=30) as http:
        for name in service_model("ses").operation_names:
            answer = http.post(
                "/",
                content=f"Action={name}&Version=2010-12-01".encode(),
                headers={**SIGNED, "Content-Type": "application/x-www-form-urlencoded"},
            )
            answers[name] = answer.status_code
    assert [name for name, status in answers.items() if status == 501] == []
    # Empty input is refused as AWS refuses it, never with a server error.
    assert [name for name, status in answers.items() if status >= 500] == []


def test_no_ses_v2_operation_answers_501(live: ServerProcess) -> None:
    model = service_model("sesv2")
    answers = {}
    with httpx.Client(base_url=live.url, timeout=30) as http:
        for name in model.operation_names:
            http_spec = model.operation_model(name).http
            # Labels get a placeholder value; the query part of a URI is left out.
            path = re.sub(r"\{[^}]+\}", "placeholder", http_spec["requestUri"].split("?")[0])
            method = http_spec["method"]
            body = b"{}" if method in ("POST", "PUT", "PATCH") else None
            answer = http.request(
                method,
                path,
                content=body,
                headers={**SIGNED, "Content-Type": "application/json"},
            )
            answers[name] = answer.status_code
    assert [name for name, status in answers.items() if status == 501] == []
    assert [name for name, status in answers.items() if status >= 500] == []
