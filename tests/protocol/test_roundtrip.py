"""botocore as the oracle, both ways, for every operation of the three models.

Requests: botocore's own serialiser writes a full sample input, our parser must read back
exactly that input. Responses: our serialiser writes a full sample output, botocore's
parser must read back exactly that output. Errors: botocore must see the model's code,
message and HTTP status.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import botocore.loaders
import pytest
from botocore.awsrequest import (
    AWSPreparedRequest,
    HeadersDict,
    create_request_object,
    prepare_request_dict,
)
from botocore.handlers import generate_idempotent_uuid
from botocore.model import (
    ListShape,
    MapShape,
    OperationModel,
    ServiceModel,
    Shape,
    StructureShape,
)
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from poolmail.protocol import json_rpc, query, rest_json, rest_routes
from poolmail.protocol.errors import AwsError, not_implemented
from poolmail.protocol.models import (
    COGNITO_IDP,
    SERVICES,
    SES,
    SESV2,
    error_status,
    error_wire_code,
    operation_model,
    service_model,
)
from poolmail.protocol.wire import KeptResult, WireResponse
from tests.protocol.samples import SampleGenerator, sample_input, sample_output

ENDPOINT = "https://poolmail.test"
REQUEST_ID = "5e1c6c0a-0000-4000-8000-00000000abcd"
MESSAGE = "Something went wrong: <'&'> ü"


def protocol(service: str) -> str:
    return str(service_model(service).protocol)


def operation_params(*, with_output: bool = False) -> list[Any]:
    return [
        pytest.param(service, name, id=f"{service}/{name}")
        for service in SERVICES
        for name in service_model(service).operation_names
        if not with_output or service_model(service).operation_model(name).output_shape
    ]


def normalise(value: Any) -> Any:
    """Comparable form: timestamps as epoch seconds to the millisecond, bytes as bytes."""
    if isinstance(value, dt.datetime):
        assert value.tzinfo is not None, f"naive timestamp {value!r}"
        return round(value.timestamp(), 3)
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    return value


# --- requests: botocore serialises, we parse ---------------------------------------------


def botocore_request(operation: OperationModel, params: dict[str, Any]) -> AWSPreparedRequest:
    """The HTTP request botocore's client would send, up to signing."""
    serializer = create_serializer(operation.metadata["protocol"], include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared: AWSPreparedRequest = create_request_object(request_dict).prepare()
    return prepared


def body_bytes(request: AWSPreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    return body.encode() if isinstance(body, str) else bytes(body)


def parse_with_ours(service: str, operation: OperationModel, request: AWSPreparedRequest) -> Any:
    body = body_bytes(request)
    if service == COGNITO_IDP:
        prefix = service_model(service).metadata["targetPrefix"]
        assert json_rpc.operation_name(request.headers["X-Amz-Target"], prefix) == operation.name
        return json_rpc.parse_request(operation, body)
    if service == SES:
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        assert form["Action"] == operation.name
        return query.parse_request(operation, form)
    url = urlsplit(request.url)
    found = rest_routes.match(service, request.method, url.path)
    assert found is not None, f"no route for {request.method} {url.path}"
    assert found.operation == operation.name
    return rest_json.parse_request(
        operation,
        labels=found.labels,
        query=parse_qsl(url.query, keep_blank_values=True),
        headers={key.lower(): value for key, value in request.headers.items()},
        body=body,
        source=found.source,
    )


def check_request(service: str, operation: OperationModel, params: dict[str, Any]) -> None:
    # The client fills idempotency tokens before serialising (before-parameter-build).
    generate_idempotent_uuid(params, operation)
    parsed = parse_with_ours(service, operation, botocore_request(operation, params))
    assert normalise(parsed) == normalise(params)


@pytest.mark.parametrize(("service", "name"), operation_params())
def test_request_round_trip(service: str, name: str) -> None:
    operation = service_model(service).operation_model(name)
    check_request(service, operation, sample_input(operation))


@pytest.mark.parametrize(("service", "name"), operation_params())
def test_request_with_empty_collections(service: str, name: str) -> None:
    # Empty lists and maps: `Name=` in a query form, `[]`/`{}` in JSON.
    operation = service_model(service).operation_model(name)
    check_request(service, operation, sample_input(operation, items=0))


def unfilled(shape: Shape, value: Any, path: str) -> list[str]:
    """Members, list items and map entries a sample left out, by path."""
    if isinstance(shape, StructureShape) and not shape.is_document_type:
        if shape.is_tagged_union:
            return [] if len(value) == 1 else [path]
        missing = [f"{path}.{name}" for name in shape.members if name not in value]
        for name, member in shape.members.items():
            if name in value:
                missing += unfilled(member, value[name], f"{path}.{name}")
        return missing
    if isinstance(shape, ListShape):
        items = [unfilled(shape.member, item, f"{path}[]") for item in value]
        return [path] if not value else [p for item in items for p in item]
    if isinstance(shape, MapShape):
        entries = [unfilled(shape.value, item, f"{path}{{}}") for item in value.values()]
        return [path] if not value else [p for entry in entries for p in entry]
    return []


def test_samples_fill_every_member() -> None:
    # Guards the oracle itself: a generator that left members out would test nothing.
    missing = []
    for service in SERVICES:
        model = service_model(service)
        for name in model.operation_names:
            operation = model.operation_model(name)
            for shape, value in (
                (operation.input_shape, sample_input(operation)),
                (operation.output_shape, sample_output(operation)),
            ):
                if shape is not None:
                    missing += unfilled(shape, value, f"{service}/{name}")
    assert missing == []


def legacy_service_model(service: str, legacy: rest_routes.LegacyRoute) -> ServiceModel:
    """The service model of an older botocore, with the operation on its legacy route."""
    loader = botocore.loaders.create_loader()
    raw = copy.deepcopy(loader.load_service_model(service, "service-2"))
    operation = raw["operations"][legacy.operation]
    operation["http"] = {"method": legacy.method, "requestUri": legacy.uri}
    input_shape = raw["shapes"][operation["input"]["shape"]]
    members = {name: input_shape["members"][name] for name in ("NextToken", "PageSize")}
    if legacy.source == "query":
        for name, member in members.items():
            member.update(location="querystring", locationName=name)
    input_shape["members"] = members
    return ServiceModel(raw, service_name=service)


LEGACY = [
    pytest.param(route, id=f"{route.operation}-{route.method}-{route.uri}")
    for route in rest_routes.LEGACY_ROUTES[SESV2]
]


@pytest.mark.parametrize("route", LEGACY)
def test_list_routes_old_and_new(route: rest_routes.LegacyRoute) -> None:
    # What a botocore of either age sends must reach the operation of ours.
    old = legacy_service_model(SESV2, route).operation_model(route.operation)
    params = {"NextToken": "page/2 &=?", "PageSize": 7}
    request = botocore_request(old, params)
    assert (request.method, urlsplit(request.url).path) == (route.method, route.uri)
    operation = service_model(SESV2).operation_model(route.operation)
    assert parse_with_ours(SESV2, operation, request) == params


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("ListEmailIdentities", "/v2/email/identities"),
        ("ListConfigurationSets", "/v2/email/configuration-sets"),
    ],
)
def test_legacy_get_route_as_sent_on_the_wire(name: str, path: str) -> None:
    found = rest_routes.match(SESV2, "GET", path)
    assert found is not None
    assert found.operation == name
    operation = service_model(SESV2).operation_model(name)
    parsed = rest_json.parse_request(
        operation,
        labels=found.labels,
        query=parse_qsl("NextToken=page%2F2%20%26&PageSize=7", keep_blank_values=True),
        headers={},
        body=b"",
        source=found.source,
    )
    assert parsed == {"NextToken": "page/2 &", "PageSize": 7}


