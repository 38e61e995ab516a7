"""Server-side validation against the model's constraints, in AWS's exact words."""

from __future__ import annotations

from typing import Any

import pytest

from poolmail.protocol.errors import AwsError
from poolmail.protocol.models import COGNITO_IDP, SES, SESV2, service_model
from poolmail.protocol.validate import validate_input

CONSTRAINT = "failed to satisfy constraint"
USER_POOL_ID = "us-east-1_AbCdEf123"


def violation(service: str, operation: str, params: dict[str, Any]) -> AwsError:
    shape = service_model(service).operation_model(operation).input_shape
    with pytest.raises(AwsError) as caught:
        validate_input(service, shape, params)
    return caught.value


def only_message(service: str, operation: str, params: dict[str, Any]) -> str:
    error = violation(service, operation, params)
    prefix = "1 validation error detected: "
    assert error.message.startswith(prefix), error.message
    return error.message.removeprefix(prefix)


def test_valid_input_passes() -> None:
    shape = service_model(COGNITO_IDP).operation_model("AdminCreateUser").input_shape
    params = {
        "UserPoolId": USER_POOL_ID,
        "Username": "jörg",
        "UserAttributes": [{"Name": "email", "Value": "jörg@exämple.com"}],
        "MessageAction": "SUPPRESS",
        "ClientMetadata": {"key": "value"},
    }
    validate_input(COGNITO_IDP, shape, params)


def test_no_input_shape_passes() -> None:
    validate_input(COGNITO_IDP, None, {})


def test_required_member_missing() -> None:
    assert only_message(COGNITO_IDP, "AdminGetUser", {"Username": "alice"}) == (
        f"Value null at 'userPoolId' {CONSTRAINT}: Member must not be null"
    )


def test_length_above_max() -> None:
    long_id = "us-east-1_" + "a" * 46  # 56 characters, the pattern still matches
    assert only_message(
        COGNITO_IDP, "AdminGetUser", {"UserPoolId": long_id, "Username": "alice"}
    ) == (
        f"Value '{long_id}' at 'userPoolId' {CONSTRAINT}: "
        "Member must have length less than or equal to 55"
    )


def test_length_below_min_in_a_nested_member() -> None:
    short_arn = "arn:aws:ses::1:x"  # matches ArnType's pattern, but min is 20
    params = {"PoolName": "pool", "EmailConfiguration": {"SourceArn": short_arn}}
    assert only_message(COGNITO_IDP, "CreateUserPool", params) == (
        f"Value '{short_arn}' at 'emailConfiguration.sourceArn' {CONSTRAINT}: "
        "Member must have length greater than or equal to 20"
    )


def test_value_below_min() -> None:
    assert only_message(COGNITO_IDP, "ListUserPools", {"MaxResults": 0}) == (
        f"Value '0' at 'maxResults' {CONSTRAINT}: Member must have value greater than or equal to 1"
    )


def test_value_above_max() -> None:
    assert only_message(COGNITO_IDP, "ListUserPools", {"MaxResults": 61}) == (
        f"Value '61' at 'maxResults' {CONSTRAINT}: Member must have value less than or equal to 60"
    )


def test_java_pattern_with_unicode_classes() -> None:
    params = {"PoolName": "pool", "EmailConfiguration": {"ReplyToEmailAddress": "no-at-sign"}}
    assert only_message(COGNITO_IDP, "CreateUserPool", params) == (
        f"Value 'no-at-sign' at 'emailConfiguration.replyToEmailAddress' {CONSTRAINT}: "
        r"Member must satisfy regular expression pattern: "
        r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+@[\p{L}\p{M}\p{S}\p{N}\p{P}]+"
    )


def test_java_pattern_accepts_letters_of_any_script() -> None:
    shape = service_model(COGNITO_IDP).operation_model("CreateUserPool").input_shape
    params = {"PoolName": "pool", "EmailConfiguration": {"ReplyToEmailAddress": "jörg@例え.jp"}}
    validate_input(COGNITO_IDP, shape, params)


def test_enum() -> None:
    params = {"UserPoolId": USER_POOL_ID, "Username": "alice", "MessageAction": "NOPE"}
    assert only_message(COGNITO_IDP, "AdminCreateUser", params) == (
        f"Value 'NOPE' at 'messageAction' {CONSTRAINT}: "
        "Member must satisfy enum value set: [RESEND, SUPPRESS]"
    )


