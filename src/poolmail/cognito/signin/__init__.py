"""Signing in: the auth flows and their challenges, SRP, tokens and the sessions they open."""
