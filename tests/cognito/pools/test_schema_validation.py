"""CreateUserPool's Schema checked as AWS checks it, and attribute errors that list every
attribute at fault."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    PASSWORD,
    auth_pool,
    confirmed_user,
    error_of,
    idp,
    make_pool,
    password_auth,
)
from tests.support.server import ServerProcess

INVALID = "InvalidParameterException"


def schema_error(server: ServerProcess, *entries: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        idp(server).create_user_pool(PoolName="shop", Schema=list(entries))
    return error_of(excinfo)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"Name": "user_id", "AttributeDataType": "Number", "Required": True},
            "Required custom attributes are not supported currently.",
        ),
        (
            {"Name": "user_id", "Mutable": True},
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
        ),
        (
            {
                "Name": "user_id",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "one", "MaxLength": "10"},
            },
            "Invalid StringAttributeConstraints for schema attribute custom:user_id",
        ),
        (
            {
                "Name": "user_id",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "-1"},
            },
            "Invalid StringAttributeConstraints for schema attribute custom:user_id",
        ),
        (
            {
                "Name": "user_id",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "1e9"},
            },
            "Invalid NumberAttributeConstraints for schema attribute custom:user_id",
        ),
        (
            # Python's int() takes `1_000`; a bound is digits only.
            {
                "Name": "user_id",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "1_000"},
            },
            "Invalid NumberAttributeConstraints for schema attribute custom:user_id",
        ),
        (
            {
                "Name": "user_id",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MaxLength": "2049"},
            },
            "user.custom:user_id: String attributes cannot have a length of more than 2048",
        ),
        (
            {
                "Name": "user_id",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "10", "MaxLength": "5"},
            },
            "user.custom:user_id: Max length cannot be less than min length.",
        ),
        (
            {
                "Name": "user_id",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "10", "MaxValue": "5"},
            },
            "user.custom:user_id: Max value cannot be less than min value.",
        ),
        (
            {"Name": "email", "AttributeDataType": "Number"},
            "You can not change AttributeDataType or set developerOnlyAttribute for standard "
            "schema attribute email",
        ),
        (
            {"Name": "email", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
            "You can not change AttributeDataType or set developerOnlyAttribute for standard "
            "schema attribute email",
        ),
        (
            {
                "Name": "email",
                "AttributeDataType": "String",
                "StringAttributeConstraints": {"MinLength": "5", "MaxLength": "3000"},
            },
            "user.email: String attributes cannot have a length of more than 2048",
        ),
    ],
)
def test_create_user_pool_refuses_bad_schema_entries(
    live: ServerProcess, entry: dict[str, Any], message: str
) -> None:
    assert schema_error(live, entry) == (INVALID, message)


def test_a_refused_schema_creates_no_pool(live: ServerProcess) -> None:
    cognito = idp(live)
    before = cognito.list_user_pools(MaxResults=60)["UserPools"]
    schema_error(live, {"Name": "x", "AttributeDataType": "String", "Required": True})
    assert cognito.list_user_pools(MaxResults=60)["UserPools"] == before


def test_accepted_schema_entries(live: ServerProcess) -> None:
    pool = idp(live).create_user_pool(
        PoolName="shop",
        Schema=[
            # A standard attribute restated as AWS lists it (Terraform sends these).
            {
                "Name": "email",
                "AttributeDataType": "String",
                "DeveloperOnlyAttribute": False,
                "Mutable": True,
                "Required": True,
                "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"},
            },
            {"Name": "name", "Required": True},
            {
                "Name": "balance",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "-100", "MaxValue": "100"},
            },
            # AWS quirk: email_verified is built in; named in a Schema it is a custom one.
            {"Name": "email_verified", "AttributeDataType": "Boolean"},
        ],
    )["UserPool"]
    schema = {entry["Name"]: entry for entry in pool["SchemaAttributes"]}
    assert schema["email"]["Required"] is True
    assert schema["name"]["Required"] is True
    assert schema["custom:balance"]["NumberAttributeConstraints"] == {
        "MinValue": "-100",
        "MaxValue": "100",
    }
    assert schema["custom:email_verified"]["AttributeDataType"] == "Boolean"
    assert schema["email_verified"]["AttributeDataType"] == "Boolean"


def test_duplicate_schema_entries_are_refused(live: ServerProcess) -> None:
    entry = {"Name": "tier", "AttributeDataType": "String"}
    assert schema_error(live, entry, entry) == (
        INVALID,
        "custom:tier: Existing attribute already has name custom:tier.",
    )


def test_every_unknown_attribute_is_listed(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    cognito = idp(live)
    unknown = [
        {"Name": "custom:firstName", "Value": "Ada"},
        {"Name": "email", "Value": "ada@example.com"},
        {"Name": "custom:dateOfBirth", "Value": "1815-12-10"},
        {"Name": "custom:lastName", "Value": "Lovelace"},
    ]
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(
            ClientId=client_id, Username="ada", Password=PASSWORD, UserAttributes=unknown
        )
    # The shape of aws-amplify/amplify-flutter#509: one line per attribute.
    assert error_of(excinfo) == (
        INVALID,
        "Attributes did not conform to the schema: "
        "custom:firstName: Attribute does not exist in the schema.\n"
        "custom:dateOfBirth: Attribute does not exist in the schema.\n"
        "custom:lastName: Attribute does not exist in the schema.\n",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(
            UserPoolId=pool_id, Username="ada", UserAttributes=unknown, MessageAction="SUPPRESS"
        )
    assert error_of(excinfo)[1].count("Attribute does not exist in the schema.\n") == 3
    confirmed_user(live, pool_id, "bea")
    updates = [
        {"Name": "custom:address", "Value": "x"},
        {"Name": "custom:latitude", "Value": "1"},
    ]
    # The shape of aws-amplify/amplify-flutter#1531 for the update operations.
    expected = (
        INVALID,
        "user.custom:address: Attribute does not exist in the schema.\n"
        "user.custom:latitude: Attribute does not exist in the schema.\n",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_user_attributes(
            UserPoolId=pool_id, Username="bea", UserAttributes=updates
        )
    assert error_of(excinfo) == expected
    token = password_auth(live, client_id, "bea")["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_attributes(AccessToken=token, UserAttributes=updates)
    assert error_of(excinfo) == expected
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_delete_user_attributes(
            UserPoolId=pool_id, Username="bea", UserAttributeNames=["custom:a", "custom:b"]
        )
    assert error_of(excinfo) == (
        INVALID,
        "user.custom:a: Attribute does not exist in the schema.\n"
        "user.custom:b: Attribute does not exist in the schema.\n",
    )


def test_immutable_standard_attributes_are_listed_together(live: ServerProcess) -> None:
    pool_id = make_pool(
        live,
        Schema=[
            {"Name": "name", "AttributeDataType": "String", "Mutable": False},
            {"Name": "nickname", "AttributeDataType": "String", "Mutable": False},
        ],
    )
    cognito = idp(live)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="cid",
        UserAttributes=[{"Name": "name", "Value": "Cid"}, {"Name": "nickname", "Value": "C"}],
        MessageAction="SUPPRESS",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_user_attributes(
            UserPoolId=pool_id,
            Username="cid",
            UserAttributes=[{"Name": "name", "Value": "Cyd"}, {"Name": "nickname", "Value": "D"}],
        )
    assert error_of(excinfo) == (
        INVALID,
        "user.name: Attribute cannot be updated.\nuser.nickname: Attribute cannot be updated.\n",
    )
