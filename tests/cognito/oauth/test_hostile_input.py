"""Garbage at every endpoint of a domain gets a 4xx (or a redirect), never a 5xx."""

from __future__ import annotations

import httpx

from tests.cognito.oauth.helpers import App

GARBAGE = ["", "\x00", "%", "é" * 300, "a.b.c.d.e", "{}"]
PARAMS = [
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "resource",
    "idp_identifier",
    "identity_provider",
    "logout_uri",
]


def test_no_server_errors(app: App) -> None:
    answers: list[httpx.Response] = []
    with httpx.Client(timeout=10) as http:
        for value in GARBAGE:
            for name in PARAMS:
                params = {**app.query(), name: value}
                answers.append(http.get(f"{app.base}/oauth2/authorize", params=params))
                answers.append(http.get(f"{app.base}/logout", params=params))
            for grant in ("authorization_code", "refresh_token", "client_credentials", value):
                form = {
                    "grant_type": grant,
                    "client_id": app.web_id,
                    "code": value,
                    "refresh_token": value,
                    "redirect_uri": value,
                    "code_verifier": value,
                    "scope": value,
                    "aws_client_metadata": value,
                }
                answers.append(http.post(f"{app.base}/oauth2/token", data=form))
            # Only what an HTTP client can send in a header.
            if value.strip() and value.isascii() and "\x00" not in value:
                basic = {"Authorization": f"Basic {value}"}
                bearer = {"Authorization": f"Bearer {value}"}
                answers.append(http.post(f"{app.base}/oauth2/token", headers=basic))
                answers.append(http.get(f"{app.base}/oauth2/userInfo", headers=bearer))
            answers.append(
                http.post(f"{app.base}/oauth2/revoke", data={"token": value, "client_id": value})
            )
        answers.append(
            http.post(
                f"{app.base}/oauth2/token",
                content=b"\xff\xfe",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        )
    failed = [(a.request.method, str(a.request.url)[:200], a.status_code) for a in answers]
    assert [f for f in failed if f[2] >= 500] == []
