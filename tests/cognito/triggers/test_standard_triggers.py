"""PreSignUp, PostConfirmation, Pre/PostAuthentication, PreTokenGeneration and
CustomMessage, with real functions (Python and Node) run by the embedded runner: what
the operations answer, what state they leave, and the exact events the functions get.

One server per store runs every function below; each test's pool picks its functions
through `LambdaConfig`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import PASSWORD, error_of, idp, latest_mail, user_of
from tests.cognito.signin.test_client_tokens import m2m_client
from tests.cognito.signin.test_tokens import verified
from tests.conftest import BACKENDS
from tests.ses.helpers import messages, production_access, verify
from tests.support.functions import write_functions
from tests.support.programs import require_program
from tests.support.server import ServerProcess, serving

SENDER = "sender@example.com"
SOURCE_ARN = f"arn:aws:ses:us-east-1:123456789012:identity/{SENDER}"
DEVELOPER = {"EmailSendingAccount": "DEVELOPER", "SourceArn": SOURCE_ARN}
PY = "python3.12"


def _python(body: str) -> tuple[str, str, dict[str, str]]:
    return (PY, "app.handler", {"app.py": body})


FUNCTIONS = {
    "echo": _python("def handler(event, context):\n    return event\n"),
    "auto-confirm": _python(
        "def handler(event, context):\n"
        "    event['response']['autoConfirmUser'] = True\n"
        "    event['response']['autoVerifyEmail'] = True\n"
        "    return event\n"
    ),
    "deny-short-names": _python(
        "def handler(event, context):\n"
        "    if len(event['userName']) < 5:\n"
        "        raise Exception('Username is too short')\n"
        "    return event\n"
    ),
    "failing-welcome": _python(
        "def handler(event, context):\n    raise Exception('Welcome service is down')\n"
    ),
    "guard": _python(
        "def handler(event, context):\n"
        "    if (event['request'].get('validationData') or {}).get('block') == 'yes':\n"
        "        raise Exception('Sign-in blocked')\n"
        "    return event\n"
    ),
    "welcome-message": (
        "nodejs20.x",
        "index.handler",
        {
            "index.mjs": (
                "export const handler = async (event) => {\n"
                "  if (event.triggerSource === 'CustomMessage_SignUp') {\n"
                "    event.response.emailSubject = `Welcome, ${event.userName}`;\n"
                "    event.response.emailMessage =\n"
                "      `<p>Hello ${event.request.userAttributes.name}, your code is "
                "${event.request.codeParameter}</p>`;\n"
                "  }\n"
                "  return event;\n"
                "};\n"
            )
        },
    ),
    "message-without-code": _python(
        "def handler(event, context):\n"
        "    event['response']['emailSubject'] = 'A subject of our own'\n"
        "    event['response']['emailMessage'] = 'No code in here'\n"
        "    return event\n"
    ),
    "claims-v2": _python(
        "def handler(event, context):\n"
        "    event['response']['claimsAndScopeOverrideDetails'] = {\n"
        "        'idTokenGeneration': {\n"
        "            'claimsToAddOrOverride': {'tenant': 'acme'},\n"
        "            'claimsToSuppress': ['email'],\n"
        "        },\n"
        "        'accessTokenGeneration': {\n"
        "            'claimsToAddOrOverride': {'tenant': 'acme', 'roles': ['admin', 'ops'],\n"
        "                                      'sub': 'forged', 'token_use': 'id'},\n"
        "            'scopesToAdd': ['orders/read'],\n"
        "        },\n"
        "    }\n"
        "    return event\n"
    ),
    "claims-v1": _python(
        "def handler(event, context):\n"
        "    event['response']['claimsOverrideDetails'] = {\n"
        "        'claimsToAddOrOverride': {'plan': 'pro', 'email': 'hidden@example.com'},\n"
        "        'claimsToSuppress': ['email'],\n"
        "        'groupOverrideDetails': {'groupsToOverride': ['vip']},\n"
        "    }\n"
        "    return event\n"
    ),
    "every-message": _python(
        "def handler(event, context):\n"
        "    source = event['triggerSource'].split('_', 1)[1]\n"
        "    request = event['request']\n"
        "    event['response']['emailSubject'] = source\n"
        "    event['response']['emailMessage'] = (\n"
        "        f\"{source}: {request['usernameParameter'] or '-'} {request['codeParameter']}\"\n"
        "    )\n"
        "    return event\n"
    ),
    "machine-claims": _python(
        "def handler(event, context):\n"
        "    job = event['request']['clientMetadata']['job']\n"
        "    event['response']['claimsAndScopeOverrideDetails'] = {\n"
        "        'accessTokenGeneration': {\n"
        "            'claimsToAddOrOverride': {'caller': job},\n"
        "            'scopesToSuppress': ['api/write'],\n"
        "        },\n"
        "    }\n"
        "    return event\n"
    ),
    "garbage": _python("def handler(event, context):\n    return 'not an event'\n"),
    "slow": _python("import time\n\ndef handler(event, context):\n    time.sleep(3)\n"),
    "too-slow": _python("import time\n\ndef handler(event, context):\n    time.sleep(8)\n"),
}
TIMEOUTS = {"slow": 1, "too-slow": 10}


@pytest.fixture(scope="module", params=BACKENDS)
def triggers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    require_program("node")
    toml = write_functions(tmp_path_factory.mktemp("functions"), FUNCTIONS, timeout=TIMEOUTS)
    options = ["--functions", str(toml)]
    with serving(request.param, options) as running:
        yield running


@pytest.fixture
def server(triggers: ServerProcess) -> ServerProcess:
    triggers.reset()
    return triggers


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


def pool_with(server: ServerProcess, lambdas: dict[str, Any], **settings: Any) -> tuple[str, str]:
    """A pool that verifies email, with ``lambdas`` as its LambdaConfig (function names),
    and an app client allowing password sign-in: (pool id, client id)."""
    config = {
        key: value if isinstance(value, dict) else arn(value) for key, value in lambdas.items()
    }
    cognito = idp(server)
    pool_id = cognito.create_user_pool(
        PoolName="triggers", AutoVerifiedAttributes=["email"], LambdaConfig=config, **settings
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH",
            "ALLOW_ADMIN_USER_PASSWORD_AUTH",
            "ALLOW_REFRESH_TOKEN_AUTH",
        ],
    )["UserPoolClient"]["ClientId"]
    return str(pool_id), str(client_id)


def invocations(server: ServerProcess, pool_id: str) -> list[dict[str, Any]]:
    """The pool's function invocations, oldest first."""
    answer = httpx.get(f"{server.url}/_poolmail/functions/invocations", params={"owner": pool_id})
    answer.raise_for_status()
    return list(reversed(answer.json()["invocations"]))


