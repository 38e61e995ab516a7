"""Users as administrators see them: AdminGetUser, ListUsers and its filters, attribute
updates (with the verification code a new email gets), disable, enable, delete."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, idp, latest_mail, make_pool, user_of
from tests.ses.helpers import messages
from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok


def add_user(live: ServerProcess, pool_id: str, username: str, **attributes: str) -> None:
    idp(live).admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": name, "Value": value} for name, value in attributes.items()],
        MessageAction="SUPPRESS",
    )


def names(answer: dict[str, Any]) -> list[str]:
    return [user["Username"] for user in answer["Users"]]


@pytest.fixture
def people(live: ServerProcess) -> str:
    pool_id = make_pool(live)
    add_user(live, pool_id, "anna", email="anna@example.com", family_name="Reddy", name="Anna")
    add_user(live, pool_id, "Bert", email="bert@shop.example", family_name="reddy")
    add_user(live, pool_id, "carl", email="carl@example.com", phone_number="+13125550100")
    return pool_id


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('email = "anna@example.com"', ["anna"]),
        ('email = "ANNA@example.com"', ["anna"]),
        ('email ^= "bert"', ["Bert"]),
        ('family_name = "Reddy"', ["anna", "Bert"]),
        ('phone_number ^= "+1312"', ["carl"]),
        ('username = "bert"', []),
        ('username ^= "B"', ["Bert"]),
        ('name = "Anna"', ["anna"]),
        ('cognito:user_status = "force_change_password"', ["anna", "Bert", "carl"]),
        ('status = "Enabled"', ["anna", "Bert", "carl"]),
        ('status = "enabled"', []),
        ("", ["anna", "Bert", "carl"]),
    ],
)
def test_list_users_filters(
    live: ServerProcess, people: str, expression: str, expected: list[str]
) -> None:
    answer = idp(live).list_users(UserPoolId=people, Filter=expression)
    assert sorted(names(answer)) == sorted(expected)


def test_list_users_filter_on_sub_and_escaped_quotes(live: ServerProcess, people: str) -> None:
    cognito = idp(live)
    sub = user_of(live, people, "carl")["attributes"]["sub"]
    assert names(cognito.list_users(UserPoolId=people, Filter=f'sub = "{sub}"')) == ["carl"]
    add_user(live, people, "dora", given_name='Do "the" Ra')
    answer = cognito.list_users(UserPoolId=people, Filter='given_name = "Do \\"the\\" Ra"')
    assert names(answer) == ["dora"]


def test_list_users_refuses_bad_filters(live: ServerProcess, people: str) -> None:
    cognito = idp(live)
    for bad in ("foo", 'email == "x"', "email = x"):
        with pytest.raises(ClientError) as excinfo:
            cognito.list_users(UserPoolId=people, Filter=bad)
        assert error_of(excinfo) == ("InvalidParameterException", "Error while parsing filter.")
    with pytest.raises(ClientError) as excinfo:
        cognito.list_users(UserPoolId=people, Filter='custom:team = "a"')
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid search attribute: custom:team",
    )


def test_list_users_pages_and_picks_attributes(live: ServerProcess, people: str) -> None:
    cognito = idp(live)
    first = cognito.list_users(UserPoolId=people, Limit=2, AttributesToGet=["email"])
    assert len(first["Users"]) == 2
    assert all(
        [attribute["Name"] for attribute in user["Attributes"]] == ["email"]
        for user in first["Users"]
    )
    second = cognito.list_users(
        UserPoolId=people, Limit=2, PaginationToken=first["PaginationToken"]
    )
    assert "PaginationToken" not in second
    assert sorted(names(first) + names(second)) == ["Bert", "anna", "carl"]
    every = cognito.list_users(UserPoolId=people, AttributesToGet=[])
    assert {"Name": "email", "Value": "carl@example.com"} in every["Users"][2]["Attributes"]
    with pytest.raises(ClientError) as excinfo:
        idp(live, validate=False).list_users(UserPoolId=people, Limit=61)
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_list_users_with_the_aws_cli(live: ServerProcess, people: str) -> None:
    answer = ok(
        aws(
            live,
            "cognito-idp",
            "list-users",
            "--user-pool-id",
            people,
            "--filter",
            'email = "carl@example.com"',
        )
    )
    assert names(answer) == ["carl"]


def test_admin_get_user_and_delete(live: ServerProcess, people: str) -> None:
    cognito = idp(live)
    user = cognito.admin_get_user(UserPoolId=people, Username="anna")
    assert user["Username"] == "anna"
    assert user["UserAttributes"][0]["Name"] == "sub"
    assert user["UserCreateDate"] <= user["UserLastModifiedDate"]
    cognito.admin_delete_user(UserPoolId=people, Username="anna")
    for call in (cognito.admin_get_user, cognito.admin_delete_user):
        with pytest.raises(ClientError) as excinfo:
            call(UserPoolId=people, Username="anna")
        assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user(UserPoolId="us-east-1_Missing00", Username="anna")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool us-east-1_Missing00 does not exist.",
    )


def test_disable_and_enable(live: ServerProcess, people: str) -> None:
    cognito = idp(live)
    cognito.admin_disable_user(UserPoolId=people, Username="Bert")
    assert cognito.admin_get_user(UserPoolId=people, Username="Bert")["Enabled"] is False
    assert names(cognito.list_users(UserPoolId=people, Filter='status = "Disabled"')) == ["Bert"]
    cognito.admin_enable_user(UserPoolId=people, Username="Bert")
    assert cognito.admin_get_user(UserPoolId=people, Username="Bert")["Enabled"] is True


def test_changing_email_sends_a_code_to_the_new_address(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    add_user(live, pool_id, "eve", email="eve@example.com", email_verified="true")
    cognito = idp(live)
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="eve",
        UserAttributes=[{"Name": "email", "Value": "eve@new.example"}],
    )
    user = user_of(live, pool_id, "eve")
    assert user["attributes"]["email"] == "eve@new.example"
    assert user["attributes"]["email_verified"] == "false"
    mail = latest_mail(live, "eve@new.example")
    assert mail["details"]["kind"] == "cognito-attribute-verification"
    assert mail["subject"] == "Your verification code"
    # Setting email_verified along with the address sends nothing.
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="eve",
        UserAttributes=[
            {"Name": "email", "Value": "eve@third.example"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    assert messages(live, recipient="eve@third.example") == []
    assert user_of(live, pool_id, "eve")["attributes"]["email_verified"] == "true"


def test_verification_before_update_keeps_the_old_email(live: ServerProcess) -> None:
    pool_id = make_pool(
        live,
        AutoVerifiedAttributes=["email"],
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
    )
    add_user(live, pool_id, "fay", email="fay@example.com", email_verified="true")
    idp(live).admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="fay",
        UserAttributes=[{"Name": "email", "Value": "fay@new.example"}],
    )
    user = user_of(live, pool_id, "fay")
    assert user["attributes"]["email"] == "fay@example.com"
    assert user["attributes"]["email_verified"] == "true"
    assert latest_mail(live, "fay@new.example")["details"]["code"]


def test_attribute_errors_and_deletion(live: ServerProcess, people: str) -> None:
    cognito = idp(live)
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_update_user_attributes(
            UserPoolId=people,
            Username="carl",
            UserAttributes=[{"Name": "custom:team", "Value": "x"}],
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "user.custom:team: Attribute does not exist in the schema.\n",
    )
    cognito.admin_delete_user_attributes(
        UserPoolId=people, Username="carl", UserAttributeNames=["phone_number"]
    )
    assert "phone_number" not in user_of(live, people, "carl")["attributes"]
