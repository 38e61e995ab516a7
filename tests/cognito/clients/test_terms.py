"""Terms documents: create, describe by id and by client, list with pages, update with
omitted members kept, delete, and the refusals."""

from __future__ import annotations

import re
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import auth_client, error_of, idp, make_pool
from tests.support.server import ServerProcess

TERMS_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
LINKS = {"cognito:default": "https://example.com/terms", "cognito:french": "https://example.com/fr"}


def create(server: ServerProcess, pool_id: str, client_id: str, name: str) -> dict[str, object]:
    terms: dict[str, object] = idp(server).create_terms(
        UserPoolId=pool_id,
        ClientId=client_id,
        TermsName=name,
        TermsSource="LINK",
        Enforcement="NONE",
        Links=LINKS,
    )["Terms"]
    return terms


def test_create_describe_update_delete(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    terms = create(live, pool_id, client_id, "terms-of-use")
    assert TERMS_ID.fullmatch(str(terms["TermsId"]))
    assert terms == {
        "TermsId": terms["TermsId"],
        "UserPoolId": pool_id,
        "ClientId": client_id,
        "TermsName": "terms-of-use",
        "TermsSource": "LINK",
        "Enforcement": "NONE",
        "Links": LINKS,
        "CreationDate": terms["CreationDate"],
        "LastModifiedDate": terms["CreationDate"],
    }
    terms_id = str(terms["TermsId"])
    assert cognito.describe_terms(UserPoolId=pool_id, TermsId=terms_id)["Terms"] == terms
    by_client = cognito.describe_terms_by_client(
        UserPoolId=pool_id, ClientId=client_id, TermsName="terms-of-use"
    )
    assert by_client["Terms"] == terms

    # Omitted members stay; given ones replace.
    updated = cognito.update_terms(
        UserPoolId=pool_id, TermsId=terms_id, Links={"cognito:default": "https://x.example"}
    )["Terms"]
    assert updated["Links"] == {"cognito:default": "https://x.example"}
    assert updated["TermsName"] == "terms-of-use"
    renamed = cognito.update_terms(UserPoolId=pool_id, TermsId=terms_id, TermsName="privacy-policy")
    assert renamed["Terms"]["TermsName"] == "privacy-policy"
    assert renamed["Terms"]["Links"] == {"cognito:default": "https://x.example"}

    cognito.delete_terms(UserPoolId=pool_id, TermsId=terms_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_terms(UserPoolId=pool_id, TermsId=terms_id)
    assert error_of(excinfo) == ("ResourceNotFoundException", f"Terms {terms_id} does not exist.")


def test_names_are_unique_per_client(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    other_client = auth_client(live, pool_id)
    create(live, pool_id, client_id, "terms-of-use")
    create(live, pool_id, other_client, "terms-of-use")
    with pytest.raises(ClientError) as excinfo:
        create(live, pool_id, client_id, "terms-of-use")
    assert error_of(excinfo) == (
        "TermsExistsException",
        f"Terms terms-of-use already exist for client {client_id}.",
    )
    privacy = create(live, pool_id, client_id, "privacy-policy")
    with pytest.raises(ClientError) as excinfo:
        cognito.update_terms(
            UserPoolId=pool_id, TermsId=str(privacy["TermsId"]), TermsName="terms-of-use"
        )
    assert error_of(excinfo)[0] == "TermsExistsException"
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_terms_by_client(
            UserPoolId=pool_id, ClientId=other_client, TermsName="privacy-policy"
        )
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Terms privacy-policy does not exist for client {other_client}.",
    )
    # A deleted client's terms go with it.
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=other_client)
    listed = cognito.list_terms(UserPoolId=pool_id)["Terms"]
    assert len(listed) == 2


def test_list_pages_and_refusals(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    created = []
    for _ in range(3):
        client_id = auth_client(live, pool_id)
        created.append(create(live, pool_id, client_id, "terms-of-use"))
    first = cognito.list_terms(UserPoolId=pool_id, MaxResults=2)
    assert set(first["Terms"][0]) == {
        "TermsId",
        "TermsName",
        "Enforcement",
        "CreationDate",
        "LastModifiedDate",
    }
    second = cognito.list_terms(UserPoolId=pool_id, MaxResults=2, NextToken=first["NextToken"])
    assert "NextToken" not in second
    ids = [terms["TermsId"] for terms in first["Terms"] + second["Terms"]]
    assert sorted(ids) == sorted(str(terms["TermsId"]) for terms in created)

    # Terms of one pool are not found through another; unknown clients; no links.
    other_pool = make_pool(live)
    terms_id = str(created[0]["TermsId"])
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_terms(UserPoolId=other_pool, TermsId=terms_id)
    assert error_of(excinfo) == ("ResourceNotFoundException", f"Terms {terms_id} does not exist.")
    with pytest.raises(ClientError) as excinfo:
        create(live, other_pool, client_id, "privacy-policy")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"User pool client {client_id} does not exist.",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.create_terms(
            UserPoolId=pool_id,
            ClientId=client_id,
            TermsName="privacy-policy",
            TermsSource="LINK",
            Enforcement="NONE",
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Links must contain at least one link.",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_terms(UserPoolId=pool_id, TermsId=str(uuid.uuid4()))
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
