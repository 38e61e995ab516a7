"""AddCustomAttributes: the `custom:` and `dev:custom:` names, AWS's refusals, the limit
of 50, and the new attributes at work wherever attributes are checked (sign-up, admin
create and update, the user's own updates, app clients' read and write sets)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    PASSWORD,
    auth_client,
    auth_pool,
    confirmed_user,
    error_of,
    idp,
    make_pool,
    password_auth,
    user_of,
)
from tests.support.server import ServerProcess

INVALID = "InvalidParameterException"


def add(server: ServerProcess, pool_id: str, *entries: dict[str, Any]) -> None:
    idp(server).add_custom_attributes(UserPoolId=pool_id, CustomAttributes=list(entries))


def add_error(server: ServerProcess, pool_id: str, *entries: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        add(server, pool_id, *entries)
    return error_of(excinfo)


def schema_of(server: ServerProcess, pool_id: str) -> dict[str, dict[str, Any]]:
    pool = idp(server).describe_user_pool(UserPoolId=pool_id)["UserPool"]
    return {entry["Name"]: entry for entry in pool["SchemaAttributes"]}


def test_added_attributes_are_named_and_shown_as_aws_does(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    add(
        live,
        pool_id,
        {
            "Name": "tier",
            "AttributeDataType": "String",
            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "15"},
        },
        {"Name": "level", "AttributeDataType": "Number", "Mutable": False},
        {"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
        # AWS adds the prefix to a name that already has it.
        {"Name": "custom:team", "AttributeDataType": "Boolean"},
    )
    schema = schema_of(live, pool_id)
    assert schema["custom:tier"] == {
        "Name": "custom:tier",
        "AttributeDataType": "String",
        "DeveloperOnlyAttribute": False,
        "Mutable": True,
        "Required": False,
        "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "15"},
    }
    assert schema["custom:level"] == {
        "Name": "custom:level",
        "AttributeDataType": "Number",
        "DeveloperOnlyAttribute": False,
        "Mutable": False,
        "Required": False,
        "NumberAttributeConstraints": {},
    }
    assert schema["dev:custom:secret"]["DeveloperOnlyAttribute"] is True
    assert schema["custom:custom:team"]["AttributeDataType"] == "Boolean"
    # The standard attributes come first, untouched; the new ones follow in request order.
    names = list(schema)
    assert names[:2] == ["sub", "name"]
    assert names[-4:] == ["custom:tier", "custom:level", "dev:custom:secret", "custom:custom:team"]


def test_refusals(live: ServerProcess) -> None:
    pool_id = make_pool(
        live, Schema=[{"Name": "tier", "AttributeDataType": "String", "Mutable": True}]
    )
    assert add_error(live, pool_id, {"Name": "tier", "AttributeDataType": "String"}) == (
        INVALID,
        "custom:tier: Existing attribute already has name custom:tier.",
    )
    # The developer-only form of a taken name is the same attribute.
    dev_only = {"Name": "tier", "AttributeDataType": "String", "DeveloperOnlyAttribute": True}
    assert add_error(live, pool_id, dev_only) == (
        INVALID,
        "custom:tier: Existing attribute already has name dev:custom:tier.",
    )
    twice = {"Name": "rank", "AttributeDataType": "Number"}
    assert add_error(live, pool_id, twice, twice) == (
        INVALID,
        "custom:rank: Existing attribute already has name custom:rank.",
    )
    assert add_error(
        live, pool_id, {"Name": "rank", "AttributeDataType": "String", "Required": True}
    ) == (INVALID, "Required custom attributes are not supported currently.")
    assert add_error(live, pool_id, {"Name": "rank"}) == (
        INVALID,
        "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
    )
    assert add_error(
        live,
        pool_id,
        {
            "Name": "rank",
            "AttributeDataType": "String",
            "StringAttributeConstraints": {"MinLength": "9", "MaxLength": "3"},
        },
    ) == (INVALID, "user.custom:rank: Max length cannot be less than min length.")
    # A refused request adds nothing, not even its valid entries.
    assert add_error(live, pool_id, {"Name": "ok", "AttributeDataType": "String"}, twice, twice)
    assert "custom:ok" not in schema_of(live, pool_id)
    with pytest.raises(ClientError) as excinfo:
        add(live, "us-east-1_nothere00", {"Name": "x", "AttributeDataType": "String"})
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool us-east-1_nothere00 does not exist.",
    )


def test_a_pool_holds_at_most_fifty_custom_attributes(live: ServerProcess) -> None:
    pool_id = make_pool(live, Schema=[{"Name": "a0", "AttributeDataType": "String"}])
    add(live, pool_id, *({"Name": f"b{n}", "AttributeDataType": "String"} for n in range(25)))
    add(live, pool_id, *({"Name": f"c{n}", "AttributeDataType": "Number"} for n in range(24)))
    assert add_error(live, pool_id, {"Name": "d", "AttributeDataType": "String"}) == (
        INVALID,
        "A user pool can have at most 50 custom attributes.",
    )
    assert sum(name.startswith("custom:") for name in schema_of(live, pool_id)) == 50


def test_new_attributes_are_known_to_sign_up_and_admin_operations(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    cognito = idp(live)
    attributes = [{"Name": "custom:plan", "Value": "gold"}]
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(
            ClientId=client_id, Username="ada", Password=PASSWORD, UserAttributes=attributes
        )
    assert error_of(excinfo) == (
        INVALID,
        "Attributes did not conform to the schema: custom:plan: "
        "Attribute does not exist in the schema.\n",
    )
    add(live, pool_id, {"Name": "plan", "AttributeDataType": "String"})
    cognito.sign_up(
        ClientId=client_id, Username="ada", Password=PASSWORD, UserAttributes=attributes
    )
    assert user_of(live, pool_id, "ada")["attributes"]["custom:plan"] == "gold"
    cognito.admin_create_user(
        UserPoolId=pool_id, Username="bo", UserAttributes=attributes, MessageAction="SUPPRESS"
    )
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="bo",
        UserAttributes=[{"Name": "custom:plan", "Value": "silver"}],
    )
    assert user_of(live, pool_id, "bo")["attributes"]["custom:plan"] == "silver"


def test_immutable_attributes_are_set_once(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    add(live, pool_id, {"Name": "badge", "AttributeDataType": "String", "Mutable": False})
    cognito = idp(live)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="cy",
        UserAttributes=[{"Name": "custom:badge", "Value": "B-1"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="cy", Password=PASSWORD, Permanent=True
    )
    change = [{"Name": "custom:badge", "Value": "B-2"}]
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_user_attributes(
            UserPoolId=pool_id, Username="cy", UserAttributes=change
        )
    assert error_of(excinfo) == (INVALID, "user.custom:badge: Attribute cannot be updated.\n")
    token = password_auth(live, client_id, "cy")["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_attributes(AccessToken=token, UserAttributes=change)
    assert error_of(excinfo) == (INVALID, "user.custom:badge: Attribute cannot be updated.\n")
    assert user_of(live, pool_id, "cy")["attributes"]["custom:badge"] == "B-1"


def test_values_meet_their_constraints(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    add(
        live,
        pool_id,
        {
            "Name": "code",
            "AttributeDataType": "String",
            "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "4"},
        },
        {
            "Name": "age",
            "AttributeDataType": "Number",
            "NumberAttributeConstraints": {"MinValue": "18", "MaxValue": "120"},
        },
    )
    cognito = idp(live)

    def create_error(*pairs: tuple[str, str]) -> tuple[str, str]:
        with pytest.raises(ClientError) as excinfo:
            cognito.admin_create_user(
                UserPoolId=pool_id,
                Username="dee",
                UserAttributes=[{"Name": name, "Value": value} for name, value in pairs],
                MessageAction="SUPPRESS",
            )
        return error_of(excinfo)

    prefix = "Attributes did not conform to the schema: "
    assert create_error(("custom:code", "ABCDE"), ("custom:age", "12")) == (
        INVALID,
        prefix + "custom:code: String must be no longer than 4 characters.\n"
        "custom:age: Number must be no less than 18.\n",
    )
    assert create_error(("custom:code", "A")) == (
        INVALID,
        prefix + "custom:code: String must be at least 2 characters long.\n",
    )
    assert create_error(("custom:age", "old")) == (
        INVALID,
        prefix + "custom:age: Attribute value must be an integer.\n",
    )
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="dee",
        UserAttributes=[
            {"Name": "custom:code", "Value": "AB"},
            {"Name": "custom:age", "Value": "40"},
        ],
        MessageAction="SUPPRESS",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_user_attributes(
            UserPoolId=pool_id,
            Username="dee",
            UserAttributes=[{"Name": "custom:age", "Value": "121"}],
        )
    assert error_of(excinfo) == (INVALID, "user.custom:age: Number must be no greater than 120.\n")


def test_developer_only_attributes_are_for_administrators(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    add(
        live,
        pool_id,
        {"Name": "score", "AttributeDataType": "Number", "DeveloperOnlyAttribute": True},
    )
    confirmed_user(live, pool_id, "eve")
    cognito = idp(live)
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="eve",
        UserAttributes=[{"Name": "dev:custom:score", "Value": "7"}],
    )
    assert user_of(live, pool_id, "eve")["attributes"]["dev:custom:score"] == "7"
    result = password_auth(live, client_id, "eve")["AuthenticationResult"]
    token = result["AccessToken"]
    payload = result["IdToken"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert "dev:custom:score" not in claims and "custom:score" not in claims
    for name in ("dev:custom:score", "custom:score"):
        with pytest.raises(ClientError) as excinfo:
            cognito.update_user_attributes(
                AccessToken=token, UserAttributes=[{"Name": name, "Value": "99"}]
            )
        assert error_of(excinfo) == (
            "NotAuthorizedException",
            "A client attempted to write unauthorized attribute",
        )
    assert user_of(live, pool_id, "eve")["attributes"]["dev:custom:score"] == "7"
    cognito.admin_delete_user_attributes(
        UserPoolId=pool_id, Username="eve", UserAttributeNames=["custom:score"]
    )
    assert "dev:custom:score" not in user_of(live, pool_id, "eve")["attributes"]


def test_app_clients_read_and_write_only_schema_attributes(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    cognito = idp(live)

    def client_error(**settings: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as excinfo:
            auth_client(live, pool_id, **settings)
        return error_of(excinfo)

    assert client_error(ReadAttributes=["email", "custom:plan"]) == (
        INVALID,
        "Invalid read attributes specified while creating a client",
    )
    assert client_error(WriteAttributes=["custom:plan"]) == (
        INVALID,
        "Invalid write attributes specified while creating a client",
    )
    add(
        live,
        pool_id,
        {"Name": "plan", "AttributeDataType": "String"},
        {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
        {"Name": "score", "AttributeDataType": "Number", "DeveloperOnlyAttribute": True},
    )
    client_id = auth_client(
        live,
        pool_id,
        ReadAttributes=["email", "custom:plan", "custom:badge", "dev:custom:score"],
        WriteAttributes=["email", "custom:plan"],
    )
    # Immutable and developer-only attributes are not writable by app clients.
    for writable in (["custom:badge"], ["dev:custom:score"], ["sub"]):
        assert client_error(WriteAttributes=writable) == (
            INVALID,
            "Invalid write attributes specified while creating a client",
        )
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool_client(
            UserPoolId=pool_id, ClientId=client_id, ReadAttributes=["custom:nope"]
        )
    assert error_of(excinfo) == (
        INVALID,
        "Invalid read attributes specified while updating a client",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool_client(
            UserPoolId=pool_id, ClientId=client_id, WriteAttributes=["custom:badge"]
        )
    assert error_of(excinfo) == (
        INVALID,
        "Invalid write attributes specified while updating a client",
    )


def test_sign_up_writes_only_what_the_client_may(live: ServerProcess) -> None:
    # AWS answers SignUp as it answers UpdateUserAttributes (aws-amplify/amplify-flutter#1243).
    pool_id = make_pool(live)
    add(
        live,
        pool_id,
        {"Name": "plan", "AttributeDataType": "String"},
        {"Name": "score", "AttributeDataType": "Number", "DeveloperOnlyAttribute": True},
    )
    narrow = auth_client(live, pool_id, WriteAttributes=["email"])
    open_client = auth_client(live, pool_id)
    cognito = idp(live)
    refused = [
        (narrow, [{"Name": "custom:plan", "Value": "gold"}]),
        (open_client, [{"Name": "dev:custom:score", "Value": "1"}]),
        (open_client, [{"Name": "custom:score", "Value": "1"}]),
    ]
    for client_id, attributes in refused:
        with pytest.raises(ClientError) as excinfo:
            cognito.sign_up(
                ClientId=client_id, Username="fay", Password=PASSWORD, UserAttributes=attributes
            )
        assert error_of(excinfo) == (
            "NotAuthorizedException",
            "A client attempted to write unauthorized attribute",
        )
    cognito.sign_up(
        ClientId=open_client,
        Username="fay",
        Password=PASSWORD,
        UserAttributes=[{"Name": "custom:plan", "Value": "gold"}],
    )
    assert user_of(live, pool_id, "fay")["attributes"]["custom:plan"] == "gold"