@pytest.mark.parametrize("name", ["ListEmailIdentities", "ListConfigurationSets"])
def test_list_routes_of_the_installed_model(name: str) -> None:
    operation = service_model(SESV2).operation_model(name)
    params = {"NextToken": "page/2 &=?", "PageSize": 7}
    assert parse_with_ours(SESV2, operation, botocore_request(operation, params)) == params


# --- responses: we serialise, botocore parses --------------------------------------------


def serialize_with_ours(
    service: str, operation: OperationModel, value: dict[str, Any]
) -> WireResponse:
    if service == COGNITO_IDP:
        return json_rpc.serialize_result(operation, value)
    if service == SES:
        return query.serialize_result(service, operation, value, REQUEST_ID)
    return rest_json.serialize_result(operation, value)


def parse_with_botocore(service: str, wire: WireResponse, shape: Shape | None) -> Any:
    response = {"status_code": wire.status, "headers": HeadersDict(wire.headers), "body": wire.body}
    return create_parser(protocol(service)).parse(response, shape)


def expected_status(operation: OperationModel, value: dict[str, Any]) -> int:
    shape = operation.output_shape
    for name, member in shape.members.items() if shape else ():
        if member.serialization.get("location") == "statusCode" and name in value:
            return int(value[name])
    return int(operation.http.get("responseCode", 200))


