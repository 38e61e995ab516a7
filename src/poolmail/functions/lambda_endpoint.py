"""Invoking a function through Lambda's Invoke API at `--lambda-endpoint-url` (else
`--aws-endpoint-url`): AWS SAM's `sam local start-lambda`, LocalStack, or real AWS.

boto3 is imported here at the first call, never at start-up (tests/test_cli.py).
Credentials come from boto3's standard chain; where it has none, a local endpoint's
usual test keys.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from poolmail.functions import FunctionError, InvokeError, InvokeTimeout

_clients: dict[tuple[str, str, float], Any] = {}
_clients_lock = threading.Lock()


def invoke(endpoint: str, region: str, arn: str, event: Any, deadline: float) -> Any:
    """The function's returned JSON; FunctionError, InvokeError or InvokeTimeout."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        EndpointConnectionError,
        ParamValidationError,
        ReadTimeoutError,
    )

    client = _client(endpoint, region, deadline)
    try:
        answer = client.invoke(
            FunctionName=arn,
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )
        payload = answer["Payload"].read()
    except ReadTimeoutError:
        raise InvokeTimeout(f"no answer from {endpoint} within {deadline:g} s") from None
    except ClientError as error:
        details = error.response.get("Error", {})
        code = str(details.get("Code") or "ServiceException")
        # SAM's local Lambda names it without the suffix (x-amzn-errortype: ResourceNotFound).
        code = "ResourceNotFoundException" if code == "ResourceNotFound" else code
        raise InvokeError(code, str(details.get("Message") or code)) from None
    except ParamValidationError as error:
        raise InvokeError("InvalidParameterValueException", str(error)) from None
    except (EndpointConnectionError, ConnectionClosedError) as error:
        # Choice: an endpoint that cannot be reached answers as Lambda's own failure does.
        raise InvokeError("ServiceException", str(error)) from None
    text = payload.decode("utf-8", "replace")
    if answer.get("FunctionError"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict):
            raise FunctionError(
                str(document.get("errorType") or answer["FunctionError"]),
                str(document.get("errorMessage", "")),
            )
        raise FunctionError(str(answer["FunctionError"]), text)
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        # A payload that is not JSON reaches the caller as text, for it to refuse.
        return text


def _client(endpoint: str, region: str, deadline: float) -> Any:
    key = (endpoint, region, deadline)
    with _clients_lock:
        if key in _clients:
            return _clients[key]
    import boto3
    from botocore.config import Config

    session = boto3.session.Session()
    keys: dict[str, str] = {}
    if session.get_credentials() is None:
        keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    client = session.client(
        "lambda",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(
            connect_timeout=min(2.0, deadline),
            read_timeout=deadline,
            retries={"total_max_attempts": 1},
        ),
        **keys,
    )
    with _clients_lock:
        _clients[key] = client
    return client
