"""The keys that sign poolmail's calls to other AWS services, found where boto3 finds them.

botocore's chain tries the environment first (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
a token in `AWS_SECURITY_TOKEN` or `AWS_SESSION_TOKEN`) even when `AWS_PROFILE` is set, so
those are read here directly; anything else (profiles, SSO, containers, instance metadata,
an expiring environment) goes to botocore's own chain, whose session costs some 3 MB.
"""

from __future__ import annotations

import os
from typing import NamedTuple


class Keys(NamedTuple):
    """What SigV4 signing reads: botocore's ReadOnlyCredentials has the same fields."""

    access_key: str
    secret_key: str
    token: str | None


def current() -> Keys | None:
    """The keys as boto3 would find them now; None when it finds none."""
    environ = os.environ
    access_key = environ.get("AWS_ACCESS_KEY_ID", "")
    secret_key = environ.get("AWS_SECRET_ACCESS_KEY", "")
    # With an expiry the environment's keys are refreshable, and a missing secret is
    # botocore's PartialCredentialsError: both are left to its chain.
    if access_key and secret_key and not environ.get("AWS_CREDENTIAL_EXPIRATION"):
        token = environ.get("AWS_SECURITY_TOKEN") or environ.get("AWS_SESSION_TOKEN") or None
        return Keys(access_key, secret_key, token)
    import botocore.session

    found = botocore.session.Session().get_credentials()
    if found is None:
        return None
    frozen = found.get_frozen_credentials()
    return Keys(frozen.access_key, frozen.secret_key, frozen.token)
