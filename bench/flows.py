"""The workloads the sign-in and event features brought (issue 20): a TOTP sign-in, the
OAuth token endpoint with `client_credentials`, a sign-up through a `PreSignUp` trigger,
an SES send whose event goes to SNS, and `ListUsers` with a filter over many users.

Each set-up goes through the system's own APIs, as a user's would, and raises
``Unsupported`` with the system's answer when a step is not offered: a peer is measured on
a workload only when it really does it.
"""

from __future__ import annotations

import base64
import io
import json
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import wire
from systems import DOMAIN, PASSWORD, Plan, Unsupported

TOTP_USER = f"totp-user@{DOMAIN}"
SCOPE = "bench/read"
# The filter every ListUsers request carries: one user in the middle of the populated ones.
FILTER_EMAIL = "member0000500@" + DOMAIN
# Sessions made for one TOTP run, at most, and the longest their making may take: a
# session's code must still be current when the run answers it (30-second steps).
TOTP_SESSIONS = 6_000
TOTP_MAKING_SECONDS = 8.0

# The handler of the PreSignUp trigger, in Python for every runner: it confirms the user
# and verifies the email, as the common "auto-confirm" trigger does.
PRE_SIGN_UP_SOURCE = """\
def handler(event, context):
    event["response"]["autoConfirmUser"] = True
    event["response"]["autoVerifyEmail"] = True
    return event
"""


def _refused(step: str, error: Exception) -> Unsupported:
    text = str(error).replace("\n", " ")
    return Unsupported(f"{step} failed: {text[:160]}")


# --- TOTP sign-in --------------------------------------------------------------------


def totp_setup(endpoint: str) -> dict[str, Any]:
    """A pool with optional TOTP MFA, and a user enrolled in it (associate, verify, prefer).
    Raises Unsupported at the first step the system does not offer."""

    api = wire.client("cognito-idp", endpoint)
    try:
        pool = api.create_user_pool(PoolName="bench-totp")["UserPool"]
        api.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration="OPTIONAL",
        )
        client = api.create_user_pool_client(
            UserPoolId=pool["Id"],
            ClientName="bench-totp",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]
        created = api.admin_create_user(
            UserPoolId=pool["Id"], Username=TOTP_USER, MessageAction="SUPPRESS"
        )["User"]
        username = created.get("Username", TOTP_USER)
        api.admin_set_user_password(
            UserPoolId=pool["Id"], Username=username, Password=PASSWORD, Permanent=True
        )
        tokens = api.initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        secret = api.associate_software_token(AccessToken=tokens["AccessToken"])["SecretCode"]
        api.verify_software_token(AccessToken=tokens["AccessToken"], UserCode=totp_now(secret))
        api.set_user_mfa_preference(
            AccessToken=tokens["AccessToken"],
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
    except Exception as error:
        raise _refused("setting up TOTP MFA", error) from None
    return {"totp_client_id": client["ClientId"], "totp_username": username, "totp_secret": secret}


def totp_now(secret: str) -> str:
    """The current RFC 6238 code of ``secret`` (base32), whatever its length: pyotp refuses
    secrets under 112 bits, and moto hands out shorter ones."""
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def _totp_answers(endpoint: str, state: dict[str, Any], count: int) -> list[bytes]:
    """RespondToAuthChallenge requests, each answering a fresh SOFTWARE_TOKEN_MFA session
    with the current code."""

    start = wire.capture(
        "cognito-idp",
        endpoint,
        "initiate_auth",
        ClientId=state["totp_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": state["totp_username"], "PASSWORD": PASSWORD},
    )
    deadline = time.monotonic() + TOTP_MAKING_SECONDS

    def session(_: int) -> str | None:
        if time.monotonic() > deadline:
            return None
        status, body = wire.send(start, endpoint, timeout=30)
        answer = json.loads(body)
        if status >= 400 or answer.get("ChallengeName") != "SOFTWARE_TOKEN_MFA":
            raise Unsupported(f"InitiateAuth gave no SOFTWARE_TOKEN_MFA challenge: {body[:160]!r}")
        return str(answer["Session"])

    with ThreadPoolExecutor(8) as pool:
        sessions = [found for found in pool.map(session, range(count)) if found]
    code = totp_now(state["totp_secret"])
    # Built directly, not through boto3 (a client per request would take longer than the
    # codes last): RespondToAuthChallenge is an unsigned JSON 1.1 call.
    return [
        wire.plain(
            "POST",
            endpoint,
            "/",
            json.dumps(
                {
                    "ClientId": state["totp_client_id"],
                    "ChallengeName": "SOFTWARE_TOKEN_MFA",
                    "Session": session_id,
                    "ChallengeResponses": {
                        "USERNAME": state["totp_username"],
                        "SOFTWARE_TOKEN_MFA_CODE": code,
                    },
                }
            ).encode(),
            X_Amz_Target="AWSCognitoIdentityProviderService.RespondToAuthChallenge",
            Content_Type="application/x-amz-json-1.1",
        )
        for session_id in sessions
    ]


def totp_plan(endpoint: str, state: dict[str, Any], count: int) -> Plan:
    if "totp_secret" not in state:
        state.update(totp_setup(endpoint))
    count = min(count, TOTP_SESSIONS)
    return Plan(
        _totp_answers(endpoint, state, count),
        cycle=False,
        note="the MFA answer of a sign-in (a fresh session each)",
        # Made when the second run starts: codes go stale in the minute the first takes.
        second=lambda: _totp_answers(endpoint, state, count),
    )


# --- OAuth client_credentials ------------------------------------------------------------


def oauth_setup(endpoint: str, pool_id: str) -> dict[str, Any]:
    """A resource server with one scope, a confidential client allowed client_credentials
    for it, and a domain."""
    api = wire.client("cognito-idp", endpoint)
    prefix = "bench-" + uuid.uuid4().hex[:8]
    try:
        api.create_resource_server(
            UserPoolId=pool_id,
            Identifier="bench",
            Name="bench",
            Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}],
        )
        client = api.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="bench-machine",
            GenerateSecret=True,
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthScopes=[SCOPE],
            AllowedOAuthFlowsUserPoolClient=True,
        )["UserPoolClient"]
        api.create_user_pool_domain(Domain=prefix, UserPoolId=pool_id)
    except Exception as error:
        raise _refused("setting up client_credentials", error) from None
    return {
        "oauth_client_id": client["ClientId"],
        "oauth_client_secret": client["ClientSecret"],
        "oauth_domain": f"{prefix}.auth.{wire.REGION}.amazoncognito.com",
    }


