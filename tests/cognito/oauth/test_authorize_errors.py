"""/oauth2/authorize's refusals as Cognito answers them: the error page before the client
and redirect URI are known good, a redirect with `error=` after [facts 1.1]."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.cognito.oauth.helpers import API, CALLBACK, App, callback_query, code_for, unverified


def _error_page(app: App, response_location: str) -> dict[str, str]:
    parts = urlsplit(response_location)
    assert parts.path.endswith("/error"), response_location
    page = app.browser.get(response_location)
    assert page.status_code == 400
    assert "An error was encountered with the requested page." in page.text
    return {key: values[0] for key, values in parse_qs(parts.query).items()}


def test_bad_client_or_redirect_uri_shows_the_error_page(app: App) -> None:
    unregistered = app.authorize(redirect_uri="https://evil.example.com/")
    assert _error_page(app, unregistered.headers["location"]) == {
        "error": "redirect_mismatch",
        "client_id": app.web_id,
    }
    # An exact match: a trailing slash matters.
    slash = app.authorize(redirect_uri=CALLBACK + "/")
    assert _error_page(app, slash.headers["location"])["error"] == "redirect_mismatch"
    unknown = app.authorize(client_id="nosuchclient")
    assert _error_page(app, unknown.headers["location"])["error"] == "invalid_request"
    # A client of the pool made for machines only has no OAuth for browsers here.
    m2m = app.authorize(client_id=app.m2m_id)
    assert _error_page(app, m2m.headers["location"]) == {
        "error": "redirect_mismatch",
        "client_id": app.m2m_id,
    }


# (parameters, what the redirect back carries besides `state`)
MALFORMED: list[tuple[dict[str, str], dict[str, str]]] = [
    ({"response_type": ""}, {"error": "invalid_request"}),
    ({"response_type": "id_token"}, {"error": "invalid_request"}),
    ({"code_challenge_method": "S256"}, {"error": "invalid_request"}),
    # Only S256 [doc AUTH].
    ({"code_challenge": "abc", "code_challenge_method": "plain"}, {"error": "invalid_request"}),
    ({"prompt": "sometimes"}, {"error": "invalid_request"}),
    ({"resource": "http://api.example.com"}, {"error": "invalid_request"}),
    # The observed answer to a scope the client may not have [facts 1.1].
    ({"scope": "openid phone"}, {"error_description": "invalid_scope", "error": "invalid_request"}),
    ({"scope": "email"}, {"error_description": "invalid_scope", "error": "invalid_request"}),
    (
        {"identity_provider": "Okta"},
        {
            "error_description": "Okta is not a supported identity provider",
            "error": "invalid_request",
        },
    ),
]


def test_malformed_requests_go_back_to_the_app(app: App) -> None:
    for params, expected in MALFORMED:
        answer = callback_query(app.authorize(**params))
        assert answer == {"state": "st-7", **expected}, params


def test_flows_the_client_does_not_allow(make: object) -> None:
    assert callable(make)
    app: App = make(AllowedOAuthFlows=["code"])
    assert callback_query(app.authorize(response_type="token")) == {
        "state": "st-7",
        "error": "unauthorized_client",
    }


def test_scopes_default_to_the_clients_and_drop_inactive_ones(app: App) -> None:
    to_login = app.authorize()
    assert to_login.status_code == 302
    # The login page gets the same parameters.
    login = urlsplit(to_login.headers["location"])
    assert login.path.endswith("/login")
    assert parse_qs(login.query) == {key: [value] for key, value in app.query().items()}
    cognito = app.server.client("cognito-idp")
    cognito.update_resource_server(UserPoolId=app.pool_id, Identifier=API, Name="API")
    # The client still lists the dropped scope; asking for it is no error, it is left out.
    code = code_for(app, scope=f"openid {API}/read")
    token = app.token(
        grant_type="authorization_code", client_id=app.web_id, code=code, redirect_uri=CALLBACK
    ).json()
    assert unverified(token["access_token"])["scope"] == "openid"
