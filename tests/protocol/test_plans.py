"""The per-shape plans (validation checkers, JSON readers, query-form readers) against the
shape walks they replaced, kept in tests/protocol/oracle/ as they were: the same values,
the same errors and messages in the same order, for every operation of the three models
with full sample inputs and with broken ones. The oracle holds only the walks the plans
replaced; the helpers they left as they were it imports from src."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.handlers import generate_idempotent_uuid
from botocore.model import OperationModel

from poolmail.protocol import fast_json, json_values, query, rest_json, rest_routes, validate
from poolmail.protocol.errors import AwsError
from poolmail.protocol.models import SERVICES, SES, SESV2, service_model
from tests.protocol.oracle import json_values as old_json_values
from tests.protocol.oracle import query as old_query
from tests.protocol.oracle import rest_json as old_rest_json
from tests.protocol.oracle import validate as old_validate
from tests.protocol.samples import SampleGenerator, sample_input, sample_output
from tests.protocol.test_roundtrip import REQUEST_ID, body_bytes, botocore_request


def operations() -> list[Any]:
    found = []
    for service in SERVICES:
        model = service_model(service)
        for name in model.operation_names:
            found.append(pytest.param(service, model.operation_model(name), id=f"{service}.{name}"))
    return found


def outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, Any]:
    try:
        return ("value", call(*args, **kwargs))
    except AwsError as error:
        return ("error", (type(error).__name__, error.code, error.message, error.status))
    except ValueError as error:
        # A failure of both sides alike (never expected: compared, not hidden).
        return ("crash", (type(error).__name__, str(error)))


# Values that break one rule or another wherever they land: too short, too long, outside
# an enum or a pattern, out of range, of another type than the model's.
_BROKEN: tuple[Any, ...] = ("", "x" * 3000, "not in any enum ${}", " ", -5, 0, 10**13, 2.5)


def broken_variants(value: Any) -> Iterator[Any]:
    """``value`` with one member (at any depth) replaced by a broken value, removed, or
    set to None; and lists and maps emptied or grown."""
    if isinstance(value, dict):
        for key in list(value):
            for replacement in (*_BROKEN, None):
                changed = dict(value)
                changed[key] = replacement
                yield changed
            removed = dict(value)
            del removed[key]
            yield removed
            for inner in broken_variants(value[key]):
                changed = dict(value)
                changed[key] = inner
                yield changed
        if value:
            yield {}
    elif isinstance(value, list):
        yield []
        yield value * 60
        for index, item in enumerate(value):
            for inner in broken_variants(item):
                grown = list(value)
                grown[index] = inner
                yield grown


def checked(module: Any, service: str, operation: OperationModel, params: Any) -> Any:
    def call() -> None:
        module.validate_input(service, operation.input_shape, copy.deepcopy(params))

    try:
        return outcome(call)
    except (TypeError, AttributeError) as exc:
        # A value of a type the parsers never hand over: both must fail alike.
        return ("crash", type(exc).__name__)


@pytest.mark.parametrize(("service", "operation"), operations())
def test_validation_matches_the_shape_walk(service: str, operation: OperationModel) -> None:
    valid = sample_input(operation)
    cases = [valid, {}, *broken_variants(valid)]
    compared = 0
    for params in cases:
        expected = checked(old_validate, service, operation, params)
        if expected[0] == "crash":
            # A structure handed a string, say: the parsers never hand such a value over,
            # and a checker that skips an unconstrained structure need not look at it.
            continue
        assert checked(validate, service, operation, params) == expected, params
        compared += expected[0] == "error"
    # Some variant broke a rule (so messages were compared) exactly where the plan found
    # a rule to check.
    shape = operation.input_shape
    assert (compared > 0) == (shape is not None and validate._checker(shape) is not None)


# --- requests: the same parse, or the same error ------------------------------------------


def same(new: tuple[str, Any], old: tuple[str, Any]) -> None:
    # repr: member order and types count too, not only equality.
    assert repr(new) == repr(old)


def json_documents(operation: OperationModel) -> Iterator[Any]:
    """The JSON body botocore writes for full inputs, and broken variants of it."""
    for items in (0, 1, 2):
        params = sample_input(operation, items)
        generate_idempotent_uuid(params, operation)
        body = body_bytes(botocore_request(operation, params))
        if body.strip():
            document = fast_json.loads(body)
            yield document
            if items == 1:
                yield from broken_variants(document)


@pytest.mark.parametrize(("service", "operation"), operations())
def test_json_reading_matches_the_shape_walk(service: str, operation: OperationModel) -> None:
    shape = operation.input_shape
    if service == SES or shape is None:
        return
    for document in json_documents(operation):
        for path in ("", "Top"):
            same(
                outcome(json_values.from_json, shape, document, path),
                outcome(old_json_values.from_json, shape, document, path),
            )


def broken_forms(form: dict[str, str]) -> Iterator[dict[str, str]]:
    yield form
    for key in form:
        if key in ("Action", "Version"):
            continue
        for replacement in ("", "x", "12", "true", "2024-05-17T12:34:56Z"):
            yield {**form, key: replacement}
        yield {name: value for name, value in form.items() if name != key}


def test_query_reading_matches_the_shape_walk() -> None:
    model = service_model(SES)
    for name in model.operation_names:
        operation = model.operation_model(name)
        for items in (0, 1, 2):
            params = sample_input(operation, items)
            body = body_bytes(botocore_request(operation, params))
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
            for variant in broken_forms(form) if items == 1 else (form,):
                same(
                    outcome(query.parse_request, operation, variant),
                    outcome(old_query.parse_request, operation, variant),
                )


def test_rest_json_reading_matches_the_shape_walk() -> None:
    model = service_model(SESV2)
    for name in model.operation_names:
        operation = model.operation_model(name)
        for items in (0, 1, 2):
            params = sample_input(operation, items)
            generate_idempotent_uuid(params, operation)
            request = botocore_request(operation, params)
            url = urlsplit(request.url)
            found = rest_routes.match(SESV2, request.method, url.path)
            assert found is not None
            headers = {key.lower(): value for key, value in request.headers.items()}
            bodies = [body_bytes(request), b"", b"[]", b"{", b'{"x": 1}']
            for body in bodies:
                for source in ("model", "query", "body"):
                    arguments: dict[str, Any] = {
                        "labels": found.labels,
                        "query": parse_qsl(url.query, keep_blank_values=True),
                        "headers": headers,
                        "body": body,
                        "source": source,
                    }
                    same(
                        outcome(rest_json.parse_request, operation, **arguments),
                        outcome(old_rest_json.parse_request, operation, **arguments),
                    )


# --- answers: the same bytes --------------------------------------------------------------


def test_query_answers_match_the_shape_walk() -> None:
    model = service_model(SES)
    compared = 0
    for name in model.operation_names:
        operation = model.operation_model(name)
        for value in (sample_output(operation, 0), sample_output(operation, 2), {}):
            new = query.serialize_result(SES, operation, value, REQUEST_ID)
            old = old_query.serialize_result(SES, operation, value, REQUEST_ID)
            assert new == old
            compared += len(new.body)
    assert compared > 50_000


def test_query_errors_match_the_shape_walk() -> None:
    generator = SampleGenerator()
    for shape in service_model(SES).error_shapes:
        fields = generator.value(shape, shape.name, "body", ())
        for error in (AwsError(shape.name, "<&> é", fields=fields), AwsError(shape.name, "")):
            new = query.serialize_error(SES, error, REQUEST_ID)
            assert new == old_query.serialize_error(SES, error, REQUEST_ID)


def test_rest_json_answers_match_the_shape_walk() -> None:
    model = service_model(SESV2)
    for name in model.operation_names:
        operation = model.operation_model(name)
        for value in (sample_output(operation, 0), sample_output(operation, 2), {}):
            new = rest_json.serialize_result(operation, value)
            assert new == old_rest_json.serialize_result(operation, value)