def token_request(endpoint: str, state: dict[str, Any], path: str) -> bytes:
    secret = f"{state['oauth_client_id']}:{state['oauth_client_secret']}"
    body = f"grant_type=client_credentials&scope={SCOPE}".encode()
    return wire.plain(
        "POST",
        endpoint,
        path,
        body,
        Content_Type="application/x-www-form-urlencoded",
        Authorization="Basic " + base64.b64encode(secret.encode()).decode(),
    )


# --- PreSignUp trigger -------------------------------------------------------------------


def functions_file(workdir: Any) -> str:
    """poolmail's `--functions` file naming the trigger's code (docs/functions.md)."""
    code = workdir / "functions" / "pre_sign_up"
    code.mkdir(parents=True, exist_ok=True)
    (code / "index.py").write_text(PRE_SIGN_UP_SOURCE)
    path = workdir / "functions.toml"
    path.write_text(
        "[functions.bench-pre-sign-up]\n"
        'runtime = "python3.11"\n'
        'handler = "index.handler"\n'
        f'code = "{code}"\n'
    )
    return str(path)


PRE_SIGN_UP_ARN = f"arn:aws:lambda:{wire.REGION}:{wire.ACCOUNT}:function:bench-pre-sign-up"


def lambda_function(endpoint: str) -> str:
    """The trigger created through the system's own Lambda API; its ARN."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("index.py", PRE_SIGN_UP_SOURCE)
    try:
        created = wire.client("lambda", endpoint).create_function(
            FunctionName="bench-pre-sign-up",
            Runtime="python3.11",
            Role=f"arn:aws:iam::{wire.ACCOUNT}:role/bench",
            Handler="index.handler",
            Code={"ZipFile": archive.getvalue()},
        )
    except Exception as error:
        raise _refused("creating the trigger's function", error) from None
    return str(created["FunctionArn"])


def trigger_pool(endpoint: str, arn: str) -> str:
    """A pool whose PreSignUp trigger is ``arn``, and its client's id."""
    api = wire.client("cognito-idp", endpoint)
    try:
        pool = api.create_user_pool(PoolName="bench-trigger", LambdaConfig={"PreSignUp": arn})[
            "UserPool"
        ]
        client = api.create_user_pool_client(UserPoolId=pool["Id"], ClientName="bench-trigger")
    except Exception as error:
        raise _refused("creating a pool with a PreSignUp trigger", error) from None
    return str(client["UserPoolClient"]["ClientId"])


