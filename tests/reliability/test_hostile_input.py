"""Hostile input, generated from the botocore shapes of every implemented operation:
the server never answers 5xx, always answers in the protocol's error format, and a
rejected request changes no state.

The app runs in-process (httpx's ASGI transport), so thousands of requests take seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Iterator
from typing import Any

import botocore.serialize
import httpx
import pytest
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poolmail.config import Settings
from poolmail.operations import build_registry
from poolmail.protocol.models import service_model
from poolmail.server.app import create_app
from poolmail.store import Database, open_database

# Tables a rejected request may legitimately write: the sending log keeps refused
# messages, failed confirmations count toward the attempt limits, as on AWS, and the record
# of Lambda trigger invocations keeps the failed ones (which refuse their request).
LOGGED_TABLES = {
    "messages",
    "message_events",
    "user_attempts",
    "schema_version",
    "function_invocations",
}
# Cognito keeps a signed-up user when the mail fails, as AWS documents.
STATEFUL_ERRORS = {"CodeDeliveryFailureException", "LimitExceededException"}
PROTOCOL = {"cognito-idp": "json", "ses": "query", "sesv2": "rest-json"}
HEADERS = {
    "json": {"Content-Type": "application/x-amz-json-1.1"},
    "query": {"Content-Type": "application/x-www-form-urlencoded"},
    "rest-json": {"Content-Type": "application/json"},
}
SIGNATURE = {
    "cognito-idp": "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/cognito-idp/"
    "aws4_request, SignedHeaders=host, Signature=00",
    "ses": "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/ses/aws4_request, "
    "SignedHeaders=host, Signature=00",
    "sesv2": "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20260101/us-east-1/ses/aws4_request, "
    "SignedHeaders=host, Signature=00",
}


def operations() -> list[tuple[str, str]]:
    return sorted((service, name) for service, table in build_registry().items() for name in table)


class AsgiClient:
    """A synchronous face on httpx's ASGI transport. Its event loop runs in a thread of its
    own, so it works whatever the calling thread's loop is doing (Playwright's sync API
    leaves one running in the main thread)."""

    def __init__(self, app: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://poolmail.test"
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        future = asyncio.run_coroutine_threadsafe(
            self.client.request(method, url, **kwargs), self.loop
        )
        return future.result(timeout=60)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.client.aclose(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def app_and_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AsgiClient, Database]]:
    db = open_database(data_dir=str(tmp_path_factory.mktemp("fuzz")))
    client = AsgiClient(create_app(Settings(), db))
    yield client, db
    client.close()
    db.close()


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    with db.transaction() as tx:
        tables = [
            row[0]
            for row in tx.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
            if row[0] not in LOGGED_TABLES and not row[0].startswith("sqlite_")
        ]
        return {table: sorted(map(repr, tx.fetchall(f"SELECT * FROM {table}"))) for table in tables}


def values(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of the right type, mostly breaking the shape's constraints."""
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        if depth > 3:
            return st.just({})
        members = {name: values(member, depth + 1) for name, member in shape.members.items()}
        return st.fixed_dictionaries({}, optional=members)
    if isinstance(shape, ListShape):
        return st.lists(values(shape.member, depth + 1), max_size=3)
    if isinstance(shape, MapShape):
        return st.dictionaries(st.text(max_size=8), values(shape.value, depth + 1), max_size=2)
    if kind == "string":
        options = [st.text(max_size=40), st.text(alphabet="ab@._-1", max_size=12)]
        if shape.enum:
            options.append(st.sampled_from(shape.enum))
        return st.one_of(*options)
    if kind in ("integer", "long"):
        return st.integers(min_value=-(2**31), max_value=2**31 - 1)
    if kind in ("double", "float"):
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(
            min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1)
        ).map(lambda moment: moment.replace(tzinfo=dt.UTC))
    if kind == "blob":
        return st.binary(max_size=64)
    return st.none()


def serialized(service: str, operation: OperationModel, params: dict[str, Any]) -> Any:
    serializer = botocore.serialize.create_serializer(PROTOCOL[service], include_validation=False)
    return serializer.serialize_to_request(params, operation)


