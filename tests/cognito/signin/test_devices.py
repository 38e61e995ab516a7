"""Remembered devices through boto3: NewDeviceMetadata, ConfirmDevice, the device
operations, device SRP sign-in (DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER) and a
remembered device standing in for MFA."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.cognito.helpers import (
    FLOWS,
    PASSWORD,
    confirmed_user,
    error_of,
    idp,
    make_client,
    make_pool,
    password_auth,
)
from tests.ses.helpers import advance
from tests.support.device_srp import DeviceClient, verifier_config
from tests.support.server import ServerProcess

ALWAYS = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False}
OPT_IN = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}
NOT_FOUND = ("ResourceNotFoundException", "Device does not exist.")
INCORRECT = ("NotAuthorizedException", "Incorrect username or password.")


def device_pool(server: ServerProcess, **config: Any) -> tuple[str, str]:
    """A pool tracking devices (``config``: its DeviceConfiguration), a client, and alice."""
    pool_id = make_pool(server, DeviceConfiguration=config or ALWAYS)
    client_id = make_client(server, pool_id, ExplicitAuthFlows=FLOWS)
    confirmed_user(server, pool_id, "alice")
    return pool_id, client_id


def srp_sign_in(
    server: ServerProcess, pool_id: str, client_id: str, device_key: str | None = None
) -> dict[str, Any]:
    """USER_SRP_AUTH and the PASSWORD_VERIFIER answer (with DEVICE_KEY when given): what
    comes next, tokens or a challenge."""
    helper = AWSSRP(
        username="alice", password=PASSWORD, pool_id=pool_id, client_id=client_id, client=object()
    )
    extra = {"DEVICE_KEY": device_key} if device_key else {}
    cognito = idp(server)
    challenge = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={**helper.get_auth_params(), **extra},
    )
    answers = helper.process_challenge(challenge["ChallengeParameters"], {"USERNAME": "alice"})
    answer: dict[str, Any] = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses={**answers, **extra},
    )
    return answer


def claims(token: str) -> dict[str, Any]:
    found: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return found


def remember(server: ServerProcess, result: dict[str, Any], name: str = "laptop") -> DeviceClient:
    """ConfirmDevice for a sign-in's NewDeviceMetadata; the device that can now sign in."""
    metadata = result["NewDeviceMetadata"]
    password, config = verifier_config(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    answer = idp(server).confirm_device(
        AccessToken=result["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig=config,
        DeviceName=name,
    )
    assert answer["UserConfirmationNecessary"] is False
    return DeviceClient(metadata["DeviceKey"], metadata["DeviceGroupKey"], password)


def device_sign_in(
    server: ServerProcess, client_id: str, answer: dict[str, Any], device: DeviceClient
) -> dict[str, Any]:
    """DEVICE_SRP_AUTH then DEVICE_PASSWORD_VERIFIER, as amplify-js answers them."""
    assert answer["ChallengeName"] == "DEVICE_SRP_AUTH"
    cognito = idp(server)
    verifier = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        ChallengeResponses=device.srp_auth("alice"),
        Session=answer["Session"],
    )
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    done: dict[str, Any] = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        ChallengeResponses=device.password_verifier(verifier["ChallengeParameters"]),
    )
    return done


def attributes(device: dict[str, Any]) -> dict[str, str]:
    return {item["Name"]: item["Value"] for item in device["DeviceAttributes"]}


# ---- handing out device keys ---------------------------------------------------------------


def test_a_tracking_pool_hands_out_a_device_key(live: ServerProcess) -> None:
    pool_id, client_id = device_pool(live)
    result = srp_sign_in(live, pool_id, client_id)["AuthenticationResult"]
    metadata = result["NewDeviceMetadata"]
    assert re.fullmatch(
        r"us-east-1_[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", metadata["DeviceKey"]
    )
    assert re.fullmatch(r"-[A-Za-z0-9]{8}", metadata["DeviceGroupKey"])
    # The sign-in's access token carries the device it started tracking.
    assert claims(result["AccessToken"])["device_key"] == metadata["DeviceKey"]
    # Any sign-in without a device gets one, whatever the flow; a user's devices share
    # one group key.
    again = password_auth(live, client_id, "alice")["AuthenticationResult"]["NewDeviceMetadata"]
    assert again["DeviceKey"] != metadata["DeviceKey"]
    assert again["DeviceGroupKey"] == metadata["DeviceGroupKey"]
    admin = idp(live).admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert "NewDeviceMetadata" in admin["AuthenticationResult"]


