"""SRP-6a unit tests: poolmail's server half against pycognito's client half, the hex
padding both sides hash, and Cognito's TIMESTAMP rule."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from poolmail.cognito.signin import challenges, srp
from tests.cognito.helpers import (
    INCORRECT,
    PASSWORD,
    auth_client,
    auth_pool,
    confirmed_user,
    error_of,
    idp,
    user_of,
)
from tests.support.server import ServerProcess

POOL_ID = "us-east-1_AbCdEfGhI"


def _client_half(username: str, password: str) -> AWSSRP:
    # pycognito's own SRP client; it never calls AWS here (the client object is unused).
    return AWSSRP(
        username=username,
        password=password,
        pool_id=POOL_ID,
        client_id="client",
        client=object(),
    )


def _server_challenge(
    username: str, password: str
) -> tuple[AWSSRP, srp.ServerHalf, str, dict[str, Any]]:
    salt = srp.new_salt()
    verifier = srp.make_verifier(POOL_ID, username, password, salt)
    client = _client_half(username, password)
    half = srp.server_half(verifier)
    params = {
        "SALT": salt,
        "SRP_B": f"{half.big_b:x}",
        "SECRET_BLOCK": challenges.new_secret_block(),
        "USERNAME": username,
        "USER_ID_FOR_SRP": username,
    }
    return client, half, verifier, params


def _expected(
    client: AWSSRP, half: srp.ServerHalf, verifier: str, params: dict[str, Any], stamp: str
) -> str:
    key = srp.password_key(client.large_a_value, half, verifier)
    block = base64.b64decode(params["SECRET_BLOCK"])
    return srp.signature(key, POOL_ID, params["USER_ID_FOR_SRP"], block, stamp)


@pytest.mark.parametrize("password", ["Passw0rd!", "ünïcödé-Pässw0rd", "x" * 99])
def test_the_server_half_agrees_with_pycognitos_client(password: str) -> None:
    client, half, verifier, params = _server_challenge("alice", password)
    answer = client.process_challenge(params, {"USERNAME": "alice"})
    stamp = srp.canonical_timestamp(answer["TIMESTAMP"])
    assert stamp == answer["TIMESTAMP"]
    assert _expected(client, half, verifier, params, stamp) == answer["PASSWORD_CLAIM_SIGNATURE"]


def test_a_wrong_password_gives_another_signature() -> None:
    salt = srp.new_salt()
    verifier = srp.make_verifier(POOL_ID, "bob", "Right-Passw0rd", salt)
    client = _client_half("bob", "Wrong-Passw0rd")
    half = srp.server_half(verifier)
    params = {
        "SALT": salt,
        "SRP_B": f"{half.big_b:x}",
        "SECRET_BLOCK": challenges.new_secret_block(),
        "USERNAME": "bob",
        "USER_ID_FOR_SRP": "bob",
    }
    answer = client.process_challenge(params, {"USERNAME": "bob"})
    stamp = answer["TIMESTAMP"]
    assert _expected(client, half, verifier, params, stamp) != answer["PASSWORD_CLAIM_SIGNATURE"]


def test_the_verifier_binds_pool_and_username() -> None:
    salt = srp.new_salt()
    base = srp.make_verifier(POOL_ID, "carol", "Passw0rd!", salt)
    assert srp.make_verifier("us-east-1_Other1234", "carol", "Passw0rd!", salt) != base
    assert srp.make_verifier(POOL_ID, "Carol", "Passw0rd!", salt) != base
    assert srp.make_verifier(POOL_ID, "carol", "Passw0rd!", srp.new_salt()) != base


@pytest.mark.parametrize(
    "exponent",
    [0, 1, 2, 255, 256, 2**255, 2**256 - 1, 2**256, 2**1024 + 12345, 0x1234 << 200],
)
def test_the_fixed_base_power_is_pythons_pow(exponent: int) -> None:
    assert srp._g_pow(exponent) == pow(srp.G, exponent, srp.N)


def test_the_fixed_base_power_agrees_on_random_exponents() -> None:
    import secrets

    for _ in range(50):
        exponent = secrets.randbits(256)
        assert srp._g_pow(exponent) == pow(srp.G, exponent, srp.N)


@pytest.mark.parametrize(
    ("value", "padded"),
    [(0x1, "01"), (0x7F, "7f"), (0x80, "0080"), (0xABC, "0abc"), (0x1234, "1234")],
)
def test_pad_hex_reads_as_a_positive_even_length_number(value: int, padded: str) -> None:
    assert srp.pad_hex(value) == padded


def test_salts_survive_the_clients_number_round_trip() -> None:
    # amazon-cognito-identity-js parses SALT as a number and pads it again: the digits
    # must come back unchanged, or its x would differ from the server's.
    for _ in range(200):
        salt = srp.new_salt()
        assert srp.pad_hex(int(salt, 16)) == salt


def test_k_is_the_hash_of_n_and_g_as_the_clients_compute_it() -> None:
    assert _client_half("x", "y").val_k == srp.K


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("Wed Apr 5 22:42:34 UTC 2017", "Wed Apr 5 22:42:34 UTC 2017"),
        # Java's `d` reads a zero-padded day, but prints it without the zero.
        ("Wed Apr 05 22:44:40 UTC 2017", "Wed Apr 5 22:44:40 UTC 2017"),
        ("Mon Feb 12 5:56:9 GMT 2018", "Mon Feb 12 05:56:09 UTC 2018"),
    ],
)
def test_timestamps_are_reprinted_as_cognito_signs_them(given: str, canonical: str) -> None:
    assert srp.canonical_timestamp(given) == canonical


@pytest.mark.parametrize(
    "given",
    [
        "Mon Feb 12 15:26:37 +05:30 2018",
        "Mon Feb 12 15:56:9 IST 2018",
        "2018-02-12T15:26:37Z",
        "Xyz Feb 12 15:26:37 UTC 2018",
        "Mon Feb 32 15:26:37 UTC 2018",
    ],
)
def test_timestamps_that_do_not_parse(given: str) -> None:
    assert srp.canonical_timestamp(given) is None


def test_pycognitos_timestamps_are_canonical() -> None:
    moment = dt.datetime(2024, 3, 4, 5, 6, 7)
    stamp = AWSSRP.get_cognito_formatted_timestamp(moment)
    assert stamp == "Mon Mar 4 05:06:07 UTC 2024"
    assert srp.canonical_timestamp(stamp) == stamp


# ---- USER_SRP_AUTH against the server -----------------------------------------------------


def _srp_client(live: ServerProcess, pool_id: str, client_id: str, user: str, pw: str) -> AWSSRP:
    return AWSSRP(
        username=user, password=pw, pool_id=pool_id, client_id=client_id, client=idp(live)
    )


def _challenge(live: ServerProcess, client_id: str, helper: AWSSRP) -> dict[str, Any]:
    answer: dict[str, Any] = idp(live).initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=helper.get_auth_params()
    )
    return answer


def _respond(live: ServerProcess, client_id: str, responses: dict[str, str]) -> dict[str, Any]:
    answer: dict[str, Any] = idp(live).respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    return answer


def test_srp_sign_in_with_an_alias(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live, UsernameAttributes=["email"])
    cognito = idp(live)
    cognito.sign_up(ClientId=client_id, Username="erin@example.com", Password=PASSWORD)
    cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username="erin@example.com")
    helper = _srp_client(live, pool_id, client_id, "erin@example.com", PASSWORD)
    challenge = _challenge(live, client_id, helper)
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    parameters = challenge["ChallengeParameters"]
    # The user's real username (a UUID in email-as-username pools) is what SRP hashes.
    sub = user_of(live, pool_id, "erin@example.com")["Username"]
    assert parameters["USER_ID_FOR_SRP"] == parameters["USERNAME"] == sub
    assert set(parameters) == {"SALT", "SECRET_BLOCK", "SRP_B", "USERNAME", "USER_ID_FOR_SRP"}
    done = _respond(
        live, client_id, helper.process_challenge(parameters, {"USERNAME": "erin@example.com"})
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_srp_refusals(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    confirmed_user(live, pool_id, "finn")
    wrong = _srp_client(live, pool_id, client_id, "finn", "Wrong-Passw0rd")
    challenge = _challenge(live, client_id, wrong)["ChallengeParameters"]
    responses = wrong.process_challenge(challenge, {"USERNAME": "finn"})
    with pytest.raises(ClientError) as excinfo:
        _respond(live, client_id, responses)
    assert error_of(excinfo) == INCORRECT
    # A secret block is good for one answer.
    with pytest.raises(ClientError) as excinfo:
        _respond(live, client_id, responses)
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")
    right = _srp_client(live, pool_id, client_id, "finn", PASSWORD)
    challenge = _challenge(live, client_id, right)["ChallengeParameters"]
    responses = right.process_challenge(challenge, {"USERNAME": "finn"})
    with pytest.raises(ClientError) as excinfo:
        _respond(live, client_id, {**responses, "TIMESTAMP": "2024-03-04T05:06:07Z"})
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.",
    )


def test_a_zero_padded_day_fails_the_signature(
    live: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # AWS quirk: Cognito signs the timestamp as it re-prints it (qwigo/warrant#12).
    pool_id, client_id = auth_pool(live)
    confirmed_user(live, pool_id, "gwen")
    for stamp, works in (
        ("Mon Mar 04 05:06:07 UTC 2024", False),
        ("Mon Mar 4 05:06:07 UTC 2024", True),
    ):
        helper = _srp_client(live, pool_id, client_id, "gwen", PASSWORD)
        challenge = _challenge(live, client_id, helper)["ChallengeParameters"]
        fixed = staticmethod(lambda _moment, given=stamp: given)
        monkeypatch.setattr(AWSSRP, "get_cognito_formatted_timestamp", fixed)
        responses = helper.process_challenge(challenge, {"USERNAME": "gwen"})
        assert responses["TIMESTAMP"] == stamp
        if works:
            assert "IdToken" in _respond(live, client_id, responses)["AuthenticationResult"]
        else:
            with pytest.raises(ClientError) as excinfo:
                _respond(live, client_id, responses)
            assert error_of(excinfo) == INCORRECT


def test_srp_for_unknown_users(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    helper = _srp_client(live, pool_id, client_id, "ghost", PASSWORD)
    with pytest.raises(ClientError) as excinfo:
        _challenge(live, client_id, helper)
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    # A client that hides existence answers with a challenge all the same, then refuses.
    hiding = auth_client(live, pool_id, PreventUserExistenceErrors="ENABLED")
    helper = _srp_client(live, pool_id, hiding, "ghost", PASSWORD)
    challenge = _challenge(live, hiding, helper)
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = helper.process_challenge(challenge["ChallengeParameters"], {"USERNAME": "ghost"})
    with pytest.raises(ClientError) as excinfo:
        _respond(live, hiding, responses)
    assert error_of(excinfo) == INCORRECT


def test_srp_leads_invited_users_to_new_password_required(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    idp(live).admin_create_user(
        UserPoolId=pool_id, Username="hana", TemporaryPassword="Temp-Passw0rd",
        MessageAction="SUPPRESS",
    )  # fmt: skip
    helper = _srp_client(live, pool_id, client_id, "hana", "Temp-Passw0rd")
    challenge = _challenge(live, client_id, helper)["ChallengeParameters"]
    answer = _respond(live, client_id, helper.process_challenge(challenge, {"USERNAME": "hana"}))
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    # pycognito's own completion of the challenge, end to end.
    tokens = _srp_client(live, pool_id, client_id, "hana", "Temp-Passw0rd")
    result = tokens.set_new_password_challenge("Own-Passw0rd")
    assert "AccessToken" in result["AuthenticationResult"]


@pytest.mark.parametrize(
    "given", ["", "0", "-5", "0x12", "1_2", "zz", f"{srp.N:x}", f"{2 * srp.N:x}"]
)
def test_srp_a_must_be_a_positive_hex_number_not_zero_mod_n(given: str) -> None:
    assert srp.parse_a(given) is None


def test_an_invalid_srp_a_is_refused(live: ServerProcess) -> None:
    _, client_id = auth_pool(live)
    with pytest.raises(ClientError) as excinfo:
        idp(live).initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": "x", "SRP_A": f"{srp.N:x}"},
        )
    assert error_of(excinfo) == ("InvalidParameterException", "SRP_A is invalid.")
