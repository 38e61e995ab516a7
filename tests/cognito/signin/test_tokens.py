"""Tokens: RS256 JWTs with Cognito's claims, checked by PyJWT against the JWKS the server
publishes; validity from the app client; key rotation; access-token checks."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    auth_client,
    confirmed_user,
    error_of,
    idp,
    make_pool,
    password_auth,
    signed_in,
)
from tests.ses.helpers import advance
from tests.support.server import ServerProcess


def jwks_url(server: ServerProcess, pool_id: str) -> str:
    return f"{server.url}/{pool_id}/.well-known/jwks.json"


def verified(server: ServerProcess, pool_id: str, token: str, **checks: Any) -> dict[str, Any]:
    """The claims of ``token`` after PyJWT checked it against the served JWKS and issuer."""
    key = jwt.PyJWKClient(jwks_url(server, pool_id), cache_keys=False).get_signing_key_from_jwt(
        token
    )
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        issuer=f"{server.url}/{pool_id}",
        options={"verify_aud": "audience" in checks},
        **checks,
    )
    return claims


def test_id_and_access_tokens_carry_cognitos_claims(live: ServerProcess) -> None:
    pool_id, client_id, result = signed_in(live)
    sub = idp(live).admin_get_user(UserPoolId=pool_id, Username="alice")["UserAttributes"][0]
    assert sub["Name"] == "sub"
    id_claims = verified(live, pool_id, result["IdToken"], audience=client_id)
    assert id_claims["token_use"] == "id"
    assert id_claims["sub"] == sub["Value"]
    assert id_claims["cognito:username"] == "alice"
    assert id_claims["email"] == "alice@example.com"
    assert id_claims["email_verified"] is True
    assert id_claims["exp"] - id_claims["iat"] == 3600
    access = verified(live, pool_id, result["AccessToken"])
    assert access["token_use"] == "access"
    assert access["client_id"] == client_id
    assert access["username"] == "alice"
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert "aud" not in access and "email" not in access
    for claim in ("origin_jti", "event_id", "auth_time"):
        assert access[claim] == id_claims[claim]
    assert access["jti"] != id_claims["jti"]
    # Two keys, as Cognito's JWKS has: one signs ID tokens, the other access tokens.
    keys = httpx.get(jwks_url(live, pool_id)).json()["keys"]
    assert len(keys) == 2
    assert {key["alg"] for key in keys} == {"RS256"} and {key["use"] for key in keys} == {"sig"}
    kids = {jwt.get_unverified_header(result[name])["kid"] for name in ("IdToken", "AccessToken")}
    assert kids == {key["kid"] for key in keys}


def test_refreshed_tokens_keep_the_sign_in(live: ServerProcess) -> None:
    pool_id, client_id, result = signed_in(live)
    first = verified(live, pool_id, result["IdToken"], audience=client_id)
    advance_and_refresh = idp(live).initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )["AuthenticationResult"]
    again = verified(live, pool_id, advance_and_refresh["IdToken"], audience=client_id)
    assert again["origin_jti"] == first["origin_jti"]
    assert again["auth_time"] == first["auth_time"]
    assert again["jti"] != first["jti"]


def test_openid_configuration_names_the_issuer_and_keys(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    document = httpx.get(f"{live.url}/{pool_id}/.well-known/openid-configuration").json()
    assert document["issuer"] == f"{live.url}/{pool_id}"
    assert document["jwks_uri"] == jwks_url(live, pool_id)
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    missing = httpx.get(f"{live.url}/us-east-1_Missing00/.well-known/jwks.json")
    assert missing.status_code == 404
    assert missing.json() == {"message": "User pool us-east-1_Missing00 does not exist."}


def test_validity_comes_from_the_app_client(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = auth_client(
        live,
        pool_id,
        AccessTokenValidity=5,
        IdTokenValidity=2,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "hours"},
    )
    confirmed_user(live, pool_id, "bea")
    result = password_auth(live, client_id, "bea")["AuthenticationResult"]
    assert result["ExpiresIn"] == 300
    access = verified(live, pool_id, result["AccessToken"])
    assert access["exp"] - access["iat"] == 300
    id_claims = verified(live, pool_id, result["IdToken"], audience=client_id)
    assert id_claims["exp"] - id_claims["iat"] == 7200
    assert idp(live).get_user(AccessToken=result["AccessToken"])["Username"] == "bea"
    advance(live, 301)
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_user(AccessToken=result["AccessToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has expired")


def test_read_attributes_limit_the_id_token(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id, ReadAttributes=["email"])
    confirmed_user(live, pool_id, "cleo")
    idp(live).admin_update_user_attributes(
        UserPoolId=pool_id, Username="cleo", UserAttributes=[{"Name": "name", "Value": "Cleo"}]
    )
    token = password_auth(live, client_id, "cleo")["AuthenticationResult"]["IdToken"]
    claims = verified(live, pool_id, token, audience=client_id)
    assert claims["email"] == "cleo@example.com"
    assert "name" not in claims and "email_verified" not in claims


def test_without_token_revocation_there_is_no_origin_jti(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id, EnableTokenRevocation=False)
    confirmed_user(live, pool_id, "dina")
    result = password_auth(live, client_id, "dina")["AuthenticationResult"]
    assert "origin_jti" not in verified(live, pool_id, result["AccessToken"])
    with pytest.raises(ClientError) as excinfo:
        idp(live).revoke_token(Token=result["RefreshToken"], ClientId=client_id)
    assert excinfo.value.response["Error"]["Code"] == "UnsupportedOperationException"
    # A global sign-out still ends the access token.
    advance(live, 1)
    idp(live).global_sign_out(AccessToken=result["AccessToken"])
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_user(AccessToken=result["AccessToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["username"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_forged_and_foreign_tokens_are_refused(live: ServerProcess) -> None:
    _, _, result = signed_in(live)
    for token in (_tampered(result["AccessToken"]), result["IdToken"], "a.b.c"):
        with pytest.raises(ClientError) as excinfo:
            idp(live).get_user(AccessToken=token)
        assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Access Token")


def rotate(server: ServerProcess, pool_id: str, **body: Any) -> dict[str, Any]:
    answer = httpx.post(f"{server.url}/_poolmail/cognito/pools/{pool_id}/keys/rotate", json=body)
    answer.raise_for_status()
    rotated: dict[str, Any] = answer.json()
    return rotated


def test_rotation_keeps_issued_tokens_valid_until_the_old_keys_go(live: ServerProcess) -> None:
    pool_id, client_id, old = signed_in(live)
    rotated = rotate(live, pool_id)
    assert len(rotated["keys"]) == 4
    assert [key["active"] for key in rotated["keys"]] == [False, False, True, True]
    assert len(httpx.get(jwks_url(live, pool_id)).json()["keys"]) == 4
    verified(live, pool_id, old["AccessToken"])
    assert idp(live).get_user(AccessToken=old["AccessToken"])["Username"] == "alice"
    new = password_auth(live, client_id, "alice")["AuthenticationResult"]
    new_kid = jwt.get_unverified_header(new["AccessToken"])["kid"]
    assert new_kid != jwt.get_unverified_header(old["AccessToken"])["kid"]
    assert new_kid in {key["kid"] for key in rotated["keys"] if key["active"]}
    rotate(live, pool_id, keep_previous=False)
    assert len(httpx.get(jwks_url(live, pool_id)).json()["keys"]) == 2
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_user(AccessToken=new["AccessToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Access Token")
    missing = httpx.post(f"{live.url}/_poolmail/cognito/pools/us-east-1_Missing00/keys/rotate")
    assert missing.status_code == 404


def test_keys_survive_a_restart(tmp_path: Path) -> None:
    server = ServerProcess(["--data-dir", str(tmp_path)]).start()
    try:
        pool_id = make_pool(server)
        before = httpx.get(jwks_url(server, pool_id)).json()
        assert len(before["keys"]) == 2
        server.restart()
        assert httpx.get(jwks_url(server, pool_id)).json() == before
    finally:
        server.stop()
