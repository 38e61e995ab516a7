"""An answered SOFTWARE_TOKEN_MFA challenge is spent, whatever follows the right code: the
tokens, or a refusal of the user's state. Where the pool runs no functions its session
closes in the write that stores the sign-in (`auth.proceed`'s ``closing``)."""

from __future__ import annotations

import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, idp
from tests.cognito.mfa.helpers import access_token, add_totp, sign_in, totp_code, totp_pool
from tests.support.server import ServerProcess

SPENT = ("NotAuthorizedException", "Invalid session for the user.")


def _totp_user(live: ServerProcess) -> tuple[str, str, str, pyotp.TOTP]:
    pool_id, client_id = totp_pool(live)
    token = access_token(live, client_id)
    app = add_totp(live, token)
    idp(live).set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    challenge = sign_in(live, client_id)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    return pool_id, client_id, str(challenge["Session"]), app


def _answer(live: ServerProcess, client_id: str, session: str, code: str) -> dict[str, object]:
    answer: dict[str, object] = idp(live).respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=session,
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
    )
    return answer


def test_a_right_code_for_a_disabled_user_spends_the_session(live: ServerProcess) -> None:
    pool_id, client_id, session, app = _totp_user(live)
    cognito = idp(live)
    cognito.admin_disable_user(UserPoolId=pool_id, Username="alice")
    with pytest.raises(ClientError) as excinfo:
        _answer(live, client_id, session, totp_code(live, app))
    assert error_of(excinfo) == ("NotAuthorizedException", "User is disabled.")
    cognito.admin_enable_user(UserPoolId=pool_id, Username="alice")
    # Refused after the right code: the session was spent all the same.
    with pytest.raises(ClientError) as excinfo:
        _answer(live, client_id, session, totp_code(live, app))
    assert error_of(excinfo) == SPENT


def test_the_session_closes_with_the_sign_in_it_completes(live: ServerProcess) -> None:
    _, client_id, session, app = _totp_user(live)
    done = _answer(live, client_id, session, totp_code(live, app))
    result = done["AuthenticationResult"]
    assert isinstance(result, dict)
    # The sign-in is stored (its refresh token refreshes) and its session is spent.
    refreshed = idp(live).initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )
    assert refreshed["AuthenticationResult"]["TokenType"] == "Bearer"
    with pytest.raises(ClientError) as excinfo:
        _answer(live, client_id, session, totp_code(live, app))
    assert error_of(excinfo) == SPENT