def send(client: AsgiClient, service: str, request: dict[str, Any]) -> Any:
    query = request.get("query_string") or {}
    body = request["body"]
    if isinstance(body, dict):  # the query protocol hands back form fields
        from urllib.parse import urlencode

        body = urlencode(body, doseq=True)
    headers = {
        **HEADERS[PROTOCOL[service]],
        **{k: v for k, v in request["headers"].items()},
        "Authorization": SIGNATURE[service],
    }
    return client.request(
        request["method"], request["url_path"], params=query, content=body, headers=headers
    )


def assert_aws_shaped(service: str, answer: Any) -> None:
    assert answer.status_code < 500 or answer.status_code == 501, answer.text
    if answer.status_code < 400:
        return
    protocol = PROTOCOL[service]
    if protocol == "json":
        assert "__type" in answer.json()
    elif protocol == "query":
        assert answer.text.startswith("<ErrorResponse"), answer.text
    else:
        assert answer.headers.get("x-amzn-ErrorType"), answer.headers


def error_code(service: str, answer: Any) -> str:
    if PROTOCOL[service] == "json":
        return str(answer.json().get("__type", ""))
    if PROTOCOL[service] == "rest-json":
        return str(answer.headers.get("x-amzn-ErrorType", ""))
    start = answer.text.find("<Code>")
    return answer.text[start + 6 : answer.text.find("</Code>")] if start >= 0 else ""


@pytest.mark.parametrize(("service", "name"), operations(), ids=lambda value: str(value))
def test_generated_requests_get_aws_shaped_answers(
    app_and_db: tuple[AsgiClient, Database], service: str, name: str
) -> None:
    client, db = app_and_db
    operation = service_model(service).operation_model(name)
    shape = operation.input_shape

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(values(shape) if shape is not None else st.just({}))
    def check(params: dict[str, Any]) -> None:
        try:
            request = serialized(service, operation, params)
        except Exception:
            return  # botocore itself cannot put these values on the wire
        before = snapshot(db)
        answer = send(client, service, request)
        assert_aws_shaped(service, answer)
        if answer.status_code >= 400 and error_code(service, answer) not in STATEFUL_ERRORS:
            assert snapshot(db) == before, f"{name} changed state and answered {answer.text}"

    check()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    service=st.sampled_from(["cognito-idp", "ses", "sesv2"]),
    body=st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        st.just(b'{"UserPoolId": '),
        st.just(b"\xff\xfe{}"),
        st.just(b"[]"),
        st.just(b'{"MaxResults": "ten"}'),
        st.just(b"Action=ListIdentities&MaxItems=notanumber"),
    ),
    content_type=st.sampled_from(
        ["application/x-amz-json-1.1", "application/json", "text/plain", "", "application/xml"]
    ),
    target=st.sampled_from(
        ["ListUserPools", "CreateUserPool", "SignUp", "NoSuchOperation", "..", ""]
    ),
    path=st.sampled_from(["/", "/v2/email/identities", "/v2/email/account/details", "/v2/x"]),
)
def test_malformed_requests_get_aws_shaped_answers(
    app_and_db: tuple[AsgiClient, Database],
    service: str,
    body: bytes,
    content_type: str,
    target: str,
    path: str,
) -> None:
    client, db = app_and_db
    headers = {"Content-Type": content_type, "Authorization": SIGNATURE[service]}
    if service == "cognito-idp":
        headers["X-Amz-Target"] = f"AWSCognitoIdentityProviderService.{target}"
        path = "/"
    elif service == "ses":
        path = "/"
    before = snapshot(db)
    answer = client.post(path, content=body, headers=headers)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert snapshot(db) == before


def test_an_oversized_body_is_refused_early(app_and_db: tuple[AsgiClient, Database]) -> None:
    client, _ = app_and_db
    answer = client.post(
        "/",
        content=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            "Content-Length": str(65 * 2**20),
        },
    )
    assert answer.status_code == 413
    assert json.loads(answer.content)["__type"] == "RequestEntityTooLargeException"


