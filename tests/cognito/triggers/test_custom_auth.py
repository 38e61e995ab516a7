"""CUSTOM_AUTH with real Define/Create/VerifyAuthChallenge functions run by the embedded
runner: a three-round challenge ending in tokens, a wrong answer failing the sign-in, the
events the functions see, a function's error, and unknown users."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.cognito.helpers import PASSWORD, confirmed_user, error_of, idp, make_pool
from tests.conftest import BACKENDS
from tests.ses.helpers import advance
from tests.support.functions import write_functions
from tests.support.server import ServerProcess, serving

ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"
ROUNDS = 3

# Three custom rounds; one after the password when the sign-in starts with SRP.
DEFINE = f"""
def handler(event, context):
    session = event["request"]["session"]
    response = event["response"]
    customs = [round for round in session if round["challengeName"] == "CUSTOM_CHALLENGE"]
    needed = 1 if session and session[0]["challengeName"] == "SRP_A" else {ROUNDS}
    if session and session[-1]["challengeResult"] is False:
        response["failAuthentication"] = True
    elif session and session[-1]["challengeName"] == "SRP_A":
        response["challengeName"] = "PASSWORD_VERIFIER"
    elif len(customs) == needed:
        response["issueTokens"] = True
    else:
        response["challengeName"] = "CUSTOM_CHALLENGE"
    return event
"""
CREATE = """
def handler(event, context):
    number = len(event["request"]["session"])
    event["response"]["publicChallengeParameters"] = {"question": f"q{number}", "round": number}
    event["response"]["privateChallengeParameters"] = {"answer": f"a{number}"}
    event["response"]["challengeMetadata"] = f"ROUND-{number}"
    return event
"""
VERIFY = """
def handler(event, context):
    request = event["request"]
    expected = request["privateChallengeParameters"]["answer"]
    event["response"]["answerCorrect"] = request["challengeAnswer"] == expected
    return event
"""
FAILING = """
def handler(event, context):
    raise ValueError("no challenge today")
"""
FUNCTIONS = {
    name: ("python3.12", "app.handler", {"app.py": source})
    for name, source in (
        ("define-auth", DEFINE),
        ("create-auth", CREATE),
        ("verify-auth", VERIFY),
        ("failing-create", FAILING),
    )
}
TRIGGERS = {
    "DefineAuthChallenge": ARN.format("define-auth"),
    "CreateAuthChallenge": ARN.format("create-auth"),
    "VerifyAuthChallengeResponse": ARN.format("verify-auth"),
}


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One server with the challenge functions, per store; `live` resets it per test."""
    toml = write_functions(tmp_path_factory.mktemp("functions"), FUNCTIONS)
    with serving(
        request.param, ["--functions", str(toml)], data_dir=str(tmp_path_factory.mktemp("data"))
    ) as running:
        yield running


def custom_pool(server: ServerProcess, **triggers: str) -> tuple[str, str]:
    pool_id = make_pool(server, LambdaConfig={**TRIGGERS, **triggers})
    client = idp(server).create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    return pool_id, str(client["UserPoolClient"]["ClientId"])


def start(server: ServerProcess, client_id: str, username: str) -> dict[str, Any]:
    answer: dict[str, Any] = idp(server).initiate_auth(
        ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": username}
    )
    return answer


def answer(
    server: ServerProcess, client_id: str, challenge: dict[str, Any], text: str, **extra: Any
) -> dict[str, Any]:
    username = challenge["ChallengeParameters"]["USERNAME"]
    result: dict[str, Any] = idp(server).respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": username, "ANSWER": text},
        **extra,
    )
    return result


def invocations(server: ServerProcess, source: str) -> list[dict[str, Any]]:
    found = httpx.get(
        f"{server.url}/_poolmail/functions/invocations", params={"source": source}
    ).json()["invocations"]
    return list(reversed(found))  # oldest first