def test_a_pool_without_tracking_knows_no_devices(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = make_client(live, pool_id, ExplicitAuthFlows=FLOWS)
    confirmed_user(live, pool_id, "alice")
    result = srp_sign_in(live, pool_id, client_id, "us-east-1_0000aaaa-0000-0000-0000-000000000000")
    assert "NewDeviceMetadata" not in result["AuthenticationResult"]
    # A DEVICE_KEY the pool cannot know does not reach the token.
    assert "device_key" not in claims(result["AuthenticationResult"]["AccessToken"])


# ---- ConfirmDevice and the device operations -------------------------------------------------


def test_confirm_device_and_the_device_operations(live: ServerProcess) -> None:
    pool_id, client_id = device_pool(live)
    cognito = idp(live)
    first = srp_sign_in(live, pool_id, client_id)["AuthenticationResult"]
    device = remember(live, first, "laptop")
    token = first["AccessToken"]
    # A key handed out but never confirmed is no device yet.
    unconfirmed = password_auth(live, client_id, "alice")["AuthenticationResult"]
    listed = cognito.list_devices(AccessToken=token)["Devices"]
    assert [item["DeviceKey"] for item in listed] == [device.device_key]
    assert attributes(listed[0]) == {"device_status": "valid", "device_name": "laptop"}
    found = cognito.get_device(AccessToken=token, DeviceKey=device.device_key)["Device"]
    assert attributes(found) == {
        "device_status": "valid",
        "device_name": "laptop",
        "dev:device_arn": f"arn:aws:cognito-idp:us-east-1:123456789012:owner/alice.{pool_id}"
        f"/device/{device.device_key}",
        "dev:device_owner": f"alice.{pool_id}",
        "dev:device_remembered_status": "remembered",
        "dev:device_sdk": "aws-sdk",
    }
    assert set(found) == {
        "DeviceKey",
        "DeviceAttributes",
        "DeviceCreateDate",
        "DeviceLastModifiedDate",
        "DeviceLastAuthenticatedDate",
    }
    with pytest.raises(ClientError) as excinfo:
        cognito.get_device(
            AccessToken=token, DeviceKey=unconfirmed["NewDeviceMetadata"]["DeviceKey"]
        )
    assert error_of(excinfo) == NOT_FOUND
    # The status goes both ways, for the user and for the admin.
    cognito.update_device_status(
        AccessToken=token, DeviceKey=device.device_key, DeviceRememberedStatus="not_remembered"
    )
    admin = cognito.admin_get_device(
        UserPoolId=pool_id, Username="alice", DeviceKey=device.device_key
    )["Device"]
    assert attributes(admin)["dev:device_remembered_status"] == "not_remembered"
    cognito.admin_update_device_status(
        UserPoolId=pool_id,
        Username="alice",
        DeviceKey=device.device_key,
        DeviceRememberedStatus="remembered",
    )
    admin_list = cognito.admin_list_devices(UserPoolId=pool_id, Username="alice")["Devices"]
    assert attributes(admin_list[0])["dev:device_remembered_status"] == "remembered"
    # A device is confirmed once.
    _, config = verifier_config(device.group_key, device.device_key)
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_device(
            AccessToken=token, DeviceKey=device.device_key, DeviceSecretVerifierConfig=config
        )
    assert error_of(excinfo)[0] == "DeviceKeyExistsException"
    cognito.forget_device(AccessToken=token, DeviceKey=device.device_key)
    with pytest.raises(ClientError) as excinfo:
        cognito.get_device(AccessToken=token, DeviceKey=device.device_key)
    assert error_of(excinfo) == NOT_FOUND
    with pytest.raises(ClientError) as excinfo:
        cognito.forget_device(AccessToken=token, DeviceKey=device.device_key)
    assert error_of(excinfo) == NOT_FOUND
    assert cognito.list_devices(AccessToken=token)["Devices"] == []


def test_confirm_device_refusals(live: ServerProcess) -> None:
    pool_id, client_id = device_pool(live)
    confirmed_user(live, pool_id, "bob")
    cognito = idp(live)
    alice = srp_sign_in(live, pool_id, client_id)["AuthenticationResult"]
    bob = password_auth(live, client_id, "bob")["AuthenticationResult"]
    metadata = alice["NewDeviceMetadata"]
    _, config = verifier_config(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    for token, key in (
        (alice["AccessToken"], "us-east-1_0000aaaa-0000-0000-0000-000000000000"),
        # Another user's device is no device of this user's.
        (bob["AccessToken"], metadata["DeviceKey"]),
    ):
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_device(
                AccessToken=token, DeviceKey=key, DeviceSecretVerifierConfig=config
            )
        assert error_of(excinfo) == ("InvalidParameterException", "Invalid device key given.")
    # Verifiers are positive numbers: raw bytes with the top bit set read as negative.
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_device(
            AccessToken=alice["AccessToken"],
            DeviceKey=metadata["DeviceKey"],
            DeviceSecretVerifierConfig={"PasswordVerifier": "/w==", "Salt": config["Salt"]},
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"
    # Any access token of the device's user confirms it (an earlier sign-in's too).
    earlier = password_auth(live, client_id, "alice")["AuthenticationResult"]["AccessToken"]
    answer = cognito.confirm_device(
        AccessToken=earlier, DeviceKey=metadata["DeviceKey"], DeviceSecretVerifierConfig=config
    )
    assert answer["UserConfirmationNecessary"] is False
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_list_devices(UserPoolId=pool_id, Username="nobody")
    assert error_of(excinfo)[0] == "UserNotFoundException"


def test_list_devices_pages(live: ServerProcess) -> None:
    pool_id, client_id = device_pool(live)
    keys = []
    for index in range(3):
        result = srp_sign_in(live, pool_id, client_id)["AuthenticationResult"]
        keys.append(remember(live, result, f"device-{index}").device_key)
        advance(live, 1)
    cognito = idp(live)
    page = cognito.admin_list_devices(UserPoolId=pool_id, Username="alice", Limit=2)
    assert [item["DeviceKey"] for item in page["Devices"]] == keys[:2]
    rest = cognito.admin_list_devices(
        UserPoolId=pool_id, Username="alice", Limit=2, PaginationToken=page["PaginationToken"]
    )
    assert [item["DeviceKey"] for item in rest["Devices"]] == keys[2:]
    assert "PaginationToken" not in rest


# ---- signing in with a device ----------------------------------------------------------------


def test_a_remembered_device_signs_in_with_device_srp(live: ServerProcess) -> None:
    pool_id, client_id = device_pool(live)
    device = remember(live, srp_sign_in(live, pool_id, client_id)["AuthenticationResult"])
    before = idp(live).admin_get_device(
        UserPoolId=pool_id, Username="alice", DeviceKey=device.device_key
    )["Device"]
    advance(live, 60)
    answer = srp_sign_in(live, pool_id, client_id, device.device_key)
    assert answer["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert answer["Session"]
    cognito = idp(live)
    verifier = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        ChallengeResponses=device.srp_auth("alice"),
        Session=answer["Session"],
    )
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    parameters = verifier["ChallengeParameters"]
    assert set(parameters) == {"DEVICE_KEY", "SALT", "SECRET_BLOCK", "SRP_B", "USERNAME"}
    assert parameters["DEVICE_KEY"] == device.device_key
    assert parameters["USERNAME"] == "alice"
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        ChallengeResponses=device.password_verifier(parameters),
    )
    result = done["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    assert claims(result["AccessToken"])["device_key"] == device.device_key
    later = cognito.admin_get_device(
        UserPoolId=pool_id, Username="alice", DeviceKey=device.device_key
    )["Device"]
    assert later["DeviceLastAuthenticatedDate"] > before["DeviceLastAuthenticatedDate"]


def test_pycognito_signs_in_with_its_remembered_device(live: ServerProcess) -> None:
    # pycognito answers both device challenges without a Session, as AWS's own javav2
    # example and amazon-cognito-identity-js do.
    pool_id, client_id = device_pool(live)
    device = remember(live, srp_sign_in(live, pool_id, client_id)["AuthenticationResult"])
    helper = AWSSRP(
        username="alice",
        password=PASSWORD,
        pool_id=pool_id,
        client_id=client_id,
        client=idp(live),
        device_key=device.device_key,
        device_group_key=device.group_key,
        device_password=device.password,
    )
    result = helper.authenticate_user()["AuthenticationResult"]
    assert claims(result["AccessToken"])["device_key"] == device.device_key


def test_a_wrong_device_signature_is_refused(live: ServerProcess) -> None:
    pool_id, client_id = device_pool(live)
    device = remember(live, srp_sign_in(live, pool_id, client_id)["AuthenticationResult"])
    answer = srp_sign_in(live, pool_id, client_id, device.device_key)
    cognito = idp(live)
    verifier = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        ChallengeResponses=device.srp_auth("alice"),
        Session=answer["Session"],
    )
    wrong = device.password_verifier(verifier["ChallengeParameters"], password="not-the-one")
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="DEVICE_PASSWORD_VERIFIER", ChallengeResponses=wrong
        )
    assert error_of(excinfo) == INCORRECT
    # A secret block answers once.
    right = device.password_verifier(verifier["ChallengeParameters"])
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="DEVICE_PASSWORD_VERIFIER", ChallengeResponses=right
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")


def test_unknown_and_forgotten_device_keys_are_refused(live: ServerProcess) -> None:
    # amplify-js signs in again without the key on exactly this answer.
    pool_id, client_id = device_pool(live)
    unknown = "us-east-1_0000aaaa-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "alice", DEVICE_KEY=unknown)
    assert error_of(excinfo) == NOT_FOUND
    first = srp_sign_in(live, pool_id, client_id)["AuthenticationResult"]
    device = remember(live, first)
    idp(live).admin_forget_device(UserPoolId=pool_id, Username="alice", DeviceKey=device.device_key)
    with pytest.raises(ClientError) as excinfo:
        srp_sign_in(live, pool_id, client_id, device.device_key)
    assert error_of(excinfo) == NOT_FOUND


def test_a_device_not_remembered_signs_in_without_device_srp(live: ServerProcess) -> None:
    pool_id, client_id = device_pool(live, **OPT_IN)
    first = srp_sign_in(live, pool_id, client_id)["AuthenticationResult"]
    metadata = first["NewDeviceMetadata"]
    password, config = verifier_config(metadata["DeviceGroupKey"], metadata["DeviceKey"])
    cognito = idp(live)
    # "User opt-in": the user is to be asked, and the device waits not remembered.
    answer = cognito.confirm_device(
        AccessToken=first["AccessToken"],
        DeviceKey=metadata["DeviceKey"],
        DeviceSecretVerifierConfig=config,
    )
    assert answer["UserConfirmationNecessary"] is True
    device = DeviceClient(metadata["DeviceKey"], metadata["DeviceGroupKey"], password)
    found = cognito.get_device(AccessToken=first["AccessToken"], DeviceKey=device.device_key)
    assert attributes(found["Device"])["dev:device_remembered_status"] == "not_remembered"
    assert "device_name" not in attributes(found["Device"])
    # A tracked device that is not remembered does no device authentication.
    result = srp_sign_in(live, pool_id, client_id, device.device_key)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    assert claims(result["AccessToken"])["device_key"] == device.device_key
    cognito.update_device_status(
        AccessToken=first["AccessToken"],
        DeviceKey=device.device_key,
        DeviceRememberedStatus="remembered",
    )
    answer = srp_sign_in(live, pool_id, client_id, device.device_key)
    assert "AccessToken" in device_sign_in(live, client_id, answer, device)["AuthenticationResult"]


# ---- a remembered device instead of MFA ------------------------------------------------------


def totp_user(server: ServerProcess, pool_id: str, client_id: str) -> pyotp.TOTP:
    """Alice with TOTP as her MFA, in a pool that then requires MFA."""
    cognito = idp(server)
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    token = password_auth(server, client_id, "alice")["AuthenticationResult"]["AccessToken"]
    secret = cognito.associate_software_token(AccessToken=token)["SecretCode"]
    totp = pyotp.TOTP(secret)
    cognito.verify_software_token(AccessToken=token, UserCode=server_code(server, totp))
    cognito.set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    return totp


def server_code(server: ServerProcess, totp: pyotp.TOTP) -> str:
    """The TOTP code at the server's time (tests move its clock)."""
    now = httpx.get(f"{server.url}/_poolmail/clock").json()["epoch"]
    return str(totp.at(int(now)))


def answer_totp(
    server: ServerProcess, client_id: str, answer: dict[str, Any], totp: pyotp.TOTP
) -> dict[str, Any]:
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done: dict[str, Any] = idp(server).respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        ChallengeResponses={
            "USERNAME": "alice",
            "SOFTWARE_TOKEN_MFA_CODE": server_code(server, totp),
        },
        Session=answer["Session"],
    )
    return done


