"""Pure pieces of the user flows: codes, masking, message rendering, password rules,
ListUsers filter parsing."""

from __future__ import annotations

import pytest

from poolmail.cognito.messaging import messages
from poolmail.cognito.messaging.masking import mask_email, mask_phone, simulated_delivery
from poolmail.cognito.users import codes
from poolmail.cognito.users.filters import Filter, parse_filter
from poolmail.cognito.users.passwords import (
    DEFAULT_POLICY,
    check_password,
    hash_password,
    temporary_password,
    verify_password,
)
from poolmail.protocol.errors import AwsError


def test_codes_are_six_digits() -> None:
    for _ in range(200):
        code = codes.new_code()
        assert len(code) == 6 and code.isdigit()


def test_validity_and_limits_are_awss() -> None:
    assert codes.VALIDITY[codes.SIGN_UP] == 24 * 3600
    assert codes.VALIDITY[codes.VERIFY_EMAIL] == 24 * 3600
    assert codes.VALIDITY[codes.FORGOT_PASSWORD] == 3600
    assert codes.ATTEMPT_LIMITS["resend-confirmation-code"] == 5
    assert codes.ATTEMPT_LIMITS["confirm-sign-up"] == 15
    assert 5 <= codes.ATTEMPT_LIMITS["confirm-forgot-password"] <= 20


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jane@example.com", "j***@e***"),
        ("a@b.co", "a***@b***"),
        ("victimsemail@gmail.com", "v***@g***"),
    ],
)
def test_email_masking(address: str, masked: str) -> None:
    assert mask_email(address) == masked


def test_phone_masking_and_simulated_delivery() -> None:
    assert mask_phone("+12065551234") == "+*******1234"
    assert simulated_delivery("ghost@example.org")["Destination"] == "g***@e***"
    assert simulated_delivery("+12065551234")["DeliveryMedium"] == "SMS"
    assert simulated_delivery("ghost") == {
        "Destination": "g***@g***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }


def test_default_texts() -> None:
    message = messages.verification_code_message({}, "123456")
    assert (message.subject, message.body) == (
        "Your verification code",
        "Your verification code is 123456. ",
    )
    link = messages.verification_link_message({}, "http://x/confirmUser?a=1&b=2")
    assert link.subject == "Your verification link"
    assert link.body == (
        "Please click the link below to verify your email address. "
        '<a href="http://x/confirmUser?a=1&amp;b=2">Verify Email</a> '
    )
    invite = messages.invitation_message({}, "<bob>", "Pa&ss1!x")
    assert invite is not None
    assert invite.subject == "Your temporary password"
    assert invite.body == "Your username is &lt;bob&gt; and temporary password is Pa&amp;ss1!x. "


def test_template_precedence_and_invitation_without_placeholder() -> None:
    legacy = {"EmailVerificationMessage": "Code: {####}", "EmailVerificationSubject": "Legacy"}
    assert messages.verification_code_message(legacy, "1").body == "Code: 1"
    current = {**legacy, "VerificationMessageTemplate": {"EmailMessage": "New {####}"}}
    message = messages.verification_code_message(current, "2")
    assert (message.subject, message.body) == ("Legacy", "New 2")
    no_code = {"AdminCreateUserConfig": {"InviteMessageTemplate": {"EmailMessage": "Hi there"}}}
    assert messages.invitation_message(no_code, "u", "p") is None


def test_confirmation_link_shape() -> None:
    link = messages.confirmation_link("http://127.0.0.1:4747", "abc", "a b", "012345")
    assert link == (
        "http://127.0.0.1:4747/confirmUser?client_id=abc&user_name=a+b&confirmation_code=012345"
    )


def test_policy_checks_in_awss_order() -> None:
    with pytest.raises(AwsError) as excinfo:
        check_password(DEFAULT_POLICY, "abc", "P: ")
    assert excinfo.value.message == "P: Password not long enough"
    with pytest.raises(AwsError) as excinfo:
        check_password(DEFAULT_POLICY, "abcdefgh", "P: ")
    assert excinfo.value.message == "P: Password must have uppercase characters"
    check_password({"MinimumLength": 6}, "aaaaaa", "P: ")
    check_password(DEFAULT_POLICY, "Aa1+aaaa", "P: ")


def test_temporary_passwords_satisfy_the_policy() -> None:
    strict = {**DEFAULT_POLICY, "MinimumLength": 20}
    for policy in (DEFAULT_POLICY, strict):
        for _ in range(50):
            check_password(policy, temporary_password(policy), "")


def test_hashing_round_trip() -> None:
    stored = hash_password("Secret-1")
    assert verify_password(stored, "Secret-1")
    assert not verify_password(stored, "secret-1")
    assert not verify_password(None, "x")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ('email = "a@b.c"', Filter("email", False, "a@b.c")),
        ('given_name^="Jo"', Filter("given_name", True, "Jo")),
        ('  family_name = "O\\"Neil"  ', Filter("family_name", False, 'O"Neil')),
        (
            'cognito:user_status = "UNCONFIRMED"',
            Filter("cognito:user_status", False, "UNCONFIRMED"),
        ),
        ("", None),
    ],
)
def test_filter_parsing(text: str, parsed: Filter | None) -> None:
    assert parse_filter(text) == parsed


@pytest.mark.parametrize("text", ['email = "x', "email", 'email != "x"', 'email = "a" extra'])
def test_filter_syntax_errors(text: str) -> None:
    with pytest.raises(AwsError) as excinfo:
        parse_filter(text)
    assert excinfo.value.message == "Error while parsing filter."