def events(server: ServerProcess, pool_id: str, source: str) -> list[dict[str, Any]]:
    return [i["request"] for i in invocations(server, pool_id) if i["source"] == source]


def confirmed_user(server: ServerProcess, pool_id: str, name: str, email: str) -> None:
    cognito = idp(server)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=name,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=name, Password=PASSWORD, Permanent=True
    )


def password_sign_in(server: ServerProcess, client_id: str, name: str, **extra: Any) -> Any:
    return idp(server).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": name, "PASSWORD": extra.pop("password", PASSWORD)},
        **extra,
    )


# ---- PreSignUp and PostConfirmation -------------------------------------------------------


def test_pre_sign_up_auto_confirms_and_verifies(server: ServerProcess) -> None:
    pool_id, client_id = pool_with(
        server, {"PreSignUp": "auto-confirm", "PostConfirmation": "echo"}
    )
    answer = idp(server).sign_up(
        ClientId=client_id,
        Username="maria",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "maria@example.com"}],
        ValidationData=[{"Name": "invite", "Value": "X1"}],
        ClientMetadata={"campaign": "spring"},
    )
    assert answer["UserConfirmed"] is True
    assert "CodeDeliveryDetails" not in answer
    user = user_of(server, pool_id, "maria")
    assert user["UserStatus"] == "CONFIRMED"
    assert user["attributes"]["email_verified"] == "true"
    # Auto-confirmed: no code goes out.
    assert messages(server, recipient="maria@example.com") == []
    [event] = events(server, pool_id, "PreSignUp_SignUp")
    assert event["callerContext"]["awsSdkVersion"].startswith("aws-sdk-")
    event["callerContext"].pop("awsSdkVersion")
    assert event == {
        "version": "1",
        "triggerSource": "PreSignUp_SignUp",
        "region": "us-east-1",
        "userPoolId": pool_id,
        "userName": "maria",
        "callerContext": {"clientId": client_id},
        "request": {
            "userAttributes": {"email": "maria@example.com"},
            "validationData": {"invite": "X1"},
            "clientMetadata": {"campaign": "spring"},
        },
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }
    # Then PostConfirmation_ConfirmSignUp, with SignUp's ClientMetadata.
    [confirmed] = events(server, pool_id, "PostConfirmation_ConfirmSignUp")
    attributes = confirmed["request"]["userAttributes"]
    assert attributes["cognito:user_status"] == "CONFIRMED"
    assert attributes["email_verified"] == "true"
    assert attributes["sub"] == user["attributes"]["sub"]
    assert confirmed["request"]["clientMetadata"] == {"campaign": "spring"}
    assert confirmed["response"] == {}
    assert "AuthenticationResult" in password_sign_in(server, client_id, "maria")


