"""Where a pool's mail goes: Cognito's capped default sender, or the account's own SES
(DEVELOPER) under the SES sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import email_pool, error_of, idp, latest_mail, sign_up, user_of
from tests.conftest import BACKENDS
from tests.ses.helpers import advance, production_access, verify
from tests.support.server import ServerProcess, serving

DAILY_LIMIT = (
    "Exceeded daily email limit for the operation or the account. If a higher limit is "
    "required, please configure your user pool to use your own Amazon SES configuration "
    "for sending email."
)
SENDER = "sender@example.com"
SOURCE_ARN = f"arn:aws:ses:us-east-1:123456789012:identity/{SENDER}"


@pytest.fixture(scope="module", params=BACKENDS)
def capped(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """A server whose default sender may send 3 messages a day per account."""
    options = ["--cognito-default-daily-email-limit", "3"]
    with serving(request.param, options) as running:
        yield running


def test_default_sender_cap_leaves_the_user_unconfirmed(capped: ServerProcess) -> None:
    capped.reset()
    pool_id, client_id = email_pool(capped)
    for number in range(3):
        sign_up(capped, client_id, f"user{number}", f"user{number}@example.com")
    with pytest.raises(ClientError) as excinfo:
        sign_up(capped, client_id, "late", "late@example.com")
    assert error_of(excinfo) == ("LimitExceededException", DAILY_LIMIT)
    # AWS (SignUp): "the user is successfully created and is in an UNCONFIRMED state".
    assert user_of(capped, pool_id, "late")["UserStatus"] == "UNCONFIRMED"
    # The cap is per account, across pools.
    _, other_client = email_pool(capped)
    with pytest.raises(ClientError) as excinfo:
        sign_up(capped, other_client, "elsewhere", "elsewhere@example.com")
    assert error_of(excinfo)[0] == "LimitExceededException"
    # A day later the window has room again; resending reaches the waiting user.
    advance(capped, 24 * 3600 + 1)
    idp(capped).resend_confirmation_code(ClientId=client_id, Username="late")
    assert latest_mail(capped, "late@example.com")["details"]["kind"] == "cognito-resend-code"


def test_the_default_senders_day_is_a_rolling_window(capped: ServerProcess) -> None:
    """Mail leaves the count exactly 24 hours after it was sent, one message at a time
    (the count is a running total from which aged-out sends are taken as they expire)."""
    capped.reset()
    _, client_id = email_pool(capped)
    sign_up(capped, client_id, "first", "first@example.com")
    sign_up(capped, client_id, "second", "second@example.com")
    advance(capped, 12 * 3600)
    sign_up(capped, client_id, "third", "third@example.com")
    with pytest.raises(ClientError) as excinfo:
        sign_up(capped, client_id, "refused", "refused@example.com")
    assert error_of(excinfo)[0] == "LimitExceededException"
    # The first two are a day old: two places free up, the third send still counts.
    advance(capped, 12 * 3600 + 1)
    sign_up(capped, client_id, "fourth", "fourth@example.com")
    sign_up(capped, client_id, "fifth", "fifth@example.com")
    with pytest.raises(ClientError) as excinfo:
        sign_up(capped, client_id, "sixth", "sixth@example.com")
    assert error_of(excinfo)[0] == "LimitExceededException"
    assert latest_mail(capped, "fifth@example.com")["details"]["kind"] == "cognito-sign-up"


def test_the_fifty_first_default_email_of_the_day_fails(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live)
    for number in range(50):
        sign_up(live, client_id, f"u{number}", f"u{number}@example.com")
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client_id, "u50", "u50@example.com")
    assert error_of(excinfo) == ("LimitExceededException", DAILY_LIMIT)
    assert user_of(live, pool_id, "u50")["UserStatus"] == "UNCONFIRMED"


def test_developer_pool_sends_through_ses_and_its_sandbox(live: ServerProcess) -> None:
    verify(live, SENDER)
    config = {"EmailSendingAccount": "DEVELOPER", "SourceArn": SOURCE_ARN}
    pool_id, client_id = email_pool(live, EmailConfiguration=config)
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client_id, "sandboxed", "user@example.com")
    assert error_of(excinfo) == (
        "CodeDeliveryFailureException",
        "Cognito received the following error from Amazon SES when attempting to send "
        "email: Email address is not verified. The following identities failed the check "
        "in region US-EAST-1: user@example.com",
    )
    assert user_of(live, pool_id, "sandboxed")["UserStatus"] == "UNCONFIRMED"
    production_access(live)
    sign_up(live, client_id, "free", "user@example.com")
    mail = latest_mail(live, "user@example.com")
    assert mail["details"]["email_sending_account"] == "DEVELOPER"
    assert mail["details"]["kind"] == "cognito-sign-up"
    code = mail["details"]["code"]
    cognito = idp(live)
    cognito.confirm_sign_up(ClientId=client_id, Username="free", ConfirmationCode=code)
    assert user_of(live, pool_id, "free")["attributes"]["email_verified"] == "true"


def test_developer_pool_is_not_held_to_the_default_cap(capped: ServerProcess) -> None:
    capped.reset()
    verify(capped, SENDER)
    production_access(capped)
    config = {"EmailSendingAccount": "DEVELOPER", "SourceArn": SOURCE_ARN}
    _, client_id = email_pool(capped, EmailConfiguration=config)
    for number in range(5):
        sign_up(capped, client_id, f"dev{number}", f"dev{number}@example.com")
    assert latest_mail(capped, "dev4@example.com")["details"]["email_sending_account"] == (
        "DEVELOPER"
    )