def check_response(service: str, operation: OperationModel, value: dict[str, Any]) -> None:
    wire = serialize_with_ours(service, operation, value)
    parsed = parse_with_botocore(service, wire, operation.output_shape)
    metadata = parsed.pop("ResponseMetadata")
    # Header- and status-bound members (rest-json) are part of ``parsed`` too.
    assert normalise(parsed) == normalise(value)
    assert wire.status == metadata["HTTPStatusCode"] == expected_status(operation, value)
    if service == SES:
        assert metadata["RequestId"] == REQUEST_ID


@pytest.mark.parametrize(("service", "name"), operation_params(with_output=True))
def test_response_round_trip(service: str, name: str) -> None:
    operation = service_model(service).operation_model(name)
    check_response(service, operation, sample_output(operation))


@pytest.mark.parametrize(("service", "name"), operation_params(with_output=True))
def test_response_with_empty_collections(service: str, name: str) -> None:
    operation = service_model(service).operation_model(name)
    check_response(service, operation, sample_output(operation, items=0))


@pytest.mark.parametrize(("service", "name"), operation_params(with_output=True))
def test_empty_response(service: str, name: str) -> None:
    # For query, botocore raises KeyError unless <OpResult> is there even when empty.
    check_response(service, service_model(service).operation_model(name), {})


# --- errors: we serialise, botocore parses -----------------------------------------------


def serialize_error(service: str, error: AwsError) -> WireResponse:
    if service == COGNITO_IDP:
        return json_rpc.serialize_error(service, error)
    if service == SES:
        return query.serialize_error(service, error, REQUEST_ID)
    return rest_json.serialize_error(service, error)


def check_error(service: str, error: AwsError, code: str, status: int) -> dict[str, Any]:
    wire = serialize_error(service, error)
    parsed: dict[str, Any] = parse_with_botocore(service, wire, None)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == error.message
    assert wire.status == parsed["ResponseMetadata"]["HTTPStatusCode"] == status
    if service == SES:
        assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    return parsed


ERRORS = [
    pytest.param(service, shape.name, id=f"{service}/{shape.name}")
    for service in SERVICES
    for shape in service_model(service).error_shapes
]


@pytest.mark.parametrize(("service", "shape_name"), ERRORS)
def test_modeled_error(service: str, shape_name: str) -> None:
    code = error_wire_code(service, shape_name)
    status = error_status(service, shape_name)
    assert status is not None
    check_error(service, AwsError(shape_name, MESSAGE), code, status)
    # The client maps the code back to the modeled exception class.
    assert service_model(service).shape_for_error_code(code).name == shape_name


@pytest.mark.parametrize(("service", "shape_name"), ERRORS)
def test_modeled_error_fields(service: str, shape_name: str) -> None:
    # Members of an error shape reach the client like the modeled exception's fields.
    shape = service_model(service).shape_for(shape_name)
    fields = {
        name: SampleGenerator().value(member, name, "body", ())
        for name, member in shape.members.items()
        if name.lower() != "message"
    }
    wire = serialize_error(service, AwsError(shape_name, MESSAGE, fields=fields))
    modeled = parse_with_botocore(service, wire, shape)
    expected = {**fields}
    if "message" in shape.members:
        expected["message"] = MESSAGE
    assert modeled == expected


PROTOCOL_ERRORS = [
    pytest.param(SES, "ValidationError", 400, id="ses/ValidationError"),
    pytest.param(SESV2, "BadRequestException", 400, id="sesv2/BadRequestException"),
    pytest.param(COGNITO_IDP, "InvalidParameterException", 400, id="cognito-idp/InvalidParameter"),
]


@pytest.mark.parametrize(("service", "code", "status"), PROTOCOL_ERRORS)
def test_protocol_level_error(service: str, code: str, status: int) -> None:
    check_error(service, AwsError(code, MESSAGE), code, status)


@pytest.mark.parametrize("service", SERVICES)
def test_not_implemented(service: str) -> None:
    error = not_implemented(service, "SomeOperation")
    parsed = check_error(service, error, "NotImplemented", 501)
    assert "SomeOperation" in parsed["Error"]["Message"]


def test_a_kept_result_is_written_once_as_any_result() -> None:
    operation = operation_model(COGNITO_IDP, "DescribeUserPool")
    assert operation is not None
    result = {"UserPool": {"Id": "us-east-1_AbC123xyz", "Name": "shop", "CreationDate": 1.5}}
    kept = KeptResult(result)
    first = json_rpc.serialize_result(operation, kept)
    assert first == json_rpc.serialize_result(operation, result)
    assert kept.body is first.body
    assert json_rpc.serialize_result(operation, kept).body is first.body