def test_pre_sign_up_refusal_creates_nothing(server: ServerProcess) -> None:
    pool_id, client_id = pool_with(server, {"PreSignUp": "deny-short-names"})
    cognito = idp(server)
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client_id, Username="bob", Password=PASSWORD)
    assert error_of(excinfo) == (
        "UserLambdaValidationException",
        "PreSignUp failed with error Username is too short.",
    )
    with pytest.raises(ClientError) as missing:
        cognito.admin_get_user(UserPoolId=pool_id, Username="bob")
    assert error_of(missing)[0] == "UserNotFoundException"
    # AdminCreateUser fires PreSignUp_AdminCreateUser, and a refusal stops it too.
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool_id, Username="amy", MessageAction="SUPPRESS")
    assert error_of(excinfo)[0] == "UserLambdaValidationException"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="amelia",
        MessageAction="SUPPRESS",
        ClientMetadata={"by": "admin"},
    )
    [event] = events(server, pool_id, "PreSignUp_AdminCreateUser")[-1:]
    assert event["callerContext"]["clientId"] == "CLIENT_ID_NOT_APPLICABLE"
    assert event["request"]["clientMetadata"] == {"by": "admin"}
    assert event["request"]["validationData"] is None


def test_sign_ups_follow_the_pool_s_functions_as_they_change(server: ServerProcess) -> None:
    # A client whose pool ran a function at a sign-up takes the read-first way from then
    # on (signup.py); the answers must follow the pool's functions as they come and go.
    pool_id, client_id = pool_with(server, {"PreSignUp": "auto-confirm"})
    cognito = idp(server)

    def sign_up(name: str) -> bool:
        answer = cognito.sign_up(
            ClientId=client_id,
            Username=name,
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}],
        )
        return bool(answer["UserConfirmed"])

    assert sign_up("first") is True
    cognito.update_user_pool(UserPoolId=pool_id, AutoVerifiedAttributes=["email"])
    assert sign_up("second") is False
    assert messages(server, recipient="second@example.com") != []
    cognito.update_user_pool(
        UserPoolId=pool_id,
        AutoVerifiedAttributes=["email"],
        LambdaConfig={"PreSignUp": arn("auto-confirm")},
    )
    assert sign_up("third") is True
    assert [e["userName"] for e in events(server, pool_id, "PreSignUp_SignUp")] == [
        "first",
        "third",
    ]


