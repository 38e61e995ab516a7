"""Threat protection through boto3: risk configurations, the auth events of sign-ins,
sign-ups and password changes, feedback, compromised credentials, and adaptive
authentication driven by poolmail's admin API, with its notification mails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    PASSWORD,
    auth_client,
    auth_pool,
    code_for,
    confirmed_user,
    error_of,
    idp,
    latest_mail,
    password_auth,
    user_of,
)
from tests.cognito.mfa.helpers import DOMAIN_ARN, access_token, add_totp, totp_code
from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

BREACHED = "Password123!"
BLOCKED = ("NotAuthorizedException", "Unable to login because of security reasons.")


def plus_pool(server: ServerProcess, mode: str = "AUDIT") -> tuple[str, str]:
    return auth_pool(server, UserPoolTier="PLUS", UserPoolAddOns={"AdvancedSecurityMode": mode})


def events(server: ServerProcess, pool_id: str, username: str = "alice") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = idp(server).admin_list_user_auth_events(
        UserPoolId=pool_id, Username=username
    )["AuthEvents"]
    return found


def next_risk(server: ServerProcess, pool_id: str, level: str | None, user: str = "alice") -> None:
    answer = httpx.post(
        f"{server.url}/_poolmail/cognito/pools/{pool_id}/users/{user}/risk", json={"level": level}
    )
    answer.raise_for_status()


def takeover(action: str, *, notify: bool = False) -> dict[str, Any]:
    level = {"Notify": notify, "EventAction": action}
    config: dict[str, Any] = {
        "Actions": {"LowAction": level, "MediumAction": level, "HighAction": level}
    }
    if notify:
        config["NotifyConfiguration"] = {
            "SourceArn": DOMAIN_ARN,
            "From": "security@example.com",
            "ReplyTo": "help@example.com",
            "BlockEmail": {
                "Subject": "Blocked sign-in for {username}",
                "HtmlBody": "<p>Blocked. Was it you? {one-click-link-invalid}</p>",
                "TextBody": "Blocked sign-in.",
            },
            "MfaEmail": {"Subject": "MFA sign-in for {username}", "TextBody": "Was it you?"},
            "NoActionEmail": {"Subject": "Sign-in for {username}", "TextBody": "Was it you?"},
        }
    return config


# ---- SetRiskConfiguration / DescribeRiskConfiguration -------------------------------------


def test_risk_configuration_per_pool_and_client(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "ENFORCED")
    other = auth_client(live, pool_id)
    cognito = idp(live)
    compromised = {"EventFilter": ["SIGN_IN"], "Actions": {"EventAction": "BLOCK"}}
    ranges = {"BlockedIPRangeList": ["10.0.0.0/8"], "SkippedIPRangeList": ["192.168.1.1/32"]}
    answer = cognito.set_risk_configuration(
        UserPoolId=pool_id,
        CompromisedCredentialsRiskConfiguration=compromised,
        AccountTakeoverRiskConfiguration=takeover("MFA_IF_CONFIGURED"),
        RiskExceptionConfiguration=ranges,
    )["RiskConfiguration"]
    assert answer["UserPoolId"] == pool_id and "ClientId" not in answer
    assert answer["CompromisedCredentialsRiskConfiguration"] == compromised
    cognito.set_risk_configuration(
        UserPoolId=pool_id, ClientId=client_id, RiskExceptionConfiguration=ranges
    )
    own = cognito.describe_risk_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert own["RiskConfiguration"]["ClientId"] == client_id
    assert "CompromisedCredentialsRiskConfiguration" not in own["RiskConfiguration"]
    # A client without its own follows the pool's.
    inherited = cognito.describe_risk_configuration(UserPoolId=pool_id, ClientId=other)
    assert inherited["RiskConfiguration"]["CompromisedCredentialsRiskConfiguration"] == compromised
    assert "LastModifiedDate" in inherited["RiskConfiguration"]
    # "send this request with only the UserPoolId parameter" resets the pool's.
    cognito.set_risk_configuration(UserPoolId=pool_id)
    reset = cognito.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
    assert reset == {"UserPoolId": pool_id}


def test_risk_configuration_refusals(live: ServerProcess) -> None:
    cognito = idp(live)
    essentials, _ = auth_pool(live)
    with pytest.raises(ClientError) as caught:
        cognito.set_risk_configuration(
            UserPoolId=essentials, RiskExceptionConfiguration={"BlockedIPRangeList": ["1.2.3.4/32"]}
        )
    assert error_of(caught) == (
        "FeatureUnavailableInTierException",
        "The following features need to be disabled for the ESSENTIALS pricing tier "
        "configured: Threat Protection",
    )
    pool_id, _ = plus_pool(live)
    with pytest.raises(ClientError) as caught:
        cognito.set_risk_configuration(
            UserPoolId=pool_id, RiskExceptionConfiguration={"BlockedIPRangeList": ["10.0.0/33"]}
        )
    assert error_of(caught) == (
        "InvalidParameterException",
        "10.0.0/33 is not a valid IP address range in CIDR notation.",
    )
    with pytest.raises(ClientError) as caught:
        cognito.set_risk_configuration(UserPoolId=pool_id, ClientId="nosuchclient")
    assert error_of(caught) == (
        "ResourceNotFoundException",
        "User pool client nosuchclient does not exist.",
    )
    notify_alone = takeover("BLOCK")
    notify_alone["Actions"]["HighAction"] = {"Notify": True, "EventAction": "BLOCK"}
    with pytest.raises(ClientError) as caught:
        cognito.set_risk_configuration(
            UserPoolId=pool_id, AccountTakeoverRiskConfiguration=notify_alone
        )
    assert error_of(caught)[0] == "InvalidParameterException"


# ---- auth events ---------------------------------------------------------------------------


def test_sign_ins_are_logged_in_audit_mode(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "AUDIT")
    confirmed_user(live, pool_id, "alice")
    password_auth(live, client_id, "alice")
    with pytest.raises(ClientError):
        password_auth(live, client_id, "alice", "Wrong-passw0rd")
    logged = events(live, pool_id)
    assert [event["EventResponse"] for event in logged] == ["Fail", "Pass"]  # newest first
    failed, passed = logged
    assert passed["EventType"] == "SignIn"
    assert passed["EventRisk"] == {
        "RiskDecision": "NoRisk",
        "CompromisedCredentialsDetected": False,
    }
    assert passed["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Success"}
    ]
    assert failed["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Failure"}
    ]
    assert passed["EventContextData"]["IpAddress"]
    page = idp(live).admin_list_user_auth_events(UserPoolId=pool_id, Username="alice", MaxResults=1)
    assert [event["EventId"] for event in page["AuthEvents"]] == [failed["EventId"]]
    rest = idp(live).admin_list_user_auth_events(
        UserPoolId=pool_id, Username="alice", MaxResults=1, NextToken=page["NextToken"]
    )
    assert [event["EventId"] for event in rest["AuthEvents"]] == [passed["EventId"]]
    assert "NextToken" not in rest


def test_nothing_is_logged_with_threat_protection_off(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "OFF")
    confirmed_user(live, pool_id, "alice")
    password_auth(live, client_id, "alice")
    with pytest.raises(ClientError) as caught:
        events(live, pool_id)
    assert error_of(caught) == (
        "UserPoolAddOnNotEnabledException",
        "Advanced security features are not enabled for this user pool.",
    )


def test_sign_up_and_password_events(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "AUDIT")
    cognito = idp(live)
    cognito.sign_up(
        ClientId=client_id,
        Username="bob",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "bob@example.com"}],
    )
    confirmed_user(live, pool_id, "alice")
    token = access_token(live, client_id)
    cognito.change_password(
        AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword="N3w-passw0rd!"
    )
    assert [event["EventType"] for event in events(live, pool_id, "bob")] == ["SignUp"]
    assert [event["EventType"] for event in events(live, pool_id)] == ["PasswordChange", "SignIn"]
    with pytest.raises(ClientError) as caught:
        events(live, pool_id, "nobody")
    assert error_of(caught) == ("UserNotFoundException", "User does not exist.")


def test_feedback(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "AUDIT")
    confirmed_user(live, pool_id, "alice")
    password_auth(live, client_id, "alice")
    (event,) = events(live, pool_id)
    cognito = idp(live)
    cognito.admin_update_auth_event_feedback(
        UserPoolId=pool_id, Username="alice", EventId=event["EventId"], FeedbackValue="Valid"
    )
    feedback = events(live, pool_id)[0]["EventFeedback"]
    assert (feedback["FeedbackValue"], feedback["Provider"]) == ("Valid", "Admin")
    with pytest.raises(ClientError) as caught:
        cognito.update_auth_event_feedback(
            UserPoolId=pool_id,
            Username="alice",
            EventId=event["EventId"],
            FeedbackToken="not-the-token",
            FeedbackValue="Invalid",
        )
    assert error_of(caught) == ("NotAuthorizedException", "Invalid feedback token.")
    with pytest.raises(ClientError) as caught:
        cognito.admin_update_auth_event_feedback(
            UserPoolId=pool_id, Username="alice", EventId="no-such-event", FeedbackValue="Valid"
        )
    assert error_of(caught) == (
        "ResourceNotFoundException",
        "Auth event no-such-event does not exist.",
    )


# ---- compromised credentials ---------------------------------------------------------------


def _block_compromised(server: ServerProcess, pool_id: str) -> None:
    idp(server).set_risk_configuration(
        UserPoolId=pool_id,
        CompromisedCredentialsRiskConfiguration={"Actions": {"EventAction": "BLOCK"}},
    )


def test_breached_password_refused_at_sign_up_and_change(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "ENFORCED")
    _block_compromised(live, pool_id)
    cognito = idp(live)
    with pytest.raises(ClientError) as caught:
        cognito.sign_up(ClientId=client_id, Username="bob", Password=BREACHED)
    assert error_of(caught) == (
        "InvalidPasswordException",
        "Provided password cannot be used for security reasons.",
    )
    confirmed_user(live, pool_id, "alice")
    with pytest.raises(ClientError) as caught:
        cognito.change_password(
            AccessToken=access_token(live, client_id),
            PreviousPassword=PASSWORD,
            ProposedPassword=BREACHED,
        )
    assert error_of(caught)[0] == "InvalidPasswordException"


def test_breached_password_blocks_sign_in(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "ENFORCED")
    _block_compromised(live, pool_id)
    confirmed_user(live, pool_id, "alice", BREACHED)
    with pytest.raises(ClientError) as caught:
        password_auth(live, client_id, "alice", BREACHED)
    assert error_of(caught) == BLOCKED
    # "it sets the user's UserStatus to RESET_REQUIRED" (compromised-credentials docs).
    assert user_of(live, pool_id, "alice")["UserStatus"] == "RESET_REQUIRED"
    (event,) = events(live, pool_id)
    assert event["EventResponse"] == "Fail"
    assert event["EventRisk"]["RiskDecision"] == "Block"
    assert event["EventRisk"]["CompromisedCredentialsDetected"] is True


def test_breached_password_is_only_logged_in_audit_mode(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "AUDIT")
    _block_compromised(live, pool_id)
    confirmed_user(live, pool_id, "alice", BREACHED)
    assert "AuthenticationResult" in password_auth(live, client_id, "alice", BREACHED)
    (event,) = events(live, pool_id)
    assert event["EventResponse"] == "Pass"
    assert event["EventRisk"]["CompromisedCredentialsDetected"] is True


# ---- adaptive authentication ---------------------------------------------------------------


def _notifying_pool(server: ServerProcess, action: str) -> tuple[str, str]:
    verify(server, "example.com")
    production_access(server)
    pool_id, client_id = plus_pool(server, "ENFORCED")
    idp(server).set_risk_configuration(
        UserPoolId=pool_id, AccountTakeoverRiskConfiguration=takeover(action, notify=True)
    )
    confirmed_user(server, pool_id, "alice")
    return pool_id, client_id


def test_high_risk_sign_in_blocked_and_user_notified(live: ServerProcess) -> None:
    pool_id, client_id = _notifying_pool(live, "BLOCK")
    next_risk(live, pool_id, "high")
    with pytest.raises(ClientError) as caught:
        password_auth(live, client_id, "alice")
    assert error_of(caught) == BLOCKED
    mail = latest_mail(live, "alice@example.com")
    assert mail["subject"] == "Blocked sign-in for alice"
    assert mail["source"] == "security@example.com"
    (event,) = events(live, pool_id)
    assert event["EventResponse"] == "Fail"
    assert event["EventRisk"]["RiskDecision"] == "Block"
    assert event["EventRisk"]["RiskLevel"] == "High"
    # The risk was for one sign-in: the next passes.
    assert "AuthenticationResult" in password_auth(live, client_id, "alice")


def test_feedback_link_of_the_notification(live: ServerProcess) -> None:
    pool_id, client_id = _notifying_pool(live, "BLOCK")
    next_risk(live, pool_id, "medium")
    with pytest.raises(ClientError):
        password_auth(live, client_id, "alice")
    full = httpx.get(
        f"{live.url}/_poolmail/messages/{latest_mail(live, 'alice@example.com')['id']}"
    )
    html_body = str(full.json()["details"]["body"]["html"])
    link = html_body.split("Was it you? ", 1)[1].split("<", 1)[0].replace("&amp;", "&")
    assert httpx.get(link).status_code == 200
    feedback = events(live, pool_id)[0]["EventFeedback"]
    assert (feedback["FeedbackValue"], feedback["Provider"]) == ("Invalid", "User")


def test_risky_sign_in_asks_mfa_of_a_user_with_totp(live: ServerProcess) -> None:
    pool_id, client_id = _notifying_pool(live, "MFA_REQUIRED")
    idp(live).set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    app = add_totp(live, access_token(live, client_id))
    idp(live).admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="alice", SoftwareTokenMfaSettings={"Enabled": True}
    )
    # With the pool's MFA off, only the risk asks for the code.
    idp(live).set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OFF")
    assert "AuthenticationResult" in password_auth(live, client_id, "alice")
    next_risk(live, pool_id, "high")
    asked = password_auth(live, client_id, "alice")
    assert asked["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert latest_mail(live, "alice@example.com")["subject"] == "MFA sign-in for alice"
    done = idp(live).respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=asked["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totp_code(live, app)},
    )
    assert "AuthenticationResult" in done
    newest = events(live, pool_id)[0]
    assert newest["EventResponse"] == "Pass"
    assert newest["EventRisk"]["RiskDecision"] == "AccountTakeover"
    assert newest["ChallengeResponses"][-1] == {
        "ChallengeName": "Mfa",
        "ChallengeResponse": "Success",
    }


def test_mfa_required_blocks_a_user_without_mfa(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "ENFORCED")
    idp(live).set_risk_configuration(
        UserPoolId=pool_id, AccountTakeoverRiskConfiguration=takeover("MFA_REQUIRED")
    )
    confirmed_user(live, pool_id, "alice")
    next_risk(live, pool_id, "low")
    with pytest.raises(ClientError) as caught:
        password_auth(live, client_id, "alice")
    assert error_of(caught) == BLOCKED


def test_mfa_if_configured_lets_a_user_without_mfa_in(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "ENFORCED")
    idp(live).set_risk_configuration(
        UserPoolId=pool_id, AccountTakeoverRiskConfiguration=takeover("MFA_IF_CONFIGURED")
    )
    confirmed_user(live, pool_id, "alice")
    next_risk(live, pool_id, "high")
    assert "AuthenticationResult" in password_auth(live, client_id, "alice")
    (event,) = events(live, pool_id)
    assert (event["EventResponse"], event["EventRisk"]["RiskLevel"]) == ("Pass", "High")


def test_audit_mode_logs_the_risk_without_acting(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "AUDIT")
    idp(live).set_risk_configuration(
        UserPoolId=pool_id, AccountTakeoverRiskConfiguration=takeover("BLOCK")
    )
    confirmed_user(live, pool_id, "alice")
    next_risk(live, pool_id, "high")
    assert "AuthenticationResult" in password_auth(live, client_id, "alice")
    (event,) = events(live, pool_id)
    assert event["EventRisk"] == {
        "RiskDecision": "NoRisk",
        "RiskLevel": "High",
        "CompromisedCredentialsDetected": False,
    }


def test_admin_risk_endpoint_refusals(live: ServerProcess) -> None:
    pool_id, _ = plus_pool(live)
    url = f"{live.url}/_poolmail/cognito/pools/{pool_id}/users/nobody/risk"
    assert httpx.post(url, json={"level": "high"}).status_code == 404
    confirmed_user(live, pool_id, "alice")
    url = f"{live.url}/_poolmail/cognito/pools/{pool_id}/users/alice/risk"
    assert httpx.post(url, json={"level": "extreme"}).status_code == 400
    assert httpx.post(url, json={"level": None}).json()["level"] is None


def _admin_sign_in(server: ServerProcess, pool_id: str, client_id: str, ip: str) -> dict[str, Any]:
    answer: dict[str, Any] = idp(server).admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        ContextData={"IpAddress": ip, "ServerName": "app", "ServerPath": "/", "HttpHeaders": []},
    )
    return answer


def test_ip_range_lists(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "ENFORCED")
    idp(live).set_risk_configuration(
        UserPoolId=pool_id,
        AccountTakeoverRiskConfiguration=takeover("BLOCK"),
        RiskExceptionConfiguration={
            "BlockedIPRangeList": ["10.0.0.0/8"],
            "SkippedIPRangeList": ["192.168.0.0/16"],
        },
    )
    confirmed_user(live, pool_id, "alice")
    with pytest.raises(ClientError) as caught:
        _admin_sign_in(live, pool_id, client_id, "10.1.2.3")
    assert error_of(caught) == (
        "NotAuthorizedException",
        "Request not allowed due to security reasons.",
    )
    assert events(live, pool_id)[0]["EventContextData"]["IpAddress"] == "10.1.2.3"
    # An always-allowed address skips risk detection: the high risk set is not applied.
    next_risk(live, pool_id, "high")
    assert "AuthenticationResult" in _admin_sign_in(live, pool_id, client_id, "192.168.1.1")
    with pytest.raises(ClientError) as caught:
        _admin_sign_in(live, pool_id, client_id, "172.16.0.1")
    assert error_of(caught) == BLOCKED


def test_breached_passwords_file(tmp_path: Path) -> None:
    """`--breached-passwords FILE` adds its lines to the built-in list (one SQLite server
    of its own: the option is the server's)."""
    listed = tmp_path / "breached.txt"
    listed.write_text("# one a line\nOur-0wn-leak!\n", encoding="utf-8")
    own = ServerProcess(
        ["--data-dir", str(tmp_path / "data"), "--breached-passwords", str(listed)]
    ).start()
    try:
        pool_id, client_id = plus_pool(own, "ENFORCED")
        _block_compromised(own, pool_id)
        with pytest.raises(ClientError) as caught:
            idp(own).sign_up(ClientId=client_id, Username="bob", Password="Our-0wn-leak!")
        assert error_of(caught)[0] == "InvalidPasswordException"
        idp(own).sign_up(ClientId=client_id, Username="bob", Password=PASSWORD)
    finally:
        own.stop()


def test_forgot_password_event_and_breached_reset(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "ENFORCED")
    _block_compromised(live, pool_id)
    confirmed_user(live, pool_id, "alice")
    cognito = idp(live)
    cognito.forgot_password(ClientId=client_id, Username="alice")
    assert [event["EventType"] for event in events(live, pool_id)] == ["ForgotPassword"]
    with pytest.raises(ClientError) as caught:
        cognito.confirm_forgot_password(
            ClientId=client_id,
            Username="alice",
            ConfirmationCode=code_for(live, "alice@example.com"),
            Password=BREACHED,
        )
    assert error_of(caught) == (
        "InvalidPasswordException",
        "Provided password cannot be used for security reasons.",
    )


def test_a_deleted_users_events_go_with_it(live: ServerProcess) -> None:
    pool_id, client_id = plus_pool(live, "AUDIT")
    confirmed_user(live, pool_id, "alice")
    password_auth(live, client_id, "alice")
    idp(live).admin_delete_user(UserPoolId=pool_id, Username="alice")
    confirmed_user(live, pool_id, "alice")
    assert events(live, pool_id) == []
