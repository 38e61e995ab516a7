"""Passkeys: registration (StartWebAuthnRegistration / CompleteWebAuthnRegistration) with
a software authenticator, listing and deleting them, the WEB_AUTHN sign-in challenge, the
relying party and origin rules, and each refusal with its error."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, user_of
from tests.cognito.signin.helpers import (
    PASSWORD,
    add_user,
    choice_pool,
    idp,
    newest_code,
    respond,
    sign_in_policy,
    tokens_of,
    user_auth,
    user_auth_client,
)
from tests.ses.helpers import advance
from tests.support.server import ServerProcess
from tests.support.soft_authenticator import SoftAuthenticator, b64url

ORIGIN = "http://localhost:5173"


def passkey_pool(
    live: ServerProcess, rp_id: str | None = "localhost", **settings: Any
) -> tuple[str, str]:
    pool_id, client_id = choice_pool(live, **settings)
    if rp_id is not None:
        idp(live).set_user_pool_mfa_config(
            UserPoolId=pool_id, WebAuthnConfiguration={"RelyingPartyId": rp_id}
        )
    return pool_id, client_id


def access_token(live: ServerProcess, client_id: str, username: str = "alice") -> str:
    answer = user_auth(live, client_id, username, PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    return str(tokens_of(answer)["AccessToken"])


def register(
    live: ServerProcess, token: str, authenticator: SoftAuthenticator, **create: Any
) -> None:
    cognito = idp(live)
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    credential = authenticator.create(options, **create)
    cognito.complete_web_authn_registration(AccessToken=token, Credential=credential)


def refusal(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_of(excinfo)


def refused(call: Any, **kwargs: Any) -> str:
    """The error code ``call`` answers."""
    return refusal(call, **kwargs)[0]


# ---- registration ---------------------------------------------------------------------------


def test_registration_options_and_listing(live: ServerProcess) -> None:
    pool_id, client_id = passkey_pool(live)
    add_user(live, pool_id, "alice")
    token = access_token(live, client_id)
    cognito = idp(live)
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    sub = user_of(live, pool_id, "alice")["attributes"]["sub"]
    # AWS's shape (awscli example start-web-authn-registration.rst).
    assert options["rp"] == {"id": "localhost", "name": "localhost"}
    assert options["user"] == {
        "displayName": "alice",
        "id": base64.urlsafe_b64encode(sub.encode()).rstrip(b"=").decode(),
        "name": "alice",
    }
    assert options["pubKeyCredParams"] == [
        {"alg": -7, "type": "public-key"},
        {"alg": -257, "type": "public-key"},
    ]
    assert options["timeout"] == 60000
    assert options["excludeCredentials"] == []
    assert options["authenticatorSelection"] == {
        "requireResidentKey": True,
        "residentKey": "required",
        "userVerification": "preferred",
    }
    first = SoftAuthenticator(ORIGIN)
    cognito.complete_web_authn_registration(AccessToken=token, Credential=first.create(options))
    # The challenge is used up.
    again = first.create(options)
    code = refused(cognito.complete_web_authn_registration, AccessToken=token, Credential=again)
    assert code == "WebAuthnChallengeNotFoundException"

    roaming = SoftAuthenticator(ORIGIN, attachment="cross-platform")
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["excludeCredentials"] == [
        {"id": b64url(first.credential_id), "type": "public-key"}
    ]
    cognito.complete_web_authn_registration(AccessToken=token, Credential=roaming.create(options))

    listed = cognito.list_web_authn_credentials(AccessToken=token)["Credentials"]
    assert [entry["FriendlyCredentialName"] for entry in listed] == [
        "Platform passkey",
        "Roaming passkey",
    ]
    assert listed[1]["AuthenticatorAttachment"] == "cross-platform"
    assert listed[0]["RelyingPartyId"] == "localhost"
    assert listed[0]["AuthenticatorTransports"] == ["internal", "hybrid"]
    page = cognito.list_web_authn_credentials(AccessToken=token, MaxResults=1)
    assert len(page["Credentials"]) == 1
    rest = cognito.list_web_authn_credentials(AccessToken=token, NextToken=page["NextToken"])
    assert [entry["CredentialId"] for entry in page["Credentials"] + rest["Credentials"]] == [
        entry["CredentialId"] for entry in listed
    ]
    assert "NextToken" not in rest

    cognito.delete_web_authn_credential(AccessToken=token, CredentialId=listed[0]["CredentialId"])
    assert len(cognito.list_web_authn_credentials(AccessToken=token)["Credentials"]) == 1
    gone = listed[0]["CredentialId"]
    code = refused(cognito.delete_web_authn_credential, AccessToken=token, CredentialId=gone)
    assert code == "ResourceNotFoundException"


def test_registration_refusals(live: ServerProcess) -> None:
    pool_id, client_id = passkey_pool(live)
    add_user(live, pool_id, "alice")
    token = access_token(live, client_id)
    cognito = idp(live)

    def started() -> dict[str, Any]:
        answer = cognito.start_web_authn_registration(AccessToken=token)
        options: dict[str, Any] = answer["CredentialCreationOptions"]
        return options

    def completed(credential: dict[str, Any], access: str = token) -> str:
        call = cognito.complete_web_authn_registration
        return refused(call, AccessToken=access, Credential=credential)

    def created(**create: Any) -> dict[str, Any]:
        return SoftAuthenticator(ORIGIN).create(started(), **create)

    assert completed(created(origin="https://evil.example")) == "WebAuthnOriginNotAllowedException"
    # http is a secure context only on localhost.
    wrong = created(origin="http://localhost.evil.example")
    assert completed(wrong) == "WebAuthnOriginNotAllowedException"
    assert completed(created(rp_id="example.com")) == "WebAuthnRelyingPartyMismatchException"
    # A challenge nobody was given.
    unknown = SoftAuthenticator(ORIGIN).create({**started(), "challenge": "AAAAAAAAAAAAAAAAAAAAAA"})
    assert completed(unknown) == "WebAuthnChallengeNotFoundException"
    # Started with one app client's token, completed with another's.
    other = access_token(live, user_auth_client(live, pool_id))
    assert completed(created(), other) == "WebAuthnClientMismatchException"
    assert completed({"id": "x"}) == "InvalidParameterException"
    assert completed({**created(), "rawId": "AAAA"}) == "InvalidParameterException"
    # A registration challenge lasts five minutes (a choice: AWS's lifetime is not found).
    options = started()
    advance(live, 301)
    assert completed(SoftAuthenticator(ORIGIN).create(options)) == (
        "WebAuthnChallengeNotFoundException"
    )


def test_user_verification_required(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    idp(live).set_user_pool_mfa_config(
        UserPoolId=pool_id,
        WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required"},
    )
    add_user(live, pool_id, "alice")
    token = access_token(live, client_id)
    cognito = idp(live)
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["authenticatorSelection"]["userVerification"] == "required"
    credential = SoftAuthenticator(ORIGIN, verify_user=False).create(options)
    code = refused(
        cognito.complete_web_authn_registration, AccessToken=token, Credential=credential
    )
    assert code == "WebAuthnCredentialNotSupportedException"


def test_relying_party_comes_from_the_configuration_or_the_domain(live: ServerProcess) -> None:
    pool_id, client_id = passkey_pool(live, rp_id=None)
    add_user(live, pool_id, "alice")
    token = access_token(live, client_id)
    cognito = idp(live)
    code = refused(cognito.start_web_authn_registration, AccessToken=token)
    assert code == "WebAuthnConfigurationMissingException"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="shop")
    options = cognito.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    assert options["rp"]["id"] == "shop.auth.us-east-1.amazoncognito.com"
    origin = "https://shop.auth.us-east-1.amazoncognito.com"
    cognito.complete_web_authn_registration(
        AccessToken=token, Credential=SoftAuthenticator(origin).create(options)
    )


def test_passkeys_need_web_authn_in_the_sign_in_policy(live: ServerProcess) -> None:
    pool_id, client_id = passkey_pool(live, Policies=sign_in_policy(["PASSWORD", "EMAIL_OTP"]))
    add_user(live, pool_id, "alice")
    token = access_token(live, client_id)
    code = refused(idp(live).start_web_authn_registration, AccessToken=token)
    assert code == "WebAuthnNotEnabledException"


def test_twenty_passkeys_at_most(live: ServerProcess) -> None:
    pool_id, client_id = passkey_pool(live)
    add_user(live, pool_id, "alice")
    token = access_token(live, client_id)
    for _ in range(20):
        register(live, token, SoftAuthenticator(ORIGIN))
    code = refused(idp(live).start_web_authn_registration, AccessToken=token)
    assert code == "LimitExceededException"


# ---- signing in with a passkey -------------------------------------------------------------


def test_passkey_sign_in(live: ServerProcess) -> None:
    pool_id, client_id = passkey_pool(live)
    add_user(live, pool_id, "alice")
    token = access_token(live, client_id)
    authenticator = SoftAuthenticator(ORIGIN)
    register(live, token, authenticator)
    assert user_auth(live, client_id, "alice")["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
        "EMAIL_OTP",
        "WEB_AUTHN",
    ]

    answer = user_auth(live, client_id, "alice", PREFERRED_CHALLENGE="WEB_AUTHN")
    assert answer["ChallengeName"] == "WEB_AUTHN"
    options = json.loads(answer["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    assert options["rpId"] == "localhost"
    assert options["timeout"] == 180000
    assert options["userVerification"] == "preferred"
    assert options["allowCredentials"] == [
        {"id": b64url(authenticator.credential_id), "type": "public-key"}
    ]
    credential = json.dumps(authenticator.get(options))
    tokens_of(
        respond(
            live, client_id, "WEB_AUTHN", answer["Session"], USERNAME="alice", CREDENTIAL=credential
        )
    )

    # Through SELECT_CHALLENGE, with the sign count going up each time.
    session = user_auth(live, client_id, "alice")["Session"]
    answer = respond(
        live, client_id, "SELECT_CHALLENGE", session, USERNAME="alice", ANSWER="WEB_AUTHN"
    )
    assert answer["ChallengeName"] == "WEB_AUTHN"
    credential = json.dumps(
        authenticator.get(answer["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    )
    tokens_of(
        respond(
            live, client_id, "WEB_AUTHN", answer["Session"], USERNAME="alice", CREDENTIAL=credential
        )
    )

    factors = idp(live).admin_get_user_auth_factors(UserPoolId=pool_id, Username="alice")
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]


def test_passkey_sign_in_refusals(live: ServerProcess) -> None:
    pool_id, client_id = passkey_pool(live)
    add_user(live, pool_id, "alice")
    authenticator = SoftAuthenticator(ORIGIN)
    register(live, access_token(live, client_id), authenticator)

    def request() -> tuple[str, str]:
        answer = user_auth(live, client_id, "alice", PREFERRED_CHALLENGE="WEB_AUTHN")
        return answer["Session"], answer["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]

    def signed_in(make: Callable[[str], dict[str, Any] | str]) -> str:
        """The error code of answering a WEB_AUTHN challenge with what ``make`` builds
        from its request options."""
        session, options = request()
        made = make(options)
        text = made if isinstance(made, str) else json.dumps(made)
        answer = {"USERNAME": "alice", "CREDENTIAL": text}
        return refused(
            respond, server=live, client_id=client_id, challenge="WEB_AUTHN", session=session,
            **answer,
        )  # fmt: skip

    # An assertion for another challenge, from another origin, from an unknown passkey,
    # and no JSON at all: each a NotAuthorizedException (RespondToAuthChallenge models no
    # WebAuthn errors).
    _, stale = request()
    assert signed_in(lambda _: authenticator.get(stale)) == "NotAuthorizedException"
    evil = "https://evil.example"
    assert signed_in(lambda options: authenticator.get(options, origin=evil)) == (
        "NotAuthorizedException"
    )
    stranger = SoftAuthenticator(ORIGIN)
    stranger.user_handle = authenticator.user_handle
    assert signed_in(stranger.get) == "NotAuthorizedException"
    assert signed_in(lambda _: "not json") == "NotAuthorizedException"

    # A counter that does not go up (a cloned authenticator) is refused.
    session, options = request()
    credential = json.dumps(authenticator.get(options))
    respond(live, client_id, "WEB_AUTHN", session, USERNAME="alice", CREDENTIAL=credential)
    authenticator.sign_count = 0
    assert signed_in(authenticator.get) == "NotAuthorizedException"


def test_passwordless_user_registers_and_uses_a_passkey(live: ServerProcess) -> None:
    """A user with only an email address signs in with a code, registers a passkey, and
    signs in with it from then on."""
    pool_id, client_id = passkey_pool(live)
    add_user(live, pool_id, "dana", password=None)
    answer = user_auth(live, client_id, "dana", PREFERRED_CHALLENGE="EMAIL_OTP")
    code = newest_code(live, pool_id, "dana")
    token = tokens_of(
        respond(
            live, client_id, "EMAIL_OTP", answer["Session"], USERNAME="dana", EMAIL_OTP_CODE=code
        )
    )["AccessToken"]
    authenticator = SoftAuthenticator("http://app.localhost:3000")
    register(live, token, authenticator)
    assert user_auth(live, client_id, "dana")["AvailableChallenges"] == ["EMAIL_OTP", "WEB_AUTHN"]
    answer = user_auth(live, client_id, "dana", PREFERRED_CHALLENGE="WEB_AUTHN")
    credential = json.dumps(
        authenticator.get(answer["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
    )
    tokens_of(
        respond(
            live, client_id, "WEB_AUTHN", answer["Session"], USERNAME="dana", CREDENTIAL=credential
        )
    )
