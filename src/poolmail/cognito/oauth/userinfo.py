"""/oauth2/userInfo: the attributes an OAuth access token's scopes reveal [doc USERINFO]."""

from __future__ import annotations

from typing import Any

from poolmail.cognito.clients.clients import find_client
from poolmail.cognito.oauth.hosts import Domain
from poolmail.cognito.signin import sessions
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

# The WWW-Authenticate descriptions of the endpoint's two errors [doc USERINFO].
BAD_REQUEST = "Bad OAuth2 request at UserInfo Endpoint"
BAD_TOKEN = "Access token is expired, disabled, or deleted, or the user has globally signed out."

PROFILE = frozenset(
    {
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
    }
)
EMAIL = frozenset({"email", "email_verified"})
PHONE = frozenset({"phone_number", "phone_number_verified"})


class UserInfoError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def challenge(self) -> str:
        """The WWW-Authenticate header's value, as the doc prints it."""
        return f'error="{self.error}", error_description="{self.description}"'


def _visible(name: str, scopes: set[str]) -> bool:
    # `openid` alone: every attribute the client can read; with `profile`, `email` or
    # `phone` beside it, those groups (custom attributes come with `profile`) [doc].
    if not scopes & {"profile", "email", "phone"}:
        return True
    return (
        ("profile" in scopes and (name in PROFILE or name.startswith("custom:")))
        or ("email" in scopes and name in EMAIL)
        or ("phone" in scopes and name in PHONE)
    )


def user_info(ctx: RequestContext, domain: Domain, authorization: str | None) -> dict[str, Any]:
    """The claims of the bearer token's user; UserInfoError for what the doc lists."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UserInfoError(400, "invalid_request", BAD_REQUEST)
    try:
        caller = sessions.authorize(ctx, token.strip(), scope=None)
    except AwsError:
        raise UserInfoError(401, "invalid_token", BAD_TOKEN) from None
    if caller.pool.id != domain.pool_id:
        raise UserInfoError(401, "invalid_token", BAD_TOKEN)
    scopes = set(str(caller.claims.get("scope") or "").split())
    # API tokens carry only aws.cognito.signin.user.admin [doc]. Choice (AWS's answer
    # not found): a token without `openid` is a bad request, not a bad token.
    if "openid" not in scopes:
        raise UserInfoError(400, "invalid_request", BAD_REQUEST)
    with ctx.db.transaction(readonly=True) as tx:
        client = find_client(tx, str(caller.claims.get("client_id", "")))
    readable = (client.settings.get("ReadAttributes") if client is not None else None) or []
    # `*_verified` stay strings here, unlike in ID tokens [doc example].
    body: dict[str, Any] = {"sub": caller.user.sub}
    for name, value in caller.user.attributes.items():
        if name == "sub" or name.startswith("dev:") or (readable and name not in readable):
            continue
        if _visible(name, scopes):
            body[name] = value
    body["username"] = caller.user.username
    return body