def test_post_confirmation_failure_reaches_the_client_and_the_user_stays_confirmed(
    server: ServerProcess,
) -> None:
    pool_id, client_id = pool_with(server, {"PostConfirmation": "failing-welcome"})
    cognito = idp(server)
    cognito.sign_up(
        ClientId=client_id,
        Username="carla",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "carla@example.com"}],
    )
    code = latest_mail(server, "carla@example.com")["details"]["code"]
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client_id, Username="carla", ConfirmationCode=code)
    assert error_of(excinfo) == (
        "UserLambdaValidationException",
        "PostConfirmation failed with error Welcome service is down.",
    )
    assert user_of(server, pool_id, "carla")["UserStatus"] == "CONFIRMED"


# ---- Pre/PostAuthentication ---------------------------------------------------------------


def test_authentication_triggers_run_around_the_password_check(server: ServerProcess) -> None:
    pool_id, client_id = pool_with(
        server, {"PreAuthentication": "guard", "PostAuthentication": "echo"}
    )
    confirmed_user(server, pool_id, "dora", "dora@example.com")
    blocked = {"ClientMetadata": {"block": "yes"}}
    # The function runs before the password check: its refusal beats a wrong password.
    with pytest.raises(ClientError) as excinfo:
        password_sign_in(server, client_id, "dora", password="Wrong0ne!", **blocked)
    assert error_of(excinfo) == (
        "UserLambdaValidationException",
        "PreAuthentication failed with error Sign-in blocked.",
    )
    with pytest.raises(ClientError) as excinfo:
        password_sign_in(server, client_id, "dora", password="Wrong0ne!")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    assert "AuthenticationResult" in password_sign_in(
        server, client_id, "dora", ClientMetadata={"app": "web"}
    )
    sources = [i["source"] for i in invocations(server, pool_id)]
    assert sources == [
        "PreAuthentication_Authentication",
        "PreAuthentication_Authentication",
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
    ]
    pre = events(server, pool_id, "PreAuthentication_Authentication")[-1]
    # InitiateAuth's ClientMetadata reaches PreAuthentication as validationData...
    assert pre["request"]["validationData"] == {"app": "web"}
    assert pre["request"]["userAttributes"]["cognito:user_status"] == "CONFIRMED"
    assert pre["response"] == {}
    # ...and never PostAuthentication (D2023 POA).
    [post] = events(server, pool_id, "PostAuthentication_Authentication")
    assert set(post["request"]) == {"userAttributes"}
    assert post["callerContext"]["clientId"] == client_id


# ---- PreTokenGeneration --------------------------------------------------------------------


def test_pre_token_generation_v2_adds_claims_and_scopes(server: ServerProcess) -> None:
    config = {"LambdaArn": arn("claims-v2"), "LambdaVersion": "V2_0"}
    pool_id, client_id = pool_with(
        server,
        {"PreTokenGeneration": "claims-v2", "PreTokenGenerationConfig": config},
        UserPoolTier="ESSENTIALS",
    )
    confirmed_user(server, pool_id, "erin", "erin@example.com")
    result = password_sign_in(server, client_id, "erin")["AuthenticationResult"]
    access = verified(server, pool_id, result["AccessToken"])
    assert access["tenant"] == "acme"
    assert access["roles"] == ["admin", "ops"]
    assert access["scope"] == "aws.cognito.signin.user.admin orders/read"
    # Claims no function may override keep Cognito's values.
    assert access["token_use"] == "access"
    assert access["sub"] == user_of(server, pool_id, "erin")["attributes"]["sub"]
    identity = verified(server, pool_id, result["IdToken"], audience=client_id)
    assert identity["tenant"] == "acme"
    assert "email" not in identity
    [event] = events(server, pool_id, "TokenGeneration_Authentication")
    assert event["version"] == "2"
    assert event["request"]["scopes"] == ["aws.cognito.signin.user.admin"]
    assert event["request"]["groupConfiguration"] == {
        "groupsToOverride": [],
        "iamRolesToOverride": [],
        "preferredRole": None,
    }
    assert event["response"] == {"claimsAndScopeOverrideDetails": None}
    # A refresh runs it again, as TokenGeneration_RefreshTokens.
    refreshed = idp(server).initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )["AuthenticationResult"]
    assert verified(server, pool_id, refreshed["AccessToken"])["tenant"] == "acme"
    assert len(events(server, pool_id, "TokenGeneration_RefreshTokens")) == 1


