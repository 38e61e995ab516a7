"""A pool domain's OAuth 2.0 / OpenID Connect side: authorization requests, codes, the token
endpoint's grants, userInfo, revocation and logout, as Cognito's managed login serves them.

Logic only: the HTTP endpoints live in `poolmail.hosted`, which calls these modules.
Facts: ../shared/facts/cognito-managed-login-oauth.md.
"""
