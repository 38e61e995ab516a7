"""The sign-in form of `/login`: the user name (as the pool's sign-in attributes name
it) and password, a button per identity provider, and the links to the password reset
and, where users may sign themselves up, to sign-up."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response

from poolmail.hosted.pages import flow, labels
from poolmail.hosted.pages.site import Visit

LOGIN = "/login"
# Cognito's classic page text for a second password that differs.
PASSWORDS_DIFFER = "Passwords do not match"
MISSING_FIELDS = "Please fill in all the required fields."


def _providers(visit: Visit) -> list[dict[str, str]]:
    """One button per identity provider the client supports: /oauth2/authorize with the
    same parameters and `identity_provider`, which sends the browser to the IdP."""
    names = visit.client.settings.get("SupportedIdentityProviders") or []
    buttons = []
    for name in names:
        if name == "COGNITO":
            continue
        params = [
            (key, value)
            for key, value in visit.authorization.params
            if key not in ("identity_provider", "idp_identifier")
        ]
        params.append(("identity_provider", name))
        buttons.append(
            {"name": name, "url": visit.call.url("/oauth2/authorize", urlencode(params))}
        )
    return buttons


def login_form(
    visit: Visit,
    *,
    status: int = 200,
    error: str | None = None,
    username: str = "",
    notice: str | None = None,
) -> Response:
    names = visit.client.settings.get("SupportedIdentityProviders") or []
    admin_only = (visit.pool.settings.get("AdminCreateUserConfig") or {}).get(
        "AllowAdminCreateUserOnly"
    )
    # Imported here: the passkey pages use this module's names.
    from poolmail.hosted.pages.passkeys import offered

    return flow.show(
        visit,
        "login.html",
        "Sign in",
        status=status,
        error=error,
        notice=notice,
        action=visit.url(LOGIN),
        name_label=labels.name_label(visit.pool),
        username=username or visit.authorization.login_hint or "",
        providers=_providers(visit),
        cognito="COGNITO" in names or not names,
        forgot_url=visit.url("/forgotPassword"),
        signup_url=None if admin_only else visit.url("/signup"),
        passkey=offered(visit),
    )
