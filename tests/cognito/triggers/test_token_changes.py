"""How a PreTokenGeneration answer changes the claims about to be signed (unit tests of
cognito/triggers/token_generation.py's checking and applying)."""

from __future__ import annotations

from typing import Any

import pytest

from poolmail.cognito.triggers.token_generation import V1, V2, apply, changes_from
from poolmail.protocol.errors import AwsError


def _claims() -> tuple[dict[str, Any], dict[str, Any]]:
    id_claims = {
        "sub": "s-1",
        "email": "a@example.com",
        "email_verified": True,
        "cognito:groups": ["staff"],
        "cognito:roles": ["arn:aws:iam::123456789012:role/staff"],
        "cognito:preferred_role": "arn:aws:iam::123456789012:role/staff",
        "token_use": "id",
    }
    access_claims = {
        "sub": "s-1",
        "cognito:groups": ["staff"],
        "scope": "aws.cognito.signin.user.admin",
        "client_id": "client",
        "token_use": "access",
    }
    return id_claims, access_claims


def test_v2_sets_and_suppresses_per_token_and_keeps_cognitos_claims() -> None:
    id_claims, access_claims = _claims()
    answer = {
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {
                "claimsToAddOrOverride": {"tier": 3, "email_verified": False, "sub": "x"},
                "claimsToSuppress": ["email"],
            },
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": {"id": 7}, "client_id": "x", "aud": "client"},
                "scopesToAdd": ["orders/read", "aws.cognito.signin.user.admin"],
                "scopesToSuppress": ["aws.cognito.signin.user.admin"],
            },
        }
    }
    apply(changes_from(answer, V2), id_claims, access_claims, "client")
    assert id_claims["tier"] == 3
    assert id_claims["email_verified"] is True  # not for a function to change in ID tokens
    assert id_claims["sub"] == "s-1"
    assert "email" not in id_claims
    assert access_claims["tenant"] == {"id": 7}
    assert access_claims["client_id"] == "client"
    assert access_claims["aud"] == "client"
    assert access_claims["scope"] == "orders/read"


def test_an_access_audience_other_than_the_client_is_ignored() -> None:
    _, access_claims = _claims()
    answer = {
        "claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {"claimsToAddOrOverride": {"aud": "someone-else"}}
        }
    }
    apply(changes_from(answer, V2), None, access_claims, "client")
    assert "aud" not in access_claims


def test_suppression_beats_override_and_groups_take_their_roles_along() -> None:
    id_claims, access_claims = _claims()
    answer = {
        "claimsOverrideDetails": {
            "claimsToAddOrOverride": {"plan": "pro"},
            "claimsToSuppress": ["plan", "cognito:groups"],
        }
    }
    apply(changes_from(answer, V1), id_claims, access_claims, "client")
    assert "plan" not in id_claims
    for name in ("cognito:groups", "cognito:roles", "cognito:preferred_role"):
        assert name not in id_claims
    # V1 changes the ID token only.
    assert access_claims["cognito:groups"] == ["staff"]


@pytest.mark.parametrize("override", [None, {}])
def test_an_empty_group_override_removes_the_groups(override: Any) -> None:
    id_claims, access_claims = _claims()
    answer = {"claimsOverrideDetails": {"groupOverrideDetails": override}}
    apply(changes_from(answer, V1), id_claims, access_claims, "client")
    assert "cognito:groups" not in id_claims
    assert "cognito:roles" not in id_claims
    assert "cognito:groups" not in access_claims


def test_a_group_override_replaces_groups_in_both_tokens() -> None:
    id_claims, access_claims = _claims()
    override = {"groupsToOverride": ["vip"], "preferredRole": "arn:aws:iam::1:role/vip"}
    answer = {"claimsOverrideDetails": {"groupOverrideDetails": override}}
    apply(changes_from(answer, V1), id_claims, access_claims, "client")
    assert id_claims["cognito:groups"] == ["vip"]
    assert "cognito:roles" not in id_claims
    assert id_claims["cognito:preferred_role"] == "arn:aws:iam::1:role/vip"
    assert access_claims["cognito:groups"] == ["vip"]


def test_no_answer_changes_nothing() -> None:
    id_claims, access_claims = _claims()
    before = (dict(id_claims), dict(access_claims))
    apply(changes_from({"claimsOverrideDetails": None}, V1), id_claims, access_claims, "client")
    apply(None, id_claims, access_claims, "client")
    assert (id_claims, access_claims) == before


@pytest.mark.parametrize(
    ("answer", "version"),
    [
        ({"claimsOverrideDetails": []}, V1),
        ({"claimsOverrideDetails": {"claimsToAddOrOverride": {"a": ["list"]}}}, V1),
        ({"claimsOverrideDetails": {"claimsToSuppress": "email"}}, V1),
        (
            {"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToAdd": ["a b"]}}},
            V2,
        ),
    ],
)
def test_malformed_answers_are_invalid_lambda_responses(
    answer: dict[str, Any], version: str
) -> None:
    with pytest.raises(AwsError) as excinfo:
        changes_from(answer, version)
    assert (excinfo.value.code, excinfo.value.message) == (
        "InvalidLambdaResponseException",
        "Unrecognizable lambda output",
    )
