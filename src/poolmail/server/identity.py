"""Who is calling and where: SigV4 credential scope and access key to account and region."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_CREDENTIAL = re.compile(r"Credential=([^,\s]+)")
_ACCOUNT_KEY = re.compile(r"\d{12}")


@dataclass(frozen=True, slots=True)
class Caller:
    access_key: str | None
    region: str | None
    service: str | None
    account_id: str

    @property
    def signed(self) -> bool:
        return self.access_key is not None


def identify_caller(authorization: str, query: Mapping[str, str], default_account: str) -> Caller:
    """Read ``AKID/date/region/service/aws4_request`` from the Authorization header's
    value or a presigned query.

    An access key of exactly twelve digits selects that account (LocalStack's convention);
    any other key, or none, is the default account.
    """
    scope = None
    found = _CREDENTIAL.search(authorization)
    if found:
        scope = found.group(1)
    elif "X-Amz-Credential" in query:
        scope = query["X-Amz-Credential"]
    if not scope:
        return Caller(None, None, None, default_account)
    parts = scope.split("/")
    access_key = parts[0]
    region = parts[2] if len(parts) >= 5 else None
    service = parts[3] if len(parts) >= 5 else None
    account = access_key if _ACCOUNT_KEY.fullmatch(access_key) else default_account
    return Caller(access_key, region, service, account)