def test_pre_token_generation_v1_changes_the_id_token_and_groups(server: ServerProcess) -> None:
    pool_id, client_id = pool_with(server, {"PreTokenGeneration": "claims-v1"})
    confirmed_user(server, pool_id, "fay", "fay@example.com")
    cognito = idp(server)
    cognito.create_group(UserPoolId=pool_id, GroupName="staff")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="fay", GroupName="staff")
    result = password_sign_in(server, client_id, "fay")["AuthenticationResult"]
    identity = verified(server, pool_id, result["IdToken"], audience=client_id)
    assert identity["plan"] == "pro"
    # Suppression beats override.
    assert "email" not in identity
    assert identity["cognito:groups"] == ["vip"]
    access = verified(server, pool_id, result["AccessToken"])
    assert access["cognito:groups"] == ["vip"]
    assert "plan" not in access
    [event] = events(server, pool_id, "TokenGeneration_Authentication")
    assert event["version"] == "1"
    assert event["request"]["groupConfiguration"]["groupsToOverride"] == ["staff"]
    assert "scopes" not in event["request"]
    assert event["response"] == {"claimsOverrideDetails": None}


@pytest.mark.parametrize("version", ["V2_0", "V3_0"])
def test_machine_tokens_reach_the_function_from_v3_0_only(
    server: ServerProcess, version: str
) -> None:
    config = {"LambdaArn": arn("machine-claims"), "LambdaVersion": version}
    pool_id, _ = pool_with(
        server,
        {"PreTokenGeneration": "machine-claims", "PreTokenGenerationConfig": config},
        UserPoolTier="ESSENTIALS",
    )
    client = m2m_client(server, pool_id)
    result = idp(server).get_client_token(
        ClientId=client["ClientId"], Secret=client["ClientSecret"], ClientMetadata={"job": "sync"}
    )["ClientAuthenticationResult"]
    claims = verified(server, pool_id, result["AccessToken"])
    if version == "V2_0":
        assert (claims["scope"], "caller" in claims) == ("api/read api/write", False)
        assert events(server, pool_id, "TokenGeneration_ClientCredentials") == []
        return
    assert (claims["scope"], claims["caller"]) == ("api/read", "sync")
    [event] = events(server, pool_id, "TokenGeneration_ClientCredentials")
    assert (event["version"], event["userName"]) == ("3", None)
    assert event["request"]["scopes"] == ["api/read", "api/write"]


# ---- CustomMessage -------------------------------------------------------------------------


