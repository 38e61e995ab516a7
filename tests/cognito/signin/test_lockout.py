"""Password lockout through boto3: five wrong passwords are free, then 2^(n-5) seconds
locked out (at most 15 minutes), "Password attempts exceeded" meanwhile, and the count
back at zero after a sign-in or a quiet quarter of an hour."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.cognito.helpers import (
    INCORRECT,
    PASSWORD,
    auth_pool,
    confirmed_user,
    error_of,
    idp,
    password_auth,
)
from tests.ses.helpers import advance
from tests.support.server import ServerProcess

EXCEEDED = ("NotAuthorizedException", "Password attempts exceeded")
WRONG = "Wrong-Passw0rd"


def attempt(server: ServerProcess, client_id: str, password: str, user: str = "alice") -> Any:
    """One USER_PASSWORD_AUTH: the tokens, or the error as (code, message)."""
    try:
        return password_auth(server, client_id, user, password)["AuthenticationResult"]
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["Error"]["Message"]


def fail(server: ServerProcess, client_id: str, times: int) -> None:
    for _ in range(times):
        assert attempt(server, client_id, WRONG) == INCORRECT


def lock_up(server: ServerProcess) -> str:
    pool_id, client_id = auth_pool(server)
    confirmed_user(server, pool_id, "alice")
    return client_id


def test_the_sixth_attempt_is_refused_even_with_the_right_password(live: ServerProcess) -> None:
    client_id = lock_up(live)
    # The fifth wrong password is answered as the others: it starts the lockout.
    fail(live, client_id, 5)
    assert attempt(live, client_id, PASSWORD) == EXCEEDED
    # One second later the right password signs in, and the count starts again at zero:
    # a wrong password now is a first one, which locks nothing.
    advance(live, 1.5)
    assert "AccessToken" in attempt(live, client_id, PASSWORD)
    fail(live, client_id, 4)
    assert "AccessToken" in attempt(live, client_id, PASSWORD)


def test_lockouts_double_up_to_fifteen_minutes(live: ServerProcess) -> None:
    client_id = lock_up(live)
    fail(live, client_id, 5)  # n=5: 1 s
    advance(live, 1.5)
    fail(live, client_id, 1)  # n=6: 2 s
    assert attempt(live, client_id, WRONG) == EXCEEDED
    # Real seconds pass too, slowly where test workers share the cores: the checks inside
    # a lockout leave a second or two for them.
    advance(live, 1)
    # Attempts during a lockout neither count nor lengthen it (to 3 s or more).
    assert attempt(live, client_id, WRONG) == EXCEEDED
    advance(live, 1.2)
    fail(live, client_id, 1)  # n=7: 4 s
    advance(live, 2)
    assert attempt(live, client_id, PASSWORD) == EXCEEDED
    advance(live, 2.5)
    fail(live, client_id, 1)  # n=8: 8 s
    for failures in range(9, 16):
        advance(live, 2 ** (failures - 6) + 1)
        fail(live, client_id, 1)
    # n=15 would be 2^10 s, 17 minutes; the lockout stops at about 15.
    advance(live, 895)
    assert attempt(live, client_id, PASSWORD) == EXCEEDED
    advance(live, 10)
    assert "AccessToken" in attempt(live, client_id, PASSWORD)


def test_a_quiet_quarter_of_an_hour_resets_the_count(live: ServerProcess) -> None:
    client_id = lock_up(live)
    fail(live, client_id, 5)
    advance(live, 900)
    # Back at zero: two wrong passwords lock nothing.
    fail(live, client_id, 2)
    assert "AccessToken" in attempt(live, client_id, PASSWORD)
    # Refused attempts are attempts too: they start the quiet quarter of an hour again.
    fail(live, client_id, 5)
    for failures in range(6, 10):
        advance(live, 2 ** (failures - 6) + 1)
        fail(live, client_id, 1)  # n=9 at the end: locked out for 16 s
    advance(live, 10)
    assert attempt(live, client_id, WRONG) == EXCEEDED
    advance(live, 895)  # 905 s after the last counted failure, 895 after the refused one
    fail(live, client_id, 1)  # n=10: 32 s
    assert attempt(live, client_id, PASSWORD) == EXCEEDED


def _srp_answer(server: ServerProcess, pool_id: str, client_id: str, password: str) -> Any:
    helper = AWSSRP(
        username="alice", password=password, pool_id=pool_id, client_id=client_id, client=object()
    )
    cognito = idp(server)
    challenge = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=helper.get_auth_params()
    )
    answers = helper.process_challenge(challenge["ChallengeParameters"], {"USERNAME": "alice"})
    return cognito.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answers
    )


def test_srp_signatures_count_and_are_refused_alike(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    confirmed_user(live, pool_id, "alice")
    fail(live, client_id, 2)
    for _ in range(3):
        with pytest.raises(ClientError) as excinfo:
            _srp_answer(live, pool_id, client_id, WRONG)
        assert error_of(excinfo) == INCORRECT
    # n=5 locks for 1 s; past it, a sixth locks for 2 s: room for the real seconds the
    # checks below take where test workers share the cores.
    advance(live, 1.5)
    with pytest.raises(ClientError) as excinfo:
        _srp_answer(live, pool_id, client_id, WRONG)
    assert error_of(excinfo) == INCORRECT
    with pytest.raises(ClientError) as excinfo:
        _srp_answer(live, pool_id, client_id, PASSWORD)
    assert error_of(excinfo) == EXCEEDED
    assert attempt(live, client_id, PASSWORD) == EXCEEDED
    advance(live, 2)
    assert "AccessToken" in _srp_answer(live, pool_id, client_id, PASSWORD)["AuthenticationResult"]


def test_admin_sign_ins_count_and_other_users_are_untouched(live: ServerProcess) -> None:
    # "regardless of whether those are requested with unauthenticated or IAM-authorized
    # API operations" (authentication.html, lockout behavior).
    pool_id, client_id = auth_pool(live)
    confirmed_user(live, pool_id, "alice")
    confirmed_user(live, pool_id, "bob")
    cognito = idp(live)

    def admin(password: str) -> dict[str, Any]:
        answer: dict[str, Any] = cognito.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": password},
        )
        return answer

    for _ in range(5):
        with pytest.raises(ClientError) as excinfo:
            admin(WRONG)
        assert error_of(excinfo) == INCORRECT
    with pytest.raises(ClientError) as excinfo:
        admin(PASSWORD)
    assert error_of(excinfo) == EXCEEDED
    assert attempt(live, client_id, PASSWORD) == EXCEEDED
    assert "AccessToken" in attempt(live, client_id, PASSWORD, user="bob")


def test_change_password_is_no_sign_in(live: ServerProcess) -> None:
    # The lockout counts "failed sign-in attempts"; ChangePassword's PreviousPassword is not.
    client_id = lock_up(live)
    token = attempt(live, client_id, PASSWORD)["AccessToken"]
    cognito = idp(live)
    for _ in range(5):
        with pytest.raises(ClientError):
            cognito.change_password(
                AccessToken=token, PreviousPassword=WRONG, ProposedPassword="New-Passw0rd!"
            )
    assert "AccessToken" in attempt(live, client_id, PASSWORD)