@pytest.mark.parametrize("index", [1, 2])
def test_list_item_path(index: int) -> None:
    attributes = [{"Name": "email", "Value": "a@example.com"}]
    attributes.insert(index - 1, {"Name": "n" * 33, "Value": "v"})
    params = {"UserPoolId": USER_POOL_ID, "Username": "alice", "UserAttributes": attributes}
    assert only_message(COGNITO_IDP, "AdminCreateUser", params) == (
        f"Value '{'n' * 33}' at 'userAttributes.{index}.member.name' {CONSTRAINT}: "
        "Member must have length less than or equal to 32"
    )


def test_sensitive_value_is_left_out() -> None:
    params = {"ClientId": "client1", "Username": "alice", "Password": "has space"}
    message = only_message(COGNITO_IDP, "SignUp", params)
    assert message == (
        f"Value at 'password' {CONSTRAINT}: Member must satisfy regular expression pattern: [\\S]+"
    )
    assert "has space" not in message


def test_several_errors_are_counted_and_joined() -> None:
    error = violation(COGNITO_IDP, "AdminGetUser", {})
    assert error.message == (
        "2 validation errors detected: "
        f"Value null at 'userPoolId' {CONSTRAINT}: Member must not be null; "
        f"Value null at 'username' {CONSTRAINT}: Member must not be null"
    )


@pytest.mark.parametrize(
    ("service", "operation", "params", "code", "message"),
    [
        pytest.param(
            COGNITO_IDP,
            "ListUserPools",
            {},
            "InvalidParameterException",
            f"Value null at 'maxResults' {CONSTRAINT}: Member must not be null",
            id="cognito-idp",
        ),
        pytest.param(
            SES,
            "ListIdentities",
            {"IdentityType": "Nope"},
            "ValidationError",
            f"Value 'Nope' at 'identityType' {CONSTRAINT}: "
            "Member must satisfy enum value set: [EmailAddress, Domain]",
            id="ses",
        ),
        pytest.param(
            SESV2,
            "GetEmailIdentity",
            {},
            "BadRequestException",
            f"Value null at 'emailIdentity' {CONSTRAINT}: Member must not be null",
            id="sesv2",
        ),
    ],
)
def test_error_code_per_service(
    service: str, operation: str, params: dict[str, Any], code: str, message: str
) -> None:
    error = violation(service, operation, params)
    assert (error.code, error.message) == (code, f"1 validation error detected: {message}")


# Values that match the models' plain patterns (no escapes), each of which the test below
# also alters a character at a time.
PLAIN_MATCHES = [
    "123",
    "Level3",
    "abc123",
    "eyJhbGciOi.eyJzdWIi-_=.sig+/=",
    "0aF9",
    "cognito:english",
    "cognito:chinese-traditional",
    "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    "my_config-set",
    "tkn" + "a1" * 12 + "b",
    "terms-of-use",
    "import-AbC-123",
    "arn:aws:connect:us-east-1:123456789012:instance/3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    "someone@example.com",
    "arn:aws:ses:us-east-1:123456789012:mailmanager-archive/a-" + "b" * 24,
    "X-Custom",
    "value with spaces ~",
    "QUJDRA==",
    "line\nbreak",
]
ODD_CHARACTERS = ["", "\n", " ", "é", "ß", "İ", "٣", "_", "-", "=", ".", "[", "~", "@", "\x00"]


def test_plain_patterns_match_as_regex_matches_them() -> None:
    """Patterns without escapes go to `re` (validate._compile): it must answer every
    value as `regex` does."""
    import regex

    from poolmail.protocol.validate import _compile

    patterns = {
        shape.metadata["pattern"]
        for name in (COGNITO_IDP, SES, SESV2)
        for shape in map(service_model(name).shape_for, service_model(name).shape_names)
        if "pattern" in shape.metadata
    }
    plain = [pattern for pattern in patterns if pattern.isascii() and "\\" not in pattern]
    assert len(plain) >= 15
    values = set(PLAIN_MATCHES)
    for value in PLAIN_MATCHES:
        for index in range(len(value) + 1):
            for odd in ODD_CHARACTERS:
                values.add(value[:index] + odd + value[index + 1 :])
                values.add(value[:index] + odd + value[index:])
    for pattern in plain:
        ours, theirs = _compile(pattern), regex.compile(pattern, regex.DOTALL)
        assert ours is not None
        matched = 0
        for value in values:
            expected = theirs.fullmatch(value) is not None
            assert (ours.fullmatch(value) is not None) == expected, (pattern, value)
            matched += expected
        assert matched, pattern