def test_a_remembered_device_skips_mfa(live: ServerProcess) -> None:
    pool_id, client_id = device_pool(live)
    totp = totp_user(live, pool_id, client_id)
    first = answer_totp(live, client_id, srp_sign_in(live, pool_id, client_id), totp)
    device = remember(live, first["AuthenticationResult"])
    answer = srp_sign_in(live, pool_id, client_id, device.device_key)
    # Device authentication instead of the TOTP code.
    result = device_sign_in(live, client_id, answer, device)["AuthenticationResult"]
    assert claims(result["AccessToken"])["device_key"] == device.device_key
    # Without a device, the code is asked as ever.
    assert srp_sign_in(live, pool_id, client_id)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_without_challenge_required_on_new_device_mfa_comes_first(live: ServerProcess) -> None:
    # "When true, a remembered device can sign in with device authentication instead of
    # SMS and TOTP factors" (ChallengeRequiredOnNewDevice [model]): false keeps MFA, and
    # the device is checked after the code.
    pool_id, client_id = device_pool(
        live, ChallengeRequiredOnNewDevice=False, DeviceOnlyRememberedOnUserPrompt=False
    )
    totp = totp_user(live, pool_id, client_id)
    first = answer_totp(live, client_id, srp_sign_in(live, pool_id, client_id), totp)
    device = remember(live, first["AuthenticationResult"])
    advance(live, 30)  # a fresh TOTP step
    answer = srp_sign_in(live, pool_id, client_id, device.device_key)
    after_mfa = answer_totp(live, client_id, answer, totp)
    result = device_sign_in(live, client_id, after_mfa, device)["AuthenticationResult"]
    assert claims(result["AccessToken"])["device_key"] == device.device_key
