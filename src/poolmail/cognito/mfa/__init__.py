"""Multi-factor authentication: the pool's MFA configuration, users' factors and
preferences, authenticator apps (TOTP), and the MFA challenges of a sign-in."""
