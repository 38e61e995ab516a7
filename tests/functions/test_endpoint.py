"""Functions not named in `--functions` go to Lambda's Invoke API: here a test double
speaking it (tests/support/functions.py), reached through boto3 as a real endpoint is."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from poolmail import functions
from poolmail.clock import SystemClock
from poolmail.config import Settings
from poolmail.functions import Caller, FunctionError, InvokeError, InvokeTimeout
from poolmail.functions import records as invocation_records
from poolmail.store import Database, open_database
from tests.support.functions import FunctionFailure, LambdaDouble

CALLER = Caller(account="123456789012", region="us-east-1", source="PreSignUp_SignUp", owner="p")
ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


def _fail(event: Any) -> Any:
    raise FunctionFailure("EmailTaken", "Email is already taken.")


def _slow(event: Any) -> Any:
    time.sleep(2)
    return event


@pytest.fixture(scope="module")
def double() -> Iterator[LambdaDouble]:
    with LambdaDouble(
        {
            "echo": lambda event: {"got": event},
            "fails": _fail,
            "slow": _slow,
            "null": lambda e: None,
        }
    ) as running:
        yield running


@pytest.fixture
def db() -> Iterator[Database]:
    database = open_database(data_dir=":memory:")
    yield database
    database.close()


def call(settings: Settings, db: Database, name: str, **kw: Any) -> Any:
    event = {"triggerSource": "PreSignUp_SignUp", "response": {}}
    return functions.invoke(settings, db, SystemClock(), ARN.format(name), event, CALLER, **kw)


def last_record(db: Database) -> invocation_records.Invocation:
    with db.transaction(readonly=True) as tx:
        return invocation_records.find(tx, invocation_records.InvocationFilter(limit=1))[0]


def test_request_response_through_the_endpoint(double: LambdaDouble, db: Database) -> None:
    settings = Settings(lambda_endpoint_url=double.url)
    event = {"triggerSource": "PreSignUp_SignUp", "response": {}}
    assert call(settings, db, "echo") == {"got": event}
    assert double.calls[-1] == ("echo", "RequestResponse", event)
    record = last_record(db)
    assert (record.runner, record.function_name, record.response) == (
        "endpoint",
        "echo",
        {"got": event},
    )
    assert call(settings, db, "null") is None


def test_aws_endpoint_url_serves_when_no_lambda_endpoint(
    double: LambdaDouble, db: Database
) -> None:
    assert call(Settings(aws_endpoint_url=double.url), db, "echo")["got"]["response"] == {}


def test_function_error_header_is_a_function_error(double: LambdaDouble, db: Database) -> None:
    with pytest.raises(FunctionError) as raised:
        call(Settings(lambda_endpoint_url=double.url), db, "fails")
    assert (raised.value.error_type, raised.value.message) == (
        "EmailTaken",
        "Email is already taken.",
    )
    assert last_record(db).error_type == "EmailTaken"


def test_missing_function_is_resource_not_found(double: LambdaDouble, db: Database) -> None:
    with pytest.raises(InvokeError) as raised:
        call(Settings(lambda_endpoint_url=double.url), db, "nobody")
    assert raised.value.code == "ResourceNotFoundException"
    assert raised.value.message == f"Function not found: {ARN.format('nobody')}"


def test_no_answer_within_the_deadline_is_an_invoke_timeout(
    double: LambdaDouble, db: Database
) -> None:
    settings = Settings(lambda_endpoint_url=double.url)
    # A first call pays for boto3's import and client, seconds on a loaded machine: made
    # before the clock starts, so only the wait for the slow function is timed.
    with pytest.raises(InvokeError):
        call(settings, db, "nobody")
    started = time.monotonic()
    with pytest.raises(InvokeTimeout):
        call(settings, db, "slow", deadline=0.5)
    # Back before the function's answer (2 s): the caller did not wait for it.
    assert time.monotonic() - started < 2.0
    assert last_record(db).error_type == "InvokeTimeout"


def test_an_endpoint_that_is_down(db: Database) -> None:
    with pytest.raises(InvokeError) as raised:
        call(Settings(lambda_endpoint_url="http://127.0.0.1:9"), db, "echo", deadline=1)
    assert raised.value.code == "ServiceException"


def test_a_name_lambda_refuses(double: LambdaDouble, db: Database) -> None:
    with pytest.raises(InvokeError) as raised:
        functions.invoke(
            Settings(lambda_endpoint_url=double.url),
            db,
            SystemClock(),
            "",
            {},
            CALLER,
        )
    assert raised.value.code == "InvalidParameterValueException"


def test_records_keep_the_newest_of_each_owner(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invocation_records, "KEEP_PER_OWNER", 3)
    for owner in ("pool-a", "pool-a", "pool-b", "pool-a", "pool-a", "pool-a"):
        caller = Caller(account="123456789012", region="us-east-1", source="S", owner=owner)
        with pytest.raises(InvokeError):
            functions.invoke(Settings(), db, SystemClock(), "gone", {"owner": owner}, caller)
    with db.transaction(readonly=True) as tx:
        kept = invocation_records.find(tx, invocation_records.InvocationFilter(limit=100))
    assert [record.owner for record in kept] == ["pool-a", "pool-a", "pool-a", "pool-b"]
