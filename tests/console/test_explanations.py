"""The sending log's table: every refusal kind the engine knows has its own explanation,
and the codes it names are the ones each API answers."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from poolmail.console import sending_log
from poolmail.ses.sending import outbound, sending, sending_v2


def test_the_v1_and_v2_codes_are_the_apis_own() -> None:
    for kind, (code, _) in sending._V1_ERRORS.items():
        if kind != "invalid":  # refused before the log: such sends are never stored
            assert sending_log.V1_CODES[kind] == code
    assert {kind: code for kind, (code, _) in sending_v2.V2_ERRORS.items()} == sending_log.V2_CODES


def _refused(kind: str, origin: str = "ses", **details: Any) -> dict[str, Any]:
    return {
        "id": "m1",
        "account": "123456789012",
        "region": "us-east-1",
        "status": "rejected",
        "origin": origin,
        "source": "sender@example.com",
        "recipients": ["reader@example.org"],
        "details": {"error": {"kind": kind, "message": "AWS's text"}, **details},
    }


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("rate", "Sending quota exceeded"),
        ("daily", "Sending quota exceeded"),
        ("access-denied", "Sending authorisation policy"),
        ("configuration-set", "Missing configuration set"),
        ("paused", "Sending paused"),
        ("rejected", "Message rejected"),
        ("cognito-daily-cap", "Cognito's default email cap"),
    ],
)
def test_each_kind_has_its_explanation(kind: str, title: str) -> None:
    # These kinds need no lookup, so no transaction is given.
    entry = sending_log.explain(None, _refused(kind, pool_id="us-east-1_abc"), 0.0)  # type: ignore[arg-type]
    assert entry.explanation.title == title
    assert entry.explanation.why and entry.explanation.fix
    assert entry.aws_message == "AWS's text"


def test_every_engine_refusal_kind_is_explained() -> None:
    kinds = set(typing.get_args(outbound.ErrorKind)) - {"invalid", "not-verified"}
    for kind in kinds:
        entry = sending_log.explain(None, _refused(kind), 0.0)  # type: ignore[arg-type]
        assert entry.explanation.title != "Message rejected" or kind == "rejected"


def test_codes_per_origin() -> None:
    rate = sending_log.explain(None, _refused("rate"), 0.0)  # type: ignore[arg-type]
    assert rate.codes == [("SES v1", "Throttling"), ("SES v2", "TooManyRequestsException")]
    smtp = sending_log.explain(None, _refused("rate", origin="smtp"), 0.0)  # type: ignore[arg-type]
    assert smtp.codes == [("SMTP", "454")]
    cognito = sending_log.explain(None, _refused("paused", origin="cognito"), 0.0)  # type: ignore[arg-type]
    assert cognito.codes == [("Cognito", "CodeDeliveryFailureException")]
    assert cognito.aws_message.startswith("Cognito received the following error from Amazon SES")
