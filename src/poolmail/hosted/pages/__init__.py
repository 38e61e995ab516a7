"""Managed login's pages: sign-in with its MFA and new-password steps, sign-up with its
confirmation, and the password reset; server-rendered, working without JavaScript.

``ENDPOINTS`` lists their paths for the domain routing (server/web/hosted_routes.py).
"""

from __future__ import annotations

from poolmail.hosted.call import Endpoint
from poolmail.hosted.pages import login, passkeys, recovery, registration
from poolmail.hosted.pages.sign_in_form import LOGIN

_BOTH = ("GET", "POST")

ENDPOINTS: list[Endpoint] = [
    Endpoint(LOGIN, _BOTH, login.login),
    Endpoint(login.MFA, _BOTH, login.mfa),
    Endpoint(registration.SIGN_UP, _BOTH, registration.sign_up),
    Endpoint(registration.CONFIRM, _BOTH, registration.confirm),
    # The managed login page list names the code page `/confirm` [facts 1.2].
    Endpoint("/confirm", _BOTH, registration.confirm),
    Endpoint(registration.RESEND, _BOTH, registration.resend),
    Endpoint(recovery.FORGOT, _BOTH, recovery.forgot_password),
    Endpoint(recovery.CONFIRM_FORGOT, _BOTH, recovery.confirm_forgot_password),
    # Managed login writes it with a lower-case `f` [facts 1.2].
    Endpoint("/confirmforgotPassword", _BOTH, recovery.confirm_forgot_password),
    # Managed login's passkey registration page [facts 1.2], and the passkey pages' script.
    Endpoint(passkeys.ADD, _BOTH, passkeys.add),
    Endpoint(passkeys.SCRIPT, ("GET",), passkeys.script),
]