def test_three_rounds_end_in_tokens(live: ServerProcess) -> None:
    pool_id, client_id = custom_pool(live)
    confirmed_user(live, pool_id, "alice")
    challenge = start(live, client_id, "alice")
    for number in range(ROUNDS):
        assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
        # Public parameters reach the client as strings, with the USERNAME added.
        assert challenge["ChallengeParameters"] == {
            "question": f"q{number}",
            "round": str(number),
            "USERNAME": "alice",
        }
        challenge = answer(live, client_id, challenge, f"a{number}", ClientMetadata={"k": "v"})
    tokens = challenge["AuthenticationResult"]
    user = idp(live).get_user(AccessToken=tokens["AccessToken"])
    assert user["Username"] == "alice"
    assert tokens["RefreshToken"]

    defines = invocations(live, "DefineAuthChallenge_Authentication")
    assert [len(event["request"]["request"]["session"]) for event in defines] == [0, 1, 2, 3]
    last = defines[-1]["request"]
    assert last["userName"] == "alice"
    assert last["userPoolId"] == pool_id
    assert last["callerContext"]["clientId"] == client_id
    assert last["request"]["session"] == [
        {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": m}
        for m in ("ROUND-0", "ROUND-1", "ROUND-2")
    ]
    assert last["request"]["userAttributes"]["email"] == "alice@example.com"
    assert last["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    # clientMetadata only from RespondToAuthChallenge; no userNotFound without
    # PreventUserExistenceErrors.
    assert "clientMetadata" not in defines[0]["request"]["request"]
    assert last["request"]["clientMetadata"] == {"k": "v"}
    assert "userNotFound" not in last["request"]
    (first_verify, *_) = invocations(live, "VerifyAuthChallengeResponse_Authentication")
    assert first_verify["request"]["request"]["privateChallengeParameters"] == {"answer": "a0"}
    assert first_verify["request"]["request"]["challengeAnswer"] == "a0"
    creates = invocations(live, "CreateAuthChallenge_Authentication")
    assert creates[0]["request"]["request"]["challengeName"] == "CUSTOM_CHALLENGE"
    assert creates[0]["request"]["request"]["session"] == []


def test_a_wrong_answer_fails_and_the_session_is_spent(live: ServerProcess) -> None:
    pool_id, client_id = custom_pool(live)
    confirmed_user(live, pool_id, "bob")
    first = start(live, client_id, "bob")
    second = answer(live, client_id, first, "a0")
    with pytest.raises(ClientError) as excinfo:
        answer(live, client_id, second, "wrong")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    # Each round's session answers once.
    with pytest.raises(ClientError) as excinfo:
        answer(live, client_id, first, "a0")
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")
    # The failing round reached Define as a failed CUSTOM_CHALLENGE.
    last = invocations(live, "DefineAuthChallenge_Authentication")[-1]["request"]
    assert last["request"]["session"][-1] == {
        "challengeName": "CUSTOM_CHALLENGE",
        "challengeResult": False,
        "challengeMetadata": "ROUND-1",
    }
    # A round's session lasts the client's AuthSessionValidity, 3 minutes by default.
    waiting = start(live, client_id, "bob")
    advance(live, 181)
    with pytest.raises(ClientError) as excinfo:
        answer(live, client_id, waiting, "a0")
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


def test_admin_flow_and_a_function_error(live: ServerProcess) -> None:
    pool_id, client_id = custom_pool(live, CreateAuthChallenge=ARN.format("failing-create"))
    confirmed_user(live, pool_id, "carol")
    with pytest.raises(ClientError) as excinfo:
        idp(live).admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": "carol"},
        )
    assert error_of(excinfo) == (
        "UserLambdaValidationException",
        "CreateAuthChallenge failed with error no challenge today.",
    )


def test_unknown_users(live: ServerProcess) -> None:
    pool_id, client_id = custom_pool(live)
    with pytest.raises(ClientError) as excinfo:
        start(live, client_id, "nobody")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    # A client that hides existence runs the challenge with `userNotFound`, and the sign-in
    # fails only as a wrong answer does.
    hidden = idp(live).create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="hidden",
        ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]["ClientId"]
    challenge = start(live, hidden, "nobody")
    assert challenge["ChallengeParameters"]["USERNAME"] == "nobody"
    define = invocations(live, "DefineAuthChallenge_Authentication")[-1]["request"]
    assert define["request"]["userNotFound"] is True
    assert define["request"]["userAttributes"] == {}
    with pytest.raises(ClientError) as excinfo:
        answer(live, hidden, challenge, "wrong")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")


def test_srp_first_then_a_custom_challenge(live: ServerProcess) -> None:
    pool_id, client_id = custom_pool(live)
    confirmed_user(live, pool_id, "dan")
    helper = AWSSRP(
        username="dan", password=PASSWORD, pool_id=pool_id, client_id=client_id, client=idp(live)
    )
    cognito = idp(live)
    verifier = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="CUSTOM_AUTH",
        AuthParameters={**helper.get_auth_params(), "CHALLENGE_NAME": "SRP_A"},
    )
    assert verifier["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = helper.process_challenge(verifier["ChallengeParameters"], {"USERNAME": "dan"})
    challenge = cognito.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert challenge["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert challenge["ChallengeParameters"]["question"] == "q2"
    tokens = answer(live, client_id, challenge, "a2")["AuthenticationResult"]
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == "dan"
    last = invocations(live, "DefineAuthChallenge_Authentication")[-1]["request"]
    assert [(r["challengeName"], r["challengeResult"]) for r in last["request"]["session"]] == [
        ("SRP_A", True),
        ("PASSWORD_VERIFIER", True),
        ("CUSTOM_CHALLENGE", True),
    ]