# ---- Cognito operations on real pools ------------------------------------------------------
#
# Generated ids are never a pool's, so the test above stops at "not found". Here each
# operation runs against two real pools (one with every Lambda trigger set, to a function
# nothing serves): ids, names and tokens come from them half the time.

SEED_PASSWORD = "Fuzz-Passw0rd!"
TRIGGER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:fuzz-trigger"
TRIGGERS = [
    "PreSignUp",
    "CustomMessage",
    "PostConfirmation",
    "PreAuthentication",
    "PostAuthentication",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
    "PreTokenGeneration",
    "UserMigration",
]


def cognito(client: AsgiClient, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(
        "/",
        content=json.dumps(params),
        headers={
            **HEADERS["json"],
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            "Authorization": SIGNATURE["cognito-idp"],
        },
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def seed_pools(client: AsgiClient) -> dict[str, list[str]]:
    """Two pools, each with a client, a group, a resource server and a user (signed in on
    the plain one), and the values that name them, by member name."""
    known: dict[str, list[str]] = {name: [] for name in ("UserPoolId", "ClientId")}
    tokens: dict[str, Any] = {}
    for with_triggers in (False, True):
        pool_id = cognito(
            client,
            "CreateUserPool",
            {"PoolName": "seeded", "AutoVerifiedAttributes": ["email"]},
        )["UserPool"]["Id"]
        client_id = cognito(
            client,
            "CreateUserPoolClient",
            {
                "UserPoolId": pool_id,
                "ClientName": "seeded",
                "ExplicitAuthFlows": [
                    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                    "ALLOW_USER_PASSWORD_AUTH",
                    "ALLOW_REFRESH_TOKEN_AUTH",
                ],
            },
        )["UserPoolClient"]["ClientId"]
        cognito(client, "CreateGroup", {"UserPoolId": pool_id, "GroupName": "admins"})
        cognito(
            client,
            "CreateResourceServer",
            {"UserPoolId": pool_id, "Identifier": "https://api.fuzz.test", "Name": "api"},
        )
        cognito(
            client,
            "AdminCreateUser",
            {
                "UserPoolId": pool_id,
                "Username": "alice",
                "MessageAction": "SUPPRESS",
                "UserAttributes": [{"Name": "email", "Value": "alice@example.com"}],
            },
        )
        cognito(
            client,
            "AdminSetUserPassword",
            {
                "UserPoolId": pool_id,
                "Username": "alice",
                "Password": SEED_PASSWORD,
                "Permanent": True,
            },
        )
        if with_triggers:
            cognito(
                client,
                "UpdateUserPool",
                {
                    "UserPoolId": pool_id,
                    "AutoVerifiedAttributes": ["email"],
                    "LambdaConfig": {trigger: TRIGGER_ARN for trigger in TRIGGERS},
                },
            )
        else:
            tokens = cognito(
                client,
                "AdminInitiateAuth",
                {
                    "UserPoolId": pool_id,
                    "ClientId": client_id,
                    "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": "alice", "PASSWORD": SEED_PASSWORD},
                },
            )["AuthenticationResult"]
        known["UserPoolId"].append(pool_id)
        known["ClientId"].append(client_id)
    return {
        **known,
        "Username": ["alice"],
        "USERNAME": ["alice"],
        "GroupName": ["admins"],
        "Identifier": ["https://api.fuzz.test"],
        "Password": [SEED_PASSWORD],
        "PreviousPassword": [SEED_PASSWORD],
        "ProposedPassword": ["Fuzz-Passw0rd!2"],
        "PASSWORD": [SEED_PASSWORD],
        "AccessToken": [tokens["AccessToken"]],
        "RefreshToken": [tokens["RefreshToken"]],
        "REFRESH_TOKEN": [tokens["RefreshToken"]],
        "Token": [tokens["RefreshToken"]],
        "Name": ["email", "name", "phone_number", "custom:plan"],
        "LambdaArn": [TRIGGER_ARN],
    }


def plausible(
    shape: Shape, known: dict[str, list[str]], depth: int = 0, member: str = ""
) -> st.SearchStrategy[Any]:
    """Values that mostly keep the shape's constraints (required members present, known
    ids, enum values, lengths and ranges kept), with hostile ones among them: requests
    that get past the model's validation to the operation itself."""
    limits = shape.metadata
    if isinstance(shape, StructureShape):
        if depth > 3:
            return st.just({})
        inner = {
            name: plausible(child, known, depth + 1, name) for name, child in shape.members.items()
        }
        required = {name: inner.pop(name) for name in shape.required_members if name in inner}
        return st.fixed_dictionaries(required, optional=inner)
    if isinstance(shape, ListShape):
        low = int(limits.get("min", 0))
        return st.lists(
            plausible(shape.member, known, depth + 1, member),
            min_size=low,
            max_size=max(low, min(int(limits.get("max", 3)), 3)),
        )
    if isinstance(shape, MapShape):
        return st.dictionaries(
            st.text(alphabet="abcdefgh", min_size=1, max_size=8),
            plausible(shape.value, known, depth + 1),
            max_size=2,
        )
    if shape.type_name == "string":
        # Known ids and enum values as they are: the test above breaks them already.
        if member in known:
            return st.sampled_from(known[member])
        if shape.enum:
            return st.sampled_from(shape.enum)
        low = int(limits.get("min", 0))
        fitting = st.text(
            alphabet="abcdefghijklmnopqrstuvwxyz0123456789",
            min_size=low,
            max_size=max(low, min(int(limits.get("max", 20)), 20)),
        )
        return st.one_of(fitting, fitting, values(shape))
    if shape.type_name in ("integer", "long"):
        low = int(limits.get("min", 0))
        return st.one_of(
            st.integers(min_value=low, max_value=max(low, min(int(limits.get("max", 60)), 60))),
            values(shape),
        )
    return values(shape, depth)


def cognito_operations() -> list[str]:
    return sorted(build_registry()["cognito-idp"])


def still_there(client: AsgiClient, known: dict[str, list[str]]) -> bool:
    """Whether both seeded pools, their user and the user's tokens are still valid (an
    operation before may have deleted or revoked them)."""
    checks = [("GetUser", {"AccessToken": known["AccessToken"][0]})] + [
        ("AdminGetUser", {"UserPoolId": pool_id, "Username": "alice"})
        for pool_id in known["UserPoolId"]
    ]
    for operation, params in checks:
        answer = client.post(
            "/",
            content=json.dumps(params),
            headers={
                **HEADERS["json"],
                "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
                "Authorization": SIGNATURE["cognito-idp"],
            },
        )
        if answer.status_code != 200:
            return False
    return True


@pytest.fixture(scope="module")
def seeded(app_and_db: tuple[AsgiClient, Database]) -> dict[str, list[str]]:
    # Seeded once: a pool's first token costs its signing key (about a second); seeded
    # again only when an operation has deleted or revoked what the others need.
    return seed_pools(app_and_db[0])


@pytest.mark.parametrize("name", cognito_operations())
def test_cognito_operations_on_real_pools(
    app_and_db: tuple[AsgiClient, Database], seeded: dict[str, list[str]], name: str
) -> None:
    client, db = app_and_db
    if not still_there(client, seeded):
        seeded.update(seed_pools(client))
    known = seeded
    operation = service_model("cognito-idp").operation_model(name)
    shape = operation.input_shape

    @settings(
        max_examples=6,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(plausible(shape, known) if shape is not None else st.just({}))
    def check(params: dict[str, Any]) -> None:
        try:
            request = serialized("cognito-idp", operation, params)
        except Exception:
            return  # botocore itself cannot put these values on the wire
        before = snapshot(db)
        answer = send(client, "cognito-idp", request)
        assert_aws_shaped("cognito-idp", answer)
        if answer.status_code >= 400 and error_code("cognito-idp", answer) not in STATEFUL_ERRORS:
            assert snapshot(db) == before, f"{name} changed state and answered {answer.text}"

    check()