def test_a_node_custom_message_shapes_the_mail(server: ServerProcess) -> None:
    verify(server, SENDER)
    verify(server, "gina@example.com")
    pool_id, client_id = pool_with(
        server,
        {"CustomMessage": "welcome-message"},
        EmailConfiguration=DEVELOPER,
        Schema=[{"Name": "name", "AttributeDataType": "String", "Mutable": True}],
    )
    cognito = idp(server)
    cognito.sign_up(
        ClientId=client_id,
        Username="gina",
        Password=PASSWORD,
        UserAttributes=[
            {"Name": "email", "Value": "gina@example.com"},
            {"Name": "name", "Value": "Gina"},
        ],
        ClientMetadata={"locale": "en"},
    )
    mail = latest_mail(server, "gina@example.com")
    code = mail["details"]["code"]
    assert mail["subject"] == "Welcome, gina"
    assert mail["details"]["body"]["html"] == f"<p>Hello Gina, your code is {code}</p>"
    cognito.confirm_sign_up(ClientId=client_id, Username="gina", ConfirmationCode=code)
    [event] = events(server, pool_id, "CustomMessage_SignUp")
    assert event["request"]["codeParameter"] == "{####}"
    assert event["request"]["usernameParameter"] is None
    assert event["request"]["linkParameter"] == "{##Click Here##}"
    assert event["request"]["clientMetadata"] == {"locale": "en"}
    assert event["request"]["userAttributes"]["cognito:user_status"] == "UNCONFIRMED"
    assert event["response"] == {"smsMessage": None, "emailMessage": None, "emailSubject": None}


def test_a_custom_message_without_the_code_keeps_the_template_body(
    server: ServerProcess,
) -> None:
    verify(server, SENDER)
    verify(server, "hana@example.com")
    _, client_id = pool_with(
        server, {"CustomMessage": "message-without-code"}, EmailConfiguration=DEVELOPER
    )
    idp(server).sign_up(
        ClientId=client_id,
        Username="hana",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "hana@example.com"}],
    )
    mail = latest_mail(server, "hana@example.com")
    assert mail["subject"] == "A subject of our own"
    code = mail["details"]["code"]
    assert mail["details"]["body"]["html"] == f"Your verification code is {code}. "


def test_a_custom_email_message_needs_the_developer_sending_account(
    server: ServerProcess,
) -> None:
    pool_id, client_id = pool_with(server, {"CustomMessage": "message-without-code"})
    with pytest.raises(ClientError) as excinfo:
        idp(server).sign_up(
            ClientId=client_id,
            Username="ines",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "ines@example.com"}],
        )
    assert error_of(excinfo) == (
        "InvalidLambdaResponseException",
        "Invalid lambda function output : emailMessage can be used only when the user pool's "
        "EmailSendingAccount is DEVELOPER",
    )
    # The user was stored before the message was shaped, as when a delivery fails.
    assert user_of(server, pool_id, "ines")["UserStatus"] == "UNCONFIRMED"


def test_custom_messages_of_invitations_and_password_resets(server: ServerProcess) -> None:
    verify(server, SENDER)
    # Out of the sandbox: two mails within a second pass its one-per-second rate.
    production_access(server)
    pool_id, client_id = pool_with(
        server,
        {"CustomMessage": "every-message", "PostConfirmation": "echo"},
        EmailConfiguration=DEVELOPER,
    )
    cognito = idp(server)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="olga",
        TemporaryPassword="Temp0rary!",
        UserAttributes=[
            {"Name": "email", "Value": "olga@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
        DesiredDeliveryMediums=["EMAIL"],
    )
    invitation = latest_mail(server, "olga@example.com")
    assert invitation["subject"] == "AdminCreateUser"
    assert invitation["details"]["body"]["html"] == "AdminCreateUser: olga Temp0rary!"
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="olga", Password=PASSWORD, Permanent=True
    )
    cognito.forgot_password(ClientId=client_id, Username="olga", ClientMetadata={"from": "app"})
    reset = latest_mail(server, "olga@example.com")
    code = reset["details"]["code"]
    assert reset["subject"] == "ForgotPassword"
    assert reset["details"]["body"]["html"] == f"ForgotPassword: - {code}"
    [asked] = events(server, pool_id, "CustomMessage_ForgotPassword")
    assert asked["request"]["clientMetadata"] == {"from": "app"}
    cognito.confirm_forgot_password(
        ClientId=client_id, Username="olga", ConfirmationCode=code, Password="N3w-Passw0rd!"
    )
    [confirmed] = events(server, pool_id, "PostConfirmation_ConfirmForgotPassword")
    assert confirmed["request"]["userAttributes"]["email"] == "olga@example.com"
    assert "AuthenticationResult" in password_sign_in(
        server, client_id, "olga", password="N3w-Passw0rd!"
    )