# --- ListUsers with a filter ---------------------------------------------------------------


def list_users_request(endpoint: str, pool_id: str) -> bytes:
    return wire.capture(
        "cognito-idp",
        endpoint,
        "list_users",
        UserPoolId=pool_id,
        Filter=f'email = "{FILTER_EMAIL}"',
        Limit=10,
    )


def populate_through_api(endpoint: str, pool_id: str, count: int) -> None:
    """``count`` users made with AdminCreateUser, named as bench.populate_users names them
    (`member0000000@...`), sixteen requests at a time."""
    marker = "m" + "X" * 6
    template = wire.Template(
        wire.capture(
            "cognito-idp",
            endpoint,
            "admin_create_user",
            UserPoolId=pool_id,
            Username=f"member{marker}@{DOMAIN}",
            MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": f"member{marker}@{DOMAIN}"}],
        ),
        marker.encode(),
    )
    requests = template.fill(f"{n:07d}" for n in range(count))

    def create(request: bytes) -> None:
        status, body = wire.send(request, endpoint, timeout=60)
        if status >= 400:
            raise RuntimeError(f"AdminCreateUser: {status} {body[:200]!r}")

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(create, requests))


# --- an SES send whose event goes to SNS ----------------------------------------------------


def event_setup(endpoint: str, sns_endpoint: str) -> str:
    """A configuration set with an SNS event destination for every event type, on a topic
    of the SNS at ``sns_endpoint``; the set's name."""
    topic = wire.client("sns", sns_endpoint).create_topic(Name="bench-ses-events")["TopicArn"]
    api = wire.client("sesv2", endpoint)
    try:
        api.create_configuration_set(ConfigurationSetName="bench-events")
        api.create_configuration_set_event_destination(
            ConfigurationSetName="bench-events",
            EventDestinationName="to-sns",
            EventDestination={
                "Enabled": True,
                "MatchingEventTypes": ["SEND", "DELIVERY", "BOUNCE", "COMPLAINT"],
                "SnsDestination": {"TopicArn": topic},
            },
        )
    except Exception as error:
        raise _refused("creating an SNS event destination", error) from None
    return "bench-events"


def populate_users(data_dir: Any, pool_id: str, count: int) -> None:
    """Add ``count`` users to poolmail's pool ``pool_id`` through poolmail's own storage
    code: copies of the bench user made through the API, each with its own name, sub and
    email (`member0000000@...`). (100,000 real sign-ups, each with its mail and commit,
    would take minutes for every size measured.)"""
    import dataclasses

    from systems import USER

    from poolmail.cognito.pools.user_pools import StoredPool
    from poolmail.cognito.users.users import find_user, insert_user
    from poolmail.store import open_database

    db = open_database(data_dir=str(data_dir))
    try:
        with db.transaction() as tx:
            row = tx.fetchone(
                "SELECT name, created_at, modified_at, data FROM user_pools WHERE id = ?",
                (pool_id,),
            )
            assert row is not None
            pool = StoredPool(pool_id, row[0], row[1], row[2], json.loads(row[3]))
            template = find_user(tx, pool, USER)
            assert template is not None
            present = tx.fetchone(
                "SELECT COUNT(*) FROM users WHERE pool_id = ? AND username LIKE 'member%'",
                (pool_id,),
            )
        start_at = int(present[0]) if present else 0
        for start in range(start_at, count, 5000):
            with db.transaction() as tx:
                for n in range(start, min(count, start + 5000)):
                    email = f"member{n:07d}@{DOMAIN}"
                    user = dataclasses.replace(
                        template,
                        username=f"member{n:07d}",
                        sub=str(uuid.uuid4()),
                        attributes={**template.attributes, "email": email},
                        data=dict(template.data),
                    )
                    insert_user(tx, pool, user)
    finally:
        db.close()