def test_a_new_password_challenge_names_its_token_source(server: ServerProcess) -> None:
    pool_id, client_id = pool_with(server, {"PreTokenGeneration": "echo"})
    cognito = idp(server)
    cognito.admin_create_user(
        UserPoolId=pool_id, Username="pia", TemporaryPassword="Temp0rary!", MessageAction="SUPPRESS"
    )
    challenge = password_sign_in(server, client_id, "pia", password="Temp0rary!")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    answer = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "pia", "NEW_PASSWORD": PASSWORD},
        ClientMetadata={"step": "new-password"},
    )
    assert "AuthenticationResult" in answer
    [event] = events(server, pool_id, "TokenGeneration_NewPasswordChallenge")
    assert event["request"]["clientMetadata"] == {"step": "new-password"}
    # An invited user's first sign-in is no confirmation: no PostConfirmation (facts §3).
    assert events(server, pool_id, "PostConfirmation_ConfirmSignUp") == []


# ---- how failures answer -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("garbage", ("InvalidLambdaResponseException", "Unrecognizable lambda output")),
        (
            "nobody-knows-me",
            (
                "UnexpectedLambdaException",
                "PreSignUp invocation failed due to error ResourceNotFoundException.",
            ),
        ),
    ],
)
def test_unusable_functions(
    server: ServerProcess, function: str, expected: tuple[str, str]
) -> None:
    pool_id, client_id = pool_with(server, {"PreSignUp": function})
    with pytest.raises(ClientError) as excinfo:
        idp(server).sign_up(ClientId=client_id, Username="jack", Password=PASSWORD)
    assert error_of(excinfo) == expected
    with pytest.raises(ClientError):
        idp(server).admin_get_user(UserPoolId=pool_id, Username="jack")


def test_a_function_past_its_own_timeout_is_a_function_error(server: ServerProcess) -> None:
    _, client_id = pool_with(server, {"PreSignUp": "slow"})
    with pytest.raises(ClientError) as excinfo:
        idp(server).sign_up(ClientId=client_id, Username="kate", Password=PASSWORD)
    code, message = error_of(excinfo)
    assert code == "UserLambdaValidationException"
    # AWS's shape: "<time> <request id> Task timed out after 1.00 seconds", then Cognito's ".".
    assert re.fullmatch(
        r"PreSignUp failed with error \S+ [0-9a-f-]{36} Task timed out after 1\.\d\d seconds\.",
        message,
    ), message


def test_a_function_past_cognitos_five_seconds_is_a_socket_timeout(
    server: ServerProcess,
) -> None:
    """Meanwhile other requests are served: the waiting operation left the event loop
    before it called the function."""
    _, slow_client = pool_with(server, {"PreSignUp": "too-slow"})
    pool_id, client_id = pool_with(server, {})
    confirmed_user(server, pool_id, "mona", "mona@example.com")
    waiting_client, signing_in = idp(server), idp(server)
    failures: list[tuple[str, str]] = []

    def sign_up() -> None:
        try:
            waiting_client.sign_up(ClientId=slow_client, Username="liam", Password=PASSWORD)
        except ClientError as error:
            failures.append((error.response["Error"]["Code"], error.response["Error"]["Message"]))

    waiting = threading.Thread(target=sign_up)
    waiting.start()
    time.sleep(0.5)
    signing_in.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mona", "PASSWORD": PASSWORD},
    )
    assert waiting.is_alive()
    waiting.join()
    assert failures == [
        (
            "UnexpectedLambdaException",
            "PreSignUp invocation failed due to error Socket timeout while invoking Lambda "
            "function.",
        )
    ]
